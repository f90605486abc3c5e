//! The recordings port: the index of recordings (upstream keeps it in PostgreSQL), its queries and edits,
//! the import ledger that keeps in-place imports idempotent, and the callback URLs front-ends gave at create.

use std::collections::HashMap;

use async_trait::async_trait;

use super::StoreResult;
use crate::model::{CallbackData, Recording};

/// Which recordings a getRecordings (or publish, update, delete) call means. Lists are OR-ed inside,
/// filters AND-ed together; an empty list does not filter.
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

/// What the importer remembers of one source file (a metadata.xml read in place).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportMark {
    pub modified_ms: i64,
    pub size: i64,
    /// Why the import failed; `None` when it succeeded.
    pub failure: Option<String>,
}

/// The recordings index. Every method is atomic on its backend.
#[async_trait]
pub trait RecordingStore: Send + Sync {
    /// Inserts or updates a recording from its metadata.xml: columns by recordID, metadata keys one by one,
    /// formats by name with their thumbnails replaced. A recording whose `publish_updated` is set keeps its
    /// stored `published` and `state`. Returns the recording as stored.
    async fn import_recording(&self, recording: &Recording) -> StoreResult<Recording>;
    /// Recordings matching `query`, newest first.
    async fn recordings(&self, query: &RecordingQuery) -> StoreResult<Vec<Recording>>;
    /// Sets `published`, its state, and `publish_updated`.
    async fn set_published(&self, record_id: &str, published: bool) -> StoreResult<()>;
    /// Applies `edits` to every one of `record_ids`; true when anything changed.
    async fn update_recordings(&self, record_ids: &[String], edits: &RecordingEdits) -> StoreResult<bool>;
    /// Forgets a recording's metadata and formats and marks it deleted (the row stays, as upstream).
    async fn delete_recording(&self, record_id: &str) -> StoreResult<()>;
    /// Every source file the importer has seen, by path.
    async fn import_marks(&self) -> StoreResult<HashMap<String, ImportMark>>;
    /// Remembers what the importer made of a source file.
    async fn mark_import(&self, source: &str, mark: &ImportMark) -> StoreResult<()>;
    /// Remembers the callback URLs of `meeting_id`, replacing any it had.
    async fn save_callbacks(&self, meeting_id: &str, callbacks: &CallbackData) -> StoreResult<()>;
    /// The callback URLs remembered for `meeting_id`.
    async fn callbacks(&self, meeting_id: &str) -> StoreResult<Option<CallbackData>>;
    /// Checks the backend answers.
    async fn ping(&self) -> StoreResult<()>;
}
