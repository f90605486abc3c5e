//! `getPlacedMeetings?server_id=&tenant_id=&offset=&limit=`: the placed meetings, of one server or of all, of one
//! tenant or of any, ordered by meetingID and paged as getRecordings pages (`limit` 1 to 100).

use http::StatusCode;

use super::answers::PlacedMeetings;
use super::described::{Answer, Described, Query, schema};
use super::placed_meeting::TenantNames;
use super::{reply, server_not_found};
use crate::Ctx;
use crate::api::page;
use crate::registry::Outcome;
use crate::reject::{Reject, Store};
use crate::request::Call;

/// How the OpenAPI document describes it.
pub const DOC: Described = Described {
    summary: "The placed meetings, of one server or all, of one tenant or any, by meetingID, a page at a time.",
    query: &[
        Query { name: "server_id", required: false, about: "Only this server's meetings." },
        Query { name: "tenant_id", required: false, about: "Only this tenant's meetings." },
        Query { name: "offset", required: false, about: "How many matches to skip (default 0)." },
        Query {
            name: "limit",
            required: false,
            about: "At most this many, 1 to 100 (default: every match after offset).",
        },
    ],
    body: None,
    answers: &[
        Answer::success(StatusCode::OK, "A page of placed meetings.", schema::<PlacedMeetings>),
        Answer::refused(StatusCode::NOT_FOUND, "No server has this server_id."),
    ],
};

pub async fn run(ctx: &Ctx, Call { params, .. }: Call) -> Outcome {
    let servers = match params.non_blank("server_id") {
        Some(id) => {
            let server = ctx.servers.server(id).await.map_err(Reject::store(Store::Servers))?;
            vec![server.ok_or_else(|| server_not_found(id))?]
        }
        None => ctx.servers.servers().await.map_err(Reject::store(Store::Servers))?,
    };
    let tenant = params.non_blank("tenant_id");
    let now = ctx.now_ms().await?;
    let mut placed = Vec::new();
    for server in &servers {
        let meetings = ctx.meetings.meetings_on(&server.id, now).await.map_err(Reject::store(Store::Meetings))?;
        placed.extend(meetings.into_iter().filter(|m| tenant.is_none_or(|t| t == m.tenant_id)).map(|m| (m, server)));
    }
    placed.sort_by(|(a, _), (b, _)| a.id.cmp(&b.id));
    let total = placed.len();
    let page = page(&params);
    let tenants = TenantNames::read(ctx).await?;
    let meetings =
        page.of(placed).into_iter().map(|(meeting, server)| tenants.placed(&meeting, Some(server))).collect();
    Ok(reply(StatusCode::OK, &PlacedMeetings { meetings, total, offset: page.offset, limit: page.limit }))
}
