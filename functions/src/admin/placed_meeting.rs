//! What the placed-meeting actions share: a placed meeting as the admin API shows it.

use std::collections::HashMap;

use scalelite_shared::model::{Meeting, Server};
use serde_json::{Value, json};

use super::server_json;
use crate::Ctx;
use crate::reject::{Reject, Store};

/// The tenants' names by id, read once for a whole answer.
pub(crate) struct TenantNames(HashMap<String, String>);

impl TenantNames {
    pub(crate) async fn read(ctx: &Ctx) -> Result<Self, Reject> {
        let tenants = ctx.tenants.tenants().await.map_err(Reject::store(Store::Tenants))?;
        Ok(Self(tenants.into_iter().map(|tenant| (tenant.id, tenant.name)).collect()))
    }
}

/// A placed meeting: its meetingID, voice bridge, when it was placed (milliseconds since the epoch, as BBB's
/// `createTime`), its participants (the last poll's count plus the joins since), its tenant (`null` for none; a removed tenant has a `null` name) and its server (the admin
/// API's server object; `null` once the server is gone).
pub(crate) fn placed_meeting_json(meeting: &Meeting, server: Option<&Server>, tenants: &TenantNames) -> Value {
    let tenant = (!meeting.tenant_id.is_empty())
        .then(|| json!({ "id": meeting.tenant_id, "name": tenants.0.get(&meeting.tenant_id) }));
    json!({
        "meeting_id": meeting.id,
        "voice_bridge": meeting.voice_bridge,
        "created_at": meeting.created_at_ms,
        "participants": meeting.participants,
        "tenant": tenant,
        "server": server.map(server_json),
    })
}
