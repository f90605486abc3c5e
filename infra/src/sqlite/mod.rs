//! The embedded store: servers and meetings in one SQLite file (WAL, busy timeout, `BEGIN IMMEDIATE`).

mod meetings;
mod poll;
mod rows;
mod servers;

use std::path::Path;
use std::time::Duration;

use async_trait::async_trait;
use scalelite_shared::model::{Meeting, Server, ServerUpdate};
use scalelite_shared::store::{
    MeetingStore, PlaceError, Placed, Placement, PollOutcome, PollReport, StoreError, StoreResult,
};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqlitePool, Transaction};

/// The SQLite-backed store; cheap to clone.
#[derive(Clone, Debug)]
pub struct SqliteStore {
    pool: SqlitePool,
}

pub(crate) fn backend(error: sqlx::Error) -> StoreError {
    StoreError::Backend(error.to_string())
}

impl SqliteStore {
    /// Opens (creating if needed) the database file and brings its schema up to date.
    pub async fn open(path: &Path) -> StoreResult<Self> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await
            .map_err(backend)?;
        sqlx::migrate!("./migrations/sqlite")
            .run(&pool)
            .await
            .map_err(|e| StoreError::Backend(e.to_string()))?;
        Ok(Self { pool })
    }

    /// A write transaction that takes the write lock up front, so read-then-write never fails as busy.
    async fn write(&self) -> StoreResult<Transaction<'static, Sqlite>> {
        self.pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(backend)
    }
}

#[async_trait]
impl MeetingStore for SqliteStore {
    async fn servers(&self) -> StoreResult<Vec<Server>> {
        servers::all(&self.pool).await
    }

    async fn server(&self, id: &str) -> StoreResult<Option<Server>> {
        servers::find(&self.pool, id).await
    }

    async fn add_server(&self, server: &Server) -> StoreResult<()> {
        servers::insert(&self.pool, server).await
    }

    async fn update_server(&self, id: &str, update: &ServerUpdate) -> StoreResult<Option<Server>> {
        let mut tx = self.write().await?;
        let updated = servers::update(&mut tx, id, update).await?;
        tx.commit().await.map_err(backend)?;
        Ok(updated)
    }

    async fn delete_server(&self, id: &str) -> StoreResult<bool> {
        servers::delete(&self.pool, id).await
    }

    async fn record_poll(&self, server_id: &str, report: &PollReport) -> StoreResult<PollOutcome> {
        let mut tx = self.write().await?;
        let outcome = poll::record(&mut tx, server_id, report).await?;
        tx.commit().await.map_err(backend)?;
        Ok(outcome)
    }

    async fn meeting(&self, id: &str) -> StoreResult<Option<Meeting>> {
        meetings::find_live(&self.pool, id).await
    }

    async fn meetings_on(&self, server_id: &str) -> StoreResult<Vec<Meeting>> {
        meetings::on_server(&self.pool, server_id).await
    }

    async fn place_meeting(&self, placement: &Placement) -> Result<Placed, PlaceError> {
        let mut tx = self.write().await?;
        let placed = meetings::place(&mut tx, placement).await?;
        tx.commit().await.map_err(backend)?;
        Ok(placed)
    }

    async fn delete_meeting(&self, id: &str) -> StoreResult<Option<Meeting>> {
        meetings::delete(&self.pool, id).await
    }

    async fn add_participant_load(&self, server_id: &str) -> StoreResult<()> {
        servers::add_participant_load(&self.pool, server_id).await
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map(|_| ())
            .map_err(backend)
    }
}
