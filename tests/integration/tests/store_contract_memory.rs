//! The store contract (meetings) on the in-memory store: the domain's loop over ports with no loop of their own.

use std::sync::Arc;

use scalelite_infra::memory::MemoryStore;
use scalelite_integration_tests::contract::Store;

async fn open() -> Option<(Arc<MemoryStore>, MemoryStore)> {
    let store = MemoryStore::default();
    Some((Arc::new(store.replica()), store))
}

/// Another replica's handle on the same state.
async fn replica(store: &MemoryStore) -> Store {
    Arc::new(store.replica())
}

scalelite_integration_tests::store_contract!(open(), replica);
