//! `create`: places the meeting (or finds it), forces the balancer's parameters, remembers the front-end's
//! callback URLs, and creates the meeting on its server. A new meeting whose server does not answer (no
//! connection, or no answer in time) is placed once more on another server, and the failure counts toward the
//! silent server's health.

use http::Method;
use scalelite_shared::api::ApiRequest;
use scalelite_shared::balance::poll::mark_is_stale;
use scalelite_shared::balance::tags::TagRequest;
use scalelite_shared::bbb::client::{CallError, Reply};
use scalelite_shared::bbb::error::ApiError;
use scalelite_shared::bbb::lrs_payload;
use scalelite_shared::bbb::params::Params;
use scalelite_shared::model::{Meeting, Server, Tenant};
use scalelite_shared::store::{PlaceError, Placed, Placement, Refusal};
use scalelite_shared::voice_bridge;

use super::{forwarded, lrs, pass_on, target};
use crate::Ctx;
use crate::callbacks::create_params;
use crate::jobs::poll;
use crate::registry::Outcome;
use crate::reject::{Reject, Store};
use crate::request::{Call, is_xml, meeting_id};
use crate::tenancy::TenantLayers;

const SERVER_TAG: &str = "meta_server-tag";
/// The answer when the server a new meeting was placed on did not answer and no other server could take it.
const NO_OTHER_SERVER: &str =
    "Unable to create meeting on server: it did not answer, and no other server is available.";
/// The participants a front-end expects in a new meeting.
const SIZE_HINT: &str = "meta_bbb-meeting-size-hint";

/// What the call asks of the placement. The server tag comes from the first of: the tenant's override, the
/// configured override, the client, the tenant's default, the configured default.
fn placement(
    ctx: &Ctx,
    params: &Params,
    id: &str,
    tenant: Option<&Tenant>,
    layers: &TenantLayers,
    now_ms: i64,
) -> Placement {
    let config = &ctx.config;
    let tag = layers
        .overrides
        .get(SERVER_TAG)
        .or_else(|| config.override_create_params.get(SERVER_TAG))
        .or_else(|| params.get(SERVER_TAG))
        .or_else(|| layers.defaults.get(SERVER_TAG))
        .or_else(|| config.default_create_params.get(SERVER_TAG));
    let external = config.use_external_voice_bridge.then(|| params.get("voiceBridge")).flatten();
    Placement {
        meeting_id: id.to_owned(),
        tenant_id: tenant.map(|t| t.id.clone()).unwrap_or_default(),
        tenant_max_meetings: tenant.and_then(|t| t.max_meetings),
        tags: TagRequest::parse(tag),
        moderator_pw: params.non_blank("moderatorPW").map_or_else(voice_bridge::random_password, str::to_owned),
        size_hint: params.get(SIZE_HINT).and_then(|hint| hint.trim().parse().ok()),
        voice_bridges: voice_bridge::candidates(id, config.voice_bridge_len, external),
        load: config.load,
        ttl_ms: i64::try_from(config.meeting_ttl.as_millis()).unwrap_or(i64::MAX),
        now_ms,
        stopped_on: None,
        avoid: Vec::new(),
    }
}

fn place_error(error: PlaceError) -> Reject {
    match error {
        PlaceError::Refused(Refusal::NoServer) => ApiError::internal("Could not find any available servers.").into(),
        PlaceError::Refused(Refusal::TagUnavailable(tags)) => ApiError::ServerTagUnavailable(tags).into(),
        PlaceError::Refused(Refusal::VoiceBridgeExhausted) => {
            ApiError::internal("Could not allocate a voice bridge for the meeting.").into()
        }
        PlaceError::Refused(Refusal::OtherTenant) => {
            ApiError::internal("The meeting belongs to another tenant.").into()
        }
        PlaceError::Refused(Refusal::TenantFull) => ApiError::MaxMeetingsReached.into(),
        PlaceError::Store(error) => Reject::Store(Store::Meetings, error),
    }
}

