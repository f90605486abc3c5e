//! Join load, counted in memory and written in batches: SQLite has a single writer, and a join should not
//! wait for it. Reads add what is pending; placements and polls write it first, inside their transaction.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use scalelite_shared::model::Server;
use scalelite_shared::store::StoreResult;
use sqlx::SqliteConnection;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use super::backend;
use super::writer::Writer;

/// How long increments gather before they are written.
const GATHER: Duration = Duration::from_millis(500);

/// Participants joined per server, not yet written.
#[derive(Default)]
pub(crate) struct JoinLedger {
    pending: Mutex<HashMap<String, u64>>,
    wake: Notify,
}

impl JoinLedger {
    fn pending(&self) -> MutexGuard<'_, HashMap<String, u64>> {
        self.pending.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Counts one join on `server_id`.
    pub fn count(&self, server_id: &str) {
        *self.pending().entry(server_id.to_owned()).or_default() += 1;
        self.wake.notify_one();
    }

    /// Adds the pending joins to a server read from the database.
    pub fn overlay(&self, mut server: Server) -> Server {
        if let (Some(load), Some(&joins)) = (server.load, self.pending().get(&server.id)) {
            server.load = Some(load + joins as f64 * server.load_multiplier);
        }
        server
    }

    /// Writes every pending join inside the caller's transaction.
    pub async fn write(&self, db: &mut SqliteConnection) -> StoreResult<()> {
        let taken = std::mem::take(&mut *self.pending());
        for (server_id, joins) in taken {
            sqlx::query("UPDATE servers SET load = load + ? * load_multiplier WHERE id = ? AND load IS NOT NULL")
                .bind(i64::try_from(joins).unwrap_or(i64::MAX))
                .bind(server_id)
                .execute(&mut *db)
                .await
                .map_err(backend)?;
        }
        Ok(())
    }
}

/// The background writer; stops when the last store handle is dropped.
pub(crate) struct Flusher(JoinHandle<()>);

impl Flusher {
    pub fn start(writer: Writer) -> Self {
        Self(tokio::spawn(async move {
            loop {
                writer.joins.wake.notified().await;
                tokio::time::sleep(GATHER).await;
                let written = async { writer.begin().await?.commit().await };
                if let Err(error) = written.await {
                    tracing::warn!(%error, "could not write join load; the next poll measures it");
                }
            }
        }))
    }
}

impl Drop for Flusher {
    fn drop(&mut self) {
        self.0.abort();
    }
}
