//! `end`: forgets the meeting first, then asks its server to end it.

use scalelite_shared::bbb::error::ApiError;
use scalelite_shared::bbb::params::Params;

use super::{pass_on, target};
use crate::Ctx;
use crate::registry::Outcome;
use crate::reject::{Reject, Store};
use crate::request::{Call, meeting_id};
use crate::tenancy::ensure_owns;

/// `meetingID=<id>&password=<pw>`, with a bare `password` key when none was given, as upstream sends it.
pub(crate) fn end_query(meeting_id: &str, password: Option<&str>) -> String {
    let id = Params::from_pairs([("meetingID", meeting_id)]).encode();
    match password {
        Some(password) => format!("{id}&{}", Params::from_pairs([("password", password)]).encode()),
        None => format!("{id}&password"),
    }
}

pub async fn run(ctx: &Ctx, Call { params, tenant, .. }: Call) -> Outcome {
    let id = meeting_id(&params)?;
    ensure_owns(ctx, tenant.as_ref(), id).await?;
    let meeting = ctx
        .meetings
        .delete_meeting(id, &ctx.config.load, ctx.now_ms().await?)
        .await
        .map_err(Reject::store(Store::Meetings))?
        .ok_or(ApiError::MeetingNotFound)?;
    let server = ctx.servers.server(&meeting.server_id).await.map_err(Reject::store(Store::Servers))?;
    let Some(server) = server else {
        return Err(ApiError::internal("Unable to access meeting on server.").into());
    };
    let query = end_query(id, params.get("password"));
    pass_on(ctx.bbb.get_query(target(&server), "end", &query).await, "Unable to access meeting on server.")
}

#[cfg(test)]
mod tests {
    use super::end_query;

    #[test]
    fn bare_password_key_when_absent() {
        assert_eq!(end_query("a b", None), "meetingID=a+b&password");
        assert_eq!(end_query("m", Some("p&q")), "meetingID=m&password=p%26q");
    }
}
