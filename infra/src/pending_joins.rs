//! The load that joins add, gathered in memory per server and written in batches, so a join waits for no
//! write: the embedded store writes it with its next write transaction, Redis within a fraction of a second.
//! Reads of this process add what is still pending.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use scalelite_shared::model::Server;

/// Load added by joins per server id, not yet written.
#[derive(Default)]
pub(crate) struct PendingJoins(Mutex<HashMap<String, f64>>);

impl PendingJoins {
    fn counts(&self) -> MutexGuard<'_, HashMap<String, f64>> {
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Counts one join on `server_id`, adding `load` (the server's multiplier).
    pub fn count(&self, server_id: &str, load: f64) {
        let mut counts = self.counts();
        match counts.get_mut(server_id) {
            Some(pending) => *pending += load,
            None => {
                counts.insert(server_id.to_owned(), load);
            }
        }
    }

    /// Everything pending, which is no longer pending.
    pub fn take(&self) -> HashMap<String, f64> {
        std::mem::take(&mut *self.counts())
    }

    /// Forgets what is pending on `server_id`: a poll measured its participants and replaces its load.
    pub fn forget(&self, server_id: &str) {
        self.counts().remove(server_id);
    }

    /// Adds the pending load to a server as read from the store.
    pub fn overlay(&self, mut server: Server) -> Server {
        if let (Some(load), Some(&pending)) = (server.load, self.counts().get(&server.id)) {
            server.load = Some(load + pending);
        }
        server
    }
}
