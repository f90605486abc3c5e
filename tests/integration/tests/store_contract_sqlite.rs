//! The store contract on the embedded SQLite store.

use std::sync::Arc;

use scalelite_infra::sqlite::SqliteStore;
use scalelite_shared::store::MeetingStore;

async fn open() -> Arc<dyn MeetingStore> {
    // The directory lives as long as the test process; each case gets its own file.
    let dir = tempfile::tempdir().expect("temp dir").keep();
    Arc::new(SqliteStore::open(&dir.join("contract.db")).await.expect("sqlite store"))
}

scalelite_integration_tests::store_contract!(open());
