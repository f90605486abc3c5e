//! What the placed-meeting actions share: a placed meeting as the admin API shows it.

use std::collections::HashMap;

use scalelite_shared::model::{Meeting, Server};

use super::answers::{MeetingTenant, PlacedMeeting, ServerObject};
use crate::Ctx;
use crate::reject::{Reject, Store};

/// The tenants' names by id, read once for a whole answer.
pub(crate) struct TenantNames(HashMap<String, String>);

impl TenantNames {
    pub(crate) async fn read(ctx: &Ctx) -> Result<Self, Reject> {
        let tenants = ctx.tenants.tenants().await.map_err(Reject::store(Store::Tenants))?;
        Ok(Self(tenants.into_iter().map(|tenant| (tenant.id, tenant.name)).collect()))
    }

    /// `meeting` on `server` (`None` once the server is gone), with its tenant's name (`None` for a removed
    /// tenant).
    pub(crate) fn placed(&self, meeting: &Meeting, server: Option<&Server>) -> PlacedMeeting {
        let tenant = (!meeting.tenant_id.is_empty())
            .then(|| MeetingTenant { id: meeting.tenant_id.clone(), name: self.0.get(&meeting.tenant_id).cloned() });
        PlacedMeeting {
            meeting_id: meeting.id.clone(),
            voice_bridge: meeting.voice_bridge.clone(),
            created_at: meeting.created_at_ms,
            participants: meeting.participants,
            tenant,
            server: server.map(ServerObject::of),
        }
    }
}
