//! `getServerInfo?id=`: one server.

use http::StatusCode;
use scalelite_shared::api::ApiRequest;

use super::{input, reply, server_json, server_not_found};
use crate::Ctx;
use crate::api::store_failure;
use crate::registry::Outcome;

pub async fn run(ctx: &Ctx, req: ApiRequest) -> Outcome {
    let input = match input(ctx, &req, "getServerInfo")? {
        Ok(input) => input,
        Err(response) => return Ok(response),
    };
    let id = input.query.get("id").unwrap_or_default();
    Ok(match ctx.servers.server(id).await.map_err(store_failure)? {
        Some(server) => reply(StatusCode::OK, &server_json(&server)),
        None => server_not_found(id),
    })
}
