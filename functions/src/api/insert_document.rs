//! `insertDocument` (POST, XML body): forwarded with its body to the meeting's server.

use scalelite_shared::bbb::error::ApiError;
use scalelite_shared::bbb::params::Params;

use super::{meeting_with_server, pass_on, target};
use crate::Ctx;
use crate::registry::Outcome;
use crate::request::{Call, meeting_id};

pub async fn run(ctx: &Ctx, Call { req, params, tenant, .. }: Call) -> Outcome {
    let id = meeting_id(&params)?;
    let (_, server) = meeting_with_server(ctx, tenant.as_ref(), id).await?.ok_or(ApiError::MeetingNotFound)?;
    let query = Params::from_pairs([("meetingID", id)]);
    let result = ctx.bbb.post_xml(target(&server), "insertDocument", &query, req.body).await;
    pass_on(result, "Unable to insert document on server.")
}
