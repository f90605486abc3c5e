//! The recordings index port (upstream keeps the index in PostgreSQL): imports, getRecordings queries and
//! the edits of publishRecordings, updateRecordings and deleteRecordings.

use async_trait::async_trait;

use super::StoreResult;
use crate::model::Recording;

/// Which recordings a getRecordings (or publish, update, delete) call means. Lists are OR-ed inside,
/// filters AND-ed together; an empty list does not filter. [`recordings::plan`](crate::recordings::plan)
/// decides what it means, once for every store.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RecordingQuery {
    /// Exact recordIDs.
    pub record_ids: Vec<String>,
    /// recordID prefixes (case-sensitive).
    pub record_id_prefixes: Vec<String>,
    /// Exact front-end meetingIDs.
    pub meeting_ids: Vec<String>,
    /// Allowed states; `None` allows every state.
    pub states: Option<Vec<String>>,
    /// `meta_<key>=<v1,v2>` filters: a recording matches if any one of them matches (upstream's rule).
    pub meta: Vec<(String, Vec<String>)>,
    /// Only recordings with this `tenant-id` metadata.
    pub tenant_id: Option<String>,
    pub offset: u64,
    pub limit: Option<u64>,
}

/// Changes updateRecordings applies to every listed recording.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RecordingEdits {
    /// Metadata keys to set (`Some`) or delete (`None`).
    pub metadata: Vec<(String, Option<String>)>,
    pub protect: Option<bool>,
}

/// The recordings index. Every method is atomic on its backend.
#[async_trait]
pub trait RecordingIndex: Send + Sync {
    /// Inserts or updates each of `recordings` from its metadata.xml as
    /// [`recordings::merged`](crate::recordings::merged) says, in their order (a recordID listed twice merges
    /// twice). Returns each as stored once the whole batch is written. A SQL store writes the batch in one
    /// transaction; elsewhere each recording is atomic and a failure may leave the first ones written, which
    /// importing them again leaves as they are.
    async fn import_recordings(&self, recordings: &[Recording]) -> StoreResult<Vec<Recording>>;
    /// Recordings matching `query`, as its [`plan`](crate::recordings::plan) selects, orders and pages them.
    async fn recordings(&self, query: &RecordingQuery) -> StoreResult<Vec<Recording>>;
    /// Sets `published`, its state, and `publish_updated`.
    async fn set_published(&self, record_id: &str, published: bool) -> StoreResult<()>;
    /// Applies `edits` to every one of `record_ids`; true when anything changed.
    async fn update_recordings(&self, record_ids: &[String], edits: &RecordingEdits) -> StoreResult<bool>;
    /// Forgets a recording's metadata and formats and marks it deleted (the row stays, as upstream).
    async fn delete_recording(&self, record_id: &str) -> StoreResult<()>;
    /// Checks the backend answers.
    async fn ping(&self) -> StoreResult<()>;
}
