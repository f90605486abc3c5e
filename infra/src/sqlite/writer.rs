//! The single writer: one write transaction at a time in this process, queued in order rather than left to
//! SQLite's sleeping busy handler; `BEGIN IMMEDIATE`, and the ledger's pending writes (join load, create
//! confirmations) written first; each commit moves the database's change counter on.

use std::sync::Arc;

use scalelite_shared::store::StoreResult;
use sqlx::{Sqlite, SqliteConnection, SqlitePool, Transaction};
use tokio::sync::{Mutex, OwnedMutexGuard};

use super::backend;
use super::changes::Changes;
use super::ledger::Ledger;

/// Opens write transactions.
#[derive(Clone)]
pub(crate) struct Writer {
    pool: SqlitePool,
    turn: Arc<Mutex<()>>,
    changes: Arc<Changes>,
    pub ledger: Arc<Ledger>,
}

/// A write transaction holding this process's write turn until it commits or drops.
pub struct WriteTx {
    tx: Transaction<'static, Sqlite>,
    changes: Arc<Changes>,
    _turn: OwnedMutexGuard<()>,
}

impl Writer {
    pub fn new(pool: SqlitePool, changes: Arc<Changes>) -> Self {
        Self { pool, turn: Arc::default(), changes, ledger: Arc::default() }
    }

    /// Waits for the write turn, then begins; the transaction sees every server's full load.
    pub async fn begin(&self) -> StoreResult<WriteTx> {
        let turn = self.turn.clone().lock_owned().await;
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await.map_err(backend)?;
        self.ledger.write(&mut tx).await?;
        Ok(WriteTx { tx, changes: self.changes.clone(), _turn: turn })
    }
}

impl WriteTx {
    pub fn conn(&mut self) -> &mut SqliteConnection {
        &mut self.tx
    }

    /// Commits, then moves the change counter on (what readers kept from before is dropped).
    pub async fn commit(self) -> StoreResult<()> {
        self.tx.commit().await.map_err(backend)?;
        if let Err(error) = self.changes.bump() {
            tracing::warn!(%error, "could not move the change counter on; joins may read kept servers for a second");
        }
        Ok(())
    }
}
