//! The poll planner: what one server's getMeetings answer (or its silence) does to the store.
//!
//! Health first (the thresholds of [`health`](crate::balance::health)); then, on an answer: the figures and
//! load, the drain of a cordoned server, the expiry of the meetings it runs moved on, the meetings it no
//! longer runs ended, running meetings the store does not place anywhere adopted, and meetings placed on
//! another server reported as split, their copies here to be ended (joins reach only the placed copy: a
//! server back from offline must not keep a class split in two). A server going offline releases its
//! meetings.
//!
//! A running meeting is written only when the poll changes it: its participants changed, it was not yet
//! confirmed, or its expiry is due for renewal (more than [`RENEWAL_SLACK`] of the TTL away from the expiry this
//! poll gives). A quiet pass over a large pool so writes next to nothing, and a meeting still outlives the last
//! poll that saw it by at least seven eighths of the TTL.
//!
//! A meeting the server does not report is ended only once BBB must know it: its latest create came back
//! before the poll started, or was sent more than `grace_ms` (the BBB connect plus response timeout) before
//! it. So a poll that runs while a create is on its way to BBB never forgets that meeting.

use std::collections::{HashMap, HashSet};

use crate::balance::eligibility::accepts_joins;
use crate::balance::health::{Health, HealthRules, Verdict, step};
use crate::balance::load::{LoadRules, apply_poll};
use crate::bbb::meetings_xml::MeetingEntry;
use crate::model::{Meeting, Server, ServerStats};

/// The share of the TTL (one part in this many) by which a running meeting's stored expiry may fall behind the
/// one a poll gives before the poll writes it again.
pub const RENEWAL_SLACK: i64 = 8;

/// The result of polling one server.
#[derive(Clone, Debug)]
pub struct PollReport {
    /// When the getMeetings request was sent.
    pub started_at_ms: i64,
    /// When the result is recorded.
    pub now_ms: i64,
    /// The meetings the server reported, or `None` if it could not be polled.
    pub meetings: Option<Vec<MeetingEntry>>,
    /// The BBB version its API root revealed, if it did.
    pub bbb_version: Option<String>,
    pub health: HealthRules,
    pub load: LoadRules,
    /// Meetings the server still reports live this much longer (`DEFAULT_MEETING_TTL`).
    pub ttl_ms: i64,
    /// The longest a create can be on its way to BBB.
    pub grace_ms: i64,
}

/// What the store holds that a poll depends on.
#[derive(Clone, Debug)]
pub struct PollSnapshot {
    pub server: Server,
    /// The live meetings placed on the server.
    pub placed: Vec<Meeting>,
    /// Live placements on other servers of meetings this server reports (see [`unplaced`]).
    pub elsewhere: Vec<Meeting>,
    /// Voice bridges of [`unplaced`] meetings that another live meeting holds.
    pub held_bridges: HashSet<String>,
}

/// What a poll changes; adapters commit it as one step.
#[derive(Clone, Debug, PartialEq)]
pub struct PollPlan {
    /// The server with its new health, figures, load, state, version and split meetings.
    pub server: Server,
    /// Placed meetings the server no longer runs.
    pub ended: Vec<Meeting>,
    /// The server went offline: its meetings leave it.
    pub released: Vec<Meeting>,
    /// Placed meetings it runs that the poll changes (see the module's notes), each with the participants the server
    /// reported: their expiry moves to `expires_at_ms`, their participants are replaced, and they count as
    /// confirmed. Other running meetings stay as they are.
    pub running: Vec<Meeting>,
    pub expires_at_ms: i64,
    /// Meetings it runs that no server held: placed back on it.
    pub adopted: Vec<Meeting>,
    /// Copies it runs of meetings placed on another server (not stored): to be ended here.
    pub strays: Vec<Meeting>,
    /// A cordoned server with no load left was disabled.
    pub drained: bool,
    /// The server differs from the snapshot's (a poll that changes nothing leaves it unwritten).
    pub server_changed: bool,
}

