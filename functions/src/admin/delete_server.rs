//! `deleteServer`: removes a server; its meetings are placed anew on their next create.

use http::StatusCode;
use scalelite_shared::api::ApiRequest;
use serde_json::json;

use super::{id_of, input, reply, server_not_found};
use crate::Ctx;
use crate::api::store_failure;
use crate::registry::Outcome;

pub async fn run(ctx: &Ctx, req: ApiRequest) -> Outcome {
    let input = match input(ctx, &req, "deleteServer")? {
        Ok(input) => input,
        Err(response) => return Ok(response),
    };
    let id = id_of(&input.body).unwrap_or_default();
    Ok(if ctx.servers.delete_server(&id).await.map_err(store_failure)? {
        reply(StatusCode::OK, &json!({ "success": format!("Server id={id} was destroyed") }))
    } else {
        server_not_found(&id)
    })
}
