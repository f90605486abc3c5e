//! Recording one poll result: health, figures, load, ended meetings, offline release, cordon drain.

use std::collections::HashSet;

use scalelite_shared::balance::health::{Health, Verdict, step};
use scalelite_shared::balance::load::apply_poll;
use scalelite_shared::clock::now_ms;
use scalelite_shared::model::ServerStats;
use scalelite_shared::store::{PollOutcome, PollReport, StoreResult};
use sqlx::SqliteConnection;

use super::{backend, meetings, servers};

pub(crate) async fn record(
    db: &mut SqliteConnection,
    server_id: &str,
    report: &PollReport,
) -> StoreResult<PollOutcome> {
    let Some(mut server) = servers::find(&mut *db, server_id).await? else {
        return Ok(PollOutcome::default());
    };
    let (health, verdict) = step(Health::from(&server), report.meetings.is_some(), report.health);
    server.online = health.online;
    server.healthy_counter = health.healthy_counter;
    server.unhealthy_counter = health.unhealthy_counter;
    let now = now_ms();
    let mut outcome = PollOutcome::default();

    match (verdict, &report.meetings) {
        (Verdict::Apply, Some(reported)) => {
            let running: HashSet<&str> = reported.iter().map(|m| m.meeting_id.as_str()).collect();
            let mut placed = Vec::new();
            for meeting in meetings::on_server(&mut *db, server_id).await? {
                if running.contains(meeting.id.as_str()) {
                    sqlx::query("UPDATE meetings SET expires_at_ms = ? WHERE id = ?")
                        .bind(now.saturating_add(report.ttl_ms))
                        .bind(&meeting.id)
                        .execute(&mut *db)
                        .await
                        .map_err(backend)?;
                    placed.push(meeting);
                } else if meeting.created_at_ms < report.started_at_ms {
                    meetings::delete(&mut *db, &meeting.id).await?;
                    outcome.ended.push(meeting.id);
                } else {
                    placed.push(meeting);
                }
            }
            outcome.drained = apply_poll(&mut server, reported, &placed, &report.load, now);
        }
        (Verdict::GoOffline, _) => {
            for meeting in meetings::on_server(&mut *db, server_id).await? {
                meetings::delete(&mut *db, &meeting.id).await?;
                outcome.released.push(meeting);
            }
            server.load = None;
            server.stats = ServerStats::default();
        }
        _ => {}
    }
    servers::save(db, &server).await?;
    outcome.online = server.online;
    outcome.load = server.load;
    Ok(outcome)
}
