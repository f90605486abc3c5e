//! Poll results in batches: a batch of servers is read in a few pipelined round trips (servers with their
//! meeting indexes, the meetings in them, what the servers report that the index lacks, voice bridges), and the
//! plans made from it are committed each by its own script call (or a few, for a server with very many
//! meetings), pipelined in round trips of bounded size (large reads too). A server whose commit finds its change
//! counter moved answers raced. A plan that writes nothing, on a server whose index needs no mending, has no
//! call: a quiet pass sends no script at all.

use std::collections::{HashMap, HashSet};

use redis::Script;
use scalelite_shared::balance::poll::{PollPlan, PollSnapshot, unplaced};
use scalelite_shared::model::Meeting;
use scalelite_shared::store::{Commit, PollOutcome, PollReport, StoreResult};
use serde_json::{Value, json};

use super::snapshot::{self, Versioned};
use super::{RedisStore, backend, payload};

/// Most entries of each list (meetings removed, running, adopted, index entries) one commit script call takes.
/// A larger plan is committed by several calls, each checking the server's change counter (so a placement that
/// slips in between makes the rest answer raced, and the poll is planned again from what took effect), the last
/// one writing the server: no single call blocks Redis for long, however many meetings a server reports.
const MEETINGS_PER_SCRIPT: usize = 2000;

/// Most entries the script calls of one round trip carry in all, so each answers well within the response
/// timeout.
const ENTRIES_PER_TRIP: usize = 5000;

/// What reading a batch gave for one server: its placed meetings, the stale entries of its index, and the
/// placed meetings its index lacks.
struct Placed {
    meetings: Vec<Meeting>,
    stale: Vec<String>,
    unindexed: Vec<String>,
}

/// What a poll read saw of one server besides its snapshot.
pub struct PollRead {
    /// Its change counter as read.
    version: String,
    /// Placed meetings its index lacks.
    unindexed: Vec<String>,
    /// Its index's entries that are not placed there.
    stale: Vec<String>,
    /// The participants of each meeting placed there, as read: a count the poll finds unchanged is not written.
    participants: HashMap<String, u64>,
}

/// Each server's snapshot and what the commit checks, in the order of `batch` (`None`: the server is gone).
pub(crate) async fn read(
    store: &RedisStore,
    batch: &[(String, PollReport)],
) -> StoreResult<(Vec<Option<PollSnapshot>>, Vec<Option<PollRead>>)> {
    let keys = &store.keys;
    let ids: Vec<String> = batch.iter().map(|(id, _)| id.clone()).collect();
    let (servers, indexes): (Vec<Option<Versioned>>, Vec<Vec<String>>) =
        snapshot::indexed_servers(&mut store.conn(), keys, &ids).await?.into_iter().unzip();
    let mut placed = placed_meetings(store, batch, &indexes).await?;

    // Reported meetings the indexes do not hold: placed here by an upstream deployment, elsewhere, or nowhere.
    let reported: Vec<&str> = batch
        .iter()
        .zip(&placed)
        .flat_map(|((_, report), placed)| unplaced(report, &placed.meetings))
        .map(|entry| entry.meeting_id.as_str())
        .collect();
    let found = snapshot::meetings(&mut store.conn(), keys, &reported).await?;
    let found: HashMap<&str, Meeting> =
        reported.iter().copied().zip(found).filter_map(|(id, m)| Some((id, m?))).collect();
    let mut elsewhere = Vec::with_capacity(batch.len());
    for ((id, report), placed) in batch.iter().zip(&mut placed) {
        let mut others = Vec::new();
        for entry in unplaced(report, &placed.meetings) {
            match found.get(entry.meeting_id.as_str()).filter(|m| m.expires_at_ms > report.now_ms) {
                Some(meeting) if meeting.server_id == *id => {
                    placed.unindexed.push(meeting.id.clone());
                    placed.meetings.push(meeting.clone());
                }
                Some(meeting) => others.push(meeting.clone()),
                None => {}
            }
        }
        elsewhere.push(others);
    }
    let bridges: Vec<&str> = batch
        .iter()
        .zip(&placed)
        .zip(&elsewhere)
        .flat_map(|(((_, report), placed), elsewhere)| {
            let elsewhere: HashSet<&str> = elsewhere.iter().map(|m| m.id.as_str()).collect();
            unplaced(report, &placed.meetings)
                .into_iter()
                .filter(move |m| !m.voice_bridge.is_empty() && !elsewhere.contains(m.meeting_id.as_str()))
                .map(|m| m.voice_bridge.as_str())
        })
        .collect();
    let held_bridges: HashSet<String> =
        snapshot::bridge_holders(&mut store.conn(), keys, &bridges).await?.into_keys().collect();

    let mut snapshots = Vec::with_capacity(batch.len());
    let mut reads = Vec::with_capacity(batch.len());
    for ((server, placed), elsewhere) in servers.into_iter().zip(placed).zip(elsewhere) {
        let Some(Versioned { server, version }) = server else {
            snapshots.push(None);
            reads.push(None);
            continue;
        };
        let held_bridges = held_bridges.clone();
        let participants = placed.meetings.iter().map(|m| (m.id.clone(), m.participants)).collect();
        snapshots.push(Some(PollSnapshot { server, placed: placed.meetings, elsewhere, held_bridges }));
        reads.push(Some(PollRead { version, unindexed: placed.unindexed, stale: placed.stale, participants }));
    }
    Ok((snapshots, reads))
}

