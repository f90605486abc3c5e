//! `getServers`: every server, or 404 when there are none.

use http::StatusCode;

use super::answers::{ServerObject, Servers};
use super::described::{Answer, Described, schema};
use super::reply;
use crate::Ctx;
use crate::refusal::Refusal;
use crate::registry::Outcome;
use crate::reject::{Reject, Store};
use crate::request::Call;

/// How the OpenAPI document describes it.
pub const DOC: Described = Described {
    summary: "Every server, as `getServerInfo` shows it.",
    query: &[],
    body: None,
    answers: &[
        Answer::success(StatusCode::OK, "Every server.", schema::<Servers>),
        Answer::refused(StatusCode::NOT_FOUND, "No server is configured."),
    ],
};

pub async fn run(ctx: &Ctx, _: Call) -> Outcome {
    let servers = ctx.servers.servers().await.map_err(Reject::store(Store::Servers))?;
    if servers.is_empty() {
        return Err(Refusal::NoServers.into());
    }
    Ok(reply(StatusCode::OK, &Servers(servers.iter().map(ServerObject::of).collect())))
}