/// What a poll did, as the poller reports it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PollOutcome {
    pub online: bool,
    pub load: Option<f64>,
    /// The server went offline: these meetings were released from it.
    pub released: Vec<Meeting>,
    /// Placed meetings the server no longer reports: removed as ended.
    pub ended: Vec<String>,
    /// Running meetings nobody placed: placed back on this server.
    pub adopted: Vec<String>,
    /// Running here while placed on another server.
    pub split: Vec<String>,
    /// The copies of the split meetings running here, to be ended on this server.
    pub strays: Vec<Meeting>,
    /// A cordoned server with no load left was disabled.
    pub drained: bool,
}

impl PollPlan {
    /// Whether the plan leaves the store as it is: no meeting ended, released, written or adopted, and the
    /// server unchanged. Such a poll needs no commit: it takes effect at its read, and a change made since cannot
    /// conflict with a plan that writes nothing (strays are ended on the BBB server, not in the store).
    pub fn writes_nothing(&self) -> bool {
        !self.server_changed
            && self.ended.is_empty()
            && self.released.is_empty()
            && self.running.is_empty()
            && self.adopted.is_empty()
    }

    pub fn outcome(&self) -> PollOutcome {
        PollOutcome {
            online: self.server.online,
            load: self.server.load,
            released: self.released.clone(),
            ended: self.ended.iter().map(|m| m.id.clone()).collect(),
            adopted: self.adopted.iter().map(|m| m.id.clone()).collect(),
            split: self.server.split_meetings.clone(),
            strays: self.strays.clone(),
            drained: self.drained,
        }
    }
}

/// The reported meetings (breakouts aside: BBB makes those itself) that are not placed on the server: the
/// adapter looks up where they are placed and who holds their voice bridges.
pub fn unplaced<'a>(report: &'a PollReport, placed: &[Meeting]) -> Vec<&'a MeetingEntry> {
    let here: HashSet<&str> = placed.iter().map(|m| m.id.as_str()).collect();
    report
        .meetings
        .iter()
        .flatten()
        .filter(|entry| !entry.is_breakout && !here.contains(entry.meeting_id.as_str()))
        .collect()
}

/// Whether a copy running on server `here` of a meeting the store now places as `placed`, on `holder`, is to
/// be ended: the placed copy is on another server, and that server takes joins (a placement its server
/// released meanwhile leaves the copy here, for the next poll to adopt).
pub fn ends_stray(here: &str, placed: &Meeting, holder: &Server) -> bool {
    placed.server_id != here && placed.server_id == holder.id && accepts_joins(holder)
}

/// Whether a create about to be sent must mark the meeting as sent again first: the grace is counted from the
/// mark, so a placement that took long (lost races, a slow store) would otherwise leave the create less of it.
pub fn mark_is_stale(meeting: &Meeting, now_ms: i64, grace_ms: i64) -> bool {
    now_ms.saturating_sub(meeting.create_sent_at_ms) > grace_ms / 2
}

/// Whether BBB must know `meeting` by the time the poll started.
fn known_to_bbb(meeting: &Meeting, report: &PollReport) -> bool {
    let sent = meeting.create_sent_at_ms;
    let confirmed = meeting.confirmed_at_ms.is_some_and(|at| at >= sent && at < report.started_at_ms);
    confirmed || sent < report.started_at_ms.saturating_sub(report.grace_ms)
}

/// Whether a placed meeting the server runs with `participants` must be written: its participants changed, it
/// is not yet confirmed, or its expiry is more than [`RENEWAL_SLACK`] of the TTL away from `expires_at_ms`
/// (behind it as time passes; beyond it when the TTL was lowered, or when another writer left it none).
fn needs_write(meeting: &Meeting, participants: u64, expires_at_ms: i64, ttl_ms: i64) -> bool {
    let slack = u64::try_from(ttl_ms / RENEWAL_SLACK).unwrap_or(0);
    meeting.participants != participants
        || meeting.confirmed_at_ms.is_none()
        || meeting.expires_at_ms.abs_diff(expires_at_ms) > slack
}

