//! The poll pass: every server asked for its meetings at once, each result recorded atomically.

use futures::future::join_all;
use http::StatusCode;
use scalelite_shared::api::{ApiRequest, ApiResponse};
use scalelite_shared::bbb::meetings_xml::parse_meetings;
use scalelite_shared::bbb::params::Params;
use scalelite_shared::clock::now_ms;
use scalelite_shared::model::Server;
use scalelite_shared::store::{PollOutcome, PollReport, StoreError};
use serde::Serialize;

use super::release::end_meetings;
use crate::Ctx;
use crate::api::store_failure;
use crate::registry::Outcome;
use crate::request::{Accepts, authorize};

/// The lease that keeps poll passes from overlapping.
const LEASE: &str = "poll";

/// What one pass did to one server.
#[derive(Clone, Debug, Serialize)]
pub struct ServerPoll {
    pub id: String,
    pub online: bool,
    pub load: Option<f64>,
    pub ended: usize,
    pub released: usize,
    pub drained: bool,
}

async fn poll_server(ctx: &Ctx, server: &Server) -> Option<ServerPoll> {
    let started_at_ms = now_ms();
    // Polls use the full timeouts even for offline servers, so a slow server can come back.
    let target = scalelite_shared::bbb::client::Target { url: &server.url, secret: &server.secret, online: true };
    let meetings = match ctx.bbb.get(target, "getMeetings", &Params::default()).await {
        Ok(reply) if reply.status.is_success() => parse_meetings(&reply.body),
        Ok(reply) => {
            tracing::warn!(server = %server.id, key = %reply.status.message_key, "poll: BBB answered FAILED");
            None
        }
        Err(error) => {
            tracing::warn!(server = %server.id, %error, "poll: no answer");
            None
        }
    };
    if meetings.is_none() {
        ctx.metrics.poll_failed(&server.id);
    }
    let report = PollReport {
        started_at_ms,
        meetings,
        health: ctx.config.health,
        load: ctx.config.load,
        ttl_ms: i64::try_from(ctx.config.meeting_ttl.as_millis()).unwrap_or(i64::MAX),
    };
    let outcome: PollOutcome = match ctx.store.record_poll(&server.id, &report).await {
        Ok(outcome) => outcome,
        Err(error) => {
            tracing::error!(server = %server.id, %error, "poll: could not record the result");
            return None;
        }
    };
    if !outcome.released.is_empty() {
        tracing::warn!(server = %server.id, meetings = outcome.released.len(), "server went offline; its meetings were released");
        end_meetings(ctx, &Server { online: false, ..server.clone() }, &outcome.released).await;
    }
    if outcome.drained {
        tracing::info!(server = %server.id, "cordoned server has no load left; disabled");
    }
    tracing::info!(
        server = %server.id,
        online = outcome.online,
        load = outcome.load.map_or_else(|| "unavailable".to_owned(), |l| l.to_string()),
        "polled"
    );
    Some(ServerPoll {
        id: server.id.clone(),
        online: outcome.online,
        load: outcome.load,
        ended: outcome.ended.len(),
        released: outcome.released.len(),
        drained: outcome.drained,
    })
}

/// One pass over every server, all polled in parallel.
/// `None` when another replica holds the poll lease (its pass is running); the lease outlives a crashed
/// holder by at most twice the BBB timeouts plus half a minute.
pub async fn pass(ctx: &Ctx) -> Result<Option<Vec<ServerPoll>>, StoreError> {
    let config = &ctx.config;
    let lease_ms = 2 * (config.connect_timeout + config.response_timeout).as_millis() + 30_000;
    if !ctx.store.acquire_lease(LEASE, &ctx.instance, i64::try_from(lease_ms).unwrap_or(i64::MAX)).await? {
        tracing::info!("another replica is polling; this pass is skipped");
        return Ok(None);
    }
    let started = std::time::Instant::now();
    let polls = match ctx.store.servers().await {
        Ok(servers) => join_all(servers.iter().map(|server| poll_server(ctx, server))).await,
        Err(error) => {
            ctx.store.release_lease(LEASE, &ctx.instance).await?;
            return Err(error);
        }
    };
    ctx.metrics.observe_poll(started.elapsed().as_secs_f64());
    ctx.store.release_lease(LEASE, &ctx.instance).await?;
    Ok(Some(polls.into_iter().flatten().collect()))
}

/// `POST /scalelite/jobs/poll`: runs one pass, answers what it did (admin checksum, call name `poll`).
pub async fn run(ctx: &Ctx, req: ApiRequest) -> Outcome {
    authorize(ctx, &req, "poll", Accepts::Json)?;
    Ok(match pass(ctx).await.map_err(store_failure)? {
        Some(polls) => ApiResponse::json(StatusCode::OK, serde_json::to_vec(&polls).unwrap_or_default()),
        None => ApiResponse::json(StatusCode::CONFLICT, r#"{"error":"another replica is polling"}"#),
    })
}
