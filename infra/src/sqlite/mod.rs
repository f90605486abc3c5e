//! The embedded store: servers, meetings and the recordings index in one SQLite file (WAL, busy timeout, `BEGIN IMMEDIATE`).

#[macro_use]
mod rows;
mod callbacks;
mod changes;
mod empty_store;
mod import_marks;
mod ledger;
mod meetings;
mod poll;
mod ports;
mod reader;
mod recordings;
mod select;
mod servers;
mod tenants;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use scalelite_shared::domain::handle::HandleState;
use scalelite_shared::store::{LeaseStore, MeetingStore, StoreError, StoreResult, TokenStore};
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
    /// The domain's state of this handle (the store's clock as followed, the placement turn).
    handle: Arc<HandleState>,
}

/// The migrations of the embedded store.
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// Rows a query may buffer before its connection's thread waits for the reader.
const ROW_BUFFER: usize = 1024;

/// The file SQLite or the store keeps beside the database at `db`: its name with `suffix` added.
fn beside(db: &Path, suffix: &str) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

pub(crate) fn backend(error: sqlx::Error) -> StoreError {
    StoreError::Backend(error.to_string())
}

impl SqliteStore {
    /// Opens the database file (a new one starts as the prebuilt empty store) and brings its schema up to date.
    pub async fn open(path: &Path) -> StoreResult<Self> {
        // Where it cannot be laid down, SQLite creates the file and the migrations run one by one instead.
        if let Err(e) = empty_store::lay_down(path) {
            tracing::warn!("the empty store was not laid down at {}: {e}", path.display());
        }
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            // Rows handed from the connection's thread in larger runs: a poll batch reads thousands, and every
            // time the buffer fills the two threads wake each other.
            .row_buffer_size(ROW_BUFFER)
            // Every commit drops each connection's page cache; mapped reads refill it without system calls.
            .pragma("mmap_size", reader::MMAP_SIZE.to_string());
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            // A connection to a local file cannot have hung up: no ping (a round trip to the connection's thread)
            // before each use.
            .test_before_acquire(false)
            .connect_with(options)
            .await
            .map_err(|e| StoreError::Backend(format!("cannot open the database file {}: {e}", path.display())))?;
        MIGRATOR.run(&pool).await.map_err(|e| StoreError::Backend(e.to_string()))?;
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
            handle: Arc::default(),
        })
    }

    async fn write(&self) -> StoreResult<WriteTx> {
        self.writer.begin().await
    }
}

#[async_trait]
impl LeaseStore for SqliteStore {
    async fn acquire_lease(&self, name: &str, holder: &str, ttl_ms: i64) -> StoreResult<bool> {
        let now_ms = self.now_ms().await?;
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
    async fn put_token(&self, token: &str, value: &str, ttl_ms: i64) -> StoreResult<()> {
        let now_ms = self.now_ms().await?;
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

    async fn take_token(&self, token: &str) -> StoreResult<Option<String>> {
        let now_ms = self.now_ms().await?;
        let taken: Option<(String, i64)> =
            sqlx::query_as("DELETE FROM recording_tokens WHERE token = ? RETURNING value, expires_at_ms")
                .bind(token)
                .fetch_optional(&self.pool)
                .await
                .map_err(backend)?;
        Ok(taken.filter(|(_, expires)| *expires > now_ms).map(|(value, _)| value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two handles opening one new store at once, each on its own thread and runtime, end up on one store.
    #[test]
    fn handles_opening_one_new_store_at_once_share_it() {
        for round in 0..20 {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("shared.db");
            let start = std::sync::Barrier::new(2);
            let stores: Vec<SqliteStore> = std::thread::scope(|scope| {
                let opening: Vec<_> = (0..2)
                    .map(|_| {
                        scope.spawn(|| {
                            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                            start.wait();
                            runtime.block_on(SqliteStore::open(&path)).unwrap()
                        })
                    })
                    .collect();
                opening.into_iter().map(|handle| handle.join().unwrap()).collect()
            });
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            runtime.block_on(async {
                assert!(stores[0].acquire_lease("poll", "first", 60_000).await.unwrap());
                assert!(
                    !stores[1].acquire_lease("poll", "second", 60_000).await.unwrap(),
                    "round {round}: the second handle does not see the first's lease"
                );
            });
            let left: Vec<_> = std::fs::read_dir(dir.path())
                .unwrap()
                .map(|entry| entry.unwrap().file_name().into_string().unwrap())
                .filter(|name| name.starts_with(".scalelite-empty-store"))
                .collect();
            assert!(left.is_empty(), "round {round}: {left:?} left behind");
        }
    }
}