/// Decides what the poll changes.
pub fn plan(snapshot: &PollSnapshot, report: &PollReport) -> PollPlan {
    let mut server = snapshot.server.clone();
    let (health, verdict) = step(Health::from(&server), report.meetings.is_some(), report.health);
    server.online = health.online;
    server.healthy_counter = health.healthy_counter;
    server.unhealthy_counter = health.unhealthy_counter;
    let now = report.now_ms;
    let mut plan = PollPlan {
        server,
        ended: Vec::new(),
        released: Vec::new(),
        running: Vec::new(),
        expires_at_ms: now.saturating_add(report.ttl_ms),
        adopted: Vec::new(),
        strays: Vec::new(),
        drained: false,
        server_changed: false,
    };
    if let Some(version) = report.bbb_version.as_ref().filter(|v| !v.is_empty()) {
        plan.server.bbb_version = Some(version.clone());
    }
    match (verdict, &report.meetings) {
        (Verdict::Apply, Some(reported)) => {
            let running: HashMap<&str, &MeetingEntry> = reported.iter().map(|m| (m.meeting_id.as_str(), m)).collect();
            let mut kept = Vec::new();
            for meeting in &snapshot.placed {
                if let Some(entry) = running.get(meeting.id.as_str()) {
                    if needs_write(meeting, entry.participant_count, plan.expires_at_ms, report.ttl_ms) {
                        plan.running.push(Meeting { participants: entry.participant_count, ..meeting.clone() });
                    }
                    kept.push(meeting.clone());
                } else if known_to_bbb(meeting, report) {
                    plan.ended.push(meeting.clone());
                } else {
                    kept.push(meeting.clone());
                }
            }
            let elsewhere: HashSet<&str> = snapshot.elsewhere.iter().map(|m| m.id.as_str()).collect();
            let mut split = Vec::new();
            let mut bridges = snapshot.held_bridges.clone();
            for entry in unplaced(report, &snapshot.placed) {
                if elsewhere.contains(entry.meeting_id.as_str()) {
                    split.push(entry.meeting_id.clone());
                    plan.strays.push(running_copy(entry, &plan.server.id, now, plan.expires_at_ms));
                } else if !entry.voice_bridge.is_empty() && bridges.insert(entry.voice_bridge.clone()) {
                    plan.adopted.push(running_copy(entry, &plan.server.id, now, plan.expires_at_ms));
                }
            }
            split.sort();
            plan.server.split_meetings = split;
            kept.extend(plan.adopted.iter().cloned());
            plan.drained = apply_poll(&mut plan.server, reported, &kept, &report.load, now);
        }
        (Verdict::GoOffline, _) => {
            plan.released = snapshot.placed.clone();
            plan.server.load = None;
            plan.server.stats = ServerStats::default();
            plan.server.split_meetings.clear();
        }
        _ => {}
    }
    plan.server_changed = plan.server != snapshot.server;
    plan
}

