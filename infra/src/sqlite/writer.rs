//! The single writer: one write transaction at a time in this process, queued in order rather than left to
//! SQLite's sleeping busy handler; `BEGIN IMMEDIATE`, and the ledger's pending writes (join load, create
//! confirmations) written first; each commit moves the database's change counter on.

use std::sync::Arc;

use scalelite_shared::store::StoreResult;
use sqlx::{Sqlite, SqliteConnection, SqlitePool, Transaction};
use tokio::sync::{Mutex, OwnedMutexGuard};

use super::backend;
use super::changes::Changes;
use super::ledger::{Ledger, Taken};

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
    pending: Pending,
    _turn: OwnedMutexGuard<()>,
}

/// The ledger's pending writes a transaction took: given back to the ledger unless the transaction commits (a
/// plan with nothing to write, a refusal or a failure drops it).
struct Pending {
    ledger: Arc<Ledger>,
    taken: Option<Taken>,
}

impl Drop for Pending {
    fn drop(&mut self) {
        if let Some(taken) = self.taken.take() {
            self.ledger.restore(taken);
        }
    }
}

impl Writer {
    pub fn new(pool: SqlitePool, changes: Arc<Changes>) -> Self {
        Self { pool, turn: Arc::default(), changes, ledger: Arc::default() }
    }

    /// Waits for the write turn, then begins; the transaction sees every server's full load.
    pub async fn begin(&self) -> StoreResult<WriteTx> {
        let turn = self.turn.clone().lock_owned().await;
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await.map_err(backend)?;
        let pending = Pending { ledger: self.ledger.clone(), taken: Some(self.ledger.take()) };
        if let Some(taken) = &pending.taken {
            taken.write(&mut tx).await?;
        }
        Ok(WriteTx { tx, changes: self.changes.clone(), pending, _turn: turn })
    }
}

impl WriteTx {
    pub fn conn(&mut self) -> &mut SqliteConnection {
        &mut self.tx
    }

    /// Commits, then moves the change counter on (what readers kept from before is dropped).
    pub async fn commit(self) -> StoreResult<()> {
        let WriteTx { tx, changes, mut pending, _turn } = self;
        tx.commit().await.map_err(backend)?;
        pending.taken = None;
        if let Err(error) = changes.bump() {
            tracing::warn!(%error, "could not move the change counter on; joins may read kept servers for a second");
        }
        Ok(())
    }
}
