//! `getServers`: every server, or 404 when there are none.

use http::StatusCode;
use serde_json::Value;

use super::{reply, server_json};
use crate::Ctx;
use crate::refusal::Refusal;
use crate::registry::Outcome;
use crate::reject::{Reject, Store};
use crate::request::Call;

pub async fn run(ctx: &Ctx, _: Call) -> Outcome {
    let servers = ctx.servers.servers().await.map_err(Reject::store(Store::Servers))?;
    if servers.is_empty() {
        return Err(Refusal::NoServers.into());
    }
    Ok(reply(StatusCode::OK, &Value::Array(servers.iter().map(server_json).collect())))
}
