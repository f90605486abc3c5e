//! `getPlacedMeeting?meetingID=`: which server holds a meeting, with its tenant, voice bridge and placement time.

use http::StatusCode;

use super::answers::PlacedMeeting;
use super::described::{Answer, Described, Query, schema};
use super::placed_meeting::TenantNames;
use super::reply;
use crate::Ctx;
use crate::refusal::Refusal;
use crate::registry::Outcome;
use crate::reject::{Reject, Store};
use crate::request::Call;

/// How the OpenAPI document describes it.
pub const DOC: Described = Described {
    summary: "Which server holds a meeting, for which tenant, since when.",
    query: &[Query { name: "meetingID", required: true, about: "The meeting's meetingID." }],
    body: None,
    answers: &[
        Answer::success(StatusCode::OK, "The placed meeting.", schema::<PlacedMeeting>),
        Answer::refused(StatusCode::NOT_FOUND, "No server holds this meeting."),
    ],
};

pub async fn run(ctx: &Ctx, input: Call) -> Outcome {
    let id = input.params.get("meetingID").unwrap_or_default();
    let meeting = ctx.meetings.meeting(id, ctx.now_ms().await?).await.map_err(Reject::store(Store::Meetings))?;
    let Some(meeting) = meeting else {
        return Err(Refusal::MeetingNotFound(id.to_owned()).into());
    };
    let server = ctx.servers.server(&meeting.server_id).await.map_err(Reject::store(Store::Servers))?;
    let tenants = TenantNames::read(ctx).await?;
    Ok(reply(StatusCode::OK, &tenants.placed(&meeting, server.as_ref())))
}
