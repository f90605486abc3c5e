//! `create`: places the meeting (or finds it), forces the balancer's parameters, remembers the front-end's
//! callback URLs, and creates the meeting on its server.

use http::Method;
use scalelite_shared::api::ApiRequest;
use scalelite_shared::balance::tags::TagRequest;
use scalelite_shared::bbb::error::ApiError;
use scalelite_shared::bbb::params::Params;
use scalelite_shared::clock::now_ms;
use scalelite_shared::model::{Meeting, Server, ServerState};
use scalelite_shared::store::{PlaceError, Placed, Placement};
use scalelite_shared::voice_bridge;

use super::{forwarded, pass_on, store_failure, target};
use crate::Ctx;
use crate::callbacks::create_params;
use crate::registry::Outcome;
use crate::request::{Accepts, authorize, is_xml, meeting_id};

const SERVER_TAG: &str = "meta_server-tag";

fn placement(ctx: &Ctx, params: &Params, id: &str) -> Placement {
    let config = &ctx.config;
    let tag = config
        .override_create_params
        .get(SERVER_TAG)
        .or_else(|| params.get(SERVER_TAG))
        .or_else(|| config.default_create_params.get(SERVER_TAG));
    let external = config.use_external_voice_bridge.then(|| params.get("voiceBridge")).flatten();
    Placement {
        meeting_id: id.to_owned(),
        tenant_id: String::new(),
        tags: TagRequest::parse(tag),
        moderator_pw: params.non_blank("moderatorPW").map_or_else(voice_bridge::random_password, str::to_owned),
        voice_bridges: voice_bridge::candidates(id, config.voice_bridge_len, external),
        load: config.load,
        ttl_ms: i64::try_from(config.meeting_ttl.as_millis()).unwrap_or(i64::MAX),
        now_ms: now_ms(),
    }
}

fn place_error(error: PlaceError) -> ApiError {
    match error {
        PlaceError::NoServer => ApiError::internal("Could not find any available servers."),
        PlaceError::TagUnavailable(tags) => ApiError::ServerTagUnavailable(tags),
        PlaceError::VoiceBridgeExhausted => ApiError::internal("Could not allocate a voice bridge for the meeting."),
        PlaceError::OtherTenant => ApiError::internal("The meeting belongs to another tenant."),
        PlaceError::Store(error) => store_failure(error),
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

/// Finds or places the meeting; `true` when it was placed by this call.
async fn locate(ctx: &Ctx, placement: &Placement) -> Result<(Meeting, Server, bool), ApiError> {
    match ctx.store.place_meeting(placement).await.map_err(place_error)? {
        Placed::Existing { meeting, server } if server.state == ServerState::Cordoned => {
            if still_running(ctx, &server, &meeting.id).await {
                return Ok((meeting, server, false));
            }
            ctx.store.delete_meeting(&meeting.id).await.map_err(store_failure)?;
            match ctx.store.place_meeting(placement).await.map_err(place_error)? {
                Placed::Existing { meeting, server } => Ok((meeting, server, false)),
                Placed::New { meeting, server, .. } => Ok((meeting, server, true)),
            }
        }
        Placed::Existing { meeting, server } => Ok((meeting, server, false)),
        Placed::New { meeting, server, replaced } => {
            if let Some(old) = replaced {
                tracing::info!(meeting = %meeting.id, from = %old.server_id, to = %server.id, "meeting moved off an unavailable server");
            }
            Ok((meeting, server, true))
        }
    }
}

/// The parameters sent to BBB: the configured layers, then what the balancer forces.
fn outbound(ctx: &Ctx, params: &Params, meeting: &Meeting, server: &Server, placed_now: bool) -> Params {
    let config = &ctx.config;
    let mut forward =
        forwarded(params, &config.create_exclude_params, &config.default_create_params, &config.override_create_params);
    match &server.tag {
        Some(tag) => forward.set(SERVER_TAG, tag),
        None => forward.remove(SERVER_TAG),
    }
    forward.set("voiceBridge", &meeting.voice_bridge);
    if placed_now {
        forward.set("moderatorPW", &meeting.moderator_pw);
    }
    let max = config.max_meeting_duration;
    if max > 0 {
        let asked: u64 = forward.get("duration").and_then(|d| d.trim().parse().ok()).unwrap_or(0);
        if asked == 0 || asked > u64::from(max) {
            forward.set("duration", &max.to_string());
        }
    }
    forward
}

/// Creates the placed meeting on its server, after remembering the callback URLs it carries.
async fn create_on(
    ctx: &Ctx,
    req: ApiRequest,
    params: &Params,
    meeting: &Meeting,
    server: &Server,
    placed_now: bool,
) -> Outcome {
    let mut forward = outbound(ctx, params, meeting, server, placed_now);
    let callbacks = create_params::take(&mut forward, &create_params::base_url(&ctx.config, &req), &meeting.id);
    if !callbacks.is_empty() {
        ctx.recordings.save_callbacks(&meeting.id, &callbacks).await.map_err(store_failure)?;
    }

    let xml_body = req.method == Method::POST && is_xml(&req.content_type());
    let result = if xml_body {
        ctx.bbb.post_xml(target(server), "create", &forward, req.body).await
    } else {
        ctx.bbb.get(target(server), "create", &forward).await
    };
    pass_on(result, "Unable to create meeting on server.")
}

pub async fn run(ctx: &Ctx, req: ApiRequest) -> Outcome {
    let params = authorize(ctx, &req, "create", Accepts::FormOrXml)?;
    let id = meeting_id(&params)?;
    let (meeting, server, placed_now) = locate(ctx, &placement(ctx, &params, id)).await?;
    let outcome = create_on(ctx, req, &params, &meeting, &server, placed_now).await;
    if outcome.is_err() && placed_now {
        // A meeting that never started is not left pinned to the server that refused it.
        ctx.store.delete_meeting(&meeting.id).await.map_err(store_failure)?;
    }
    outcome
}
