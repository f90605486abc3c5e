//! The store contract (meetings and tenants) on the embedded SQLite store.

use std::sync::Arc;

use scalelite_infra::sqlite::SqliteStore;
use scalelite_integration_tests::contract::Store;
use tempfile::TempDir;

async fn open() -> Option<(Arc<SqliteStore>, TempDir)> {
    let dir = tempfile::tempdir().expect("temporary directory");
    let store = SqliteStore::open(&dir.path().join("contract.db")).await.expect("sqlite store");
    Some((Arc::new(store), dir))
}

/// Another process's handle on the same file.
async fn replica(dir: &TempDir) -> Store {
    Arc::new(SqliteStore::open(&dir.path().join("contract.db")).await.expect("sqlite store"))
}

scalelite_integration_tests::store_contract!(open(), replica);
scalelite_integration_tests::tenant_contract!(open());
