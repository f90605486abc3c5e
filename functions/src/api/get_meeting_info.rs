//! `getMeetingInfo`: the meeting's server answers; only `meetingID` is passed on.

use scalelite_shared::bbb::error::ApiError;
use scalelite_shared::bbb::params::Params;

use super::{meeting_with_server, pass_on, target};
use crate::Ctx;
use crate::registry::Outcome;
use crate::request::{Call, meeting_id};

pub async fn run(ctx: &Ctx, Call { params, tenant, .. }: Call) -> Outcome {
    let id = meeting_id(&params)?;
    let (_, server) = meeting_with_server(ctx, tenant.as_ref(), id).await?.ok_or(ApiError::MeetingNotFound)?;
    let query = Params::from_pairs([("meetingID", id)]);
    pass_on(ctx.bbb.get(target(&server), "getMeetingInfo", &query).await, "Unable to access meeting on server.")
}
