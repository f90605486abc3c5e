//! Reads of the embedded store on rusqlite connections: point reads on the hot path (joins) used in place (a
//! read of a memory-mapped WAL database takes microseconds, less than handing the statement to a worker thread
//! and back), and getRecordings queries on the reader's own threads, every statement of one on the same
//! connection.

use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
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

/// Read-only connections to the store's file, opened on demand, and the threads that run long reads.
pub(crate) struct Reader {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    /// The queue of the threads that run long reads, started by the first.
    reads: OnceLock<flume::Sender<LongRead>>,
}

/// A long read waiting for a thread.
type LongRead = Box<dyn FnOnce() + Send>;

/// How many threads run long reads: as many as connections are kept. A burst of reads waits its turn for them,
/// so the process holds the same threads (each with its own allocator heap) however reads overlap.
const READ_THREADS: usize = KEPT;

fn backend(error: rusqlite::Error) -> StoreError {
    StoreError::Backend(error.to_string())
}

impl Reader {
    pub fn new(path: &Path) -> Self {
        Self { path: path.to_owned(), idle: Mutex::new(Vec::new()), reads: OnceLock::new() }
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

    /// The queue of the threads that run long reads, which the first starts. Each thread waits on the queue
    /// until the reader is dropped.
    fn reads(&self) -> StoreResult<&flume::Sender<LongRead>> {
        if let Some(reads) = self.reads.get() {
            return Ok(reads);
        }
        let (reads, queue) = flume::unbounded::<LongRead>();
        for i in 0..READ_THREADS {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("sqlite-read-{i}"))
                .spawn(move || {
                    for job in queue.iter() {
                        // A read that panics drops its answer, so its caller gets an error; the thread goes on.
                        if std::panic::catch_unwind(AssertUnwindSafe(job)).is_err() {
                            tracing::error!("a read of the embedded store panicked");
                        }
                    }
                })
                .map_err(|e| StoreError::Backend(format!("cannot start the store's read threads: {e}")))?;
        }
        Ok(self.reads.get_or_init(|| reads))
    }

    /// Runs `read` on one of the reader's threads: a read of many rows holds its thread longer than an async task
    /// should.
    pub async fn long_read<T: Send + 'static>(
        self: &Arc<Self>,
        read: impl FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> StoreResult<T> {
        let (answer, answered) = tokio::sync::oneshot::channel();
        let reader = Arc::clone(self);
        let job: LongRead = Box::new(move || {
            // The caller may have gone; nothing waits for the answer then.
            let _ = answer.send(reader.with(read));
        });
        self.reads()?.send(job).map_err(|_| StoreError::Backend("the store's read threads have stopped".into()))?;
        answered.await.map_err(|_| StoreError::Backend("a read of the database stopped before it answered".into()))?
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

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    fn reader_of_a_new_file() -> (tempfile::TempDir, Arc<Reader>) {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("store.db");
        Connection::open(&path).and_then(|conn| conn.execute_batch("CREATE TABLE t (x)")).expect("a database file");
        let reader = Arc::new(Reader::new(&path));
        (dir, reader)
    }

    fn rows_of_t(conn: &Connection) -> rusqlite::Result<i64> {
        conn.query_row("SELECT count(*) FROM t", [], |row| row.get(0))
    }

    /// A read's answer, or a failed test if none comes: a read lost in the queue would otherwise hang the test.
    async fn answer<T>(read: impl Future<Output = StoreResult<T>>) -> StoreResult<T> {
        tokio::time::timeout(Duration::from_secs(10), read).await.expect("the read answers within 10 s")
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_burst_of_reads_takes_no_more_threads_than_the_bound() {
        let (_dir, reader) = reader_of_a_new_file();
        let reads = (0..64).map(|_| {
            reader.long_read(|conn| {
                rows_of_t(conn)?;
                std::thread::sleep(Duration::from_millis(5));
                Ok(std::thread::current().id())
            })
        });
        let all = async { futures::future::join_all(reads).await.into_iter().collect::<StoreResult<HashSet<_>>>() };
        let threads = answer(all).await.expect("every read answers");
        assert!(threads.len() <= READ_THREADS, "{} threads ran 64 reads", threads.len());
    }

    #[tokio::test]
    async fn reads_that_panic_answer_errors_and_the_next_read_runs() {
        let (_dir, reader) = reader_of_a_new_file();
        // More than there are threads: each thread must outlive the read that panicked on it.
        for _ in 0..=READ_THREADS {
            let panicked = answer(reader.long_read(|_| -> rusqlite::Result<()> { panic!("a read gone wrong") })).await;
            assert!(matches!(panicked, Err(StoreError::Backend(_))), "{panicked:?}");
        }
        assert_eq!(answer(reader.long_read(rows_of_t)).await.expect("a read after a panic"), 0);
    }
}
