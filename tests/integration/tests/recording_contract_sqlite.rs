//! The recording-store contract on the embedded SQLite store.

use std::sync::Arc;

use scalelite_infra::sqlite::SqliteStore;
use scalelite_shared::store::RecordingBackend;

async fn open() -> Option<(Arc<dyn RecordingBackend>, tempfile::TempDir)> {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(&dir.path().join("recordings.db")).await.expect("sqlite store");
    Some((Arc::new(store), dir))
}

scalelite_integration_tests::recording_contract!(open());
