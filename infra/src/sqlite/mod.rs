//! The embedded store: servers, meetings and the recordings index in one SQLite file (WAL, busy timeout, `BEGIN IMMEDIATE`).

#[macro_use]
mod rows;
mod callbacks;
mod changes;
mod import_marks;
mod ledger;
mod meetings;
mod poll;
mod reader;
mod recordings;
mod select;
mod servers;
mod tenants;
mod writer;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use scalelite_shared::balance::load::LoadRules;
use scalelite_shared::model::{Meeting, Server, ServerUpdate};
use scalelite_shared::store::{
    JoinTarget, LeaseStore, MeetingStore, PlaceError, Placed, Placement, PollOutcome, PollReport, ServerStore,
    StoreError, StoreResult, TokenStore,
};
use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use crate::join_servers::JoinServers;

use changes::Changes;
use ledger::Flusher;
use reader::Reader;
use writer::{WriteTx, Writer};

/// The SQLite-backed store; cheap to clone.
#[derive(Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    reader: Arc<Reader>,
    changes: Arc<Changes>,
    joins: Arc<JoinServers<u64>>,
    writer: Writer,
    _flusher: Arc<Flusher>,
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
            .busy_timeout(Duration::from_secs(10))
            // Every commit drops each connection's page cache; mapped reads refill it without system calls.
            .pragma("mmap_size", "268435456");
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await
            .map_err(|e| StoreError::Backend(format!("cannot open the database file {}: {e}", path.display())))?;
        sqlx::migrate!("./migrations/sqlite").run(&pool).await.map_err(|e| StoreError::Backend(e.to_string()))?;
        let changes = Arc::new(Changes::open(path).map_err(|e| {
            StoreError::Backend(format!("cannot open the change counter {}: {e}", changes::path_of(path).display()))
        })?);
        let writer = Writer::new(pool.clone(), changes.clone());
        let flusher = Arc::new(Flusher::start(writer.clone()));
        Ok(Self {
            pool,
            reader: Arc::new(Reader::new(path)),
            changes,
            joins: Arc::default(),
            writer,
            _flusher: flusher,
        })
    }

    async fn write(&self) -> StoreResult<WriteTx> {
        self.writer.begin().await
    }

    /// The join target of a live meeting, kept from an earlier join while the database has not changed, else
    /// read (the counter is read first, so what is kept is never older than the value it is kept under).
    fn join_target(&self, meeting_id: &str, now_ms: i64) -> StoreResult<JoinTarget> {
        let counter = self.changes.current();
        if let Some(server) = counter.and_then(|counter| self.joins.get(meeting_id, &counter, now_ms)) {
            return Ok(JoinTarget::Server(server));
        }
        let (target, expires_at_ms) = self.reader.join_target(meeting_id, now_ms)?;
        if let (Some(counter), JoinTarget::Server(server), Some(expires_at_ms)) = (counter, &target, expires_at_ms) {
            self.joins.put(meeting_id, counter, server, expires_at_ms);
        }
        Ok(target)
    }
}

#[async_trait]
impl ServerStore for SqliteStore {
    async fn servers(&self) -> StoreResult<Vec<Server>> {
        Ok(servers::all(&self.pool).await?.into_iter().map(|s| self.writer.ledger.overlay(s)).collect())
    }

    async fn server(&self, id: &str) -> StoreResult<Option<Server>> {
        Ok(servers::find(&self.pool, id).await?.map(|s| self.writer.ledger.overlay(s)))
    }

    async fn add_server(&self, server: &Server) -> StoreResult<()> {
        let mut tx = self.write().await?;
        servers::insert(tx.conn(), server).await?;
        tx.commit().await
    }

    async fn update_server(&self, id: &str, update: &ServerUpdate) -> StoreResult<Option<Server>> {
        let mut tx = self.write().await?;
        let updated = servers::update(tx.conn(), id, update).await?;
        tx.commit().await?;
        Ok(updated)
    }

    async fn delete_server(&self, id: &str) -> StoreResult<bool> {
        let mut tx = self.write().await?;
        let deleted = servers::delete(tx.conn(), id).await?;
        tx.commit().await?;
        Ok(deleted)
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await.map(|_| ()).map_err(backend)
    }
}

#[async_trait]
impl MeetingStore for SqliteStore {
    async fn meeting(&self, id: &str, now_ms: i64) -> StoreResult<Option<Meeting>> {
        meetings::find_live(&self.pool, id, now_ms).await
    }

