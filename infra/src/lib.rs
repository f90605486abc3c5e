//! scalelite-infra: the adapters behind the store ports, chosen by configuration.

pub mod sqlite;

use std::sync::Arc;

use scalelite_shared::config::Config;
use scalelite_shared::store::{MeetingStore, StoreError};

/// Opens the store the configuration names: the embedded SQLite file when no server store is set.
pub async fn open_meeting_store(config: &Config) -> Result<Arc<dyn MeetingStore>, StoreError> {
    if config.redis_url.is_some() {
        return Err(StoreError::Backend("REDIS_URL is set, but this build has only the embedded store".into()));
    }
    Ok(Arc::new(sqlite::SqliteStore::open(&config.sqlite_path).await?))
}
