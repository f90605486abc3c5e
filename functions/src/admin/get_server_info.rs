//! `getServerInfo?id=`: one server.

use http::StatusCode;

use super::answers::ServerObject;
use super::described::{Answer, Described, Query, schema};
use super::{reply, server_not_found};
use crate::Ctx;
use crate::registry::Outcome;
use crate::reject::{Reject, Store};
use crate::request::Call;

/// How the OpenAPI document describes it.
pub const DOC: Described = Described {
    summary: "One server.",
    query: &[Query { name: "id", required: true, about: "The server's id." }],
    body: None,
    answers: &[
        Answer::success(StatusCode::OK, "The server.", schema::<ServerObject>),
        Answer::refused(StatusCode::NOT_FOUND, "No server has this id."),
    ],
};

pub async fn run(ctx: &Ctx, input: Call) -> Outcome {
    let id = input.params.get("id").unwrap_or_default();
    match ctx.servers.server(id).await.map_err(Reject::store(Store::Servers))? {
        Some(server) => Ok(reply(StatusCode::OK, &ServerObject::of(&server))),
        None => Err(server_not_found(id)),
    }
}
