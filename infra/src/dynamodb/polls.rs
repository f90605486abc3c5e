//! Polls on DynamoDB: each server's snapshot from consistent reads, and its plan committed as the server
//! written on the condition of its version as read, then each meeting change conditional on its placement.
//! Servers are read and committed concurrently, each on its own: one that fails in a batch answers raced, so
//! the domain records it again alone and its own error, if it lasts, is reported for it alone. A plan that writes
//! nothing, on a server with no stale meeting link to drop, is committed by no write at all.

use std::collections::HashSet;

use futures::future::{join_all, try_join_all};
use scalelite_shared::balance::poll::{PollOutcome, PollPlan, PollReport, PollSnapshot, unplaced};
use scalelite_shared::model::Meeting;
use scalelite_shared::store::{Commit, StoreResult};

use super::DynamoMeetings;
use super::meetings::Holder;

/// Running meetings of one server extended at once (one `UpdateItem` each).
const EXTENSIONS_AT_ONCE: usize = 32;

/// What a poll read saw of one server besides its snapshot.
pub enum PollRead {
    /// The server is not there.
    Gone,
    /// It could not be read in this batch.
    Failed,
    Read {
        /// Its version as read.
        version: i64,
        /// Links to meetings that are gone, expired or elsewhere, with the `created_at_ms` they carry.
        stale: Vec<(String, i64)>,
    },
}

impl DynamoMeetings {
    /// One server's snapshot (`None`: it is gone).
    pub(super) async fn read_poll(
        &self,
        server_id: &str,
        report: &PollReport,
    ) -> StoreResult<Option<(PollSnapshot, i64, Vec<(String, i64)>)>> {
        let now = report.now_ms;
        let Some((server, version)) = self.server_versioned(server_id).await? else { return Ok(None) };
        let (placed, stale) = self.linked(server_id, now).await?;
        let reported_elsewhere = unplaced(report, &placed);
        let others: Vec<String> = reported_elsewhere.iter().map(|m| m.meeting_id.clone()).collect();
        let found = self.batch_meetings(&others).await?;
        let elsewhere: Vec<Meeting> = found.into_values().filter(|m| m.expires_at_ms > now).collect();
        let mut held_bridges = HashSet::new();
        for entry in reported_elsewhere {
            if !entry.voice_bridge.is_empty()
                && !elsewhere.iter().any(|m| m.id == entry.meeting_id)
                && matches!(self.holder(&entry.voice_bridge, &entry.meeting_id, now).await?, Holder::Live(_))
            {
                held_bridges.insert(entry.voice_bridge.clone());
            }
        }
        Ok(Some((PollSnapshot { server, placed, elsewhere, held_bridges }, version, stale)))
    }

    /// Every server's snapshot, read concurrently.
    pub(super) async fn read_poll_batch(
        &self,
        batch: &[(String, PollReport)],
    ) -> (Vec<Option<PollSnapshot>>, Vec<PollRead>) {
        let reads = join_all(batch.iter().map(|(id, report)| self.read_poll(id, report))).await;
        reads
            .into_iter()
            .zip(batch)
            .map(|(read, (id, _))| match read {
                Ok(Some((snapshot, version, stale))) => (Some(snapshot), PollRead::Read { version, stale }),
                Ok(None) => (None, PollRead::Gone),
                Err(error) => {
                    tracing::debug!(server = %id, %error, "poll: could not read the server in its batch");
                    (None, PollRead::Failed)
                }
            })
            .unzip()
    }

    /// Commits one server's plan: raced when the server's version moved, or when it could not be read or
    /// written in this batch; otherwise what took effect.
    pub(super) async fn commit_poll(
        &self,
        server_id: &str,
        report: &PollReport,
        read: PollRead,
        plan: Option<PollPlan>,
    ) -> Commit<PollOutcome> {
        match self.try_commit_poll(server_id, report, read, plan).await {
            Ok(commit) => commit,
            Err(error) => {
                tracing::debug!(server = %server_id, %error, "poll: could not record the server in its batch");
                Commit::Raced
            }
        }
    }

    async fn try_commit_poll(
        &self,
        server_id: &str,
        report: &PollReport,
        read: PollRead,
        plan: Option<PollPlan>,
    ) -> StoreResult<Commit<PollOutcome>> {
        let (version, stale, plan) = match (read, plan) {
            (PollRead::Failed, _) => return Ok(Commit::Raced),
            (PollRead::Read { version, stale }, Some(plan)) => (version, stale, plan),
            _ => return Ok(Commit::Committed(PollOutcome::default())),
        };
        if plan.writes_nothing() && stale.is_empty() {
            // Nothing to write and no index entry to drop: no conditional write.
            return Ok(Commit::Committed(plan.outcome()));
        }
        if !self.save_server(&plan.server, version).await? {
            return Ok(Commit::Raced);
        }
        let now = report.now_ms;
        let mut outcome = plan.outcome();
        outcome.ended.clear();
        outcome.released.clear();
        for meeting in &plan.ended {
            if self.remove(meeting, None).await? {
                outcome.ended.push(meeting.id.clone());
            }
        }
        for meeting in &plan.released {
            if self.remove(meeting, None).await? {
                outcome.released.push(meeting.clone());
            }
        }
        // A large server's meetings are extended a chunk at a time, not all at once.
        for chunk in plan.running.chunks(EXTENSIONS_AT_ONCE) {
            try_join_all(chunk.iter().map(|m| self.extend(m, server_id, plan.expires_at_ms, now))).await?;
        }
        outcome.adopted.clear();
        for meeting in &plan.adopted {
            if self.adopt(meeting, now).await? {
                outcome.adopted.push(meeting.id.clone());
            }
        }
        self.drop_stale_links(server_id, &stale).await?;
        Ok(Commit::Committed(outcome))
    }
}
