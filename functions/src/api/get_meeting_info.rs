//! `getMeetingInfo`: the meeting's server answers; only `meetingID` is passed on.

use scalelite_shared::api::ApiRequest;
use scalelite_shared::bbb::error::ApiError;
use scalelite_shared::bbb::params::Params;

use super::{meeting_with_server, pass_on, target};
use crate::Ctx;
use crate::registry::Outcome;
use crate::request::{Accepts, Caller, authorize_api, meeting_id};

pub async fn run(ctx: &Ctx, req: ApiRequest) -> Outcome {
    let Caller { params, tenant } = authorize_api(ctx, &req, "getMeetingInfo", Accepts::Form).await?;
    let id = meeting_id(&params)?;
    let (_, server) = meeting_with_server(ctx, tenant.as_ref(), id).await?.ok_or(ApiError::MeetingNotFound)?;
    let query = Params::from_pairs([("meetingID", id)]);
    pass_on(ctx.bbb.get(target(&server), "getMeetingInfo", &query).await, "Unable to access meeting on server.")
}
