//! Servers kept in memory for joins (and on Redis for placements), each under the stamp of a change counter it was
//! read at: a read that finds the counter where it was takes the server from here instead of reading it. The embedded store keeps the
//! server of each meeting under its database's counter; Redis keeps each server under that server's counter.
//! An entry is used only at its own stamp, before the meeting it was read for expires, and for [`KEPT_FOR`] at
//! most whatever the stamp says.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use scalelite_shared::model::Server;

/// The longest an entry is used: a writer that stopped between its commit and moving the counter, a change
/// another client wrote without moving it, or a failover that brought a counter back to a number already seen
/// leaves a stale entry for no longer than this.
const KEPT_FOR: Duration = Duration::from_secs(1);

/// Entries kept at most; past this the cache starts again empty.
const CAPACITY: usize = 10_000;

/// A server as it was read.
struct Kept<S> {
    stamp: S,
    read_at: Instant,
    until_ms: i64,
    /// Shared, so a reader copies it after letting the table go.
    server: Arc<Server>,
}

/// Servers by key (a meeting id or a server id), each with the stamp it was read at.
pub(crate) struct JoinServers<S> {
    by_key: Mutex<HashMap<String, Kept<S>>>,
    kept_for: Duration,
}

impl<S> Default for JoinServers<S> {
    fn default() -> Self {
        Self { by_key: Mutex::default(), kept_for: KEPT_FOR }
    }
}

impl<S: PartialEq> JoinServers<S> {
    fn by_key(&self) -> MutexGuard<'_, HashMap<String, Kept<S>>> {
        self.by_key.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The server kept under `key`, if it was read at `stamp` (the counter now), is live at `now_ms` and was
    /// read less than [`KEPT_FOR`] ago.
    pub fn get(&self, key: &str, stamp: &S, now_ms: i64) -> Option<Server> {
        let server = {
            let by_key = self.by_key();
            let kept = by_key.get(key)?;
            (kept.stamp == *stamp && kept.until_ms > now_ms && kept.read_at.elapsed() < self.kept_for)
                .then(|| Arc::clone(&kept.server))?
        };
        Some(Server::clone(&server))
    }

    /// Moves the entry under `key` from stamp `from` to `to` (a change this process made and knows the whole of),
    /// keeping when it was read.
    pub fn restamp(&self, key: &str, from: &S, to: S) {
        if let Some(kept) = self.by_key().get_mut(key).filter(|kept| kept.stamp == *from) {
            kept.stamp = to;
        }
    }

    /// Keeps `server` under `key`, read after the counter was at `stamp`, live until `until_ms`.
    pub fn put(&self, key: &str, stamp: S, server: &Server, until_ms: i64) {
        let kept = Kept { stamp, read_at: Instant::now(), until_ms, server: Arc::new(server.clone()) };
        let mut by_key = self.by_key();
        if by_key.len() >= CAPACITY && !by_key.contains_key(key) {
            by_key.clear();
        }
        by_key.insert(key.to_owned(), kept);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(id: &str) -> Server {
        Server::new(id, format!("http://{id}/bigbluebutton/api"), "s")
    }

    #[test]
    fn an_entry_is_used_only_at_its_stamp() {
        let kept = JoinServers::default();
        assert!(kept.get("m", &5, 0).is_none());
        kept.put("m", 5, &server("a"), 100);
        assert_eq!(kept.get("m", &5, 10).map(|s| s.id), Some("a".to_owned()));
        assert!(kept.get("m", &6, 10).is_none(), "the counter moved");
        kept.put("m", 6, &server("b"), 100);
        assert_eq!(kept.get("m", &6, 10).map(|s| s.id), Some("b".to_owned()));
        assert!(kept.get("m", &5, 10).is_none());
        assert!(kept.get("other", &6, 10).is_none());
    }

    #[test]
    fn a_restamped_entry_keeps_when_it_was_read() {
        let kept = JoinServers { kept_for: Duration::from_millis(20), ..JoinServers::default() };
        kept.put("a", 1, &server("a"), i64::MAX);
        kept.restamp("a", &2, 3);
        assert!(kept.get("a", &3, 0).is_none(), "only from the stamp it is at");
        kept.restamp("a", &1, 2);
        assert!(kept.get("a", &1, 0).is_none() && kept.get("a", &2, 0).is_some());
        std::thread::sleep(Duration::from_millis(40));
        assert!(kept.get("a", &2, 0).is_none(), "read too long ago, whatever the stamp says");
    }

    #[test]
    fn an_entry_ends_with_its_meeting() {
        let kept = JoinServers::default();
        kept.put("m", 1, &server("a"), 100);
        assert!(kept.get("m", &1, 99).is_some());
        assert!(kept.get("m", &1, 100).is_none(), "the meeting expired");
    }

    #[test]
    fn an_entry_is_used_for_a_while_only() {
        let kept = JoinServers { kept_for: Duration::from_millis(20), ..JoinServers::default() };
        kept.put("m", 1, &server("a"), i64::MAX);
        assert!(kept.get("m", &1, 0).is_some());
        std::thread::sleep(Duration::from_millis(40));
        assert!(kept.get("m", &1, 0).is_none(), "read too long ago, whatever the stamp says");
    }

    #[test]
    fn entries_are_dropped_when_full() {
        let kept = JoinServers::default();
        for i in 0..=CAPACITY {
            kept.put(&format!("m{i}"), 1, &server("a"), 100);
        }
        assert!(kept.get("m0", &1, 0).is_none());
        assert!(kept.get(&format!("m{CAPACITY}"), &1, 0).is_some());
    }
}
