//! `sendChatMessage` (BBB 3.0, GET): a message to the public chat of a running meeting, forwarded to the
//! meeting's server with the sender's name; `notFound` for a meeting the caller cannot see.

use scalelite_shared::bbb::error::ApiError;
use scalelite_shared::bbb::params::Params;

use super::{meeting_with_server, pass_on, target};
use crate::Ctx;
use crate::registry::Outcome;
use crate::request::{Call, meeting_id};

/// The parameters BBB reads besides `meetingID`.
const PASSED_ON: &[&str] = &["message", "userName"];

pub async fn run(ctx: &Ctx, Call { params, tenant, .. }: Call) -> Outcome {
    let id = meeting_id(&params)?;
    let (_, server) = meeting_with_server(ctx, tenant.as_ref(), id).await?.ok_or(ApiError::MeetingNotFound)?;
    let mut query = Params::from_pairs([("meetingID", id)]);
    for name in PASSED_ON {
        if let Some(value) = params.get(name) {
            query.set(name, value);
        }
    }
    pass_on(ctx.bbb.get(target(&server), "sendChatMessage", &query).await, "Unable to access meeting on server.")
}
