//! The domain: the handler-facing stores ([`ServerStore`], [`MeetingStore`]) served over any adapter's
//! [`MeetingPorts`]. Each decision is read from the store, planned by `balance`, and committed through the one
//! loop of [`retry`], so a new rule touches `balance` and no adapter.

pub mod handle;
mod placing;
pub mod retry;

use std::collections::HashSet;
use std::time::Instant;

use async_trait::async_trait;

use crate::balance::join;
use crate::balance::load::LoadRules;
use crate::balance::placement::{Placed, Placement};
use crate::balance::poll::{self, PollOutcome, PollPlan, PollReport};
use crate::balance::tenant::TenantUsage;
use crate::model::{Meeting, Server, ServerUpdate};
use crate::store::{Commit, JoinTarget, MeetingPorts, MeetingStore, PlaceError, ServerStore, StoreError, StoreResult};
use retry::{Decision, count_race, until_committed};

/// Servers whose poll results are read and committed together.
const POLL_BATCH: usize = 256;

#[async_trait]
impl<P: MeetingPorts> ServerStore for P {
    async fn servers(&self) -> StoreResult<Vec<Server>> {
        self.list_servers().await
    }

    async fn server(&self, id: &str) -> StoreResult<Option<Server>> {
        self.find_server(id).await
    }

    async fn add_server(&self, server: &Server) -> StoreResult<()> {
        self.commit_new_server(server).await
    }

    async fn update_server(&self, id: &str, update: &ServerUpdate) -> StoreResult<Option<Server>> {
        until_committed(
            Decision::UpdateServer,
            || format!("update of server {id}"),
            || async {
                let (read, stamp) = self.read_server(id).await?;
                let Some(mut server) = read else { return Ok(Some(None)) };
                update.apply(&mut server);
                Ok(match self.commit_server(stamp, &server).await? {
                    Commit::Committed(true) => Some(Some(server)),
                    Commit::Committed(false) => Some(None),
                    Commit::Raced => None,
                })
            },
        )
        .await
    }

    async fn delete_server(&self, id: &str) -> StoreResult<bool> {
        self.commit_server_removal(id).await
    }

    async fn ping(&self) -> StoreResult<()> {
        self.ping_backend().await
    }
}

#[async_trait]
impl<P: MeetingPorts> MeetingStore for P {
    async fn now_ms(&self) -> StoreResult<i64> {
        let clock = &self.handle_state().clock;
        if let Some(now) = clock.now_ms() {
            return Ok(now);
        }
        let sent = Instant::now();
        let store_ms = self.read_store_time().await?;
        Ok(clock.record(sent, store_ms))
    }

    async fn meeting(&self, id: &str, now_ms: i64) -> StoreResult<Option<Meeting>> {
        self.find_meeting(id, now_ms).await
    }

    async fn meetings_on(&self, server_id: &str, now_ms: i64) -> StoreResult<Vec<Meeting>> {
        self.list_meetings_on(server_id, now_ms).await
    }

    async fn tenant_usage(&self, tenant_id: &str, now_ms: i64) -> StoreResult<TenantUsage> {
        Ok(TenantUsage::of(&self.list_tenant_meetings(tenant_id, now_ms).await?))
    }

    async fn meeting_by_voice_bridge(&self, number: &str, now_ms: i64) -> StoreResult<Option<Meeting>> {
        self.find_by_voice_bridge(number, now_ms).await
    }

    async fn place_meeting(&self, request: &Placement) -> Result<Placed, PlaceError> {
        placing::place(self, request).await
    }

    async fn confirm_meeting(&self, meeting: &Meeting, now_ms: i64) -> StoreResult<()> {
        self.commit_confirmation(meeting, now_ms).await
    }

    async fn delete_meeting(&self, id: &str, rules: &LoadRules, now_ms: i64) -> StoreResult<Option<Meeting>> {
        until_committed(
            Decision::Remove,
            || format!("removal of meeting {id}"),
            || async {
                let (read, stamp) = self.read_removal(id, now_ms).await?;
                let Some((meeting, server)) = read else { return Ok(Some(None)) };
                let load = server.and_then(|server| server.load);
                let returned = load.map_or(0.0, |load| rules.returned(&meeting, load, now_ms));
                Ok(self.commit_removal(stamp, &meeting, returned).await?.committed().map(|()| Some(meeting)))
            },
        )
        .await
    }

