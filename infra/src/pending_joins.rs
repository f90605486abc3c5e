//! What joins add, gathered in memory and written in batches, so a join waits for no write: the load per
//! server and the participants per meeting. The embedded store writes them with its next write transaction,
//! Redis within a fraction of a second. Reads of this process add what is still pending.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use scalelite_shared::model::{Meeting, Server};

/// What joins added and no write has taken yet.
#[derive(Default)]
pub(crate) struct Joined {
    /// Load added per server id.
    pub load: HashMap<String, f64>,
    /// Participants added per meeting id, with the server id of the placement they joined.
    pub participants: HashMap<String, (String, u64)>,
}

impl Joined {
    fn add(&mut self, meeting_id: &str, server_id: &str, load: Option<f64>, participants: u64) {
        // Looked up before anything is copied: a join of a meeting already counted allocates nothing.
        if let Some(load) = load {
            match self.load.get_mut(server_id) {
                Some(pending) => *pending += load,
                None => {
                    self.load.insert(server_id.to_owned(), load);
                }
            }
        }
        match self.participants.get_mut(meeting_id) {
            Some(counted) if counted.0 == server_id => counted.1 += participants,
            Some(counted) => *counted = (server_id.to_owned(), participants),
            None => {
                self.participants.insert(meeting_id.to_owned(), (server_id.to_owned(), participants));
            }
        }
    }

    /// Adds everything of `other`.
    pub fn merge(&mut self, other: Joined) {
        for (server_id, load) in other.load {
            *self.load.entry(server_id).or_default() += load;
        }
        for (meeting_id, (server_id, participants)) in other.participants {
            self.add(&meeting_id, &server_id, None, participants);
        }
    }
}

/// Joins counted by this process, not yet written.
#[derive(Default)]
pub(crate) struct PendingJoins(Mutex<Joined>);

impl PendingJoins {
    fn joined(&self) -> MutexGuard<'_, Joined> {
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Counts one participant joining `meeting_id` on `server_id`, adding `load` to the server when given.
    pub fn count(&self, meeting_id: &str, server_id: &str, load: Option<f64>) {
        self.joined().add(meeting_id, server_id, load, 1);
    }

    /// Everything pending, which is no longer pending.
    pub fn take(&self) -> Joined {
        std::mem::take(&mut *self.joined())
    }

    /// Puts back what a write took and did not make.
    pub fn restore(&self, taken: Joined) {
        self.joined().merge(taken);
    }

    /// Forgets what is pending on `server_id`: a poll measured its participants and replaces its load.
    pub fn forget(&self, server_id: &str) {
        let mut joined = self.joined();
        joined.load.remove(server_id);
        joined.participants.retain(|_, (on, _)| on != server_id);
    }

    /// Adds the pending load to a server as read from the store.
    pub fn overlay(&self, mut server: Server) -> Server {
        if let (Some(load), Some(&pending)) = (server.load, self.joined().load.get(&server.id)) {
            server.load = Some(load + pending);
        }
        server
    }

    /// Adds the pending participants to a meeting as read from the store (joins of its placement only).
    pub fn overlay_meeting(&self, mut meeting: Meeting) -> Meeting {
        if let Some((server_id, pending)) = self.joined().participants.get(&meeting.id)
            && *server_id == meeting.server_id
        {
            meeting.participants += pending;
        }
        meeting
    }
}
