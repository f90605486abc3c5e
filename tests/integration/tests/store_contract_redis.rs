//! The store contract (meetings and tenants) on Redis, in upstream Scalelite's key layout (a fresh namespace per case).

use std::sync::Arc;

use scalelite_infra::redis::RedisStore;
use scalelite_integration_tests::contract::Store;
use scalelite_integration_tests::{NamespaceCleanup, fresh_namespace, redis_url};

async fn open() -> Option<(Arc<RedisStore>, NamespaceCleanup)> {
    let url = redis_url().await?;
    let namespace = fresh_namespace("contract");
    let store = RedisStore::open(&url, &namespace).await.expect("redis store");
    Some((Arc::new(store), NamespaceCleanup { url, namespace }))
}

/// Another replica's connection to the same namespace.
async fn replica(cleanup: &NamespaceCleanup) -> Store {
    Arc::new(RedisStore::open(&cleanup.url, &cleanup.namespace).await.expect("redis store"))
}

scalelite_integration_tests::store_contract!(open(), replica);
scalelite_integration_tests::tenant_contract!(open());
