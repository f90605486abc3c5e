//! Recording one poll result: the snapshot read, planned by `balance::poll` and written in one transaction.

use scalelite_shared::balance::poll::{PollSnapshot, plan, unplaced};
use scalelite_shared::store::{PollOutcome, PollReport, StoreResult};
use sqlx::SqliteConnection;

use super::{backend, meetings, servers};

/// Running meetings extended by one statement (well below SQLite's limit of bound values).
const CHUNK: usize = 500;

pub(crate) async fn record(
    db: &mut SqliteConnection,
    server_id: &str,
    report: &PollReport,
) -> StoreResult<Option<PollOutcome>> {
    let now = report.now_ms;
    let Some(server) = servers::find(&mut *db, server_id).await? else {
        return Ok(None);
    };
    meetings::drop_expired(db, now).await?;
    let placed = meetings::on_server(&mut *db, server_id, now).await?;
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
    Ok(Some(plan.outcome()))
}
