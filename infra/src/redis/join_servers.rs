//! Servers kept in memory for joins, each under the change counter (`server_version:<id>`) it was read at: a
//! join reads the meeting's server id and that counter in one small round trip, and takes the server from here
//! while the counter is where it was. Every change to a server but its join load moves the counter on, in
//! whichever process made it, so a join never uses a server that was changed since it was kept. Servers that
//! never had a counter (written before scalelite-rs) are not kept.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use scalelite_shared::model::Server;

/// Servers kept at most; past this the cache starts again empty.
const CAPACITY: usize = 10_000;

/// Servers by id, with the counter each was read at.
#[derive(Default)]
pub(crate) struct JoinServers {
    by_id: Mutex<HashMap<String, (String, Server)>>,
}

impl JoinServers {
    fn by_id(&self) -> MutexGuard<'_, HashMap<String, (String, Server)>> {
        self.by_id.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The server `id` as kept, if it was read at `version` (its counter now).
    pub fn get(&self, id: &str, version: &str) -> Option<Server> {
        let by_id = self.by_id();
        let (kept_at, server) = by_id.get(id)?;
        (kept_at == version).then(|| server.clone())
    }

    /// Keeps `server`, read with its counter at `version`.
    pub fn put(&self, server: &Server, version: &str) {
        let mut by_id = self.by_id();
        if by_id.len() >= CAPACITY && !by_id.contains_key(&server.id) {
            by_id.clear();
        }
        by_id.insert(server.id.clone(), (version.to_owned(), server.clone()));
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
    fn servers_are_dropped_when_full() {
        let cache = JoinServers::default();
        for i in 0..=CAPACITY {
            cache.put(&server(&format!("s{i}"), "http://x"), "1");
        }
        assert!(cache.get("s0", "1").is_none());
        assert!(cache.get(&format!("s{CAPACITY}"), "1").is_some());
    }
}
