//! The in-memory store: the meeting-side ports over maps behind one lock, for tests and single-process
//! trials. A read notes the store's change counter; a commit applies its plan only while the counter is
//! where the read left it (any commit in between is a lost race), so the domain's loop does the rest. Handles
//! made with [`MemoryStore::replica`] share the state, as replicas share a backend.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use async_trait::async_trait;
use scalelite_shared::balance::eligibility::counts_meetings;
use scalelite_shared::balance::placement::{Placed, PlacementRead, PlacementSnapshot, Planned, least_loaded};
use scalelite_shared::balance::poll::{PollOutcome, PollPlan, PollReport, PollSnapshot, unplaced};
use scalelite_shared::clock::now_ms as wall_clock_ms;
use scalelite_shared::domain::handle::HandleState;
use scalelite_shared::model::{Meeting, Server};
use scalelite_shared::store::{
    Commit, JoinSnapshot, LeaseStore, Located, MeetingPorts, MeetingStore, StoreError, StoreResult, TokenStore,
};

/// Everything the store holds.
#[derive(Default)]
struct State {
    /// Moved on by every commit.
    changes: u64,
    servers: BTreeMap<String, Server>,
    meetings: HashMap<String, Meeting>,
    leases: HashMap<String, (String, i64)>,
    tokens: HashMap<String, (String, i64)>,
    /// The backend's own clock.
    clock: BackendClock,
}

impl State {
    fn live(&self, id: &str, now_ms: i64) -> Option<&Meeting> {
        self.meetings.get(id).filter(|m| m.expires_at_ms > now_ms)
    }

    fn located(&self, id: &str, now_ms: i64) -> Option<Located> {
        self.live(id, now_ms).map(|m| (m.clone(), self.servers.get(&m.server_id).cloned()))
    }

    /// The live meeting holding each of `numbers` that is held.
    fn holders(&self, numbers: &[&str], now_ms: i64) -> HashMap<String, String> {
        let wanted: HashSet<&str> = numbers.iter().copied().collect();
        self.meetings
            .values()
            .filter(|m| m.expires_at_ms > now_ms && wanted.contains(m.voice_bridge.as_str()))
            .map(|m| (m.voice_bridge.clone(), m.id.clone()))
            .collect()
    }

    fn add_load(&mut self, server_id: &str, amount: f64) {
        if let Some(load) = self.servers.get_mut(server_id).and_then(|s| s.load.as_mut()) {
            *load += amount;
        }
    }

    /// Forgets `meeting` if it is still that placement.
    fn forget(&mut self, meeting: &Meeting) -> bool {
        let same = self.meetings.get(&meeting.id).is_some_and(|m| m.is_same_placement(meeting));
        if same {
            self.meetings.remove(&meeting.id);
        }
        same
    }

    /// Moves the counter on when `stamp` still holds (and drops meetings that expired long ago).
    fn commit(&mut self, stamp: u64) -> bool {
        let holds = self.changes == stamp;
        if holds {
            self.changes += 1;
            if self.changes.is_multiple_of(1_024) {
                let now = self.clock.now_ms();
                self.meetings.retain(|_, m| m.expires_at_ms > now);
            }
        }
        holds
    }
}

/// The in-memory store; clones share the state (the backend's clock with it).
#[derive(Clone, Default)]
pub struct MemoryStore {
    state: Arc<Mutex<State>>,
    /// The domain's state of this handle (the store's clock as followed, the placement turn).
    handle: Arc<HandleState>,
}

impl MemoryStore {
    /// Another handle on the same state, as another replica's connection to one backend.
    pub fn replica(&self) -> Self {
        Self { handle: Arc::default(), ..self.clone() }
    }
}

/// The clock of the backend the handles share: the wall clock when it was made, advanced by the monotonic
/// clock, so a replica whose own wall clock is off does not move it.
struct BackendClock {
    origin_ms: i64,
    origin: Instant,
}

