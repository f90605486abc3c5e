//! The BBB API handlers, one file per call, and what several of them share.

pub mod analytics_callback;
pub mod create;
pub mod delete_recordings;
pub mod end;
pub mod end_callback;
pub mod get_meeting_info;
pub mod get_meetings;
pub mod get_recording_text_tracks;
pub mod get_recordings;
pub mod health;
pub mod index;
pub mod insert_document;
pub mod is_meeting_running;
pub mod join;
mod lrs;
pub mod metrics;
pub mod publish_recordings;
pub mod put_recording_text_track;
pub(crate) mod recording_params;
pub mod send_chat_message;
mod text_tracks;
pub mod update_recordings;

use scalelite_shared::api::ApiResponse;
use scalelite_shared::bbb::client::{CallError, Reply, Target};
use scalelite_shared::bbb::error::ApiError;
use scalelite_shared::bbb::params::Params;
use scalelite_shared::model::{Meeting, Server, Tenant};
use scalelite_shared::recordings::Page;

use crate::Ctx;
use crate::registry::Outcome;
use crate::reject::{Reject, Store};
use crate::tenancy::owns;

/// BBB's largest page.
const MAX_LIMIT: u64 = 100;

/// BBB's `offset` and `limit` (1 to 100; without one, every item after the offset), as getRecordings reads them.
pub(crate) fn page(params: &Params) -> Page {
    let number = |name: &str| params.get(name).and_then(|v| v.trim().parse::<u64>().ok());
    Page { offset: number("offset").unwrap_or(0), limit: number("limit").map(|l| l.clamp(1, MAX_LIMIT)) }
}

/// Parameters a client may send that are never forwarded to BBB.
const NEVER_FORWARDED: &[&str] = &["format", "controller", "action", "checksum"];

/// The parameters to forward: `defaults`, then the client's (less the excluded ones), then `overrides`.
pub(crate) fn forwarded(client: &Params, exclude: &[String], defaults: &Params, overrides: &Params) -> Params {
    let mut forward = defaults.clone();
    for (name, value) in client.iter() {
        if !NEVER_FORWARDED.contains(&name) && !exclude.iter().any(|e| e == name) {
            forward.set(name, value);
        }
    }
    forward.layer(overrides);
    forward
}

pub(crate) fn target(server: &Server) -> Target<'_> {
    Target { url: &server.url, secret: &server.secret, online: server.online }
}

/// A placed meeting the caller's tenant may see, and its server; `None` when either is gone.
pub(crate) async fn meeting_with_server(
    ctx: &Ctx,
    tenant: Option<&Tenant>,
    meeting_id: &str,
) -> Result<Option<(Meeting, Server)>, Reject> {
    let Some(meeting) = ctx
        .meetings
        .meeting(meeting_id, ctx.now_ms().await?)
        .await
        .map_err(Reject::store(Store::Meetings))?
        .filter(|m| owns(tenant, m))
    else {
        return Ok(None);
    };
    let server = ctx.servers.server(&meeting.server_id).await.map_err(Reject::store(Store::Servers))?;
    Ok(server.map(|server| (meeting, server)))
}

/// A BBB answer passed on: SUCCESS as it came, FAILED with BBB's own key and message, no answer as
/// `internalError` with `unreachable`.
pub(crate) fn pass_on(result: Result<Reply, CallError>, unreachable: &'static str) -> Outcome {
    match result {
        Ok(reply) if reply.status.is_success() => Ok(ApiResponse::xml(reply.body)),
        Ok(reply) => Err(ApiError::Bbb { key: reply.status.message_key, message: reply.status.message }.into()),
        Err(error) => {
            tracing::warn!(%error, "BBB server did not answer");
            Err(ApiError::internal(unreachable).into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwards_in_layers() {
        let client = Params::parse(b"meetingID=m&checksum=c&record=false&secret=x&name=n");
        let defaults = Params::parse(b"record=true&welcome=hi");
        let overrides = Params::parse(b"name=forced");
        let forward = forwarded(&client, &["secret".into()], &defaults, &overrides);
        assert_eq!(forward.encode(), "record=false&welcome=hi&meetingID=m&name=forced");
    }
}
