//! scalelite-infra: the adapters behind the store ports (embedded SQLite, Redis, PostgreSQL for recordings),
//! chosen by configuration.

pub mod postgres;
pub mod redis;
pub mod sqlite;

use std::sync::Arc;

use scalelite_shared::config::Config;
use scalelite_shared::store::{MeetingStore, StoreError};

/// Opens the store the configuration names: Redis when `REDIS_URL` is set, else the embedded SQLite file.
pub async fn open_meeting_store(config: &Config) -> Result<Arc<dyn MeetingStore>, StoreError> {
    match &config.redis_url {
        Some(url) => Ok(Arc::new(redis::RedisStore::open(url, &config.redis_namespace).await?)),
        None => Ok(Arc::new(sqlite::SqliteStore::open(&config.sqlite_path).await?)),
    }
}
