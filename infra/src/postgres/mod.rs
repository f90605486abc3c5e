//! The PostgreSQL recordings index, in upstream Scalelite's own tables so both can share one database.

mod callbacks;
mod edits;
mod import;
mod marks;
mod rows;
mod select;

use std::collections::HashMap;
use std::str::FromStr;

use async_trait::async_trait;
use scalelite_shared::model::{CallbackData, Recording};
use scalelite_shared::store::{ImportMark, RecordingEdits, RecordingQuery, RecordingStore, StoreError, StoreResult};
use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

/// The recordings index over a PostgreSQL pool; cheap to clone.
#[derive(Clone)]
pub struct PostgresRecordings {
    pool: PgPool,
}

pub(crate) fn backend(error: sqlx::Error) -> StoreError {
    StoreError::Backend(error.to_string())
}

impl PostgresRecordings {
    /// Connects to `url` and creates whatever part of upstream's schema is missing (an upstream database is
    /// left as it is).
    pub async fn open(url: &str) -> StoreResult<Self> {
        // getRecordings' statement skips the filters a call leaves empty: plan it for each call's binds.
        let options =
            PgConnectOptions::from_str(url).map_err(backend)?.options([("plan_cache_mode", "force_custom_plan")]);
        let pool = PgPoolOptions::new().max_connections(8).connect_with(options).await.map_err(backend)?;
        Self::with_pool(pool).await
    }

    /// Uses an existing pool, bringing its schema up to date first.
    pub async fn with_pool(pool: PgPool) -> StoreResult<Self> {
        sqlx::migrate!("./migrations/postgres").run(&pool).await.map_err(|e| StoreError::Backend(e.to_string()))?;
        Ok(Self { pool })
    }
}

#[async_trait]
impl RecordingStore for PostgresRecordings {
    async fn import_recording(&self, recording: &Recording) -> StoreResult<Recording> {
        import::import(&self.pool, recording).await
    }

    async fn recordings(&self, query: &RecordingQuery) -> StoreResult<Vec<Recording>> {
        let mut conn = self.pool.acquire().await.map_err(backend)?;
        select::matching(&mut conn, query).await
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

    async fn import_marks(&self) -> StoreResult<HashMap<String, ImportMark>> {
        marks::all(&self.pool).await
    }

    async fn mark_import(&self, source: &str, mark: &ImportMark) -> StoreResult<()> {
        marks::set(&self.pool, source, mark).await
    }

    async fn save_callbacks(&self, meeting_id: &str, callbacks: &CallbackData) -> StoreResult<()> {
        callbacks::save(&self.pool, meeting_id, callbacks).await
    }

    async fn callbacks(&self, meeting_id: &str) -> StoreResult<Option<CallbackData>> {
        callbacks::find(&self.pool, meeting_id).await
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await.map(|_| ()).map_err(backend)
    }
}
