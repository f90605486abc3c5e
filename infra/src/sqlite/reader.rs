//! Reads of the embedded store on rusqlite connections: point reads on the hot path (joins) used in place (a
//! read of a memory-mapped WAL database takes microseconds, less than handing the statement to a worker thread
//! and back), and getRecordings queries on a blocking thread, every statement of one on the same connection.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use scalelite_shared::model::Server;
use scalelite_shared::store::{JoinSnapshot, StoreError, StoreResult};

use super::rows::ServerRow;

/// Idle connections kept for reuse; more are opened under a burst and closed after it.
const KEPT: usize = 8;

/// A reader never waits long: in WAL mode only a database recovery holds readers back.
const BUSY: Duration = Duration::from_millis(500);

/// How much of the database file a connection maps: all of it up to SQLite's own cap (2 GiB), so that a large
/// recordings index is read without a system call a page.
pub(crate) const MMAP_SIZE: i64 = 1 << 31;

/// Read-only connections to the store's file, opened on demand.
pub(crate) struct Reader {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

fn backend(error: rusqlite::Error) -> StoreError {
    StoreError::Backend(error.to_string())
}

impl Reader {
    pub fn new(path: &Path) -> Self {
        Self { path: path.to_owned(), idle: Mutex::new(Vec::new()) }
    }

    fn idle(&self) -> MutexGuard<'_, Vec<Connection>> {
        self.idle.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn open(&self) -> rusqlite::Result<Connection> {
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI;
        let conn = Connection::open_with_flags(&self.path, flags)?;
        conn.busy_timeout(BUSY)?;
        // Every commit drops each connection's page cache; mapped reads refill it without system calls.
        conn.pragma_update(None, "mmap_size", MMAP_SIZE)?;
        Ok(conn)
    }

    /// Runs `read` on a blocking thread: a read of many rows holds its thread longer than an async task should.
    pub async fn blocking<T: Send + 'static>(
        self: &Arc<Self>,
        read: impl FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> StoreResult<T> {
        let reader = Arc::clone(self);
        tokio::task::spawn_blocking(move || reader.with(read))
            .await
            .map_err(|e| StoreError::Backend(format!("a read of the database stopped: {e}")))?
    }

    /// Runs `read` on an idle connection (or a new one), then keeps the connection for the next read.
    fn with<T>(&self, read: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> StoreResult<T> {
        let taken = self.idle().pop();
        let conn = match taken {
            Some(conn) => conn,
            None => self.open().map_err(|e| {
                StoreError::Backend(format!("cannot open the database file {}: {e}", self.path.display()))
            })?,
        };
        let result = read(&conn).map_err(backend);
        let mut idle = self.idle();
        if idle.len() < KEPT {
            idle.push(conn);
        }
        result
    }

    /// What a join for `meeting_id` depends on, with the meeting's expiry when its server was read: one indexed
    /// read on the common path.
    pub fn join_snapshot(&self, meeting_id: &str, now_ms: i64) -> StoreResult<(JoinSnapshot, Option<i64>)> {
        self.with(|conn| {
            let sql = concat!(
                "SELECT ",
                server_columns!("s."),
                ", m.expires_at_ms FROM meetings m JOIN servers s ON s.id = m.server_id \
                 WHERE m.id = ?1 AND m.expires_at_ms > ?2"
            );
            let read = |row: &rusqlite::Row<'_>| Ok((ServerRow::read(row)?, row.get::<_, i64>(ServerRow::COLUMNS)?));
            let row = conn.prepare_cached(sql)?.query_row(params![meeting_id, now_ms], read).optional()?;
            if let Some((server, expires_at_ms)) = row {
                return Ok((JoinSnapshot::Placed(Some(Server::from(server))), Some(expires_at_ms)));
            }
            // A live meeting whose server row is gone.
            let sql = "SELECT 1 FROM meetings WHERE id = ?1 AND expires_at_ms > ?2";
            let live = conn.prepare_cached(sql)?.exists(params![meeting_id, now_ms])?;
            Ok((if live { JoinSnapshot::Placed(None) } else { JoinSnapshot::NoMeeting }, None))
        })
    }
}
