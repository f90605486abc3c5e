//! The meeting-side port an adapter implements: for each decision (place, remove, change a server, record
//! polls, join, confirm) a snapshot read that carries a stamp, and a commit that applies a plan only while the
//! stamp holds, answering committed or raced. The domain (`crate::domain`) plans from the snapshot with
//! `balance` and owns the retries; an adapter has no retry loop, and what it checks at commit is what the
//! plan was read from (and, for a new placement, the domain's guard).

use std::future::Future;

use super::StoreResult;
use crate::balance::join::JoinSnapshot;
use crate::balance::placement::{PlacementRead, PlacementSnapshot, Planned};
use crate::balance::poll::{PollOutcome, PollPlan, PollReport, PollSnapshot};
use crate::domain::handle::HandleState;
use crate::model::{Meeting, Server};

/// What a commit found.
#[derive(Clone, Debug, PartialEq)]
#[must_use]
pub enum Commit<T = ()> {
    /// The plan is written; `T` says what of it took effect where the plan allows a part to be passed over.
    Committed(T),
    /// Something the plan was made from changed first: nothing was written.
    Raced,
}

impl Commit {
    /// Committed when the stamp held (and the plan was written), raced otherwise.
    pub fn held(holds: bool) -> Commit {
        if holds { Commit::Committed(()) } else { Commit::Raced }
    }
}

impl<T> Commit<T> {
    /// `Some` when committed.
    pub fn committed(self) -> Option<T> {
        match self {
            Commit::Committed(done) => Some(done),
            Commit::Raced => None,
        }
    }
}

/// A live meeting with its server as read (`None` when the server is gone).
pub type Located = (Meeting, Option<Server>);

/// Reads and commits of the meeting side. Each `read_*` returns a snapshot and a stamp; the matching `commit_*`
/// takes the stamp back with the plan made from that snapshot. A store whose read holds a write lock until its
/// commit (the embedded store) never races; the others check their stamp atomically with the write.
pub trait MeetingPorts: Send + Sync {
    /// What a placement read saw.
    type PlaceStamp: Send;
    /// What a removal read saw.
    type RemoveStamp: Send;
    /// What a server read saw.
    type ServerStamp: Send;
    /// What a poll read saw.
    type PollStamp: Send;

    /// For the placements of `read`: each meeting's live placement (with its server), the servers that take new
    /// meetings in order of load then id up to `read.depth` (with the load of the next one as the reach, or all
    /// of them), which of the requested voice bridges live meetings hold, the live meetings placed on each server
    /// read that counts them (read after that server), and the live meetings of each counted tenant.
    fn read_placement(
        &self,
        read: PlacementRead<'_>,
    ) -> impl Future<Output = StoreResult<(PlacementSnapshot, Self::PlaceStamp)>> + Send;
    /// Writes each plan in order, answering for each on its own. A plan was made from the snapshot with the
    /// plans before it applied; a kept meeting's plan writes its create mark, a new one its placement with its
    /// reservation and voice bridge, replacing the meeting's old placement and giving back `returned` of the old
    /// server's load, and needs its guard to hold. A plan that finds what it was made from changed is raced
    /// (nothing of it written); the plans after it are tried each on its own, or (where each costs a request)
    /// answered raced too, to be planned again from a new read.
    fn commit_placement(
        &self,
        stamp: Self::PlaceStamp,
        plans: &[Planned],
    ) -> impl Future<Output = StoreResult<Vec<Commit>>> + Send;

    /// The live meeting `id` and its server.
    fn read_removal(
        &self,
        id: &str,
        now_ms: i64,
    ) -> impl Future<Output = StoreResult<(Option<Located>, Self::RemoveStamp)>> + Send;
    /// Forgets `meeting` (its voice bridge freed) and takes `returned` off its server's load, if it has one.
    fn commit_removal(
        &self,
        stamp: Self::RemoveStamp,
        meeting: &Meeting,
        returned: f64,
    ) -> impl Future<Output = StoreResult<Commit>> + Send;

