//! Writes that wait for the writer, gathered in memory and written in batches: SQLite has a single writer, and
//! neither a join nor a create's confirmation should wait for it. Join load and participants: reads add what is
//! pending.
//! Confirmations: only polls read them, inside a write transaction. Every write transaction (placements and
//! polls among them) writes what is pending first.

use std::sync::Mutex;
use std::time::Duration;

use scalelite_shared::model::{Meeting, Server};
use scalelite_shared::store::StoreResult;
use sqlx::SqliteConnection;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use super::writer::Writer;
use super::{meetings, servers};
use crate::pending_joins::{Joined, PendingJoins};

/// How long pending writes gather before they are written.
const GATHER: Duration = Duration::from_millis(500);

/// A create BBB answered: the placement it was for, and when.
struct Confirmation {
    meeting: Meeting,
    at_ms: i64,
}

/// Participants joined per server and confirmed creates, not yet written.
#[derive(Default)]
pub(crate) struct Ledger {
    pending: PendingJoins,
    confirmations: Mutex<Vec<Confirmation>>,
    wake: Notify,
}

impl Ledger {
    /// Counts one participant joining `meeting_id` on `server_id`, adding `load` to the server when given.
    pub fn count(&self, meeting_id: &str, server_id: &str, load: Option<f64>) {
        self.pending.count(meeting_id, server_id, load);
        self.wake.notify_one();
    }

    /// Records that BBB answered the create sent for `meeting` at `at_ms`.
    pub fn confirm(&self, meeting: &Meeting, at_ms: i64) {
        let confirmation = Confirmation { meeting: meeting.clone(), at_ms };
        self.confirmations.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).push(confirmation);
        self.wake.notify_one();
    }

    /// Adds the pending joins to a server read from the database.
    pub fn overlay(&self, server: Server) -> Server {
        self.pending.overlay(server)
    }

    /// Adds the pending joins to a meeting read from the database.
    pub fn overlay_meeting(&self, meeting: Meeting) -> Meeting {
        self.pending.overlay_meeting(meeting)
    }

    fn confirmations(&self) -> std::sync::MutexGuard<'_, Vec<Confirmation>> {
        self.confirmations.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Takes every pending join and confirmation, to be written by a transaction ([`Taken::write`]); what it
    /// does not commit goes back with [`restore`](Self::restore).
    pub fn take(&self) -> Taken {
        Taken { confirmations: std::mem::take(&mut *self.confirmations()), joins: self.pending.take() }
    }

    /// Puts back what a transaction took and did not commit.
    pub fn restore(&self, taken: Taken) {
        self.confirmations().extend(taken.confirmations);
        self.pending.restore(taken.joins);
    }
}

/// Pending writes a transaction took from the ledger.
pub(crate) struct Taken {
    confirmations: Vec<Confirmation>,
    joins: Joined,
}

impl Taken {
    /// Writes them inside the caller's transaction.
    pub async fn write(&self, db: &mut SqliteConnection) -> StoreResult<()> {
        for confirmation in &self.confirmations {
            meetings::confirm(&mut *db, &confirmation.meeting, confirmation.at_ms).await?;
        }
        for (server_id, load) in &self.joins.load {
            servers::add_load(&mut *db, server_id, *load).await?;
        }
        for (meeting_id, (server_id, participants)) in &self.joins.participants {
            meetings::add_participants(&mut *db, meeting_id, server_id, *participants).await?;
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
                writer.ledger.wake.notified().await;
                tokio::time::sleep(GATHER).await;
                let written = async { writer.begin().await?.commit().await };
                if let Err(error) = written.await {
                    tracing::warn!(%error, "could not write the pending join load and confirmations; the next write transaction tries again");
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