/// A meeting as the server that runs it reports it (to adopt it there, or to end it there): confirmed, nothing
/// reserved.
fn running_copy(entry: &MeetingEntry, server_id: &str, now: i64, expires_at_ms: i64) -> Meeting {
    Meeting {
        id: entry.meeting_id.clone(),
        server_id: server_id.to_owned(),
        moderator_pw: entry.moderator_pw.clone(),
        voice_bridge: entry.voice_bridge.clone(),
        tenant_id: entry.tenant_id.clone().unwrap_or_default(),
        reserved_load: 0.0,
        created_at_ms: now,
        expires_at_ms,
        create_sent_at_ms: now,
        confirmed_at_ms: Some(now),
        participants: entry.participant_count,
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::balance::load::LoadWeights;
    use crate::model::ServerState;

    const LOAD: LoadRules = LoadRules {
        min_user_count: 10.0,
        join_buffer: Duration::from_secs(900),
        max_size_hint: 50.0,
        weights: LoadWeights { base: 0.0, voice: 0.0, video: 0.0 },
    };
    const HEALTH: HealthRules = HealthRules { healthy_threshold: 1, unhealthy_threshold: 1 };

    fn server() -> Server {
        Server { state: ServerState::Enabled, online: true, load: Some(0.0), ..Server::new("a", "http://a/api", "s") }
    }

    fn meeting(id: &str, sent: i64, confirmed: Option<i64>) -> Meeting {
        Meeting {
            id: id.into(),
            server_id: "a".into(),
            moderator_pw: "mp".into(),
            voice_bridge: format!("7{}", id.len()),
            tenant_id: String::new(),
            reserved_load: 10.0,
            created_at_ms: sent,
            expires_at_ms: i64::MAX,
            create_sent_at_ms: sent,
            confirmed_at_ms: confirmed,
            participants: 0,
        }
    }

    fn entry(id: &str, bridge: &str, attendees: u64) -> MeetingEntry {
        MeetingEntry {
            meeting_id: id.into(),
            voice_bridge: bridge.into(),
            moderator_pw: "bbb-mp".into(),
            attendees,
            participant_count: attendees,
            ..MeetingEntry::default()
        }
    }

    fn report(meetings: Option<Vec<MeetingEntry>>) -> PollReport {
        PollReport {
            started_at_ms: 100_000,
            now_ms: 100_500,
            meetings,
            bbb_version: None,
            health: HEALTH,
            load: LOAD,
            ttl_ms: 1_000,
            grace_ms: 15_000,
        }
    }

    fn snapshot(placed: Vec<Meeting>) -> PollSnapshot {
        PollSnapshot { server: server(), placed, elsewhere: Vec::new(), held_bridges: HashSet::new() }
    }

    #[test]
    fn a_create_on_its_way_keeps_its_meeting() {
        let on_its_way = meeting("new", 99_700, None);
        let plan = plan(&snapshot(vec![on_its_way]), &report(Some(Vec::new())));
        assert!(plan.ended.is_empty());
        assert_eq!(plan.server.load, Some(10.0), "its reservation stays");
    }

    #[test]
    fn a_slow_placement_marks_its_create_again() {
        let placed = meeting("m", 10_000, None);
        assert!(!mark_is_stale(&placed, 17_000, 15_000));
        assert!(mark_is_stale(&placed, 17_501, 15_000));
    }

    #[test]
    fn a_meeting_bbb_knows_and_no_longer_runs_ends() {
        let confirmed = meeting("confirmed", 99_000, Some(99_500));
        let confirmed_late = meeting("late", 99_000, Some(100_200));
        let stale = meeting("stale", 80_000, None);
        let placed = vec![confirmed, confirmed_late, stale];
        let ended: Vec<String> =
            plan(&snapshot(placed), &report(Some(Vec::new()))).ended.into_iter().map(|m| m.id).collect();
        assert_eq!(ended, vec!["confirmed".to_owned(), "stale".to_owned()]);
    }

    #[test]
    fn running_meetings_live_on_and_set_the_load() {
        let running = Meeting { participants: 9, ..meeting("r", -900_000, Some(-899_000)) };
        let plan = plan(&snapshot(vec![running.clone()]), &report(Some(vec![entry("r", "71", 3)])));
        assert!(plan.server_changed);
        let polled = Meeting { participants: 3, ..running };
        assert_eq!((plan.running, plan.expires_at_ms), (vec![polled], 101_500), "the poll replaces the participants");
        assert_eq!(plan.server.load, Some(3.0));
        assert_eq!(plan.server.stats.users, 3);
    }

    #[test]
    fn a_quiet_running_meeting_is_written_only_when_its_expiry_is_due() {
        // The poll gives an expiry of 101,500 with a TTL of 1,000: the slack is 125 either way.
        let quiet = |id: &str, expires_at_ms| Meeting {
            participants: 3,
            expires_at_ms,
            ..meeting(id, -900_000, Some(-899_000))
        };
        let placed = vec![
            quiet("fresh", 101_500),
            quiet("within", 101_375),
            quiet("due", 101_374),
            quiet("beyond", 101_626),
            quiet("never", i64::MAX),
            Meeting { confirmed_at_ms: None, ..quiet("unconfirmed", 101_500) },
            Meeting { participants: 4, ..quiet("changed", 101_500) },
        ];
        let reported = placed.iter().map(|m| entry(&m.id, &m.voice_bridge, 3)).collect();
        let plan = plan(&snapshot(placed), &report(Some(reported)));
        let written: Vec<&str> = plan.running.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(written, ["due", "beyond", "never", "unconfirmed", "changed"]);
        assert_eq!(plan.server.stats.users, 21, "every running meeting counts toward the load");
    }

    #[test]
    fn an_unplaced_running_meeting_is_adopted_and_one_placed_elsewhere_is_split() {
        let mut snapshot = snapshot(Vec::new());
        let mut elsewhere = meeting("twice", 1, Some(1));
        elsewhere.server_id = "b".into();
        snapshot.elsewhere = vec![elsewhere];
        snapshot.held_bridges = HashSet::from(["99".to_owned()]);
        let answer = vec![entry("orphan", "81", 2), entry("twice", "82", 1), entry("clash", "99", 1), {
            let mut breakout = entry("orphan-1", "83", 1);
            breakout.is_breakout = true;
            breakout
        }];
        let plan = plan(&snapshot, &report(Some(answer)));
        let adopted: Vec<(&str, &str, &str)> =
            plan.adopted.iter().map(|m| (m.id.as_str(), m.voice_bridge.as_str(), m.moderator_pw.as_str())).collect();
        assert_eq!(adopted, vec![("orphan", "81", "bbb-mp")]);
        assert_eq!(plan.adopted[0].confirmed_at_ms, Some(100_500));
        assert_eq!(plan.server.split_meetings, vec!["twice".to_owned()]);
        assert_eq!(plan.outcome().split, vec!["twice".to_owned()]);
        let strays: Vec<(&str, &str, &str)> =
            plan.strays.iter().map(|m| (m.id.as_str(), m.server_id.as_str(), m.moderator_pw.as_str())).collect();
        assert_eq!(strays, vec![("twice", "a", "bbb-mp")], "the copy here is ended with BBB's password");
    }

    #[test]
    fn a_poll_that_changes_nothing_leaves_the_server_as_it_was() {
        let mut steady = snapshot(Vec::new());
        steady.server.stats = ServerStats::default();
        let quiet = plan(&steady, &report(Some(Vec::new())));
        assert!(!quiet.server_changed);
        assert!(quiet.writes_nothing());
    }

    #[test]
    fn a_plan_writes_nothing_only_when_it_changes_no_meeting_and_no_server() {
        let settled = Meeting { participants: 3, expires_at_ms: 101_500, ..meeting("m", -900_000, Some(-899_000)) };
        let mut steady = snapshot(vec![settled.clone()]);
        let quiet = plan(&steady, &report(Some(vec![entry("m", &settled.voice_bridge, 3)])));
        steady.server = quiet.server.clone();
        let again = plan(&steady, &report(Some(vec![entry("m", &settled.voice_bridge, 3)])));
        assert!(again.writes_nothing(), "the same answer again changes nothing: {again:?}");
        let changed = plan(&steady, &report(Some(vec![entry("m", &settled.voice_bridge, 4)])));
        assert!(!changed.writes_nothing(), "new participants are written");
        assert!(!plan(&steady, &report(Some(Vec::new()))).writes_nothing(), "a meeting no longer reported ends");
        let orphan = vec![entry("m", &settled.voice_bridge, 3), entry("orphan", "81", 1)];
        assert!(!plan(&steady, &report(Some(orphan))).writes_nothing(), "an orphan is adopted");
    }

    #[test]
    fn a_stray_copy_is_ended_only_while_its_placement_is_live_elsewhere() {
        let mut placed = meeting("twice", 1, Some(1));
        placed.server_id = "b".into();
        let holder = Server { id: "b".into(), ..server() };
        assert!(ends_stray("a", &placed, &holder));
        assert!(!ends_stray("b", &placed, &holder), "the placed copy itself");
        assert!(!ends_stray("a", &placed, &Server { online: false, ..holder }), "its server went offline");
    }

    #[test]
    fn going_offline_releases_everything() {
        let placed = vec![meeting("x", 1, Some(1))];
        let plan = plan(&snapshot(placed.clone()), &report(None));
        assert_eq!((plan.server.online, plan.server.load, plan.released), (false, None, placed));
    }

    #[test]
    fn a_cordoned_server_with_nothing_left_drains_and_versions_are_kept() {
        let mut snap = snapshot(Vec::new());
        snap.server.state = ServerState::Cordoned;
        let mut answered = report(Some(Vec::new()));
        answered.bbb_version = Some("3.0.4".into());
        let plan = plan(&snap, &answered);
        assert!(plan.drained);
        assert_eq!((plan.server.state, plan.server.bbb_version.as_deref()), (ServerState::Disabled, Some("3.0.4")));
    }
}
