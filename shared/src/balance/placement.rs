//! The placement planner: where a create goes, decided from a snapshot of the store.
//!
//! A live meeting stays on a server that takes joins; on a cordoned server only while BBB still runs it.
//! Otherwise it is placed anew on the least loaded eligible server, with its load reservation and the first
//! free voice bridge, replacing the placement it had. Placements through one handle are planned together from
//! one snapshot ([`PlacementRead`]), each plan applied to it before the next ([`PlacementSnapshot::apply`]); the
//! store reads the servers that take new meetings in order of load only as far as the requests need
//! ([`Reach`]), so a placement costs the same in a pool of 3 servers or 10,000. The store commits each plan only
//! if what it was computed from still holds (see [`Guard`]).

use std::collections::HashMap;

use crate::balance::choice::{Candidate, NoChoice, Reach, TIE_SPREAD, choose};
use crate::balance::eligibility::{accepts_joins, counts_meetings, has_room, is_limited, takes_new_meetings};
use crate::balance::load::LoadRules;
use crate::balance::tags::TagRequest;
use crate::balance::tenant::has_room_for_meeting;
use crate::model::{Meeting, Server, ServerState};

/// What a create asks for one meetingID.
#[derive(Clone, Debug)]
pub struct Placement {
    pub meeting_id: String,
    pub tenant_id: String,
    /// The tenant's meeting limit, if it has one: a new placement needs the tenant's other meetings counted.
    pub tenant_max_meetings: Option<u64>,
    pub tags: TagRequest,
    /// Used only when a new meeting is placed.
    pub moderator_pw: String,
    /// Participants the front-end expects (`meta_bbb-meeting-size-hint`); used only when a new meeting is
    /// placed.
    pub size_hint: Option<u32>,
    /// Voice bridge numbers to try, in order; the first free one is taken.
    pub voice_bridges: Vec<String>,
    pub load: LoadRules,
    pub ttl_ms: i64,
    pub now_ms: i64,
    /// BBB said the meeting no longer runs on this cordoned server: its placement is replaced.
    pub stopped_on: Option<String>,
    /// Servers a new placement must not use (one that just failed to answer this meeting's create).
    pub avoid: Vec<String>,
}

/// What a placement read asks of the store: the requests planned together (no meeting id twice), and how many
/// of the servers that take new meetings to read, in order of load then id.
#[derive(Clone, Copy, Debug)]
pub struct PlacementRead<'a> {
    pub requests: &'a [Placement],
    pub depth: usize,
}

impl<'a> PlacementRead<'a> {
    /// The first read of `requests`: deep enough that each can take a server of its own among equally loaded
    /// ones.
    pub fn first(requests: &'a [Placement]) -> Self {
        Self { requests, depth: requests.len() + TIE_SPREAD }
    }

    /// The same requests read four times deeper, when the servers read did not decide.
    pub fn deeper(self) -> Self {
        Self { depth: self.depth.saturating_mul(4), ..self }
    }

    /// The time the shared parts of the snapshot are read at: the earliest of the requests'.
    pub fn now_ms(&self) -> i64 {
        self.requests.iter().map(|r| r.now_ms).min().unwrap_or(0)
    }

    /// Every voice bridge number the requests may take.
    pub fn voice_bridges(&self) -> Vec<&'a str> {
        let mut numbers: Vec<&str> =
            self.requests.iter().flat_map(|r| r.voice_bridges.iter().map(String::as_str)).collect();
        numbers.sort_unstable();
        numbers.dedup();
        numbers
    }

    /// The tenants whose live meetings the snapshot must count: those of requests with a meeting limit.
    pub fn counted_tenants(&self) -> Vec<&'a str> {
        let mut tenants: Vec<&str> =
            self.requests.iter().filter(|r| r.counts_tenant_meetings()).map(|r| r.tenant_id.as_str()).collect();
        tenants.sort_unstable();
        tenants.dedup();
        tenants
    }
}

