//! Recording poll results: each server's snapshot read, planned by `balance::poll` and written, inside the
//! caller's transaction.

use scalelite_shared::balance::poll::{PollSnapshot, plan, unplaced};
use std::collections::HashSet;

use scalelite_shared::model::{Meeting, Server};
use scalelite_shared::store::{PollOutcome, PollReport, StoreResult};
use sqlx::SqliteConnection;

use super::{backend, meetings, servers};

/// Running meetings extended by one statement (three bound values each, well below SQLite's limit).
const CHUNK: usize = 500;

/// Servers whose results one batch records (their ids are bound in one statement).
const BATCH: usize = 256;

/// Records each `(server_id, report)` in order, as one poll of its own would; a server that is gone gets the
/// empty outcome. Servers and their placed meetings are read once per batch (what another server's poll
/// changes is read per server), a server row is written only when the poll changed it, and running meetings
/// are extended together, so a batch in which nothing moved costs a few statements whatever its size.
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
        let mut extensions = Extensions::default();
        for (id, report) in batch {
            let Some(server) = servers.remove(id) else {
                outcomes.push(PollOutcome::default());
                continue;
            };
            let mut placed = placed.remove(id).unwrap_or_default();
            placed.retain(|meeting| meeting.expires_at_ms > report.now_ms);
            outcomes.push(record(db, server, placed, report, &mut extensions).await?);
        }
        extensions.write(db).await?;
    }
    Ok(outcomes)
}

/// Running meetings to extend, `(id, expires_at_ms, seen_at_ms)`, written in one statement per [`CHUNK`] before
/// the next read of meetings (so every read sees them) and at the end of a batch.
#[derive(Default)]
struct Extensions(Vec<(String, i64, i64)>);

impl Extensions {
    async fn write(&mut self, db: &mut SqliteConnection) -> StoreResult<()> {
        for chunk in self.0.chunks(CHUNK) {
            let sql = format!(
                "UPDATE meetings SET expires_at_ms = v.column2, \
                 confirmed_at_ms = COALESCE(meetings.confirmed_at_ms, v.column3) \
                 FROM (VALUES {}) AS v WHERE meetings.id = v.column1",
                vec!["(?, ?, ?)"; chunk.len()].join(", ")
            );
            // Only placeholders are formatted in.
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for (id, expires_at_ms, seen_at_ms) in chunk {
                query = query.bind(id).bind(expires_at_ms).bind(seen_at_ms);
            }
            query.execute(&mut *db).await.map_err(backend)?;
        }
        self.0.clear();
        Ok(())
    }
}

async fn record(
    db: &mut SqliteConnection,
    server: Server,
    placed: Vec<Meeting>,
    report: &PollReport,
    extensions: &mut Extensions,
) -> StoreResult<PollOutcome> {
    let now = report.now_ms;
    let others = unplaced(report, &placed);
    if !others.is_empty() {
        extensions.write(db).await?;
    }
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
    extensions.0.extend(plan.running.iter().map(|meeting| (meeting.id.clone(), plan.expires_at_ms, now)));
    for meeting in &plan.adopted {
        meetings::insert(db, meeting).await?;
    }
    if plan.server != snapshot.server {
        servers::save(db, &plan.server).await?;
    }
    Ok(plan.outcome())
}
