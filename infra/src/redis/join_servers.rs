//! Servers kept in memory for joins, each under the change counter (`server_version:<id>`) it was read at: a
//! join reads the meeting's server id and that counter in one small round trip, and takes the server from here
//! while the counter is where it was. Every change to a server but its join load moves the counter on, in
//! whichever process made it, so a join never uses a server that was changed since it was kept. Servers that
//! never had a counter (written before scalelite-rs) are not kept, and none is kept longer than [`KEPT_FOR`].

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use scalelite_shared::model::Server;

/// The longest a server is used, whatever its counter says: a change written by another Redis client (an
/// upstream deployment sharing the data, an operator's `redis-cli`) does not move the counter, and a failover
/// that loses writes can bring a counter back to a number already seen.
const KEPT_FOR: Duration = Duration::from_secs(1);

/// Servers kept at most; past this the cache starts again empty.
const CAPACITY: usize = 10_000;

/// A server as it was read: the counter it was read at and when.
struct Kept {
    version: String,
    read_at: Instant,
    server: Server,
}

/// Servers by id.
pub(crate) struct JoinServers {
    by_id: Mutex<HashMap<String, Kept>>,
    kept_for: Duration,
}

impl Default for JoinServers {
    fn default() -> Self {
        Self::kept_for(KEPT_FOR)
    }
}

impl JoinServers {
    fn kept_for(kept_for: Duration) -> Self {
        Self { by_id: Mutex::default(), kept_for }
    }

    fn by_id(&self) -> MutexGuard<'_, HashMap<String, Kept>> {
        self.by_id.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The server `id` as kept, if it was read at `version` (its counter now) less than [`KEPT_FOR`] ago.
    pub fn get(&self, id: &str, version: &str) -> Option<Server> {
        let by_id = self.by_id();
        let kept = by_id.get(id)?;
        (kept.version == version && kept.read_at.elapsed() < self.kept_for).then(|| kept.server.clone())
    }

    /// Keeps `server`, read with its counter at `version`.
    pub fn put(&self, server: &Server, version: &str) {
        let mut by_id = self.by_id();
        if by_id.len() >= CAPACITY && !by_id.contains_key(&server.id) {
            by_id.clear();
        }
        let kept = Kept { version: version.to_owned(), read_at: Instant::now(), server: server.clone() };
        by_id.insert(server.id.clone(), kept);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(id: &str, url: &str) -> Server {
        Server::new(id, url, "s")
    }

    #[test]
    fn a_server_is_kept_only_at_its_counter() {
        let cache = JoinServers::default();
        assert!(cache.get("a", "1").is_none());
        cache.put(&server("a", "http://old"), "1");
        assert_eq!(cache.get("a", "1").map(|s| s.url), Some("http://old".to_owned()));
        assert!(cache.get("a", "2").is_none(), "the server changed since");
        cache.put(&server("a", "http://new"), "2");
        assert_eq!(cache.get("a", "2").map(|s| s.url), Some("http://new".to_owned()));
        assert!(cache.get("a", "1").is_none());
        assert!(cache.get("b", "2").is_none());
    }

    #[test]
    fn a_server_is_kept_for_a_while_only() {
        let cache = JoinServers::kept_for(Duration::from_millis(20));
        cache.put(&server("a", "http://old"), "1");
        assert!(cache.get("a", "1").is_some());
        std::thread::sleep(Duration::from_millis(40));
        assert!(cache.get("a", "1").is_none(), "read too long ago, whatever the counter says");
    }

    #[test]
    fn servers_are_dropped_when_full() {
        let cache = JoinServers::default();
        for i in 0..=CAPACITY {
            cache.put(&server(&format!("s{i}"), "http://x"), "1");
        }
        assert!(cache.get("s0", "1").is_none());
        assert!(cache.get(&format!("s{CAPACITY}"), "1").is_some());
    }
}