/// Commits each server's plan by its own script call, all in one pipeline: running meetings extended and
/// confirmed (and indexed where the index lacked them), meetings ended or released forgotten, orphans adopted,
/// stale index entries dropped, and the server written when the poll changed it.
pub(crate) async fn write(
    store: &RedisStore,
    script: &Script,
    batch: &[(String, PollReport)],
    reads: Vec<Option<PollRead>>,
    mut plans: Vec<Option<PollPlan>>,
) -> StoreResult<Vec<Commit<PollOutcome>>> {
    let keys = &store.keys;
    complete_released(store, &mut plans).await?;
    // Each script call's plan, and how many entries it carries.
    let mut calls: Vec<(String, usize)> = Vec::new();
    let mut outcomes = Vec::with_capacity(batch.len());
    for (((id, report), read), plan) in batch.iter().zip(reads).zip(plans) {
        let (Some(PollRead { version, unindexed, stale, participants }), Some(poll)) = (read, plan) else {
            outcomes.push(None);
            continue;
        };
        if poll.writes_nothing() && unindexed.is_empty() && stale.is_empty() {
            // Nothing to write and no index to mend: no script call.
            outcomes.push(Some((poll.outcome(), 0)));
            continue;
        }
        let meetings = |list: &[Meeting]| list.iter().map(|m| payload::meeting(keys, m)).collect::<Vec<Value>>();
        let removed: Vec<Meeting> = poll.ended.iter().chain(&poll.released).cloned().collect();
        // A running meeting needs only its key, its participants when they changed, and whether it was read
        // unconfirmed: it stays as it is, with a later expiry.
        let running: Vec<Value> = poll
            .running
            .iter()
            .map(|m| {
                let changed = participants.get(&m.id) != Some(&m.participants);
                let count = if changed { json!(m.participants.to_string()) } else { json!(false) };
                json!([keys.meeting(&m.id), count, m.confirmed_at_ms.is_none()])
            })
            .collect();
        // A poll that changes nothing of the server leaves it unwritten (its change counter too).
        let server =
            if poll.server_changed { payload::server(keys, &poll.server) } else { payload::server_check(keys, id) };
        let (removed, adopted) = (meetings(&removed), meetings(&poll.adopted));
        let lengths = [removed.len(), running.len(), unindexed.len(), adopted.len(), stale.len()];
        let parts = lengths.iter().map(|length| length.div_ceil(MEETINGS_PER_SCRIPT)).max().unwrap_or(0).max(1);
        for index in 0..parts {
            let (removed, running, unindexed) = (part(&removed, index), part(&running, index), part(&unindexed, index));
            let (adopted, stale) = (part(&adopted, index), part(&stale, index));
            let entries = removed.len() + running.len() + unindexed.len() + adopted.len() + stale.len();
            let plan = json!({
                "server": server,
                // Written by the last part only: the counter every part checks stays as read until then.
                "write_server": poll.server_changed && index + 1 == parts,
                "version": version,
                "removed": removed,
                "running": running,
                "unindexed": unindexed,
                "adopted": adopted,
                "stale": stale,
                "index": keys.server_meetings(id),
                "meeting_prefix": keys.meeting(""),
                "expires_at_ms": poll.expires_at_ms.to_string(),
                "now_ms": report.now_ms.to_string(),
            });
            calls.push((plan.to_string(), entries));
        }
        outcomes.push(Some((poll.outcome(), parts)));
    }
    let mut committed: Vec<String> = Vec::with_capacity(calls.len());
    let mut calls = calls.into_iter().peekable();
    while calls.peek().is_some() {
        // One round trip carries calls up to ENTRIES_PER_TRIP entries in all (one call at least).
        let mut pipe = redis::pipe();
        pipe.load_script(script).ignore();
        let mut entries = 0;
        while let Some((plan, size)) = calls.next_if(|(_, size)| entries == 0 || entries + size <= ENTRIES_PER_TRIP) {
            entries += size.max(1);
            pipe.invoke_script(&script.arg(plan));
        }
        committed.extend(store.conn().write::<Vec<String>>(&pipe).await.map_err(backend)?);
    }
    let mut committed = committed.into_iter();
    Ok(outcomes
        .into_iter()
        .map(|outcome| match outcome {
            // A server that is gone gets the empty outcome, as one that was never there.
            None => Commit::Committed(PollOutcome::default()),
            Some((outcome, parts)) => {
                let answers: Vec<String> = committed.by_ref().take(parts).collect();
                if answers.len() < parts || answers.iter().any(|answer| answer != "ok" && answer != "gone") {
                    Commit::Raced
                } else if answers.iter().any(|answer| answer == "gone") {
                    Commit::Committed(PollOutcome::default())
                } else {
                    Commit::Committed(outcome)
                }
            }
        })
        .collect())
}

