//! `getServers`: every server, or 404 when there are none.

use http::StatusCode;
use scalelite_shared::api::ApiRequest;
use serde_json::Value;

use super::{error, input, reply, server_json};
use crate::Ctx;
use crate::api::store_failure;
use crate::registry::Outcome;

pub async fn run(ctx: &Ctx, req: ApiRequest) -> Outcome {
    if let Err(response) = input(ctx, &req, "getServers")? {
        return Ok(response);
    }
    let servers = ctx.servers.servers().await.map_err(store_failure)?;
    if servers.is_empty() {
        return Ok(error(StatusCode::NOT_FOUND, "No servers are configured"));
    }
    Ok(reply(StatusCode::OK, &Value::Array(servers.iter().map(server_json).collect())))
}
