//! The PostgreSQL recordings index, import ledger and callback URLs, in upstream Scalelite's own tables so both
//! can share one database.

mod callbacks;
mod edits;
mod import;
mod marks;
mod rows;
mod select;

use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use scalelite_shared::model::Recording;
use scalelite_shared::store::{RecordingEdits, RecordingIndex, RecordingQuery, StoreError, StoreResult};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgPool};

/// How long a call waits for a database connection before it fails: an outage fails fast.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(1);
/// A connection idle longer than this is pinged before a call uses it (the server may have restarted, or a
/// firewall dropped the idle socket); one used more recently is handed out as it is, saving a round trip a call.
const PING_WHEN_IDLE: Duration = Duration::from_secs(1);
/// How often the schema is tried again while the database does not answer.
const MIGRATE_RETRY: Duration = Duration::from_secs(2);

/// The recordings index over a PostgreSQL pool; cheap to clone.
#[derive(Clone)]
pub struct PostgresRecordings {
    pool: PgPool,
    /// The schema is up to date; until then the store reports itself not ready.
    migrated: Arc<AtomicBool>,
}

pub(crate) fn backend(error: sqlx::Error) -> StoreError {
    StoreError::Backend(error.to_string())
}

impl PostgresRecordings {
    /// Opens a pool on `url` without waiting for the database: a process that starts during an outage stays up
    /// (not ready) and connects when the database answers. Whatever part of upstream's schema is missing is
    /// created then (an upstream database is left as it is); calls fail within a second while it is down.
    pub async fn open(url: &str) -> StoreResult<Self> {
        // getRecordings' statement skips the filters a call leaves empty: plan it for each call's binds.
        let options =
            PgConnectOptions::from_str(url).map_err(backend)?.options([("plan_cache_mode", "force_custom_plan")]);
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .test_before_acquire(false)
            .before_acquire(|conn, meta| {
                Box::pin(async move {
                    if meta.idle_for > PING_WHEN_IDLE {
                        conn.ping().await?;
                    }
                    Ok(true)
                })
            })
            .connect_lazy_with(options);
        let store = Self { pool, migrated: Arc::default() };
        if let Err(error) = store.migrate().await {
            tracing::warn!(%error, "PostgreSQL does not answer yet; retrying in the background");
            let retrying = store.clone();
            tokio::spawn(async move {
                while retrying.migrate().await.is_err() {
                    tokio::time::sleep(MIGRATE_RETRY).await;
                }
                tracing::info!("PostgreSQL answers; the recordings index is ready");
            });
        }
        Ok(store)
    }

    /// Uses an existing pool, bringing its schema up to date first.
    pub async fn with_pool(pool: PgPool) -> StoreResult<Self> {
        let store = Self { pool, migrated: Arc::default() };
        store.migrate().await?;
        Ok(store)
    }

    async fn migrate(&self) -> StoreResult<()> {
        sqlx::migrate!("./migrations/postgres")
            .run(&self.pool)
            .await
            .map_err(|e| StoreError::Backend(e.to_string()))?;
        self.migrated.store(true, Ordering::Release);
        Ok(())
    }
}

#[async_trait]
impl RecordingIndex for PostgresRecordings {
    async fn import_recordings(&self, recordings: &[Recording]) -> StoreResult<Vec<Recording>> {
        import::import(&self.pool, recordings).await
    }

    /// A read that fails on a connection that no longer answers (the server restarted or closed it since it was
    /// last used) is read once more on another: a read changes nothing, so trying it again is safe.
    async fn recordings(&self, query: &RecordingQuery) -> StoreResult<Vec<Recording>> {
        let mut conn = self.pool.acquire().await.map_err(backend)?;
        match select::matching(&mut conn, query).await {
            Err(_) if conn.ping().await.is_err() => {
                conn.close_on_drop();
                drop(conn);
                let mut conn = self.pool.acquire().await.map_err(backend)?;
                select::matching(&mut conn, query).await
            }
            read => read,
        }
    }

    async fn set_published(&self, record_id: &str, published: bool) -> StoreResult<()> {
        edits::set_published(&self.pool, record_id, published).await
    }

    async fn update_recordings(&self, record_ids: &[String], edits: &RecordingEdits) -> StoreResult<bool> {
        edits::update(&self.pool, record_ids, edits).await
    }

    async fn delete_recording(&self, record_id: &str) -> StoreResult<()> {
        edits::delete(&self.pool, record_id).await
    }

    async fn ping(&self) -> StoreResult<()> {
        if !self.migrated.load(Ordering::Acquire) {
            return Err(StoreError::Backend("the recordings schema is not ready yet".into()));
        }
        sqlx::query("SELECT 1").execute(&self.pool).await.map(|_| ()).map_err(backend)
    }
}
