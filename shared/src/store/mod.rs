//! The store ports, narrow and by concern: servers, meetings (placement and poll), leases, tokens, tenants,
//! the recordings index, the import ledger and the callback URLs. Handlers see [`ServerStore`] and
//! [`MeetingStore`]; adapters implement [`MeetingPorts`] (reads with a stamp, commits that hold only while it
//! does), and the domain (`crate::domain`) serves the first two over the third, with the rules of `balance`.

use async_trait::async_trait;

use crate::balance::load::LoadRules;
use crate::balance::tenant::TenantUsage;
use crate::model::{Meeting, Server, ServerUpdate};

mod callbacks;
mod import_ledger;
mod ports;
mod recording_files;
mod recordings;
mod tenants;

pub use crate::balance::join::{JoinSnapshot, JoinTarget};
pub use crate::balance::placement::{Placed, Placement, Refusal};
pub use crate::balance::poll::{PollOutcome, PollReport};
pub use callbacks::CallbackStore;
pub use import_ledger::{ImportLedger, ImportMark};
pub use ports::{Commit, Located, MeetingPorts};
pub use recording_files::{Delivery, RecordingFiles, SpoolWriter, SpooledTar};
pub use recordings::{RecordingEdits, RecordingIndex, RecordingQuery};
pub use tenants::TenantStore;

/// A store failure: the backend could not be reached or refused the change.
#[derive(Clone, Debug, thiserror::Error)]
pub enum StoreError {
    #[error("store backend: {0}")]
    Backend(String),
    #[error("{0} already exists")]
    Conflict(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Why a meeting could not be placed: the rules refused, or the store failed.
#[derive(Debug, thiserror::Error)]
pub enum PlaceError {
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The pool's servers.
#[async_trait]
pub trait ServerStore: Send + Sync {
    async fn servers(&self) -> StoreResult<Vec<Server>>;
    async fn server(&self, id: &str) -> StoreResult<Option<Server>>;
    /// Adds a server; `Conflict` if the id is taken.
    async fn add_server(&self, server: &Server) -> StoreResult<()>;
    /// Changes a server atomically; entering `disabled` forgets its load, leaving it keeps or awaits a poll.
    async fn update_server(&self, id: &str, update: &ServerUpdate) -> StoreResult<Option<Server>>;
    async fn delete_server(&self, id: &str) -> StoreResult<bool>;
    /// Checks the backend answers.
    async fn ping(&self) -> StoreResult<()>;
}

/// Meetings: placement, joins and polls, each decided by `balance` and committed atomically.
#[async_trait]
pub trait MeetingStore: Send + Sync {
    /// The store's time: the `now_ms` of every call below, so that times written by replicas whose clocks
    /// disagree are compared on one clock.
    async fn now_ms(&self) -> StoreResult<i64>;
    /// A meeting that has not expired at `now_ms`.
    async fn meeting(&self, id: &str, now_ms: i64) -> StoreResult<Option<Meeting>>;
    async fn meetings_on(&self, server_id: &str, now_ms: i64) -> StoreResult<Vec<Meeting>>;
    /// What tenant `tenant_id`'s live meetings hold at `now_ms`: how many, and their participants (each one's last
    /// poll count plus the joins since).
    async fn tenant_usage(&self, tenant_id: &str, now_ms: i64) -> StoreResult<TenantUsage>;
    /// The meeting that holds voice bridge `number` and has not expired at `now_ms` (dial-in).
    async fn meeting_by_voice_bridge(&self, number: &str, now_ms: i64) -> StoreResult<Option<Meeting>>;
    /// Commits [`balance::placement::plan`](crate::balance::placement::plan) for the request: the meeting
    /// kept, or placed with its reservation and voice bridge (replacing its old placement) in one step.
    async fn place_meeting(&self, placement: &Placement) -> Result<Placed, PlaceError>;
    /// BBB answered the create sent for this placement: the meeting is confirmed at `now_ms`.
    async fn confirm_meeting(&self, meeting: &Meeting, now_ms: i64) -> StoreResult<()>;
    /// Forgets a meeting, frees its voice bridge and gives its reservation back to its server.
    async fn delete_meeting(&self, id: &str, load: &LoadRules, now_ms: i64) -> StoreResult<Option<Meeting>>;
    /// The server a join goes to; one participant's load is added when the server counts joins.
    async fn join_meeting(&self, meeting_id: &str, now_ms: i64) -> StoreResult<JoinTarget>;
    /// Commits [`balance::poll::plan`](crate::balance::poll::plan) for one server's poll result.
    async fn record_poll(&self, server_id: &str, report: &PollReport) -> StoreResult<PollOutcome>;
    /// Commits several servers' poll results, one outcome per `(server_id, report)` in order; each is what
    /// [`record_poll`](Self::record_poll) would give.
    async fn record_polls(&self, reports: &[(String, PollReport)]) -> Vec<StoreResult<PollOutcome>>;
}

/// Leases that keep job passes of several replicas from overlapping.
#[async_trait]
pub trait LeaseStore: Send + Sync {
    /// Takes (or renews) the lease `name` for `holder` until `ttl_ms` after `now_ms`; false while another
    /// holder has it.
    async fn acquire_lease(&self, name: &str, holder: &str, ttl_ms: i64) -> StoreResult<bool>;
    /// Gives the lease back if `holder` has it.
    async fn release_lease(&self, name: &str, holder: &str) -> StoreResult<()>;
}

/// Single-use tokens of protected recordings.
#[async_trait]
pub trait TokenStore: Send + Sync {
    /// Keeps a token with its value for `ttl_ms` after `now_ms`.
    async fn put_token(&self, token: &str, value: &str, ttl_ms: i64) -> StoreResult<()>;
    /// Takes a token: its value if it has not expired at `now_ms`; it is gone afterwards either way.
    async fn take_token(&self, token: &str) -> StoreResult<Option<String>>;
}

/// A backend that holds all of the meeting side: servers, meetings, leases and tokens.
pub trait MeetingBackend: ServerStore + MeetingStore + LeaseStore + TokenStore {}

impl<T: ServerStore + MeetingStore + LeaseStore + TokenStore> MeetingBackend for T {}

/// A backend that holds all of the recordings side: the index, the import ledger and the callback URLs.
pub trait RecordingBackend: RecordingIndex + ImportLedger + CallbackStore {}

impl<T: RecordingIndex + ImportLedger + CallbackStore> RecordingBackend for T {}
