//! `getPlacedMeeting?meetingID=`: which server holds a meeting, with its tenant, voice bridge and placement time.

use http::StatusCode;

use super::placed_meeting::{TenantNames, placed_meeting_json};
use super::reply;
use crate::Ctx;
use crate::refusal::Refusal;
use crate::registry::Outcome;
use crate::reject::{Reject, Store};
use crate::request::Call;

pub async fn run(ctx: &Ctx, input: Call) -> Outcome {
    let id = input.params.get("meetingID").unwrap_or_default();
    let meeting = ctx.meetings.meeting(id, ctx.now_ms().await?).await.map_err(Reject::store(Store::Meetings))?;
    let Some(meeting) = meeting else {
        return Err(Refusal::MeetingNotFound(id.to_owned()).into());
    };
    let server = ctx.servers.server(&meeting.server_id).await.map_err(Reject::store(Store::Servers))?;
    let tenants = TenantNames::read(ctx).await?;
    Ok(reply(StatusCode::OK, &placed_meeting_json(&meeting, server.as_ref(), &tenants)))
}