impl Default for BackendClock {
    fn default() -> Self {
        Self { origin_ms: wall_clock_ms(), origin: Instant::now() }
    }
}

impl BackendClock {
    fn now_ms(&self) -> i64 {
        let elapsed = i64::try_from(self.origin.elapsed().as_millis()).unwrap_or(i64::MAX);
        self.origin_ms.saturating_add(elapsed)
    }
}

impl MemoryStore {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl MeetingPorts for MemoryStore {
    type PlaceStamp = u64;
    type RemoveStamp = u64;
    type ServerStamp = u64;
    type PollStamp = u64;

    async fn read_placement(&self, read: PlacementRead<'_>) -> StoreResult<(PlacementSnapshot, u64)> {
        let state = self.state();
        let now = read.now_ms();
        let live = || state.meetings.values().filter(move |m| m.expires_at_ms > now);
        let (servers, reach) = least_loaded(state.servers.values().collect(), |s| s, read.depth);
        let servers: Vec<Server> = servers.into_iter().cloned().collect();
        let placed_on = |id: &str| live().filter(|m| m.server_id == id).count() as u64;
        let of_tenant = |id: &str| live().filter(|m| m.tenant_id == id).count() as u64;
        let snapshot = PlacementSnapshot {
            current: read
                .requests
                .iter()
                .filter_map(|r| state.located(&r.meeting_id, r.now_ms).map(|found| (r.meeting_id.clone(), found)))
                .collect(),
            placed_meetings: servers
                .iter()
                .filter(|s| counts_meetings(s))
                .map(|s| (s.id.clone(), placed_on(&s.id)))
                .collect(),
            servers,
            reach,
            bridge_holders: state.holders(&read.voice_bridges(), now),
            tenant_meetings: read.counted_tenants().into_iter().map(|t| (t.to_owned(), of_tenant(t))).collect(),
        };
        Ok((snapshot, state.changes))
    }

    /// One commit for the whole batch: every plan or none.
    async fn commit_placement(&self, stamp: u64, plans: &[Planned]) -> StoreResult<Vec<Commit>> {
        let mut state = self.state();
        if !state.commit(stamp) {
            return Ok(vec![Commit::Raced; plans.len()]);
        }
        for planned in plans {
            match &planned.placed {
                Placed::Existing { meeting, .. } => {
                    state.meetings.insert(meeting.id.clone(), meeting.clone());
                }
                Placed::New { meeting, replaced, .. } => {
                    if let Some(old) = replaced {
                        state.forget(old);
                        state.add_load(&old.server_id, -planned.returned);
                    }
                    state.add_load(&meeting.server_id, meeting.reserved_load);
                    state.meetings.insert(meeting.id.clone(), meeting.clone());
                }
            }
        }
        Ok(vec![Commit::Committed(()); plans.len()])
    }

    async fn read_removal(&self, id: &str, now_ms: i64) -> StoreResult<(Option<Located>, u64)> {
        let state = self.state();
        Ok((state.located(id, now_ms), state.changes))
    }

    async fn commit_removal(&self, stamp: u64, meeting: &Meeting, returned: f64) -> StoreResult<Commit> {
        let mut state = self.state();
        let holds = state.commit(stamp);
        if holds {
            state.forget(meeting);
            state.add_load(&meeting.server_id, -returned);
        }
        Ok(Commit::held(holds))
    }

    async fn read_server(&self, id: &str) -> StoreResult<(Option<Server>, u64)> {
        let state = self.state();
        Ok((state.servers.get(id).cloned(), state.changes))
    }

    async fn commit_server(&self, stamp: u64, server: &Server) -> StoreResult<Commit<bool>> {
        let mut state = self.state();
        if !state.servers.contains_key(&server.id) {
            return Ok(Commit::Committed(false));
        }
        if !state.commit(stamp) {
            return Ok(Commit::Raced);
        }
        state.servers.insert(server.id.clone(), server.clone());
        Ok(Commit::Committed(true))
    }

