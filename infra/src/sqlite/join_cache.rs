//! Join targets kept in memory between changes: a join reads its meeting's server once, and later joins of the
//! same meeting take it from here while the database's change counter (see [`changes`](super::changes)) has not
//! moved, the meeting has not expired and the entry is younger than [`KEPT_FOR`]. Any write to the database, by
//! this process or another, moves the counter and so drops every entry: a join that follows a re-placement,
//! wherever it was made, reads the new server.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use scalelite_shared::model::Server;

/// The longest an entry is used, whatever the counter says: a writer that stopped between its commit and its
/// bump (killed there) leaves stale entries behind for no longer than this.
const KEPT_FOR: Duration = Duration::from_secs(1);

/// Entries kept at most; past this the cache starts again empty.
const CAPACITY: usize = 10_000;

struct Entry {
    server: Server,
    expires_at_ms: i64,
    read_at: Instant,
}

/// The entries, all read at one value of the change counter.
#[derive(Default)]
struct Entries {
    counter: u64,
    by_meeting: HashMap<String, Entry>,
}

/// Join targets by meeting id.
#[derive(Default)]
pub(crate) struct JoinCache {
    entries: Mutex<Entries>,
}

impl JoinCache {
    fn entries(&self) -> MutexGuard<'_, Entries> {
        self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The server a join of `meeting_id` goes to, if it was read at `counter` (the counter now) and is still live.
    pub fn get(&self, counter: u64, meeting_id: &str, now_ms: i64) -> Option<Server> {
        let mut entries = self.entries();
        if entries.counter != counter {
            entries.counter = counter;
            entries.by_meeting.clear();
            return None;
        }
        let entry = entries.by_meeting.get(meeting_id)?;
        (entry.expires_at_ms > now_ms && entry.read_at.elapsed() < KEPT_FOR).then(|| entry.server.clone())
    }

    /// Keeps `server` for joins of `meeting_id`, read after the counter was at `counter`.
    pub fn put(&self, counter: u64, meeting_id: &str, server: &Server, expires_at_ms: i64) {
        let mut entries = self.entries();
        if entries.counter != counter {
            // Read at another value than the entries: whichever is older must not be kept.
            return;
        }
        if entries.by_meeting.len() >= CAPACITY {
            entries.by_meeting.clear();
        }
        let entry = Entry { server: server.clone(), expires_at_ms, read_at: Instant::now() };
        entries.by_meeting.insert(meeting_id.to_owned(), entry);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(id: &str) -> Server {
        Server::new(id, format!("http://{id}/bigbluebutton/api"), "s")
    }

    #[test]
    fn entries_last_until_the_counter_moves() {
        let cache = JoinCache::default();
        assert_eq!(cache.get(5, "m", 0), None);
        cache.put(5, "m", &server("a"), 100);
        assert_eq!(cache.get(5, "m", 10).map(|s| s.id), Some("a".to_owned()));
        assert_eq!(cache.get(5, "m", 100), None, "the meeting expired");
        assert_eq!(cache.get(6, "m", 10), None, "the database changed");
        assert_eq!(cache.get(6, "m", 10), None, "and the entry is gone");
    }

    #[test]
    fn a_read_at_another_counter_is_not_kept() {
        let cache = JoinCache::default();
        assert_eq!(cache.get(7, "m", 0), None);
        cache.put(6, "m", &server("old"), 100);
        assert_eq!(cache.get(7, "m", 0), None);
        cache.put(8, "m", &server("new"), 100);
        assert_eq!(cache.get(7, "m", 0), None);
    }

    #[test]
    fn entries_are_dropped_when_full() {
        let cache = JoinCache::default();
        cache.get(1, "", 0);
        for i in 0..=CAPACITY {
            cache.put(1, &format!("m{i}"), &server("a"), 100);
        }
        assert_eq!(cache.get(1, "m0", 0), None);
        assert!(cache.get(1, &format!("m{CAPACITY}"), 0).is_some());
    }
}