/// A meeting on a cordoned server stays there only while it runs; otherwise it is placed anew.
async fn still_running(ctx: &Ctx, server: &Server, id: &str) -> bool {
    let query = Params::from_pairs([("meetingID", id)]);
    match ctx.bbb.get(target(server), "isMeetingRunning", &query).await {
        Ok(reply) => {
            reply.status.is_success() && String::from_utf8_lossy(&reply.body).contains("<running>true</running>")
        }
        Err(_) => false,
    }
}

/// Finds or places the meeting; `true` when it was placed by this call. A meeting kept on a cordoned server
/// stays there only while BBB still runs it (the rule is `Placed::awaits_running_check`).
async fn locate(ctx: &Ctx, placement: &Placement) -> Result<(Meeting, Server, bool), Reject> {
    let waited = std::time::Instant::now();
    let placed = ctx.meetings.place_meeting(placement).await;
    ctx.metrics.observe_placement(waited.elapsed().as_secs_f64());
    let mut placed = placed.map_err(place_error)?;
    if let Some(cordoned) = placed.awaits_running_check()
        && !still_running(ctx, cordoned, placement.meeting_id.as_str()).await
    {
        // One atomic replace: the placement on the cordoned server gives way to a new one.
        let moved = placement.stopped_on(&cordoned.id);
        placed = ctx.meetings.place_meeting(&moved).await.map_err(place_error)?;
    }
    Ok(located(placed))
}

/// The meeting, its server, and whether it was placed by this call.
fn located(placed: Placed) -> (Meeting, Server, bool) {
    match placed {
        Placed::Existing { meeting, server } => (meeting, server, false),
        Placed::New { meeting, server, replaced } => {
            if let Some(old) = replaced {
                tracing::info!(meeting = %meeting.id, from = %old.server_id, to = %server.id, "meeting moved off an unavailable server");
            }
            (meeting, server, true)
        }
    }
}

/// What the balancer adds to the client's create: the configured and tenant layers, and the meeting's own.
struct Extras<'a> {
    tenant: Option<&'a Tenant>,
    layers: &'a TenantLayers,
    placed_now: bool,
    /// The tenant's LRS payload JSON, sealed here with the server's secret.
    lrs_payload: Option<&'a str>,
}

/// The parameters sent to BBB: the configured and tenant layers, then what the balancer forces.
fn outbound(ctx: &Ctx, params: &Params, meeting: &Meeting, server: &Server, extras: &Extras<'_>) -> Params {
    let config = &ctx.config;
    let (defaults, overrides) = extras.layers.around(&config.default_create_params, &config.override_create_params);
    let mut forward = forwarded(params, &config.create_exclude_params, &defaults, &overrides);
    if let Some(tenant) = extras.tenant {
        forward.set("meta_tenant-id", &tenant.id);
        forward.set("meta_tenant-name", &tenant.name);
    }
    match &server.tag {
        Some(tag) => forward.set(SERVER_TAG, tag),
        None => forward.remove(SERVER_TAG),
    }
    forward.set("voiceBridge", &meeting.voice_bridge);
    if extras.placed_now {
        forward.set("moderatorPW", &meeting.moderator_pw);
    }
    let max = config.max_meeting_duration;
    if max > 0 {
        let asked: u64 = forward.get("duration").and_then(|d| d.trim().parse().ok()).unwrap_or(0);
        if asked == 0 || asked > u64::from(max) {
            forward.set("duration", &max.to_string());
        }
    }
    if let Some(payload) = extras.lrs_payload {
        forward.set(lrs_payload::PARAM, &lrs_payload::seal(&server.secret, payload.as_bytes()));
    }
    forward
}

