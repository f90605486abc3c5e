//! `getServerInfo?id=`: one server.

use http::StatusCode;

use super::{reply, server_json, server_not_found};
use crate::Ctx;
use crate::registry::Outcome;
use crate::reject::{Reject, Store};
use crate::request::Call;

pub async fn run(ctx: &Ctx, input: Call) -> Outcome {
    let id = input.params.get("id").unwrap_or_default();
    match ctx.servers.server(id).await.map_err(Reject::store(Store::Servers))? {
        Some(server) => Ok(reply(StatusCode::OK, &server_json(&server))),
        None => Err(server_not_found(id)),
    }
}
