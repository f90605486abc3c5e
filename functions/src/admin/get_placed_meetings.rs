//! `getPlacedMeetings?server_id=&tenant_id=&offset=&limit=`: the placed meetings, of one server or of all, of one
//! tenant or of any, ordered by meetingID and paged as getRecordings pages (`limit` 1 to 100).

use http::StatusCode;
use serde_json::{Value, json};

use super::placed_meeting::{TenantNames, placed_meeting_json};
use super::{reply, server_not_found};
use crate::Ctx;
use crate::api::page;
use crate::registry::Outcome;
use crate::reject::{Reject, Store};
use crate::request::Call;

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
    let meetings: Vec<Value> = page
        .of(placed)
        .into_iter()
        .map(|(meeting, server)| placed_meeting_json(&meeting, Some(server), &tenants))
        .collect();
    Ok(reply(
        StatusCode::OK,
        &json!({ "meetings": meetings, "total": total, "offset": page.offset, "limit": page.limit }),
    ))
}
