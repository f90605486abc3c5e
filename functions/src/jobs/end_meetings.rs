//! Ending released meetings on their server, best effort and all at once.

use futures::future::join_all;
use scalelite_shared::model::{Meeting, Server};

use crate::Ctx;
use crate::api::end::end_query;
use crate::api::target;

/// Sends BBB `end` for each meeting (with its moderator password); true when every call succeeded.
pub async fn end_meetings(ctx: &Ctx, server: &Server, meetings: &[Meeting]) -> bool {
    let calls = meetings.iter().map(|meeting| async move {
        let query = end_query(&meeting.id, Some(&meeting.moderator_pw));
        match ctx.bbb.get_query(target(server), "end", &query).await {
            Ok(reply) if reply.status.is_success() || reply.status.message_key == "notFound" => true,
            Ok(reply) => {
                tracing::warn!(server = %server.id, meeting = %meeting.id, key = %reply.status.message_key, "end refused");
                false
            }
            Err(error) => {
                tracing::warn!(server = %server.id, meeting = %meeting.id, %error, "end failed");
                false
            }
        }
    });
    join_all(calls).await.into_iter().all(|ended| ended)
}
