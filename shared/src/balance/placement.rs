//! The placement planner: where a create goes, decided from a snapshot of the store.
//!
//! A live meeting stays on a server that takes joins; on a cordoned server only while BBB still runs it.
//! Otherwise it is placed anew on the least loaded eligible server, with its load reservation and the first
//! free voice bridge, replacing the placement it had. The domain reads the snapshot, calls [`plan`] and has
//! the store commit the result only if what it was computed from still holds (see [`Guard`]).

use std::collections::{HashMap, HashSet};

use crate::balance::choice::{Candidate, NoChoice, choose, eligible};
use crate::balance::eligibility::{accepts_joins, has_room, is_limited, takes_new_meetings};
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

/// What the store holds that a placement depends on.
#[derive(Clone, Debug, Default)]
pub struct PlacementSnapshot {
    /// The live meeting with this id, and its server (`None` when the server is gone).
    pub current: Option<(Meeting, Option<Server>)>,
    /// The servers that may take it (others are passed over).
    pub servers: Vec<Server>,
    /// Which of the requested voice bridges another live meeting holds.
    pub held_bridges: HashSet<String>,
    /// The live meetings placed on each server that counts them
    /// ([`counts_meetings`](crate::balance::eligibility::counts_meetings)), read after the server itself.
    pub placed_meetings: HashMap<String, u64>,
    /// The tenant's live meetings other than this one, counted when the request carries a meeting limit (0
    /// otherwise).
    pub tenant_meetings: u64,
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

/// What must still hold when a new placement commits: its server still takes new meetings, and none of the
/// `rivals` (the other servers the rules let the request choose from) has become less loaded than it. A join
/// or a placement elsewhere meanwhile changes nothing the choice depends on. A commit that keeps its whole
/// snapshot unchanged (one transaction) meets it anyway.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Guard {
    pub rivals: Vec<String>,
    /// The chosen server has limits: it must be as read (no placement, removal or poll on it since), so
    /// placements racing from several replicas cannot fill it past them.
    pub server_as_read: bool,
    /// The tenant has a meeting limit: its meetings must be as read (none placed or forgotten since), so
    /// placements racing from several replicas cannot take it past its limit.
    pub tenant_as_read: bool,
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

impl From<NoChoice> for Refusal {
    fn from(reason: NoChoice) -> Self {
        match reason {
            NoChoice::NoServer => Refusal::NoServer,
            NoChoice::TagUnavailable(tags) => Refusal::TagUnavailable(tags),
        }
    }
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

/// The guard of `placed`, planned for `request` from `snapshot`: the servers the rules let the request choose
/// from, and whether the chosen server and the tenant must be as read.
pub fn guard(request: &Placement, snapshot: &PlacementSnapshot, placed: &Placed) -> Guard {
    let candidates = candidates(snapshot, &request.avoid);
    let rivals = eligible(&candidates, &request.tags)
        .map(|found| found.into_iter().map(|c| c.id.clone()).collect())
        .unwrap_or_default();
    let server_as_read = matches!(placed, Placed::New { server, .. } if is_limited(server));
    let tenant_as_read = matches!(placed, Placed::New { .. }) && request.counts_tenant_meetings();
    Guard { rivals, server_as_read, tenant_as_read }
}

/// Decides where the meeting goes. A kept meeting has its create marked as sent now (and not yet answered); a new
/// placement needs room in the tenant's meeting limit.
pub fn plan(request: &Placement, snapshot: &PlacementSnapshot) -> Result<Placed, Refusal> {
    let mut replaced = None;
    if let Some((meeting, server)) = &snapshot.current {
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
                return Ok(Placed::Existing { meeting, server: server.clone() });
            }
            _ => replaced = Some(meeting.clone()),
        }
    }

    if !has_room_for_meeting(request.tenant_max_meetings, snapshot.tenant_meetings) {
        return Err(Refusal::TenantFull);
    }
    let candidates = candidates(snapshot, &request.avoid);
    let chosen = choose(&candidates, &request.tags, &request.meeting_id)?;
    let mut server = snapshot.servers.iter().find(|s| s.id == chosen.id).cloned().ok_or(Refusal::NoServer)?;
    let voice_bridge = request
        .voice_bridges
        .iter()
        .find(|number| !snapshot.held_bridges.contains(*number))
        .ok_or(Refusal::VoiceBridgeExhausted)?;

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
    Ok(Placed::New { meeting, server, replaced })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

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