/// For a store that holds its servers unordered: the first `depth` of `servers` (each found in its item by
/// `server`) that take new meetings, in the order a placement reads them (load, then id), and how far they reach.
pub fn least_loaded<T>(servers: Vec<T>, server: impl Fn(&T) -> &Server, depth: usize) -> (Vec<T>, Reach) {
    let load = |item: &T| server(item).load.unwrap_or(0.0);
    let mut taking: Vec<T> = servers.into_iter().filter(|item| takes_new_meetings(server(item))).collect();
    taking.sort_by(|a, b| load(a).total_cmp(&load(b)).then_with(|| server(a).id.cmp(&server(b).id)));
    let reach = taking.get(depth).map_or(Reach::All, |next| Reach::UpTo(load(next)));
    taking.truncate(depth);
    (taking, reach)
}

/// What the store holds that the placements of one read depend on.
#[derive(Clone, Debug)]
pub struct PlacementSnapshot {
    /// The live meeting of each request that has one, by meeting id, with its server (`None` when the server is
    /// gone).
    pub current: HashMap<String, (Meeting, Option<Server>)>,
    /// The servers that take new meetings, in order of load then id, as far as `reach`.
    pub servers: Vec<Server>,
    /// How far the servers were read.
    pub reach: Reach,
    /// The live meeting holding each requested voice bridge number that is held.
    pub bridge_holders: HashMap<String, String>,
    /// The live meetings placed on each server read that counts them
    /// ([`counts_meetings`](crate::balance::eligibility::counts_meetings)), read after the server itself.
    pub placed_meetings: HashMap<String, u64>,
    /// The live meetings of each tenant the read counted ([`PlacementRead::counted_tenants`]).
    pub tenant_meetings: HashMap<String, u64>,
}

impl Default for PlacementSnapshot {
    fn default() -> Self {
        Self {
            current: HashMap::new(),
            servers: Vec::new(),
            reach: Reach::All,
            bridge_holders: HashMap::new(),
            placed_meetings: HashMap::new(),
            tenant_meetings: HashMap::new(),
        }
    }
}

impl Placement {
    /// Whether the placement snapshot must count the tenant's other live meetings: the tenant has a meeting limit.
    pub fn counts_tenant_meetings(&self) -> bool {
        self.tenant_max_meetings.is_some()
    }

    /// The same request once BBB said the meeting no longer runs on the cordoned server `server_id`.
    pub fn stopped_on(&self, server_id: &str) -> Placement {
        Placement { stopped_on: Some(server_id.to_owned()), ..self.clone() }
    }

    /// The same request, made again at `now_ms` once `server_id` failed to answer the create it was placed for.
    pub fn elsewhere_than(&self, server_id: &str, now_ms: i64) -> Placement {
        let mut avoid = self.avoid.clone();
        avoid.push(server_id.to_owned());
        Placement { avoid, now_ms, ..self.clone() }
    }
}

/// Where a create goes.
#[derive(Clone, Debug, PartialEq)]
pub enum Placed {
    /// The meeting already runs on a server that can take it.
    Existing { meeting: Meeting, server: Server },
    /// The meeting is placed now (`replaced` is the previous placement, if any), `server` with its new load.
    New { meeting: Meeting, server: Server, replaced: Option<Meeting> },
}

impl Placed {
    /// The cordoned server a kept meeting sits on: it stays there only while BBB still runs it, so the create
    /// asks that server first and, when the meeting stopped, places it again with [`Placement::stopped_on`].
    pub fn awaits_running_check(&self) -> Option<&Server> {
        match self {
            Placed::Existing { server, .. } if server.state == ServerState::Cordoned => Some(server),
            _ => None,
        }
    }
}

/// What must still hold when a new placement commits: its server still takes new meetings, and it stays the
/// right choice: its load has not risen above `ceiling`, the lowest load of the other servers it was chosen over
/// (a server not read counts with the load it was read up to). A rival whose load fell meanwhile (a poll, a
/// meeting ended) leaves the placement standing, as if that change had come a moment later; a join or a
/// placement elsewhere changes nothing the choice depends on. A commit that keeps its whole snapshot unchanged
/// (one transaction) meets it anyway.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Guard {
    /// `None`: the server was the only one the request could go to.
    pub ceiling: Option<f64>,
    /// The chosen server has limits: it must be as read (no placement, removal or poll on it since), so
    /// placements racing from several replicas cannot fill it past them.
    pub server_as_read: bool,
    /// The tenant has a meeting limit: its meetings must be as read (none placed or forgotten since), so
    /// placements racing from several replicas cannot take it past its limit.
    pub tenant_as_read: bool,
}

