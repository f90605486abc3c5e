//! The single writer: one write transaction at a time in this process, queued in order rather than left to
//! SQLite's sleeping busy handler; `BEGIN IMMEDIATE`, and the ledger's pending writes (join load, create
//! confirmations) written first.

use std::sync::Arc;

use scalelite_shared::store::StoreResult;
use sqlx::{Sqlite, SqliteConnection, SqlitePool, Transaction};
use tokio::sync::{Mutex, OwnedMutexGuard};

use super::backend;
use super::ledger::Ledger;

/// Opens write transactions.
#[derive(Clone)]
pub(crate) struct Writer {
    pool: SqlitePool,
    turn: Arc<Mutex<()>>,
    pub ledger: Arc<Ledger>,
}

/// A write transaction holding this process's write turn until it commits or drops.
pub(crate) struct WriteTx {
    tx: Transaction<'static, Sqlite>,
    _turn: OwnedMutexGuard<()>,
}

impl Writer {
    pub fn new(pool: SqlitePool) -> Self {
        Self { pool, turn: Arc::default(), ledger: Arc::default() }
    }

    /// Waits for the write turn, then begins; the transaction sees every server's full load.
    pub async fn begin(&self) -> StoreResult<WriteTx> {
        let turn = self.turn.clone().lock_owned().await;
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await.map_err(backend)?;
        self.ledger.write(&mut tx).await?;
        Ok(WriteTx { tx, _turn: turn })
    }
}

impl WriteTx {
    pub fn conn(&mut self) -> &mut SqliteConnection {
        &mut self.tx
    }

    pub async fn commit(self) -> StoreResult<()> {
        self.tx.commit().await.map_err(backend)
    }
}
