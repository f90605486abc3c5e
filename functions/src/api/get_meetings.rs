//! `getMeetings`: every live server asked at once; a server that fails is logged and left out, and a meeting
//! running on two servers is listed once.

use std::collections::HashSet;

use futures::future::join_all;
use scalelite_shared::api::ApiResponse;
use scalelite_shared::bbb::meetings_xml::parse_meetings;
use scalelite_shared::bbb::params::Params;
use scalelite_shared::bbb::xml::XmlResponse;
use scalelite_shared::model::{Server, ServerState};

use super::target;
use crate::Ctx;
use crate::registry::Outcome;
use crate::reject::{Reject, Store};
use crate::request::Call;

/// The answer with no meetings to list (also while `GET_MEETINGS_API_DISABLED`).
pub fn none() -> ApiResponse {
    let mut response = XmlResponse::success();
    response
        .element("messageKey", "noMeetings")
        .element("message", "no meetings were found on this server")
        .empty("meetings");
    ApiResponse::xml(response.finish())
}

/// The `<meeting>` elements of one server that belong to `tenant_id` (with `None`, those of no tenant), by
/// meetingID; a meeting split onto this server while placed on another is left to its placed copy.
async fn meetings_of(ctx: &Ctx, server: &Server, tenant_id: Option<&str>) -> Vec<(String, Vec<u8>)> {
    let reply = match ctx.bbb.get(target(server), "getMeetings", &Params::default()).await {
        Ok(reply) if reply.status.is_success() => reply,
        Ok(reply) => {
            tracing::warn!(server = %server.id, key = %reply.status.message_key, "getMeetings failed on a server; left out");
            return Vec::new();
        }
        Err(error) => {
            tracing::warn!(server = %server.id, %error, "getMeetings failed on a server; left out");
            return Vec::new();
        }
    };
    let Some(entries) = parse_meetings(&reply.body) else {
        tracing::warn!(server = %server.id, "unreadable getMeetings answer; left out");
        return Vec::new();
    };
    entries
        .into_iter()
        .filter(|e| e.tenant_id.as_deref() == tenant_id && !server.split_meetings.contains(&e.meeting_id))
        .map(|e| (e.meeting_id, reply.body[e.span].to_vec()))
        .collect()
}

pub async fn run(ctx: &Ctx, Call { tenant, .. }: Call) -> Outcome {
    let tenant_id = tenant.as_ref().map(|t| t.id.as_str());
    let servers = ctx.servers.servers().await.map_err(Reject::store(Store::Servers))?;
    let live = servers.iter().filter(|s| s.online && s.state != ServerState::Disabled);
    let parts = join_all(live.map(|server| meetings_of(ctx, server, tenant_id))).await;
    if parts.iter().all(Vec::is_empty) {
        return Ok(none());
    }
    let mut listed = HashSet::new();
    let mut response = XmlResponse::success();
    response.start("meetings");
    // A meeting that runs on two servers is listed once.
    for (id, xml) in parts.iter().flatten() {
        if listed.insert(id) {
            response.raw(xml);
        }
    }
    response.end("meetings");
    Ok(ApiResponse::xml(response.finish()))
}