    /// The server `id`.
    fn read_server(&self, id: &str) -> impl Future<Output = StoreResult<(Option<Server>, Self::ServerStamp)>> + Send;
    /// Writes the changed server; `Committed(false)` when it is gone.
    fn commit_server(
        &self,
        stamp: Self::ServerStamp,
        server: &Server,
    ) -> impl Future<Output = StoreResult<Commit<bool>>> + Send;
    /// Adds a server; `Conflict` if the id is taken.
    fn commit_new_server(&self, server: &Server) -> impl Future<Output = StoreResult<()>> + Send;
    /// Removes a server; false when there was none.
    fn commit_server_removal(&self, id: &str) -> impl Future<Output = StoreResult<bool>> + Send;

    /// Each polled server's snapshot (`None`: the server is gone), in the order of `batch` (no id twice).
    fn read_polls(
        &self,
        batch: &[(String, PollReport)],
    ) -> impl Future<Output = StoreResult<(Vec<Option<PollSnapshot>>, Self::PollStamp)>> + Send;
    /// Writes each server's plan (`None`: nothing), in order, answering for each server on its own: what took
    /// effect (a meeting to adopt, end or release that changed placement meanwhile is passed over), or raced.
    fn commit_polls(
        &self,
        stamp: Self::PollStamp,
        batch: &[(String, PollReport)],
        plans: Vec<Option<PollPlan>>,
    ) -> impl Future<Output = StoreResult<Vec<Commit<PollOutcome>>>> + Send;

    /// What a join for `meeting_id` depends on.
    fn read_join(&self, meeting_id: &str, now_ms: i64) -> impl Future<Output = StoreResult<JoinSnapshot>> + Send;
    /// Counts one participant into meeting `meeting_id` placed on `server_id` (until the next poll of the server
    /// counts again), and adds `load` to the server when given (only while it stays enabled with a known load).
    fn count_join(
        &self,
        meeting_id: &str,
        server_id: &str,
        load: Option<f64>,
    ) -> impl Future<Output = StoreResult<()>> + Send;

    /// Marks the placement's latest create as answered at `now_ms`, if it is still the latest.
    fn commit_confirmation(&self, meeting: &Meeting, now_ms: i64) -> impl Future<Output = StoreResult<()>> + Send;

    /// Every server, in id order, as the store holds it (with this process's pending join load).
    fn list_servers(&self) -> impl Future<Output = StoreResult<Vec<Server>>> + Send;
    fn find_server(&self, id: &str) -> impl Future<Output = StoreResult<Option<Server>>> + Send;
    /// A meeting that has not expired at `now_ms`.
    fn find_meeting(&self, id: &str, now_ms: i64) -> impl Future<Output = StoreResult<Option<Meeting>>> + Send;
    /// The live meetings placed on `server_id`, in id order.
    fn list_meetings_on(&self, server_id: &str, now_ms: i64) -> impl Future<Output = StoreResult<Vec<Meeting>>> + Send;
    /// The live meetings of tenant `tenant_id` (with the joins this handle counted and has not written yet).
    fn list_tenant_meetings(
        &self,
        tenant_id: &str,
        now_ms: i64,
    ) -> impl Future<Output = StoreResult<Vec<Meeting>>> + Send;
    /// The live meeting that holds voice bridge `number` (dial-in).
    fn find_by_voice_bridge(
        &self,
        number: &str,
        now_ms: i64,
    ) -> impl Future<Output = StoreResult<Option<Meeting>>> + Send;
    /// Checks the backend answers.
    fn ping_backend(&self) -> impl Future<Output = StoreResult<()>> + Send;

    /// What the domain keeps for this handle (the store's clock as followed, the placement turn).
    fn handle_state(&self) -> &HandleState;
    /// The store's own time, milliseconds since the Unix epoch, as the backend tells it.
    fn read_store_time(&self) -> impl Future<Output = StoreResult<i64>> + Send;
}
