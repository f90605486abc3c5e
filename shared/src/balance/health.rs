//! The per-server health state machine of the poller: healthy and unhealthy thresholds.

use crate::model::Server;

/// Thresholds from `SERVER_HEALTHY_THRESHOLD` and `SERVER_UNHEALTHY_THRESHOLD`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HealthRules {
    pub healthy_threshold: u32,
    pub unhealthy_threshold: u32,
}

/// A server's health as stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Health {
    pub online: bool,
    pub healthy_counter: u32,
    pub unhealthy_counter: u32,
}

impl From<&Server> for Health {
    fn from(server: &Server) -> Self {
        Self {
            online: server.online,
            healthy_counter: server.healthy_counter,
            unhealthy_counter: server.unhealthy_counter,
        }
    }
}

/// What a poll result does to the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Online: store the polled figures and load.
    Apply,
    /// Leave figures and load as they are (still counting towards a threshold).
    Hold,
    /// The server just went offline: release its meetings, forget its load.
    GoOffline,
}

/// The next health and what to do, given whether the poll succeeded.
pub fn step(current: Health, success: bool, rules: HealthRules) -> (Health, Verdict) {
    match (success, current.online) {
        (true, true) => (Health { online: true, healthy_counter: 0, unhealthy_counter: 0 }, Verdict::Apply),
        (true, false) => {
            let healthy = current.healthy_counter + 1;
            if healthy >= rules.healthy_threshold {
                (Health { online: true, healthy_counter: 0, unhealthy_counter: 0 }, Verdict::Apply)
            } else {
                (Health { online: false, healthy_counter: healthy, unhealthy_counter: 0 }, Verdict::Hold)
            }
        }
        (false, true) => {
            let unhealthy = current.unhealthy_counter + 1;
            if unhealthy >= rules.unhealthy_threshold {
                (Health { online: false, healthy_counter: 0, unhealthy_counter: 0 }, Verdict::GoOffline)
            } else {
                (Health { online: true, healthy_counter: 0, unhealthy_counter: unhealthy }, Verdict::Hold)
            }
        }
        (false, false) => (Health { online: false, healthy_counter: 0, unhealthy_counter: 0 }, Verdict::Hold),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULES: HealthRules = HealthRules { healthy_threshold: 2, unhealthy_threshold: 2 };
    const ONLINE: Health = Health { online: true, healthy_counter: 0, unhealthy_counter: 0 };
    const OFFLINE: Health = Health { online: false, healthy_counter: 0, unhealthy_counter: 0 };

    #[test]
    fn goes_offline_after_threshold_failures() {
        let (once, verdict) = step(ONLINE, false, RULES);
        assert_eq!((once.online, verdict), (true, Verdict::Hold));
        let (twice, verdict) = step(once, false, RULES);
        assert_eq!((twice.online, verdict), (false, Verdict::GoOffline));
        let (again, verdict) = step(twice, false, RULES);
        assert_eq!((again.online, verdict), (false, Verdict::Hold));
    }

    #[test]
    fn comes_online_after_threshold_successes() {
        let (once, verdict) = step(OFFLINE, true, RULES);
        assert_eq!((once.online, verdict), (false, Verdict::Hold));
        let (twice, verdict) = step(once, true, RULES);
        assert_eq!((twice.online, verdict), (true, Verdict::Apply));
    }

    #[test]
    fn a_success_resets_failures() {
        let (once, _) = step(ONLINE, false, RULES);
        let (ok, verdict) = step(once, true, RULES);
        assert_eq!((ok, verdict), (ONLINE, Verdict::Apply));
    }
}
