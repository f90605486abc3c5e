//! The poll pass: every server asked for its meetings, `POLL_CONCURRENCY` at a time over the connections the
//! BBB client keeps, on every thread of the runtime, the results recorded in batches as they arrive (each one
//! atomically).

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use http::StatusCode;
use scalelite_shared::api::ApiResponse;
use scalelite_shared::balance::poll::ends_stray;
use scalelite_shared::bbb::client::{BbbApi, CallError, Target};
use scalelite_shared::bbb::meetings_xml::{bbb_version as bbb_version_of, parse_get_meetings};
use scalelite_shared::bbb::params::Params;
use scalelite_shared::config::Config;
use scalelite_shared::model::{Meeting, Server};
use scalelite_shared::store::{PollOutcome, PollReport, StoreError};
use serde::Serialize;
use tokio::sync::{Semaphore, mpsc};

use super::end_meetings::end_meetings;
use super::lease::Lease;
use crate::Ctx;
use crate::refusal::Refusal;
use crate::registry::Outcome;
use crate::reject::{Reject, Store};
use crate::request::Call;

/// Most poll results recorded in one store call.
const BATCH: usize = 256;

/// Batches recorded at once: the next one is read and sent while the store works on the last (each server is
/// in one batch of a pass, so their order does not matter).
const BATCHES_AT_ONCE: usize = 2;

/// The lease that keeps poll passes from overlapping.
const LEASE: Lease = Lease::renewed("poll", Duration::from_secs(30));

/// What one pass did to one server.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ServerPoll {
    pub id: String,
    /// False when the store could not record the result: nothing about this server changed.
    pub recorded: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub online: bool,
    pub load: Option<f64>,
    pub ended: usize,
    pub released: usize,
    pub adopted: usize,
    /// Meetings running here while placed on another server.
    pub split: Vec<String>,
    pub drained: bool,
}

/// The BBB version the server's API root reveals, if any.
async fn bbb_version(poller: &dyn BbbApi, target: Target<'_>) -> Option<String> {
    let reply = poller.get(target, "", &Params::default()).await.ok()?;
    bbb_version_of(&reply.body)
}

/// What every report of a pass shares: the rules and times of the configuration.
fn report_template(config: &Config) -> PollReport {
    let millis = |d: std::time::Duration| i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
    PollReport {
        started_at_ms: 0,
        now_ms: 0,
        meetings: None,
        bbb_version: None,
        health: config.health,
        load: config.load,
        ttl_ms: millis(config.meeting_ttl),
        grace_ms: millis(config.bbb_call_budget()),
    }
}

/// The store's time through a pass: read once at its start, then advanced by the monotonic clock, so the
/// pass's times compare with those other replicas wrote.
#[derive(Clone, Copy)]
struct PassClock {
    started_ms: i64,
    started: Instant,
}

impl PassClock {
    fn now_ms(&self) -> i64 {
        self.started_ms.saturating_add(i64::try_from(self.started.elapsed().as_millis()).unwrap_or(i64::MAX))
    }
}

/// Asks one server for its meetings (and, when it is new to us or was offline, its version): the report a
/// poll records, from `template`.
async fn ask(poller: &dyn BbbApi, server: &Server, template: PollReport, clock: PassClock) -> PollReport {
    let started_at_ms = clock.now_ms();
    // Polls use the full timeouts even for offline servers, so a slow server can come back.
    let target = Target { url: &server.url, secret: &server.secret, online: true };
    let no_params = Params::default();
    // The version changes only when BBB is reinstalled, which a poll sees as unknown or offline first.
    let wants_version = server.bbb_version.is_none() || !server.online;
    let (answer, version) = futures::join!(poller.get_body(target, "getMeetings", &no_params), async {
        if wants_version { bbb_version(poller, target).await } else { None }
    });
    // The status and the meetings are read in one pass over the answer.
    let answer = answer.and_then(|body| parse_get_meetings(&body).ok_or(CallError::Malformed));
    let meetings = match answer {
        Ok((status, meetings)) if status.is_success() => Some(meetings),
        Ok((status, _)) => {
            tracing::warn!(server = %server.id, key = %status.message_key, "poll: BBB answered FAILED");
            None
        }
        Err(error) => {
            tracing::warn!(server = %server.id, %error, "poll: no answer");
            None
        }
    };
    PollReport { started_at_ms, now_ms: clock.now_ms(), meetings, bbb_version: version, ..template }
}