/// Creates the placed meeting on its server, after remembering the callback URLs it carries.
async fn create_on(
    ctx: &Ctx,
    req: &ApiRequest,
    params: &Params,
    (meeting, server): (&Meeting, &Server),
    extras: &Extras<'_>,
) -> Result<Reply, CallError> {
    let mut forward = outbound(ctx, params, meeting, server, extras);
    let base = create_params::base_url(&ctx.config, req, extras.tenant);
    let secret = ctx.config.secrets.first().map_or("", String::as_str);
    let callbacks = create_params::take(&mut forward, &base, &meeting.id, secret);
    if !callbacks.is_empty() {
        ctx.kept_callbacks.save(&ctx.callbacks, &meeting.id, callbacks).await;
    }

    let xml_body = req.method == Method::POST && is_xml(&req.content_type());
    if xml_body {
        ctx.bbb.post_xml(target(server), "create", &forward, req.body.clone()).await
    } else {
        ctx.bbb.get(target(server), "create", &forward).await
    }
}

/// Forgets a meeting placed for a create that did not succeed, so it is not left pinned to that server.
async fn forget(ctx: &Ctx, meeting: &Meeting) -> Result<(), Reject> {
    ctx.meetings
        .delete_meeting(&meeting.id, &ctx.config.load, ctx.now_ms().await?)
        .await
        .map_err(Reject::store(Store::Meetings))?;
    Ok(())
}

pub async fn run(ctx: &Ctx, Call { req, params, tenant, .. }: Call) -> Outcome {
    let id = meeting_id(&params)?;
    let layers = TenantLayers::of(ctx, tenant.as_ref()).await?;
    let wanted = placement(ctx, &params, id, tenant.as_ref(), &layers, ctx.now_ms().await?);
    let (mut meeting, mut server, mut placed_now) = locate(ctx, &wanted).await?;
    // A Keycloak token is fetched before the staleness check, so its wait does not eat the create's grace.
    let lrs_payload = lrs::payload(ctx, tenant.as_ref(), id).await;
    let grace = i64::try_from(ctx.config.bbb_call_budget().as_millis()).unwrap_or(i64::MAX);
    if mark_is_stale(&meeting, ctx.now_ms().await?, grace) {
        // The placement took long: the create is marked as sent now, so polls give it its whole grace.
        (meeting, server, _) = locate(ctx, &Placement { now_ms: ctx.now_ms().await?, ..wanted.clone() }).await?;
    }
    let extras = |placed_now| Extras {
        tenant: tenant.as_ref(),
        layers: &layers,
        placed_now,
        lrs_payload: lrs_payload.as_deref(),
    };
    let mut result = create_on(ctx, &req, &params, (&meeting, &server), &extras(placed_now)).await;
    if placed_now && matches!(result, Err(CallError::Transport(_))) {
        let silent = server.clone();
        tracing::warn!(meeting = %meeting.id, server = %silent.id, "create: no answer; placing the meeting on another server");
        forget(ctx, &meeting).await?;
        poll::count_failure(ctx, &silent).await;
        let again = wanted.elsewhere_than(&silent.id, ctx.now_ms().await?);
        (meeting, server, placed_now) = match ctx.meetings.place_meeting(&again).await {
            Ok(placed) => located(placed),
            Err(PlaceError::Refused(Refusal::NoServer | Refusal::TagUnavailable(_))) => {
                return Err(ApiError::internal(NO_OTHER_SERVER).into());
            }
            Err(error) => return Err(place_error(error)),
        };
        result = create_on(ctx, &req, &params, (&meeting, &server), &extras(placed_now)).await;
    }
    let outcome = pass_on(result, "Unable to create meeting on server.");
    if outcome.is_ok() {
        // BBB knows the meeting now: from here on a poll that misses it may end it.
        ctx.meetings.confirm_meeting(&meeting, ctx.now_ms().await?).await.map_err(Reject::store(Store::Meetings))?;
    } else if placed_now {
        forget(ctx, &meeting).await?;
    }
    outcome
}