    async fn commit_new_server(&self, server: &Server) -> StoreResult<()> {
        let mut state = self.state();
        if state.servers.contains_key(&server.id) {
            return Err(StoreError::Conflict(format!("server {}", server.id)));
        }
        state.changes += 1;
        state.servers.insert(server.id.clone(), server.clone());
        Ok(())
    }

    async fn commit_server_removal(&self, id: &str) -> StoreResult<bool> {
        let mut state = self.state();
        state.changes += 1;
        Ok(state.servers.remove(id).is_some())
    }

    async fn read_polls(&self, batch: &[(String, PollReport)]) -> StoreResult<(Vec<Option<PollSnapshot>>, u64)> {
        let state = self.state();
        let snapshots = batch
            .iter()
            .map(|(id, report)| {
                let server = state.servers.get(id)?.clone();
                let now = report.now_ms;
                let mut placed: Vec<Meeting> =
                    state.meetings.values().filter(|m| m.server_id == *id && m.expires_at_ms > now).cloned().collect();
                placed.sort_by(|a, b| a.id.cmp(&b.id));
                let others = unplaced(report, &placed);
                let elsewhere: Vec<Meeting> =
                    others.iter().filter_map(|entry| state.live(&entry.meeting_id, now)).cloned().collect();
                let bridges: Vec<&str> =
                    others.iter().map(|entry| entry.voice_bridge.as_str()).filter(|b| !b.is_empty()).collect();
                let held_bridges = state.holders(&bridges, now).into_keys().collect();
                Some(PollSnapshot { server, placed, elsewhere, held_bridges })
            })
            .collect();
        Ok((snapshots, state.changes))
    }

    async fn commit_polls(
        &self,
        stamp: u64,
        batch: &[(String, PollReport)],
        plans: Vec<Option<PollPlan>>,
    ) -> StoreResult<Vec<Commit<PollOutcome>>> {
        let mut state = self.state();
        if !state.commit(stamp) {
            return Ok(plans.iter().map(|_| Commit::Raced).collect());
        }
        let mut outcomes = Vec::with_capacity(plans.len());
        for ((_, report), plan) in batch.iter().zip(plans) {
            let Some(plan) = plan.filter(|plan| state.servers.contains_key(&plan.server.id)) else {
                outcomes.push(Commit::Committed(PollOutcome::default()));
                continue;
            };
            for meeting in plan.ended.iter().chain(&plan.released) {
                state.forget(meeting);
            }
            for running in &plan.running {
                if let Some(meeting) = state.meetings.get_mut(&running.id).filter(|m| m.server_id == plan.server.id) {
                    meeting.expires_at_ms = plan.expires_at_ms;
                    meeting.participants = running.participants;
                    meeting.confirmed_at_ms = meeting.confirmed_at_ms.or(Some(report.now_ms));
                }
            }
            for meeting in &plan.adopted {
                let taken = state.live(&meeting.id, report.now_ms).is_some()
                    || state
                        .holders(&[meeting.voice_bridge.as_str()], report.now_ms)
                        .values()
                        .any(|holder| *holder != meeting.id);
                if !taken {
                    state.meetings.insert(meeting.id.clone(), meeting.clone());
                }
            }
            let outcome = plan.outcome();
            state.servers.insert(plan.server.id.clone(), plan.server);
            outcomes.push(Commit::Committed(outcome));
        }
        Ok(outcomes)
    }

    async fn read_join(&self, meeting_id: &str, now_ms: i64) -> StoreResult<JoinSnapshot> {
        let state = self.state();
        Ok(match state.located(meeting_id, now_ms) {
            Some((_, server)) => JoinSnapshot::Placed(server),
            None => JoinSnapshot::NoMeeting,
        })
    }

