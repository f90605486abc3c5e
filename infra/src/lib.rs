//! scalelite-infra: the adapters behind the store ports (embedded SQLite, Redis, PostgreSQL for recordings)
//! and the recording files, chosen by configuration.

pub mod postgres;
pub mod recordings_fs;
pub mod redis;
pub mod sqlite;

use std::sync::Arc;

use scalelite_shared::config::Config;
use scalelite_shared::store::{MeetingStore, RecordingStore, StoreError};

/// The stores the configuration names.
pub struct Stores {
    pub meetings: Arc<dyn MeetingStore>,
    pub recordings: Arc<dyn RecordingStore>,
}

/// Opens the configured stores: meetings in Redis when `REDIS_URL` is set, else in the embedded SQLite file;
/// recordings in PostgreSQL when `DATABASE_URL` is set, else in the embedded file (the same one when both are
/// embedded).
pub async fn open_stores(config: &Config) -> Result<Stores, StoreError> {
    let embedded = || sqlite::SqliteStore::open(&config.sqlite_path);
    let (meetings, local): (Arc<dyn MeetingStore>, Option<Arc<sqlite::SqliteStore>>) = match &config.redis_url {
        Some(url) => (Arc::new(redis::RedisStore::open(url, &config.redis_namespace).await?), None),
        None => {
            let store = Arc::new(embedded().await?);
            (store.clone(), Some(store))
        }
    };
    let recordings: Arc<dyn RecordingStore> = match (&config.database_url, local) {
        (Some(url), _) => Arc::new(postgres::PostgresRecordings::open(url).await?),
        (None, Some(store)) => store,
        (None, None) => Arc::new(embedded().await?),
    };
    Ok(Stores { meetings, recordings })
}
