//! The single writer: one write transaction at a time in this process, queued in order rather than left to
//! SQLite's sleeping busy handler; `BEGIN IMMEDIATE`, and pending join load written first.

use std::sync::Arc;

use scalelite_shared::store::StoreResult;
use sqlx::{Sqlite, SqliteConnection, SqlitePool, Transaction};
use tokio::sync::{Mutex, OwnedMutexGuard};

use super::backend;
use super::join_ledger::JoinLedger;

/// Opens write transactions.
#[derive(Clone)]
pub(crate) struct Writer {
    pool: SqlitePool,
    turn: Arc<Mutex<()>>,
    pub joins: Arc<JoinLedger>,
}

/// A write transaction holding this process's write turn until it commits or drops.
pub(crate) struct WriteTx {
    tx: Transaction<'static, Sqlite>,
    _turn: OwnedMutexGuard<()>,
}

impl Writer {
    pub fn new(pool: SqlitePool) -> Self {
        Self { pool, turn: Arc::default(), joins: Arc::default() }
    }

    /// Waits for the write turn, then begins; the transaction sees every server's full load.
    pub async fn begin(&self) -> StoreResult<WriteTx> {
        let turn = self.turn.clone().lock_owned().await;
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await.map_err(backend)?;
        self.joins.write(&mut tx).await?;
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
