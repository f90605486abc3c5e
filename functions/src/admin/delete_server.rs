//! `deleteServer`: removes a server; its meetings are placed anew on their next create.

use http::StatusCode;
use serde_json::json;

use super::bodies::{Body, ById};
use super::{reply, server_not_found};
use crate::Ctx;
use crate::registry::Outcome;
use crate::reject::{Reject, Store};

pub async fn run(ctx: &Ctx, Body(ById { id }): Body<ById>) -> Outcome {
    let id = id.unwrap_or_default();
    if ctx.servers.delete_server(&id).await.map_err(Reject::store(Store::Servers))? {
        Ok(reply(StatusCode::OK, &json!({ "success": format!("Server id={id} was destroyed") })))
    } else {
        Err(server_not_found(&id))
    }
}
