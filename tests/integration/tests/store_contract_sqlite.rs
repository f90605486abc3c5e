//! The store contract (meetings and tenants) on the embedded SQLite store.

use std::sync::Arc;

use scalelite_infra::sqlite::SqliteStore;

async fn open() -> Option<(Arc<SqliteStore>, tempfile::TempDir)> {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(&dir.path().join("contract.db")).await.expect("sqlite store");
    Some((Arc::new(store), dir))
}

scalelite_integration_tests::store_contract!(open());
scalelite_integration_tests::store_contract!(open(); tenants_are_kept);
