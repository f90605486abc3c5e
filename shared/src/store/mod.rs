//! The store port: servers and meetings, every multi-step change one atomic operation of the adapter.

use async_trait::async_trait;

use crate::balance::health::HealthRules;
use crate::balance::load::LoadRules;
use crate::balance::tags::TagRequest;
use crate::bbb::meetings_xml::MeetingEntry;
use crate::model::{Meeting, Server, ServerUpdate};

mod recordings;
mod tenants;

pub use recordings::{ImportMark, RecordingEdits, RecordingQuery, RecordingStore};
pub use tenants::TenantStore;

/// A store failure: the backend could not be reached or refused the change.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("store backend: {0}")]
    Backend(String),
    #[error("{0} already exists")]
    Conflict(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// What a create asks the store to do for one meetingID.
#[derive(Clone, Debug)]
pub struct Placement {
    pub meeting_id: String,
    pub tenant_id: String,
    pub tags: TagRequest,
    /// Used only when a new meeting is placed.
    pub moderator_pw: String,
    /// Voice bridge numbers to try, in order; the first free one is taken.
    pub voice_bridges: Vec<String>,
    pub load: LoadRules,
    pub ttl_ms: i64,
    pub now_ms: i64,
}

/// Where a create goes.
#[derive(Clone, Debug, PartialEq)]
pub enum Placed {
    /// The meeting already runs on a server that can take it.
    Existing { meeting: Meeting, server: Server },
    /// The meeting was placed now (`replaced` is the previous placement on a dead server, if any).
    New { meeting: Meeting, server: Server, replaced: Option<Meeting> },
}

/// Why a meeting could not be placed.
#[derive(Debug, thiserror::Error)]
pub enum PlaceError {
    #[error("no available server")]
    NoServer,
    #[error("no available server with tags {0}")]
    TagUnavailable(String),
    #[error("no free voice bridge")]
    VoiceBridgeExhausted,
    #[error("the meeting belongs to another tenant")]
    OtherTenant,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The result of polling one server.
#[derive(Clone, Debug)]
pub struct PollReport {
    /// When the poll request was sent: meetings placed later are never taken for ended.
    pub started_at_ms: i64,
    /// The meetings the server reported, or `None` if it could not be polled.
    pub meetings: Option<Vec<MeetingEntry>>,
    pub health: HealthRules,
    pub load: LoadRules,
    /// Meetings the server still reports live this much longer (`DEFAULT_MEETING_TTL`).
    pub ttl_ms: i64,
}

/// What recording a poll changed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PollOutcome {
    pub online: bool,
    pub load: Option<f64>,
    /// The server went offline: these meetings were released from it.
    pub released: Vec<Meeting>,
    /// Placed meetings the server no longer reports: removed as ended.
    pub ended: Vec<String>,
    /// A cordoned server with no load left was disabled.
    pub drained: bool,
}

/// Where a join goes.
#[derive(Clone, Debug, PartialEq)]
pub enum JoinTarget {
    /// No live meeting with that id.
    NoMeeting,
    /// The meeting's server is offline, disabled or gone.
    Unavailable,
    /// The meeting's server, which now counts the participant's load.
    Server(Server),
}

/// Servers and meetings. Implementations make each method atomic on their backend.
#[async_trait]
pub trait MeetingStore: Send + Sync {
    async fn servers(&self) -> StoreResult<Vec<Server>>;
    async fn server(&self, id: &str) -> StoreResult<Option<Server>>;
    /// Adds a server; `Conflict` if the id is taken.
    async fn add_server(&self, server: &Server) -> StoreResult<()>;
    /// Changes a server; entering `disabled` forgets its load, leaving it keeps or awaits a poll.
    async fn update_server(&self, id: &str, update: &ServerUpdate) -> StoreResult<Option<Server>>;
    async fn delete_server(&self, id: &str) -> StoreResult<bool>;
    /// Applies one poll result: health, figures, load, ended meetings, release when it goes offline,
    /// and the drain of a cordoned server.
    async fn record_poll(&self, server_id: &str, report: &PollReport) -> StoreResult<PollOutcome>;

    /// A meeting that has not expired.
    async fn meeting(&self, id: &str) -> StoreResult<Option<Meeting>>;
    async fn meetings_on(&self, server_id: &str) -> StoreResult<Vec<Meeting>>;
    /// Returns the meeting's server if it can take it, or places the meeting on the least loaded matching
    /// server, reserving load and a voice bridge, all in one atomic step. A meeting on an offline, disabled
    /// or deleted server is placed anew.
    async fn place_meeting(&self, placement: &Placement) -> Result<Placed, PlaceError>;
    async fn delete_meeting(&self, id: &str) -> StoreResult<Option<Meeting>>;
    /// The server a join goes to; when it takes joins, one participant's load (times its multiplier) is
    /// added to it.
    async fn join_meeting(&self, meeting_id: &str) -> StoreResult<JoinTarget>;
    /// Checks the backend answers.
    async fn ping(&self) -> StoreResult<()>;

    /// Takes (or renews) the lease `name` for `holder` until `ttl_ms` from now; false while another holder
    /// has it. Keeps job passes from several replicas from overlapping.
    async fn acquire_lease(&self, name: &str, holder: &str, ttl_ms: i64) -> StoreResult<bool>;
    /// Gives the lease back if `holder` has it.
    async fn release_lease(&self, name: &str, holder: &str) -> StoreResult<()>;

    /// Keeps a single-use token (protected recordings) with its value for `ttl_ms`.
    async fn put_token(&self, token: &str, value: &str, ttl_ms: i64) -> StoreResult<()>;
    /// Takes a token: its value if it exists and has not expired; it is gone afterwards either way.
    async fn take_token(&self, token: &str) -> StoreResult<Option<String>>;
}
