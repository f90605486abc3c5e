//! scalelite-infra: the adapters behind the store ports (embedded SQLite, Redis, PostgreSQL for recordings)
//! and the recording files, chosen by configuration.

pub mod postgres;
mod recording_rows;
pub mod recordings_fs;
pub mod redis;
pub mod sqlite;

use std::sync::Arc;

use scalelite_shared::config::Config;
use scalelite_shared::store::{MeetingStore, RecordingStore, StoreError, TenantStore};

/// The stores the configuration names.
pub struct Stores {
    pub meetings: Arc<dyn MeetingStore>,
    pub recordings: Arc<dyn RecordingStore>,
    pub tenants: Arc<dyn TenantStore>,
}

/// The meeting and tenant stores, and the embedded store when they are it (recordings may share it).
type MeetingSide = (Arc<dyn MeetingStore>, Arc<dyn TenantStore>, Option<Arc<sqlite::SqliteStore>>);

/// Opens the configured stores: meetings and tenants in Redis when `REDIS_URL` is set, else in the embedded SQLite file;
/// recordings in PostgreSQL when `DATABASE_URL` is set, else in the embedded file (the same one when both are
/// embedded).
pub async fn open_stores(config: &Config) -> Result<Stores, StoreError> {
    let embedded = || sqlite::SqliteStore::open(&config.sqlite_path);
    let (meetings, tenants, local): MeetingSide = match &config.redis_url {
        Some(url) => {
            let store = Arc::new(redis::RedisStore::open(url, &config.redis_namespace).await?);
            (store.clone(), store, None)
        }
        None => {
            let store = Arc::new(embedded().await?);
            (store.clone(), store.clone(), Some(store))
        }
    };
    let recordings: Arc<dyn RecordingStore> = match (&config.database_url, local) {
        (Some(url), _) => Arc::new(postgres::PostgresRecordings::open(url).await?),
        (None, Some(store)) => store,
        (None, None) => Arc::new(embedded().await?),
    };
    Ok(Stores { meetings, recordings, tenants })
}
