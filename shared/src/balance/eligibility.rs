//! Which servers take what: joins, new meetings (and whether a server's limits leave room for one), and the load
//! a join adds.

use crate::model::{Server, ServerState};

/// Joins go to online servers that are not disabled (cordoned servers keep their meetings).
pub fn accepts_joins(server: &Server) -> bool {
    server.online && server.state != ServerState::Disabled
}

/// New meetings go to enabled, online servers whose load a poll has measured.
pub fn takes_new_meetings(server: &Server) -> bool {
    server.online && server.state == ServerState::Enabled && server.load.is_some()
}

/// Whether a server has limits, so a placement on it must know what it holds and commit only while that holds.
pub fn is_limited(server: &Server) -> bool {
    server.max_meetings.is_some() || server.max_participants.is_some()
}

/// Whether a placement must count the meetings placed on `server`: it has a meeting limit.
pub fn counts_meetings(server: &Server) -> bool {
    server.max_meetings.is_some()
}

/// Whether `server`, with `placed` meetings placed on it, has room for one more: fewer meetings than its meeting
/// limit, and fewer participants (as its last poll counted them) than its participant limit.
pub fn has_room(server: &Server, placed: u64) -> bool {
    server.max_meetings.is_none_or(|max| placed < max)
        && server.max_participants.is_none_or(|max| server.stats.users < max)
}

/// The load one more participant adds: only an enabled server with a known load counts joins (a cordoned
/// server's load only drains, as upstream's increment outside `server_load` is a no-op).
pub fn join_load(server: &Server) -> Option<f64> {
    (server.state == ServerState::Enabled && server.load.is_some()).then_some(server.load_multiplier)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(state: ServerState, online: bool, load: Option<f64>) -> Server {
        Server { state, online, load, load_multiplier: 2.0, ..Server::new("a", "http://a/api", "s") }
    }

    #[test]
    fn enabled_online_measured_servers_take_everything() {
        let live = server(ServerState::Enabled, true, Some(1.0));
        assert!(accepts_joins(&live) && takes_new_meetings(&live));
        assert_eq!(join_load(&live), Some(2.0));
    }

    #[test]
    fn cordoned_servers_keep_joins_without_counting_them() {
        let cordoned = server(ServerState::Cordoned, true, Some(1.0));
        assert!(accepts_joins(&cordoned) && !takes_new_meetings(&cordoned));
        assert_eq!(join_load(&cordoned), None);
    }

    #[test]
    fn a_server_at_a_limit_has_no_room() {
        let mut live = server(ServerState::Enabled, true, Some(1.0));
        assert!(has_room(&live, 1_000) && !is_limited(&live) && !counts_meetings(&live));
        live.max_meetings = Some(2);
        assert!(has_room(&live, 1) && !has_room(&live, 2) && counts_meetings(&live));
        live.max_meetings = None;
        live.max_participants = Some(10);
        live.stats.users = 9;
        assert!(has_room(&live, 50) && is_limited(&live) && !counts_meetings(&live));
        live.stats.users = 10;
        assert!(!has_room(&live, 0));
    }

    #[test]
    fn offline_disabled_or_unmeasured_servers_take_no_new_meetings() {
        assert!(!takes_new_meetings(&server(ServerState::Enabled, false, Some(0.0))));
        assert!(!takes_new_meetings(&server(ServerState::Enabled, true, None)));
        assert!(!accepts_joins(&server(ServerState::Disabled, true, None)));
        assert!(!accepts_joins(&server(ServerState::Enabled, false, Some(0.0))));
    }
}