/// What a recorded (or unrecorded) poll result leads to: the released meetings ended, the log lines.
async fn settle(ctx: &Ctx, server: &Server, recorded: Result<PollOutcome, StoreError>) -> ServerPoll {
    let outcome = match recorded {
        Ok(outcome) => outcome,
        Err(error) => {
            tracing::error!(server = %server.id, %error, "poll: could not record the result");
            ctx.metrics.poll_unrecorded(&server.id);
            return ServerPoll { id: server.id.clone(), error: Some(error.to_string()), ..ServerPoll::default() };
        }
    };
    if !outcome.released.is_empty() {
        tracing::warn!(server = %server.id, meetings = outcome.released.len(), "server went offline; its meetings were released");
        end_meetings(ctx, &Server { online: false, ..server.clone() }, &outcome.released).await;
    }
    if !outcome.adopted.is_empty() {
        tracing::info!(server = %server.id, meetings = ?outcome.adopted, "running meetings nobody placed were adopted");
    }
    let strays = placed_elsewhere(ctx, server, outcome.strays).await;
    if !strays.is_empty() {
        tracing::warn!(server = %server.id, meetings = ?outcome.split, "meetings run here and on another server; the copies here are ended");
        end_meetings(ctx, server, &strays).await;
    }
    if outcome.drained {
        tracing::info!(server = %server.id, "cordoned server has no load left; disabled");
    }
    if outcome.online != server.online {
        tracing::info!(server = %server.id, online = outcome.online, "server's online state changed");
    }
    tracing::debug!(
        server = %server.id,
        online = outcome.online,
        load = outcome.load.map_or_else(|| "unavailable".to_owned(), |l| l.to_string()),
        "polled"
    );
    ServerPoll {
        id: server.id.clone(),
        recorded: true,
        error: None,
        online: outcome.online,
        load: outcome.load,
        ended: outcome.ended.len(),
        released: outcome.released.len(),
        adopted: outcome.adopted.len(),
        split: outcome.split,
        drained: outcome.drained,
    }
}

/// A server that did not answer a call outside a poll (a create): the failure counts toward its health as a
/// failed poll does, with the same consequences past `SERVER_UNHEALTHY_THRESHOLD` (offline, its meetings
/// released and ended).
pub async fn count_failure(ctx: &Ctx, server: &Server) {
    let now = match ctx.meetings.now_ms().await {
        Ok(now) => now,
        Err(error) => {
            tracing::error!(server = %server.id, %error, "cannot count a failed call: the store does not answer");
            return;
        }
    };
    let report = PollReport { started_at_ms: now, now_ms: now, ..report_template(&ctx.config) };
    let recorded = ctx.meetings.record_poll(&server.id, &report).await;
    settle(ctx, server, recorded).await;
}

/// The copies running on `server` of meetings that are, read again now, still placed on another server that
/// takes joins: only those are ended here (a placement released meanwhile, by its server going offline in the
/// same pass, leaves the copy here to be adopted by the next poll).
async fn placed_elsewhere(ctx: &Ctx, server: &Server, strays: Vec<Meeting>) -> Vec<Meeting> {
    let mut confirmed = Vec::with_capacity(strays.len());
    for stray in strays {
        let Ok(now) = ctx.meetings.now_ms().await else { continue };
        let Ok(Some(placed)) = ctx.meetings.meeting(&stray.id, now).await else { continue };
        if let Ok(Some(holder)) = ctx.servers.server(&placed.server_id).await
            && ends_stray(&server.id, &placed, &holder)
        {
            confirmed.push(stray);
        }
    }
    confirmed
}

