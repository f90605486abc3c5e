//! `panicServer`: forgets and ends every meeting of a server, then disables it (unless `keep_state`).

use http::StatusCode;
use scalelite_shared::model::{ServerState, ServerUpdate};
use scalelite_shared::store::StoreError;

use super::answers::Success;
use super::bodies::{Body, PanicServer};
use super::described::{Answer, Described, schema};
use super::{reply, server_not_found};
use crate::Ctx;
use crate::jobs::end_meetings::end_meetings;
use crate::refusal::Refusal;
use crate::registry::Outcome;
use crate::reject::{Reject, Store};

/// Forgets every meeting of a server and ends it on BBB, then disables the server unless `keep_state`.
/// `None` when there is no such server; otherwise whether every `end` call succeeded.
/// Forgets every meeting of server `id`, ends them on it (unless `skip_end_calls`), and disables it (unless
/// `keep_state`); `None` for an unknown server, else whether every end call succeeded.
pub async fn panic(ctx: &Ctx, id: &str, keep_state: bool, skip_end_calls: bool) -> Result<Option<bool>, StoreError> {
    let Some(server) = ctx.servers.server(id).await? else {
        return Ok(None);
    };
    let mut meetings = Vec::new();
    for meeting in ctx.meetings.meetings_on(id, ctx.meetings.now_ms().await?).await? {
        let now = ctx.meetings.now_ms().await?;
        if let Some(meeting) = ctx.meetings.delete_meeting(&meeting.id, &ctx.config.load, now).await? {
            meetings.push(meeting);
        }
    }
    let all_ended = skip_end_calls || end_meetings(ctx, &server, &meetings).await;
    if !keep_state {
        let update = ServerUpdate { state: Some(ServerState::Disabled), ..ServerUpdate::default() };
        ctx.servers.update_server(id, &update).await?;
    }
    Ok(Some(all_ended))
}

/// How the OpenAPI document describes it.
pub const DOC: Described = Described {
    summary: "Forgets and ends every meeting of a server, then disables it (unless `keep_state`).",
    query: &[],
    body: Some(schema::<PanicServer>),
    answers: &[
        Answer::success(StatusCode::OK, "Its meetings are gone and ended.", schema::<Success>),
        Answer::refused(StatusCode::BAD_REQUEST, "Some meeting could not be ended on the server."),
        Answer::refused(StatusCode::NOT_FOUND, "No server has this id."),
    ],
};

pub async fn run(ctx: &Ctx, Body(PanicServer { id, keep_state }): Body<PanicServer>) -> Outcome {
    let id = id.unwrap_or_default();
    match panic(ctx, &id, keep_state, false).await.map_err(Reject::store(Store::Meetings))? {
        None => Err(server_not_found(&id)),
        Some(true) => Ok(reply(
            StatusCode::OK,
            &Success { success: format!("Server id={id} has been disabled and the meetings have been destroyed") },
        )),
        Some(false) => Err(Refusal::PanicIncomplete(id).into()),
    }
}
