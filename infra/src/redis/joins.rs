//! Joins on Redis: counted in memory and written in one pipeline a fraction of a second later, so a join costs
//! one round trip (its read); this process's reads add what is still pending. The load goes to `server_load`: a
//! server that left it meanwhile (cordoned, disabled) gains nothing, as upstream's `ZADD XX INCR`. The
//! participants go to the meeting's hash while it is still the placement joined.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use scalelite_shared::model::{Meeting, Server};

use super::keys::Keys;
use super::primary::Primary;
use crate::pending_joins::PendingJoins;

/// How long join load gathers before it is written.
const GATHER: Duration = Duration::from_millis(200);

/// Adds participants to a meeting hash (KEYS[1]) while it is placed on server ARGV[1]: a meeting gone meanwhile
/// is not made again. Sent with `EVAL`, so a pipeline needs no script loaded first.
const ADD_PARTICIPANTS: &str = "if redis.call('HGET', KEYS[1], 'server_id') == ARGV[1] then \
     redis.call('HINCRBY', KEYS[1], 'participants', ARGV[2]) end return 1";

/// The join load not yet written, and whether a write is on its way.
#[derive(Default)]
pub(crate) struct Joins {
    pending: PendingJoins,
    scheduled: AtomicBool,
}

impl Joins {
    /// Counts a join of `meeting_id` on `server_id`, adding `load` to the server when given; the first count of
    /// a batch schedules its write.
    pub fn count(self: &Arc<Self>, conn: &Primary, keys: &Keys, meeting_id: &str, server_id: &str, load: Option<f64>) {
        self.pending.count(meeting_id, server_id, load);
        if self.scheduled.swap(true, Ordering::AcqRel) {
            return;
        }
        let (joins, conn, keys) = (Arc::clone(self), conn.clone(), keys.clone());
        tokio::spawn(async move {
            tokio::time::sleep(GATHER).await;
            joins.scheduled.store(false, Ordering::Release);
            joins.write(conn, &keys).await;
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

    /// Adds the participants still pending to a meeting as read.
    pub fn overlay_meeting(&self, meeting: Meeting) -> Meeting {
        self.pending.overlay_meeting(meeting)
    }

    async fn write(&self, mut conn: Primary, keys: &Keys) {
        let pending = self.pending.take();
        if pending.participants.is_empty() {
            return;
        }
        let mut pipe = redis::pipe();
        for (id, load) in &pending.load {
            pipe.cmd("ZADD").arg(keys.server_load()).arg("XX").arg("INCR").arg(load).arg(id).ignore();
        }
        for (id, (server_id, participants)) in &pending.participants {
            let key = keys.meeting(id);
            pipe.cmd("EVAL").arg(ADD_PARTICIPANTS).arg(1).arg(key).arg(server_id).arg(participants).ignore();
        }
        if let Err(error) = pipe.query_async::<()>(&mut conn).await {
            let meetings = pending.participants.len();
            tracing::warn!(%error, meetings, "could not count the joins; the next poll measures them");
        }
    }
}
