//! Recording poll results: each server's snapshot read, planned by `balance::poll` and written, inside the
//! caller's transaction.

use scalelite_shared::balance::poll::{PollSnapshot, plan, unplaced};
use std::collections::HashSet;

use scalelite_shared::model::{Meeting, Server};
use scalelite_shared::store::{PollOutcome, PollReport, StoreResult};
use sqlx::SqliteConnection;

use super::{backend, meetings, servers};

/// Running meetings extended by one statement (well below SQLite's limit of bound values).
const CHUNK: usize = 500;

/// Servers whose results one batch records (their ids are bound in one statement).
const BATCH: usize = 256;

/// Records each `(server_id, report)` in order, as one poll of its own would; a server that is gone gets the
/// empty outcome. Servers and their placed meetings are read once per batch (what another server's poll
/// changes is read per server), so a pass costs two statements a server when nothing moved.
pub(crate) async fn record_all(
    db: &mut SqliteConnection,
    reports: &[(String, PollReport)],
) -> StoreResult<Vec<PollOutcome>> {
    let mut outcomes = Vec::with_capacity(reports.len());
    let mut rest = reports;
    while !rest.is_empty() {
        // A server polled twice in a batch would be planned from a read older than its own first result.
        let mut seen = HashSet::new();
        let size = rest.iter().take(BATCH).take_while(|(id, _)| seen.insert(id.as_str())).count();
        let (batch, after) = rest.split_at(size);
        rest = after;
        let oldest = batch.iter().map(|(_, report)| report.now_ms).min().unwrap_or_default();
        meetings::drop_expired(db, oldest).await?;
        let ids: Vec<&str> = batch.iter().map(|(id, _)| id.as_str()).collect();
        let mut servers = servers::find_many(db, &ids).await?;
        let mut placed = meetings::on_servers(db, &ids, oldest).await?;
        for (id, report) in batch {
            let Some(server) = servers.remove(id) else {
                outcomes.push(PollOutcome::default());
                continue;
            };
            let mut placed = placed.remove(id).unwrap_or_default();
            placed.retain(|meeting| meeting.expires_at_ms > report.now_ms);
            outcomes.push(record(db, server, placed, report).await?);
        }
    }
    Ok(outcomes)
}

async fn record(
    db: &mut SqliteConnection,
    server: Server,
    placed: Vec<Meeting>,
    report: &PollReport,
) -> StoreResult<PollOutcome> {
    let now = report.now_ms;
    let others = unplaced(report, &placed);
    let ids: Vec<&str> = others.iter().map(|m| m.meeting_id.as_str()).collect();
    let bridges: Vec<&str> = others.iter().map(|m| m.voice_bridge.as_str()).filter(|b| !b.is_empty()).collect();
    let snapshot = PollSnapshot {
        elsewhere: meetings::find_many(db, &ids, now).await?,
        held_bridges: meetings::held_bridges(db, &bridges, "", now).await?,
        server,
        placed,
    };
    let plan = plan(&snapshot, report);

    for meeting in plan.ended.iter().chain(&plan.released) {
        meetings::remove(db, meeting, None).await?;
    }
    for running in plan.running.chunks(CHUNK) {
        let sql = format!(
            "UPDATE meetings SET expires_at_ms = ?, confirmed_at_ms = COALESCE(confirmed_at_ms, ?) WHERE id IN ({})",
            meetings::placeholders(running.len())
        );
        // Only placeholders are formatted in.
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(plan.expires_at_ms).bind(now);
        for meeting in running {
            query = query.bind(&meeting.id);
        }
        query.execute(&mut *db).await.map_err(backend)?;
    }
    for meeting in &plan.adopted {
        meetings::insert(db, meeting).await?;
    }
    servers::save(db, &plan.server).await?;
    Ok(plan.outcome())
}