/// One pass over every server, `POLL_CONCURRENCY` at a time.
/// `None` when another replica holds the poll lease (its pass is running); the lease is renewed while the
/// pass runs, so a crashed holder blocks the next pass for half a minute at most.
pub async fn pass(ctx: &Ctx) -> Result<Option<Vec<ServerPoll>>, StoreError> {
    let held = LEASE.hold(&*ctx.leases, &ctx.instance, leased_pass(ctx)).await?;
    if held.is_none() {
        tracing::info!("another replica is polling; this pass is skipped");
    }
    held.transpose()
}

/// Records a batch of reports (servers by index in `servers`) and settles what each led to.
async fn record(ctx: &Ctx, servers: &[Server], batch: Vec<(usize, PollReport)>) -> Vec<(usize, ServerPoll)> {
    let (indices, reports): (Vec<usize>, Vec<(String, PollReport)>) =
        batch.into_iter().map(|(index, report)| (index, (servers[index].id.clone(), report))).unzip();
    for (id, report) in &reports {
        if report.meetings.is_none() {
            ctx.metrics.poll_failed(id);
        }
    }
    let outcomes = ctx.meetings.record_polls(&reports).await;
    let mut polls = Vec::with_capacity(indices.len());
    for (index, recorded) in indices.into_iter().zip(outcomes) {
        polls.push((index, settle(ctx, &servers[index], recorded).await));
    }
    polls
}

/// Servers are asked `POLL_CONCURRENCY` at a time, each in a task of its own so the runtime's threads share
/// the asking and the parsing; their reports are recorded as they come in, up to `BATCH` in one store call and
/// `BATCHES_AT_ONCE` calls at a time, while the next servers are asked.
async fn leased_pass(ctx: &Ctx) -> Result<Vec<ServerPoll>, StoreError> {
    let started = Instant::now();
    let clock = PassClock { started_ms: ctx.meetings.now_ms().await?, started };
    let servers = ctx.servers.servers().await?;
    let slots = Arc::new(Semaphore::new(ctx.config.poll_concurrency));
    let template = report_template(&ctx.config);
    let (reports, arrived) = mpsc::unbounded_channel::<(usize, PollReport)>();
    let asking = async {
        for (index, server) in servers.iter().enumerate() {
            let Ok(slot) = slots.clone().acquire_owned().await else { break };
            let (poller, server, template, reports) =
                (ctx.bbb.clone(), server.clone(), template.clone(), reports.clone());
            tokio::spawn(async move {
                let report = ask(&*poller, &server, template, clock).await;
                drop(slot);
                // The receiver is gone only when the pass was given up.
                let _ = reports.send((index, report));
            });
        }
        drop(reports);
    };
    let batches = futures::stream::unfold(arrived, |mut arrived| async move {
        let mut batch = Vec::with_capacity(BATCH);
        (arrived.recv_many(&mut batch, BATCH).await > 0).then_some((batch, arrived))
    });
    let recording = batches
        .map(|batch| record(ctx, &servers, batch))
        .buffer_unordered(BATCHES_AT_ONCE)
        .flat_map(futures::stream::iter)
        .collect::<Vec<_>>();
    let ((), mut polls) = futures::join!(asking, recording);
    polls.sort_by_key(|(index, _)| *index);
    let seconds = started.elapsed().as_secs_f64();
    ctx.metrics.observe_poll(seconds);
    tracing::info!(
        servers = polls.len(),
        online = polls.iter().filter(|(_, poll)| poll.online).count(),
        unrecorded = polls.iter().filter(|(_, poll)| !poll.recorded).count(),
        seconds,
        "poll pass done"
    );
    Ok(polls.into_iter().map(|(_, poll)| poll).collect())
}

/// `POST /scalelite/jobs/poll`: runs one pass, answers what it did (admin checksum, call name `poll`).
pub async fn run(ctx: &Ctx, _: Call) -> Outcome {
    match pass(ctx).await.map_err(Reject::store(Store::Meetings))? {
        Some(polls) => Ok(ApiResponse::json(StatusCode::OK, serde_json::to_vec(&polls).unwrap_or_default())),
        None => Err(Refusal::PollRunning.into()),
    }
}
