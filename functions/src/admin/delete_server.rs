//! `deleteServer`: removes a server; its meetings are placed anew on their next create.

use http::StatusCode;

use super::answers::Success;
use super::bodies::{Body, ById};
use super::described::{Answer, Described, schema};
use super::{reply, server_not_found};
use crate::Ctx;
use crate::registry::Outcome;
use crate::reject::{Reject, Store};

/// How the OpenAPI document describes it.
pub const DOC: Described = Described {
    summary: "Removes a server; its meetings are placed anew on their next create.",
    query: &[],
    body: Some(schema::<ById>),
    answers: &[
        Answer::success(StatusCode::OK, "The server is removed.", schema::<Success>),
        Answer::refused(StatusCode::NOT_FOUND, "No server has this id."),
    ],
};

pub async fn run(ctx: &Ctx, Body(ById { id }): Body<ById>) -> Outcome {
    let id = id.unwrap_or_default();
    if ctx.servers.delete_server(&id).await.map_err(Reject::store(Store::Servers))? {
        Ok(reply(StatusCode::OK, &Success { success: format!("Server id={id} was destroyed") }))
    } else {
        Err(server_not_found(&id))
    }
}
