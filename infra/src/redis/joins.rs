//! Join load on Redis: counted in memory and added to `server_load` in one pipeline a fraction of a second
//! later, so a join costs one round trip (its read); this process's reads add what is still pending. A server that left `server_load` meanwhile (cordoned,
//! disabled) gains nothing, as upstream's `ZADD XX INCR`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use scalelite_shared::model::Server;

use super::primary::Primary;
use crate::pending_joins::PendingJoins;

/// How long join load gathers before it is written.
const GATHER: Duration = Duration::from_millis(200);

/// The join load not yet written, and whether a write is on its way.
#[derive(Default)]
pub(crate) struct Joins {
    pending: PendingJoins,
    scheduled: AtomicBool,
}

impl Joins {
    /// Counts a join adding `load` on `server_id`; the first count of a batch schedules its write.
    pub fn count(self: &Arc<Self>, conn: &Primary, server_load: impl FnOnce() -> String, id: &str, load: f64) {
        self.pending.count(id, load);
        if self.scheduled.swap(true, Ordering::AcqRel) {
            return;
        }
        let (joins, conn, key) = (Arc::clone(self), conn.clone(), server_load());
        tokio::spawn(async move {
            tokio::time::sleep(GATHER).await;
            joins.scheduled.store(false, Ordering::Release);
            joins.write(conn, &key).await;
        });
    }

    /// Forgets the join load pending on `server_id`, whose load a poll is about to replace (as the embedded
    /// store writes pending joins before the poll's own write overwrites them).
    pub fn forget(&self, server_id: &str) {
        self.pending.forget(server_id);
    }

    /// Adds the join load still pending to a server as read.
    pub fn overlay(&self, server: Server) -> Server {
        self.pending.overlay(server)
    }

    async fn write(&self, mut conn: Primary, server_load: &str) {
        let pending = self.pending.take();
        if pending.is_empty() {
            return;
        }
        let mut pipe = redis::pipe();
        for (id, load) in &pending {
            pipe.cmd("ZADD").arg(server_load).arg("XX").arg("INCR").arg(load).arg(id).ignore();
        }
        if let Err(error) = pipe.query_async::<()>(&mut conn).await {
            tracing::warn!(%error, servers = pending.len(), "could not add the join load; the next poll measures it");
        }
    }
}
