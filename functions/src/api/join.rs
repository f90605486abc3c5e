//! `join` (GET only): a 302 to the meeting's server with a freshly signed join URL; `maxParticipantsReached` when
//! the tenant's meetings hold as many participants as its limit allows (their usage is read only then).

use scalelite_shared::api::ApiResponse;
use scalelite_shared::balance::tenant::has_room_for_participant;
use scalelite_shared::bbb::error::ApiError;
use scalelite_shared::store::JoinTarget;

use super::{forwarded, target};
use crate::Ctx;
use crate::registry::Outcome;
use crate::reject::{Reject, Store};
use crate::request::{Call, meeting_id};
use crate::tenancy::{TenantLayers, ensure_owns};

pub async fn run(ctx: &Ctx, Call { params, tenant, .. }: Call) -> Outcome {
    let id = meeting_id(&params)?;
    ensure_owns(ctx, tenant.as_ref(), id).await?;
    let now = ctx.now_ms().await?;
    if let Some(tenant) = tenant.as_ref().filter(|t| t.max_participants.is_some()) {
        let usage = ctx.meetings.tenant_usage(&tenant.id, now).await;
        let usage = usage.map_err(Reject::store(Store::Meetings))?;
        if !has_room_for_participant(tenant.max_participants, usage.participants) {
            return Err(ApiError::MaxParticipantsReached.into());
        }
    }
    let server = match ctx.meetings.join_meeting(id, now).await.map_err(Reject::store(Store::Meetings))? {
        JoinTarget::Server(server) => server,
        JoinTarget::NoMeeting => return Err(ApiError::MeetingNotFound.into()),
        JoinTarget::Unavailable => return Err(ApiError::ServerUnavailable.into()),
    };
    let config = &ctx.config;
    let (defaults, overrides) =
        TenantLayers::of(ctx, tenant.as_ref()).await?.around(&config.default_join_params, &config.override_join_params);
    let forward = forwarded(&params, &config.join_exclude_params, &defaults, &overrides);
    Ok(ApiResponse::redirect(&ctx.bbb.signed_url(target(&server), "join", &forward.encode())))
}