/// A placement decided: where the meeting goes, what its commit needs to hold, and the load a replaced placement
/// gives back to its old server.
#[derive(Clone, Debug, PartialEq)]
pub struct Planned {
    pub placed: Placed,
    pub guard: Guard,
    pub returned: f64,
}

/// Why a meeting cannot be placed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("no available server")]
    NoServer,
    #[error("no available server with tags {0}")]
    TagUnavailable(String),
    #[error("no free voice bridge")]
    VoiceBridgeExhausted,
    #[error("the meeting belongs to another tenant")]
    OtherTenant,
    #[error("the tenant has as many meetings as its limit allows")]
    TenantFull,
}

/// The servers that take new meetings, have room for one and are not to be avoided, as choice candidates.
fn candidates(snapshot: &PlacementSnapshot, avoid: &[String]) -> Vec<Candidate> {
    let placed = |id: &str| snapshot.placed_meetings.get(id).copied().unwrap_or(0);
    snapshot
        .servers
        .iter()
        .filter(|s| takes_new_meetings(s) && has_room(s, placed(&s.id)) && !avoid.contains(&s.id))
        .map(|s| Candidate { id: s.id.clone(), tag: s.tag.clone(), load: s.load.unwrap_or(0.0) })
        .collect()
}

/// Decides where the meeting goes: `Ok(None)` when the servers read do not decide (read deeper). A kept meeting
/// has its create marked as sent now (and not yet answered); a new placement needs room in the tenant's meeting
/// limit.
pub fn plan(request: &Placement, snapshot: &PlacementSnapshot) -> Result<Option<Planned>, Refusal> {
    let mut replaced = None;
    if let Some((meeting, server)) = snapshot.current.get(&request.meeting_id) {
        if meeting.tenant_id != request.tenant_id {
            return Err(Refusal::OtherTenant);
        }
        match server {
            Some(server)
                if accepts_joins(server)
                    && !(server.state == ServerState::Cordoned
                        && request.stopped_on.as_deref() == Some(server.id.as_str())) =>
            {
                let meeting = Meeting { create_sent_at_ms: request.now_ms, confirmed_at_ms: None, ..meeting.clone() };
                let placed = Placed::Existing { meeting, server: server.clone() };
                return Ok(Some(Planned { placed, guard: Guard::default(), returned: 0.0 }));
            }
            _ => replaced = Some((meeting.clone(), server.as_ref())),
        }
    }

    if request.counts_tenant_meetings() {
        let counted = snapshot.tenant_meetings.get(&request.tenant_id).copied().unwrap_or(0);
        let others = counted.saturating_sub(u64::from(replaced.is_some()));
        if !has_room_for_meeting(request.tenant_max_meetings, others) {
            return Err(Refusal::TenantFull);
        }
    }
    let candidates = candidates(snapshot, &request.avoid);
    let choice = match choose(&candidates, snapshot.reach, &request.tags, &request.meeting_id) {
        Ok(choice) => choice,
        Err(NoChoice::Unread) => return Ok(None),
        Err(NoChoice::NoServer) => return Err(Refusal::NoServer),
        Err(NoChoice::TagUnavailable(tags)) => return Err(Refusal::TagUnavailable(tags)),
    };
    let mut server = snapshot.servers.iter().find(|s| s.id == choice.chosen.id).cloned().ok_or(Refusal::NoServer)?;
    let free =
        |number: &&String| snapshot.bridge_holders.get(*number).is_none_or(|holder| *holder == request.meeting_id);
    let voice_bridge = request.voice_bridges.iter().find(free).ok_or(Refusal::VoiceBridgeExhausted)?;

    let reserved_load = request.load.reservation(request.size_hint, server.load_multiplier);
    server.load = server.load.map(|load| load + reserved_load);
    let meeting = Meeting {
        id: request.meeting_id.clone(),
        server_id: server.id.clone(),
        moderator_pw: request.moderator_pw.clone(),
        voice_bridge: voice_bridge.clone(),
        tenant_id: request.tenant_id.clone(),
        reserved_load,
        created_at_ms: request.now_ms,
        expires_at_ms: request.now_ms.saturating_add(request.ttl_ms),
        create_sent_at_ms: request.now_ms,
        confirmed_at_ms: None,
        participants: 0,
    };
    let returned = match &replaced {
        Some((old, Some(old_server))) => request.load.returned(old, old_server.load.unwrap_or(0.0), request.now_ms),
        _ => 0.0,
    };
    let guard = Guard {
        ceiling: choice.ceiling,
        server_as_read: is_limited(&server),
        tenant_as_read: request.counts_tenant_meetings(),
    };
    let placed = Placed::New { meeting, server, replaced: replaced.map(|(old, _)| old) };
    Ok(Some(Planned { placed, guard, returned }))
}