    async fn count_join(&self, meeting_id: &str, server_id: &str, load: Option<f64>) -> StoreResult<()> {
        let mut state = self.state();
        if let Some(meeting) = state.meetings.get_mut(meeting_id).filter(|m| m.server_id == server_id) {
            meeting.participants += 1;
        }
        if let Some(load) = load {
            state.add_load(server_id, load);
        }
        Ok(())
    }

    async fn commit_confirmation(&self, meeting: &Meeting, now_ms: i64) -> StoreResult<()> {
        let mut state = self.state();
        if let Some(stored) = state.meetings.get_mut(&meeting.id)
            && stored.is_same_placement(meeting)
            && stored.create_sent_at_ms == meeting.create_sent_at_ms
        {
            stored.confirmed_at_ms = Some(now_ms);
        }
        Ok(())
    }

    async fn list_servers(&self) -> StoreResult<Vec<Server>> {
        Ok(self.state().servers.values().cloned().collect())
    }

    async fn find_server(&self, id: &str) -> StoreResult<Option<Server>> {
        Ok(self.state().servers.get(id).cloned())
    }

    async fn find_meeting(&self, id: &str, now_ms: i64) -> StoreResult<Option<Meeting>> {
        Ok(self.state().live(id, now_ms).cloned())
    }

    async fn list_meetings_on(&self, server_id: &str, now_ms: i64) -> StoreResult<Vec<Meeting>> {
        let state = self.state();
        let mut on: Vec<Meeting> =
            state.meetings.values().filter(|m| m.server_id == server_id && m.expires_at_ms > now_ms).cloned().collect();
        on.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(on)
    }

    async fn list_tenant_meetings(&self, tenant_id: &str, now_ms: i64) -> StoreResult<Vec<Meeting>> {
        let state = self.state();
        let of_tenant = state.meetings.values().filter(|m| m.tenant_id == tenant_id && m.expires_at_ms > now_ms);
        Ok(of_tenant.cloned().collect())
    }

    async fn find_by_voice_bridge(&self, number: &str, now_ms: i64) -> StoreResult<Option<Meeting>> {
        let state = self.state();
        Ok(state.meetings.values().find(|m| m.voice_bridge == number && m.expires_at_ms > now_ms).cloned())
    }

    async fn ping_backend(&self) -> StoreResult<()> {
        Ok(())
    }

    fn handle_state(&self) -> &HandleState {
        &self.handle
    }

    async fn read_store_time(&self) -> StoreResult<i64> {
        Ok(self.state().clock.now_ms())
    }
}

#[async_trait]
impl LeaseStore for MemoryStore {
    async fn acquire_lease(&self, name: &str, holder: &str, ttl_ms: i64) -> StoreResult<bool> {
        let now_ms = self.now_ms().await?;
        let mut state = self.state();
        let free = state.leases.get(name).is_none_or(|(by, until)| by == holder || *until <= now_ms);
        if free {
            state.leases.insert(name.to_owned(), (holder.to_owned(), now_ms.saturating_add(ttl_ms)));
        }
        Ok(free)
    }

    async fn release_lease(&self, name: &str, holder: &str) -> StoreResult<()> {
        let mut state = self.state();
        if state.leases.get(name).is_some_and(|(by, _)| by == holder) {
            state.leases.remove(name);
        }
        Ok(())
    }
}

#[async_trait]
impl TokenStore for MemoryStore {
    async fn put_token(&self, token: &str, value: &str, ttl_ms: i64) -> StoreResult<()> {
        let now_ms = self.now_ms().await?;
        let mut state = self.state();
        state.tokens.retain(|_, (_, until)| *until > now_ms);
        state.tokens.insert(token.to_owned(), (value.to_owned(), now_ms.saturating_add(ttl_ms)));
        Ok(())
    }

    async fn take_token(&self, token: &str) -> StoreResult<Option<String>> {
        let now_ms = self.now_ms().await?;
        let taken = self.state().tokens.remove(token);
        Ok(taken.filter(|(_, until)| *until > now_ms).map(|(value, _)| value))
    }
}
