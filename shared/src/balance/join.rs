//! The join decision: where a join goes and whether it counts load, from what the store holds of the meeting.

use crate::balance::eligibility::{accepts_joins, join_load};
use crate::model::Server;

/// What the store holds that a join depends on (read once per join and decided at once, so not boxed).
#[derive(Clone, Debug, PartialEq)]
#[allow(clippy::large_enum_variant)]
pub enum JoinSnapshot {
    /// No live meeting with that id.
    NoMeeting,
    /// The live meeting's server (`None` when its server is gone).
    Placed(Option<Server>),
}

/// Where a join goes (returned once per join and matched at once, so the server is not boxed).
#[derive(Clone, Debug, PartialEq)]
#[allow(clippy::large_enum_variant)]
pub enum JoinTarget {
    /// No live meeting with that id.
    NoMeeting,
    /// The meeting's server is offline, disabled or gone.
    Unavailable,
    /// The meeting's server, which now counts the participant's load (if it is enabled).
    Server(Server),
}

/// The join's target, and the load it adds to the target's server (`None`: it adds none).
pub fn decide(snapshot: JoinSnapshot) -> (JoinTarget, Option<f64>) {
    match snapshot {
        JoinSnapshot::NoMeeting => (JoinTarget::NoMeeting, None),
        JoinSnapshot::Placed(Some(server)) if accepts_joins(&server) => {
            let load = join_load(&server);
            (JoinTarget::Server(server), load)
        }
        JoinSnapshot::Placed(_) => (JoinTarget::Unavailable, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ServerState;

    fn server(state: ServerState, online: bool) -> Server {
        Server { state, online, load: Some(4.0), ..Server::new("a", "http://a/api", "s") }
    }

    #[test]
    fn a_join_goes_to_a_live_server_and_counts_where_it_is_enabled() {
        let enabled = server(ServerState::Enabled, true);
        assert_eq!(decide(JoinSnapshot::Placed(Some(enabled.clone()))), (JoinTarget::Server(enabled), Some(1.0)));
        let cordoned = server(ServerState::Cordoned, true);
        assert_eq!(decide(JoinSnapshot::Placed(Some(cordoned.clone()))), (JoinTarget::Server(cordoned), None));
    }

    #[test]
    fn no_meeting_or_no_live_server() {
        assert_eq!(decide(JoinSnapshot::NoMeeting), (JoinTarget::NoMeeting, None));
        assert_eq!(decide(JoinSnapshot::Placed(None)), (JoinTarget::Unavailable, None));
        let offline = server(ServerState::Enabled, false);
        assert_eq!(decide(JoinSnapshot::Placed(Some(offline))), (JoinTarget::Unavailable, None));
        let disabled = server(ServerState::Disabled, true);
        assert_eq!(decide(JoinSnapshot::Placed(Some(disabled))), (JoinTarget::Unavailable, None));
    }
}