impl PlacementSnapshot {
    /// The snapshot as it will be once `planned` commits, for the next request planned from the same read.
    pub fn apply(&mut self, planned: &Planned) {
        let Placed::New { meeting, server, replaced } = &planned.placed else { return };
        if let Some(old) = replaced {
            if let Some(old_server) = self.servers.iter_mut().find(|s| s.id == old.server_id) {
                old_server.load = old_server.load.map(|load| load - planned.returned);
            }
            if let Some(placed) = self.placed_meetings.get_mut(&old.server_id) {
                *placed = placed.saturating_sub(1);
            }
            if self.bridge_holders.get(&old.voice_bridge) == Some(&old.id) {
                self.bridge_holders.remove(&old.voice_bridge);
            }
        } else if let Some(count) = self.tenant_meetings.get_mut(&meeting.tenant_id) {
            *count += 1;
        }
        if let Some(chosen) = self.servers.iter_mut().find(|s| s.id == server.id) {
            chosen.load = server.load;
        }
        if counts_meetings(server) {
            *self.placed_meetings.entry(server.id.clone()).or_default() += 1;
        }
        self.bridge_holders.insert(meeting.voice_bridge.clone(), meeting.id.clone());
        self.current.insert(meeting.id.clone(), (meeting.clone(), Some(server.clone())));
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::time::Duration;

    use std::collections::HashSet;

    use super::*;
    use crate::balance::load::LoadWeights;

    const RULES: LoadRules = LoadRules {
        min_user_count: 15.0,
        join_buffer: Duration::from_secs(900),
        max_size_hint: 75.0,
        weights: LoadWeights { base: 0.0, voice: 0.0, video: 0.0 },
    };

    fn server(id: &str, load: f64, state: ServerState) -> Server {
        Server { state, online: true, load: Some(load), ..Server::new(id, format!("http://{id}/api"), "s") }
    }

    pub(crate) fn request(id: &str) -> Placement {
        Placement {
            meeting_id: id.into(),
            tenant_id: String::new(),
            tenant_max_meetings: None,
            tags: TagRequest::default(),
            moderator_pw: "mp".into(),
            size_hint: None,
            voice_bridges: vec!["111".into(), "222".into()],
            load: RULES,
            ttl_ms: 1_000,
            now_ms: 5_000,
            stopped_on: None,
            avoid: Vec::new(),
        }
    }

    fn snapshot_of(servers: Vec<Server>) -> PlacementSnapshot {
        PlacementSnapshot { servers, ..PlacementSnapshot::default() }
    }

    /// The plan of a request the snapshot decides.
    fn planned(request: &Placement, snapshot: &PlacementSnapshot) -> Result<Planned, Refusal> {
        plan(request, snapshot).map(|planned| planned.expect("the snapshot decides"))
    }

    fn placed(request: &Placement, snapshot: &PlacementSnapshot) -> Result<Placed, Refusal> {
        planned(request, snapshot).map(|planned| planned.placed)
    }

    fn server_of(placed: &Placed) -> &str {
        match placed {
            Placed::Existing { server, .. } | Placed::New { server, .. } => &server.id,
        }
    }

    fn placed_on(server: &Server, id: &str) -> Meeting {
        let Ok(Placed::New { meeting, .. }) = placed(&request(id), &snapshot_of(vec![server.clone()])) else {
            panic!("placed")
        };
        meeting
    }

    fn current(meeting: &Meeting, server: Option<Server>) -> HashMap<String, (Meeting, Option<Server>)> {
        HashMap::from([(meeting.id.clone(), (meeting.clone(), server))])
    }

    #[test]
    fn a_tenant_at_its_meeting_limit_places_no_new_meeting_but_keeps_its_own() {
        let limited = Placement { tenant_id: "t".into(), tenant_max_meetings: Some(2), ..request("m") };
        let mut snapshot = PlacementSnapshot {
            tenant_meetings: HashMap::from([("t".to_owned(), 1)]),
            ..snapshot_of(vec![server("a", 0.0, ServerState::Enabled)])
        };
        let first = planned(&limited, &snapshot).unwrap();
        assert!(first.guard.tenant_as_read, "the count must hold at commit");
        assert!(!planned(&request("m"), &snapshot).unwrap().guard.tenant_as_read);

        snapshot.tenant_meetings.insert("t".to_owned(), 2);
        assert_eq!(placed(&limited, &snapshot), Err(Refusal::TenantFull));
        let Placed::New { meeting, .. } = first.placed else { panic!("placed") };
        snapshot.current = current(&meeting, Some(snapshot.servers[0].clone()));
        let kept = planned(&limited, &snapshot).unwrap();
        assert!(matches!(kept.placed, Placed::Existing { .. }), "a running meeting is created again at the limit");
        assert!(!kept.guard.tenant_as_read);
    }

    #[test]
    fn a_new_meeting_goes_to_the_least_loaded_server_with_its_reservation() {
        let snapshot = PlacementSnapshot {
            bridge_holders: HashMap::from([("111".to_owned(), "other".to_owned())]),
            ..snapshot_of(vec![server("a", 40.0, ServerState::Enabled), server("b", 10.0, ServerState::Enabled)])
        };
        let Ok(Placed::New { meeting, server, replaced: None }) = placed(&request("m"), &snapshot) else {
            panic!("placed")
        };
        assert_eq!((server.id.as_str(), server.load), ("b", Some(25.0)));
        assert_eq!((meeting.voice_bridge.as_str(), meeting.reserved_load), ("222", 15.0));
        assert_eq!((meeting.created_at_ms, meeting.expires_at_ms, meeting.confirmed_at_ms), (5_000, 6_000, None));
    }

    #[test]
    fn hinted_meetings_reserve_their_size_and_the_next_one_goes_elsewhere() {
        let mut snapshot =
            snapshot_of(vec![server("a", 0.0, ServerState::Enabled), server("b", 20.0, ServerState::Enabled)]);
        let big = planned(&Placement { size_hint: Some(50), ..request("big") }, &snapshot).unwrap();
        let Placed::New { meeting, server: a, .. } = &big.placed else { panic!("placed") };
        assert_eq!((a.id.as_str(), meeting.reserved_load, a.load), ("a", 50.0, Some(50.0)));
        snapshot.apply(&big);
        let Ok(Placed::New { server, meeting, .. }) = placed(&request("next"), &snapshot) else { panic!("placed") };
        assert_eq!(server.id, "b", "a holds the hinted 50, b only 20");
        assert_eq!(meeting.voice_bridge, "222", "the first number is held by the meeting planned before");
    }

    #[test]
    fn a_server_that_failed_the_create_is_avoided_the_second_time() {
        let snapshot =
            snapshot_of(vec![server("a", 0.0, ServerState::Enabled), server("b", 30.0, ServerState::Enabled)]);
        let again = request("m").elsewhere_than("a", 6_000);
        let Ok(Placed::New { server, meeting, .. }) = placed(&again, &snapshot) else { panic!("placed") };
        assert_eq!((server.id.as_str(), meeting.create_sent_at_ms), ("b", 6_000));
        assert_eq!(planned(&again, &snapshot).unwrap().guard.ceiling, None, "b was the only choice");
        let alone = snapshot_of(vec![snapshot.servers[0].clone()]);
        assert_eq!(placed(&again, &alone), Err(Refusal::NoServer));
    }

    #[test]
    fn servers_that_cannot_take_meetings_are_passed_over() {
        let mut offline = server("a", 0.0, ServerState::Enabled);
        offline.online = false;
        let unmeasured = Server { load: None, ..server("b", 0.0, ServerState::Enabled) };
        let snapshot = snapshot_of(vec![offline, unmeasured, server("c", 0.0, ServerState::Cordoned)]);
        assert_eq!(placed(&request("m"), &snapshot), Err(Refusal::NoServer));
    }

    #[test]
    fn a_running_meeting_stays_and_a_dead_placement_is_replaced() {
        let a = server("a", 0.0, ServerState::Enabled);
        let b = server("b", 5.0, ServerState::Enabled);
        let existing = placed_on(&a, "m");
        let mut snapshot = PlacementSnapshot {
            current: current(&existing, Some(a.clone())),
            ..snapshot_of(vec![a.clone(), b.clone()])
        };
        let Ok(Placed::Existing { meeting: kept, .. }) = placed(&request("m"), &snapshot) else { panic!("kept") };
        assert_eq!((kept.create_sent_at_ms, kept.confirmed_at_ms), (5_000, None), "its create is marked as sent");
        assert_eq!(placed(&request("m"), &snapshot).unwrap().awaits_running_check(), None);

        let dead = Server { online: false, load: Some(20.0), ..a };
        snapshot.current = current(&existing, Some(dead.clone()));
        snapshot.servers = vec![dead, b];
        let moved = planned(&request("m"), &snapshot).unwrap();
        let Placed::New { server, replaced: Some(old), .. } = &moved.placed else { panic!("replaced") };
        assert_eq!((server.id.as_str(), old), ("b", &existing));
        assert_eq!(moved.returned, 15.0, "the young meeting gives its reservation back");
    }

    #[test]
    fn a_cordoned_server_keeps_its_meeting_until_bbb_says_it_stopped() {
        let cordoned = server("a", 20.0, ServerState::Cordoned);
        let existing = placed_on(&server("a", 0.0, ServerState::Enabled), "m");
        let snapshot = PlacementSnapshot {
            current: current(&existing, Some(cordoned)),
            ..snapshot_of(vec![server("b", 0.0, ServerState::Enabled)])
        };
        let kept = placed(&request("m"), &snapshot).unwrap();
        assert_eq!(kept.awaits_running_check().map(|s| s.id.as_str()), Some("a"));
        let stopped = request("m").stopped_on("a");
        let Ok(Placed::New { server, replaced: Some(old), .. }) = placed(&stopped, &snapshot) else { panic!("moved") };
        assert_eq!((server.id.as_str(), old), ("b", existing));
    }

    #[test]
    fn a_new_placement_holds_while_its_server_stays_no_more_loaded_than_the_next_choice() {
        let snapshot = snapshot_of(vec![
            server("a", 1.0, ServerState::Enabled),
            server("b", 2.0, ServerState::Enabled),
            server("c", 0.0, ServerState::Cordoned),
        ]);
        let expected = Guard { ceiling: Some(2.0), ..Guard::default() };
        assert_eq!(planned(&request("m"), &snapshot).unwrap().guard, expected);
        let read_to_b = PlacementSnapshot { reach: Reach::UpTo(1.5), ..snapshot.clone() };
        assert_eq!(planned(&request("m"), &read_to_b).unwrap().guard.ceiling, Some(1.5), "the servers not read");
        let read_to_a = PlacementSnapshot { reach: Reach::UpTo(1.0), ..snapshot };
        assert_eq!(plan(&request("m"), &read_to_a), Ok(None), "a server not read may tie with a");
    }

    #[test]
    fn a_full_server_is_passed_over_and_a_limited_one_guarded_as_read() {
        let mut full = server("a", 0.0, ServerState::Enabled);
        full.max_meetings = Some(2);
        let mut busy = server("b", 1.0, ServerState::Enabled);
        busy.max_participants = Some(30);
        busy.stats.users = 30;
        let mut snapshot = PlacementSnapshot {
            placed_meetings: HashMap::from([("a".to_owned(), 2)]),
            ..snapshot_of(vec![full, busy, server("c", 9.0, ServerState::Enabled)])
        };
        let plan_c = planned(&request("m"), &snapshot).unwrap();
        assert_eq!(server_of(&plan_c.placed), "c", "a holds its 2 meetings, b its 30 participants");
        assert_eq!(plan_c.guard, Guard::default());

        snapshot.placed_meetings.insert("a".to_owned(), 1);
        let plan_a = planned(&request("m"), &snapshot).unwrap();
        assert_eq!(server_of(&plan_a.placed), "a", "room for one more");
        assert!(plan_a.guard.server_as_read);
        snapshot.apply(&plan_a);
        assert_eq!(snapshot.placed_meetings["a"], 2, "the next plan sees a full");
        assert_eq!(server_of(&placed(&request("n"), &snapshot).unwrap()), "c");
        snapshot.servers.truncate(2);
        assert_eq!(placed(&request("n"), &snapshot), Err(Refusal::NoServer), "every server is full");
        snapshot.reach = Reach::UpTo(9.0);
        assert_eq!(plan(&request("n"), &snapshot), Ok(None), "unless a server not read has room");
    }

    #[test]
    fn plans_applied_in_turn_spread_a_burst_over_equally_loaded_servers() {
        let mut snapshot = PlacementSnapshot {
            reach: Reach::UpTo(0.0),
            ..snapshot_of((0..20).map(|n| server(&format!("s{n:02}"), 0.0, ServerState::Enabled)).collect())
        };
        let mut used = HashSet::new();
        for n in 0..13 {
            let meeting = Placement { voice_bridges: vec![format!("{n}")], ..request(&format!("m{n}")) };
            let next = planned(&meeting, &snapshot).unwrap();
            assert_eq!(next.guard.ceiling, Some(0.0));
            used.insert(server_of(&next.placed).to_owned());
            snapshot.apply(&next);
        }
        assert_eq!(used.len(), 13, "each took a server of its own");
        assert_eq!(plan(&request("m13"), &snapshot), Ok(None), "fewer than the spread left read at the lowest load");
    }

    #[test]
    fn refusals() {
        let a = server("a", 0.0, ServerState::Enabled);
        let mine = placed_on(&a, "m");
        let theirs = Placement { tenant_id: "t2".into(), ..request("m") };
        let snapshot = PlacementSnapshot { current: current(&mine, Some(a.clone())), ..PlacementSnapshot::default() };
        assert_eq!(placed(&theirs, &snapshot), Err(Refusal::OtherTenant));
        let full = PlacementSnapshot {
            bridge_holders: HashMap::from([("111".to_owned(), "x".to_owned()), ("222".to_owned(), "y".to_owned())]),
            ..snapshot_of(vec![a])
        };
        assert_eq!(placed(&request("n"), &full), Err(Refusal::VoiceBridgeExhausted));
        let own = Placement { voice_bridges: vec!["111".into()], ..request("x") };
        assert!(placed(&own, &full).is_ok(), "a meeting's own number is free to it");
        let tagged = Placement { tags: TagRequest::parse(Some("gpu!")), ..request("n") };
        assert_eq!(placed(&tagged, &full), Err(Refusal::TagUnavailable("gpu".into())));
    }

    #[test]
    fn an_unordered_pool_is_read_by_load_then_id_as_far_as_asked() {
        let pool = vec![
            server("c", 1.0, ServerState::Enabled),
            server("a", 2.0, ServerState::Enabled),
            server("b", 1.0, ServerState::Enabled),
            server("d", 0.0, ServerState::Cordoned),
        ];
        let ids = |read: &[Server]| read.iter().map(|s| s.id.clone()).collect::<Vec<_>>();
        let (first, reach) = least_loaded(pool.clone(), |s| s, 2);
        assert_eq!((ids(&first), reach), (vec!["b".to_owned(), "c".to_owned()], Reach::UpTo(2.0)));
        let (all, reach) = least_loaded(pool, |s| s, 3);
        assert_eq!((all.len(), reach), (3, Reach::All), "the cordoned server takes no new meeting");
    }

    #[test]
    fn a_read_of_a_batch_names_its_numbers_and_counted_tenants_once() {
        let limited = Placement { tenant_id: "t".into(), tenant_max_meetings: Some(3), ..request("a") };
        let requests = [limited.clone(), Placement { meeting_id: "b".into(), now_ms: 4_000, ..limited }, request("c")];
        let read = PlacementRead::first(&requests);
        assert_eq!((read.depth, read.deeper().depth), (3 + TIE_SPREAD, 4 * (3 + TIE_SPREAD)));
        assert_eq!(
            (read.voice_bridges(), read.counted_tenants(), read.now_ms()),
            (vec!["111", "222"], vec!["t"], 4_000)
        );
    }
}