/// Part `index` of a plan's list: at most [`MEETINGS_PER_SCRIPT`] entries.
fn part<T>(list: &[T], index: usize) -> &[T] {
    let rest = list.get(index * MEETINGS_PER_SCRIPT..).unwrap_or_default();
    &rest[..rest.len().min(MEETINGS_PER_SCRIPT)]
}

/// Placed meetings are read with what a poll compares only. The meetings a server gone offline releases are
/// ended on it with their moderator password, so those few are read again whole, in one round trip for the batch
/// (the commit script forgets a meeting from its own hash, so ended ones need nothing more). One that changed
/// placement since keeps what it was read with, and the commit script leaves it alone.
async fn complete_released(store: &RedisStore, plans: &mut [Option<PollPlan>]) -> StoreResult<()> {
    let released: Vec<String> = plans.iter().flatten().flat_map(|plan| &plan.released).map(|m| m.id.clone()).collect();
    let ids: Vec<&str> = released.iter().map(String::as_str).collect();
    let whole: HashMap<&str, Meeting> = ids
        .iter()
        .copied()
        .zip(snapshot::meetings(&mut store.conn(), &store.keys, &ids).await?)
        .filter_map(|(id, meeting)| Some((id, meeting?)))
        .collect();
    for plan in plans.iter_mut().flatten() {
        for meeting in &mut plan.released {
            if let Some(read) = whole.get(meeting.id.as_str())
                && read.server_id == meeting.server_id
                && read.created_at_ms == meeting.created_at_ms
            {
                meeting.moderator_pw.clone_from(&read.moderator_pw);
                meeting.voice_bridge.clone_from(&read.voice_bridge);
                meeting.tenant_id.clone_from(&read.tenant_id);
            }
        }
    }
    Ok(())
}

/// The meetings in each server's index (`indexes`, in the order of `batch`), read in one round trip (what a poll
/// compares only: see [`complete_released`]): those still placed on the server (every meeting Redis holds is
/// live), and the entries that are not.
async fn placed_meetings(
    store: &RedisStore,
    batch: &[(String, PollReport)],
    indexes: &[Vec<String>],
) -> StoreResult<Vec<Placed>> {
    let keys = &store.keys;
    let all: Vec<&str> = indexes.iter().flatten().map(String::as_str).collect();
    let mut meetings = snapshot::placements(&mut store.conn(), keys, &all).await?.into_iter();
    Ok(batch
        .iter()
        .zip(indexes)
        .map(|((server_id, _), index)| {
            let mut placed = Placed { meetings: Vec::new(), stale: Vec::new(), unindexed: Vec::new() };
            for (id, meeting) in index.iter().zip(meetings.by_ref()) {
                match meeting.filter(|m| m.server_id == *server_id) {
                    Some(meeting) => placed.meetings.push(meeting),
                    None => placed.stale.push(id.clone()),
                }
            }
            placed
        })
        .collect())
}