    async fn join_meeting(&self, meeting_id: &str, now_ms: i64) -> StoreResult<JoinTarget> {
        let (target, load) = join::decide(self.read_join(meeting_id, now_ms).await?);
        if let JoinTarget::Server(server) = &target {
            self.count_join(meeting_id, &server.id, load).await?;
        }
        Ok(target)
    }

    async fn record_poll(&self, server_id: &str, report: &PollReport) -> StoreResult<PollOutcome> {
        let batch = [(server_id.to_owned(), report.clone())];
        until_committed(
            Decision::RecordPoll,
            || format!("poll of {server_id}"),
            || async { Ok(record_batch(self, &batch).await?.pop().flatten()) },
        )
        .await
    }

    /// Batches read and committed together; a server whose commit lost a race is recorded again alone.
    async fn record_polls(&self, reports: &[(String, PollReport)]) -> Vec<StoreResult<PollOutcome>> {
        let mut outcomes = Vec::with_capacity(reports.len());
        for batch in poll_batches(reports) {
            match record_batch(self, batch).await {
                Ok(recorded) => {
                    for ((server_id, report), outcome) in batch.iter().zip(recorded) {
                        outcomes.push(match outcome {
                            Some(outcome) => Ok(outcome),
                            None => {
                                count_race(Decision::RecordPoll);
                                self.record_poll(server_id, report).await
                            }
                        });
                    }
                }
                Err(error) => outcomes.extend(batch.iter().map(|_| Err::<PollOutcome, StoreError>(error.clone()))),
            }
        }
        outcomes
    }
}

/// `reports` cut into batches of at most [`POLL_BATCH`] in which no server appears twice (a server polled twice
/// in one batch would be planned from a read older than its own first result).
fn poll_batches(reports: &[(String, PollReport)]) -> Vec<&[(String, PollReport)]> {
    let mut batches = Vec::new();
    let mut rest = reports;
    while !rest.is_empty() {
        let mut seen = HashSet::new();
        let size = rest.iter().take(POLL_BATCH).take_while(|(id, _)| seen.insert(id.as_str())).count();
        let (batch, after) = rest.split_at(size);
        batches.push(batch);
        rest = after;
    }
    batches
}

/// One attempt at recording `batch`: each server's outcome in order, `None` where its commit lost a race.
async fn record_batch<P: MeetingPorts>(
    ports: &P,
    batch: &[(String, PollReport)],
) -> StoreResult<Vec<Option<PollOutcome>>> {
    let (snapshots, stamp) = ports.read_polls(batch).await?;
    let plans: Vec<Option<PollPlan>> = batch
        .iter()
        .zip(&snapshots)
        .map(|((_, report), snapshot)| snapshot.as_ref().map(|snapshot| poll::plan(snapshot, report)))
        .collect();
    let committed = ports.commit_polls(stamp, batch, plans).await?;
    Ok(committed.into_iter().map(Commit::committed).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::balance::health::HealthRules;
    use crate::balance::load::LoadWeights;
    use std::time::Duration;

    fn report() -> PollReport {
        PollReport {
            started_at_ms: 0,
            now_ms: 0,
            meetings: None,
            bbb_version: None,
            health: HealthRules { healthy_threshold: 1, unhealthy_threshold: 1 },
            load: LoadRules {
                min_user_count: 1.0,
                join_buffer: Duration::ZERO,
                max_size_hint: 5.0,
                weights: LoadWeights::default(),
            },
            ttl_ms: 0,
            grace_ms: 0,
        }
    }

    #[test]
    fn poll_batches_hold_each_server_once_and_keep_the_order() {
        let reports: Vec<(String, PollReport)> =
            ["a", "b", "a", "c"].iter().map(|id| ((*id).to_owned(), report())).collect();
        let ids: Vec<Vec<&str>> =
            poll_batches(&reports).iter().map(|batch| batch.iter().map(|(id, _)| id.as_str()).collect()).collect();
        assert_eq!(ids, vec![vec!["a", "b"], vec!["a", "c"]]);
        let many: Vec<(String, PollReport)> = (0..600).map(|n| (n.to_string(), report())).collect();
        let sizes: Vec<usize> = poll_batches(&many).iter().map(|batch| batch.len()).collect();
        assert_eq!(sizes, vec![256, 256, 88]);
    }
}
