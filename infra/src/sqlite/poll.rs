//! Poll results on the embedded store: a batch's snapshots read, and the plans made from them written, inside
//! one write transaction (so nothing they were read from can change in between).

use std::collections::{HashMap, HashSet};

use scalelite_shared::balance::poll::{PollOutcome, PollPlan, PollSnapshot, unplaced};
use scalelite_shared::store::{PollReport, StoreResult};
use sqlx::SqliteConnection;

use super::meetings::CHUNK;
use super::{backend, meetings, servers};

/// Each server's snapshot, in the order of `batch` (`None`: the server is gone). Servers, their placed
/// meetings, the meetings they report that are placed elsewhere and the voice bridges those hold are read once
/// for the whole batch.
pub(crate) async fn read(
    db: &mut SqliteConnection,
    batch: &[(String, PollReport)],
) -> StoreResult<Vec<Option<PollSnapshot>>> {
    let oldest = batch.iter().map(|(_, report)| report.now_ms).min().unwrap_or_default();
    meetings::drop_expired(db, oldest).await?;
    let ids: Vec<&str> = batch.iter().map(|(id, _)| id.as_str()).collect();
    let mut servers = servers::find_many(db, &ids).await?;
    let mut placed = meetings::on_servers(db, &ids, oldest).await?;
    let mut placed: Vec<_> = batch
        .iter()
        .map(|(id, report)| {
            let mut meetings = placed.remove(id).unwrap_or_default();
            meetings.retain(|meeting| meeting.expires_at_ms > report.now_ms);
            meetings
        })
        .collect();
    let reported: Vec<&str> = batch
        .iter()
        .zip(&placed)
        .flat_map(|((_, report), placed)| unplaced(report, placed))
        .map(|entry| entry.meeting_id.as_str())
        .collect();
    let bridges: Vec<&str> = batch
        .iter()
        .zip(&placed)
        .flat_map(|((_, report), placed)| unplaced(report, placed))
        .map(|entry| entry.voice_bridge.as_str())
        .filter(|number| !number.is_empty())
        .collect();
    let found: HashMap<String, _> =
        meetings::find_many(db, &reported, oldest).await?.into_iter().map(|m| (m.id.clone(), m)).collect();
    let held_bridges: HashSet<String> = meetings::bridge_holders(db, &bridges, oldest).await?.into_keys().collect();
    Ok(batch
        .iter()
        .zip(placed.iter_mut())
        .map(|((id, report), placed)| {
            let server = servers.remove(id)?;
            let elsewhere = unplaced(report, placed)
                .into_iter()
                .filter_map(|entry| found.get(&entry.meeting_id))
                .filter(|meeting| meeting.expires_at_ms > report.now_ms)
                .cloned()
                .collect();
            let placed = std::mem::take(placed);
            Some(PollSnapshot { server, placed, elsewhere, held_bridges: held_bridges.clone() })
        })
        .collect())
}

/// Writes each plan: meetings ended or released removed, running ones extended (in one statement per
/// [`CHUNK`]) and confirmed, orphans adopted where their id and voice bridge are still free, and the server
/// written where the poll changed it. Each outcome names what took effect.
pub(crate) async fn write(
    db: &mut SqliteConnection,
    batch: &[(String, PollReport)],
    plans: Vec<Option<PollPlan>>,
) -> StoreResult<Vec<PollOutcome>> {
    let mut outcomes = Vec::with_capacity(plans.len());
    let mut extensions = Vec::new();
    for ((_, report), plan) in batch.iter().zip(plans) {
        let Some(plan) = plan else {
            outcomes.push(PollOutcome::default());
            continue;
        };
        for meeting in plan.ended.iter().chain(&plan.released) {
            meetings::remove(db, meeting).await?;
        }
        extensions.extend(plan.running.iter().map(|meeting| Extension {
            id: meeting.id.clone(),
            expires_at_ms: plan.expires_at_ms,
            seen_at_ms: report.now_ms,
            participants: i64::try_from(meeting.participants).unwrap_or(i64::MAX),
        }));
        let mut outcome = plan.outcome();
        let mut adopted = HashSet::new();
        for meeting in &plan.adopted {
            if meetings::insert_if_free(db, meeting).await? {
                adopted.insert(meeting.id.as_str());
            }
        }
        outcome.adopted.retain(|id| adopted.contains(id.as_str()));
        if plan.server_changed {
            servers::save(db, &plan.server).await?;
        }
        outcomes.push(outcome);
    }
    extend(db, &extensions).await?;
    Ok(outcomes)
}

/// A running meeting as a poll saw it.
struct Extension {
    id: String,
    expires_at_ms: i64,
    seen_at_ms: i64,
    participants: i64,
}

/// Moves running meetings' expiry on, sets their participants and counts them confirmed.
async fn extend(db: &mut SqliteConnection, running: &[Extension]) -> StoreResult<()> {
    for chunk in running.chunks(CHUNK) {
        let sql = format!(
            "UPDATE meetings SET expires_at_ms = v.column2, \
             confirmed_at_ms = COALESCE(meetings.confirmed_at_ms, v.column3), participants = v.column4 \
             FROM (VALUES {}) AS v WHERE meetings.id = v.column1",
            vec!["(?, ?, ?, ?)"; chunk.len()].join(", ")
        );
        // Only placeholders are formatted in.
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for running in chunk {
            query =
                query.bind(&running.id).bind(running.expires_at_ms).bind(running.seen_at_ms).bind(running.participants);
        }
        query.execute(&mut *db).await.map_err(backend)?;
    }
    Ok(())
}