    async fn meetings_on(&self, server_id: &str, now_ms: i64) -> StoreResult<Vec<Meeting>> {
        let mut db = self.pool.acquire().await.map_err(backend)?;
        Ok(meetings::on_servers(&mut db, &[server_id], now_ms).await?.remove(server_id).unwrap_or_default())
    }

    async fn meeting_by_voice_bridge(&self, number: &str, now_ms: i64) -> StoreResult<Option<Meeting>> {
        meetings::holding_bridge(&self.pool, number, now_ms).await
    }

    async fn place_meeting(&self, placement: &Placement) -> Result<Placed, PlaceError> {
        let mut tx = self.write().await?;
        let placed = meetings::place(tx.conn(), placement).await?;
        tx.commit().await?;
        Ok(placed)
    }

    async fn confirm_meeting(&self, meeting: &Meeting, now_ms: i64) -> StoreResult<()> {
        // Written with the next write transaction (within half a second): every poll is one, so a poll always
        // reads the confirmations made before it.
        self.writer.ledger.confirm(meeting, now_ms);
        Ok(())
    }

    async fn delete_meeting(&self, id: &str, load: &LoadRules, now_ms: i64) -> StoreResult<Option<Meeting>> {
        let mut tx = self.write().await?;
        let deleted = meetings::delete(tx.conn(), id, load, now_ms).await?;
        tx.commit().await?;
        Ok(deleted)
    }

    async fn join_meeting(&self, meeting_id: &str, now_ms: i64) -> StoreResult<JoinTarget> {
        let target = self.join_target(meeting_id, now_ms)?;
        if let JoinTarget::Server(server) = &target
            && let Some(load) = server.join_load()
        {
            self.writer.ledger.count(&server.id, load);
        }
        Ok(target)
    }

    async fn record_poll(&self, server_id: &str, report: &PollReport) -> StoreResult<PollOutcome> {
        let mut outcomes = self.record_polls(&[(server_id.to_owned(), report.clone())]).await;
        outcomes.pop().unwrap_or_else(|| Ok(PollOutcome::default()))
    }

    async fn record_polls(&self, reports: &[(String, PollReport)]) -> Vec<StoreResult<PollOutcome>> {
        let written = async {
            let mut tx = self.write().await?;
            let outcomes = poll::record_all(tx.conn(), reports).await?;
            tx.commit().await?;
            Ok::<_, StoreError>(outcomes)
        };
        match written.await {
            Ok(outcomes) => outcomes.into_iter().map(Ok).collect(),
            Err(error) => reports.iter().map(|_| Err(error.clone())).collect(),
        }
    }
}

#[async_trait]
impl LeaseStore for SqliteStore {
    async fn acquire_lease(&self, name: &str, holder: &str, ttl_ms: i64, now_ms: i64) -> StoreResult<bool> {
        let taken = sqlx::query(
            "INSERT INTO leases (name, holder, expires_at_ms) VALUES (?1, ?2, ?3) ON CONFLICT (name) DO UPDATE \
             SET holder = excluded.holder, expires_at_ms = excluded.expires_at_ms \
             WHERE leases.holder = excluded.holder OR leases.expires_at_ms <= ?4",
        )
        .bind(name)
        .bind(holder)
        .bind(now_ms.saturating_add(ttl_ms))
        .bind(now_ms)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(taken.rows_affected() == 1)
    }

    async fn release_lease(&self, name: &str, holder: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM leases WHERE name = ? AND holder = ?")
            .bind(name)
            .bind(holder)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(())
    }
}

#[async_trait]
impl TokenStore for SqliteStore {
    async fn put_token(&self, token: &str, value: &str, ttl_ms: i64, now_ms: i64) -> StoreResult<()> {
        let mut tx = self.write().await?;
        sqlx::query("DELETE FROM recording_tokens WHERE expires_at_ms <= ?")
            .bind(now_ms)
            .execute(tx.conn())
            .await
            .map_err(backend)?;
        sqlx::query("INSERT OR REPLACE INTO recording_tokens (token, value, expires_at_ms) VALUES (?, ?, ?)")
            .bind(token)
            .bind(value)
            .bind(now_ms.saturating_add(ttl_ms))
            .execute(tx.conn())
            .await
            .map_err(backend)?;
        tx.commit().await
    }

    async fn take_token(&self, token: &str, now_ms: i64) -> StoreResult<Option<String>> {
        let taken: Option<(String, i64)> =
            sqlx::query_as("DELETE FROM recording_tokens WHERE token = ? RETURNING value, expires_at_ms")
                .bind(token)
                .fetch_optional(&self.pool)
                .await
                .map_err(backend)?;
        Ok(taken.filter(|(_, expires)| *expires > now_ms).map(|(value, _)| value))
    }
}
