//! The import ledger port: what the importer made of each source file, so in-place imports stay idempotent.

use std::collections::HashMap;

use async_trait::async_trait;

use super::StoreResult;

/// What the importer remembers of one source file (a metadata.xml read in place).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportMark {
    pub modified_ms: i64,
    pub size: i64,
    /// Why the import failed; `None` when it succeeded.
    pub failure: Option<String>,
}

/// The importer's ledger of source files.
#[async_trait]
pub trait ImportLedger: Send + Sync {
    /// Every source file the importer has seen, by path.
    async fn import_marks(&self) -> StoreResult<HashMap<String, ImportMark>>;
    /// Remembers what the importer made of a source file.
    async fn mark_import(&self, source: &str, mark: &ImportMark) -> StoreResult<()>;
}