    fn request(id: &str) -> Placement {
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

    fn server_of(placed: &Placed) -> &str {
        match placed {
            Placed::Existing { server, .. } | Placed::New { server, .. } => &server.id,
        }
    }

    fn placed_on(server: &Server, id: &str) -> Meeting {
        let Ok(Placed::New { meeting, .. }) =
            plan(&request(id), &PlacementSnapshot { servers: vec![server.clone()], ..PlacementSnapshot::default() })
        else {
            panic!("placed")
        };
        meeting
    }

    #[test]
    fn a_tenant_at_its_meeting_limit_places_no_new_meeting_but_keeps_its_own() {
        let limited = Placement { tenant_id: "t".into(), tenant_max_meetings: Some(2), ..request("m") };
        let mut snapshot = PlacementSnapshot {
            servers: vec![server("a", 0.0, ServerState::Enabled)],
            tenant_meetings: 1,
            ..PlacementSnapshot::default()
        };
        let placed = plan(&limited, &snapshot).unwrap();
        assert!(guard(&limited, &snapshot, &placed).tenant_as_read, "the count must hold at commit");
        assert!(!guard(&request("m"), &snapshot, &plan(&request("m"), &snapshot).unwrap()).tenant_as_read);

        snapshot.tenant_meetings = 2;
        assert_eq!(plan(&limited, &snapshot), Err(Refusal::TenantFull));
        let Placed::New { meeting, .. } = placed else { panic!("placed") };
        snapshot.current = Some((meeting, Some(snapshot.servers[0].clone())));
        let kept = plan(&limited, &snapshot).unwrap();
        assert!(matches!(kept, Placed::Existing { .. }), "a running meeting is created again at the limit");
        assert!(!guard(&limited, &snapshot, &kept).tenant_as_read);
    }

    #[test]
    fn a_new_meeting_goes_to_the_least_loaded_server_with_its_reservation() {
        let snapshot = PlacementSnapshot {
            servers: vec![server("a", 40.0, ServerState::Enabled), server("b", 10.0, ServerState::Enabled)],
            held_bridges: HashSet::from(["111".to_owned()]),
            ..PlacementSnapshot::default()
        };
        let Ok(Placed::New { meeting, server, replaced: None }) = plan(&request("m"), &snapshot) else {
            panic!("placed")
        };
        assert_eq!((server.id.as_str(), server.load), ("b", Some(25.0)));
        assert_eq!((meeting.voice_bridge.as_str(), meeting.reserved_load), ("222", 15.0));
        assert_eq!((meeting.created_at_ms, meeting.expires_at_ms, meeting.confirmed_at_ms), (5_000, 6_000, None));
    }

    #[test]
    fn hinted_meetings_reserve_their_size_and_the_next_one_goes_elsewhere() {
        let mut snapshot = PlacementSnapshot {
            servers: vec![server("a", 0.0, ServerState::Enabled), server("b", 20.0, ServerState::Enabled)],
            ..PlacementSnapshot::default()
        };
        let big = Placement { size_hint: Some(50), ..request("big") };
        let Ok(Placed::New { meeting, server: a, .. }) = plan(&big, &snapshot) else { panic!("placed") };
        assert_eq!((a.id.as_str(), meeting.reserved_load, a.load), ("a", 50.0, Some(50.0)));
        snapshot.servers[0] = a;
        let Ok(Placed::New { server, .. }) = plan(&request("next"), &snapshot) else { panic!("placed") };
        assert_eq!(server.id, "b", "a holds the hinted 50, b only 20");
    }

    #[test]
    fn a_server_that_failed_the_create_is_avoided_the_second_time() {
        let snapshot = PlacementSnapshot {
            servers: vec![server("a", 0.0, ServerState::Enabled), server("b", 30.0, ServerState::Enabled)],
            ..PlacementSnapshot::default()
        };
        let again = request("m").elsewhere_than("a", 6_000);
        let Ok(Placed::New { server, meeting, .. }) = plan(&again, &snapshot) else { panic!("placed") };
        assert_eq!((server.id.as_str(), meeting.create_sent_at_ms), ("b", 6_000));
        let placed = plan(&again, &snapshot).unwrap();
        assert_eq!(guard(&again, &snapshot, &placed).rivals, vec!["b".to_owned()]);
        let alone = PlacementSnapshot { servers: vec![snapshot.servers[0].clone()], ..snapshot };
        assert_eq!(plan(&again, &alone), Err(Refusal::NoServer));
    }

    #[test]
    fn servers_that_cannot_take_meetings_are_passed_over() {
        let mut offline = server("a", 0.0, ServerState::Enabled);
        offline.online = false;
        let unmeasured = Server { load: None, ..server("b", 0.0, ServerState::Enabled) };
        let snapshot = PlacementSnapshot {
            servers: vec![offline, unmeasured, server("c", 0.0, ServerState::Cordoned)],
            ..PlacementSnapshot::default()
        };
        assert_eq!(plan(&request("m"), &snapshot), Err(Refusal::NoServer));
    }

    #[test]
    fn a_running_meeting_stays_and_a_dead_placement_is_replaced() {
        let a = server("a", 0.0, ServerState::Enabled);
        let b = server("b", 5.0, ServerState::Enabled);
        let existing = placed_on(&a, "m");
        let mut snapshot = PlacementSnapshot {
            current: Some((existing.clone(), Some(a.clone()))),
            servers: vec![a.clone(), b.clone()],
            ..PlacementSnapshot::default()
        };
        let Ok(Placed::Existing { meeting: kept, .. }) = plan(&request("m"), &snapshot) else { panic!("kept") };
        assert_eq!((kept.create_sent_at_ms, kept.confirmed_at_ms), (5_000, None), "its create is marked as sent");
        assert_eq!(plan(&request("m"), &snapshot).unwrap().awaits_running_check(), None);

        let dead = Server { online: false, ..a };
        snapshot.current = Some((existing.clone(), Some(dead.clone())));
        snapshot.servers = vec![dead, b];
        let Ok(Placed::New { server, replaced: Some(old), .. }) = plan(&request("m"), &snapshot) else {
            panic!("replaced")
        };
        assert_eq!((server.id.as_str(), old), ("b", existing));
    }

    #[test]
    fn a_cordoned_server_keeps_its_meeting_until_bbb_says_it_stopped() {
        let cordoned = server("a", 20.0, ServerState::Cordoned);
        let existing = placed_on(&server("a", 0.0, ServerState::Enabled), "m");
        let snapshot = PlacementSnapshot {
            current: Some((existing.clone(), Some(cordoned))),
            servers: vec![server("b", 0.0, ServerState::Enabled)],
            ..PlacementSnapshot::default()
        };
        assert!(matches!(plan(&request("m"), &snapshot), Ok(Placed::Existing { .. })));
        let kept = plan(&request("m"), &snapshot).unwrap();
        assert_eq!(kept.awaits_running_check().map(|s| s.id.as_str()), Some("a"));
        let stopped = request("m").stopped_on("a");
        let Ok(Placed::New { server, replaced: Some(old), .. }) = plan(&stopped, &snapshot) else { panic!("moved") };
        assert_eq!((server.id.as_str(), old), ("b", existing));
    }

    #[test]
    fn a_new_placement_is_guarded_by_the_servers_it_was_chosen_among() {
        let snapshot = PlacementSnapshot {
            servers: vec![
                server("a", 1.0, ServerState::Enabled),
                server("b", 2.0, ServerState::Enabled),
                server("c", 0.0, ServerState::Cordoned),
            ],
            ..PlacementSnapshot::default()
        };
        let placed = plan(&request("m"), &snapshot).unwrap();
        let expected = Guard { rivals: vec!["a".into(), "b".into()], ..Guard::default() };
        assert_eq!(guard(&request("m"), &snapshot, &placed), expected);
    }

    #[test]
    fn a_full_server_is_passed_over_and_a_limited_one_guarded_as_read() {
        let mut full = server("a", 0.0, ServerState::Enabled);
        full.max_meetings = Some(2);
        let mut busy = server("b", 1.0, ServerState::Enabled);
        busy.max_participants = Some(30);
        busy.stats.users = 30;
        let mut snapshot = PlacementSnapshot {
            servers: vec![full, busy, server("c", 9.0, ServerState::Enabled)],
            placed_meetings: HashMap::from([("a".to_owned(), 2)]),
            ..PlacementSnapshot::default()
        };
        let placed = plan(&request("m"), &snapshot).unwrap();
        assert_eq!(server_of(&placed), "c", "a holds its 2 meetings, b its 30 participants");
        assert_eq!(guard(&request("m"), &snapshot, &placed), Guard { rivals: vec!["c".into()], ..Guard::default() });

        snapshot.placed_meetings.insert("a".to_owned(), 1);
        let placed = plan(&request("m"), &snapshot).unwrap();
        assert_eq!(server_of(&placed), "a", "room for one more");
        assert!(guard(&request("m"), &snapshot, &placed).server_as_read);
        snapshot.servers.truncate(2);
        snapshot.placed_meetings.insert("a".to_owned(), 2);
        assert_eq!(plan(&request("m"), &snapshot), Err(Refusal::NoServer), "every server is full");
    }

    #[test]
    fn refusals() {
        let a = server("a", 0.0, ServerState::Enabled);
        let mine = placed_on(&a, "m");
        let theirs = Placement { tenant_id: "t2".into(), ..request("m") };
        let snapshot = PlacementSnapshot { current: Some((mine, Some(a.clone()))), ..PlacementSnapshot::default() };
        assert_eq!(plan(&theirs, &snapshot), Err(Refusal::OtherTenant));
        let full = PlacementSnapshot {
            servers: vec![a],
            held_bridges: HashSet::from(["111".to_owned(), "222".to_owned()]),
            ..PlacementSnapshot::default()
        };
        assert_eq!(plan(&request("n"), &full), Err(Refusal::VoiceBridgeExhausted));
        let tagged = Placement { tags: TagRequest::parse(Some("gpu!")), ..request("n") };
        assert_eq!(plan(&tagged, &full), Err(Refusal::TagUnavailable("gpu".into())));
    }
}
