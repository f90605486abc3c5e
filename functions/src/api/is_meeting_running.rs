//! `isMeetingRunning`: false for an unknown meeting, else the meeting's server answers.

use scalelite_shared::api::ApiResponse;
use scalelite_shared::bbb::params::Params;
use scalelite_shared::bbb::xml::XmlResponse;

use super::{meeting_with_server, pass_on, target};
use crate::Ctx;
use crate::registry::Outcome;
use crate::request::{Call, meeting_id};

pub async fn run(ctx: &Ctx, Call { params, tenant, .. }: Call) -> Outcome {
    let id = meeting_id(&params)?;
    let Some((_, server)) = meeting_with_server(ctx, tenant.as_ref(), id).await? else {
        let mut response = XmlResponse::success();
        response.element("running", "false");
        return Ok(ApiResponse::xml(response.finish()));
    };
    let query = Params::from_pairs([("meetingID", id)]);
    pass_on(ctx.bbb.get(target(&server), "isMeetingRunning", &query).await, "Unable to access meeting on server.")
}
