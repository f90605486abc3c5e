//! Waiting for something a test cannot be told about: asking again until it holds or a limit passes.

use std::time::{Duration, Instant};

/// Whether `done` came true within `limit`, asked every 20 ms.
pub async fn came_true(limit: Duration, mut done: impl AsyncFnMut() -> bool) -> bool {
    let started = Instant::now();
    while !done().await {
        if started.elapsed() >= limit {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    true
}

/// Fails the test unless `done` comes true within `limit`.
pub async fn eventually(what: &str, limit: Duration, done: impl AsyncFnMut() -> bool) {
    assert!(came_true(limit, done).await, "{what} did not happen within {limit:?}");
}
