//! The store contract: what every meeting-side adapter must do, run against each backend. Cases that race
//! take several replicas: separate store handles on the same backend, as separate processes would be.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use scalelite_shared::balance::health::HealthRules;
use scalelite_shared::balance::load::{LoadRules, LoadWeights};
use scalelite_shared::balance::poll::mark_is_stale;
use scalelite_shared::balance::tags::TagRequest;
use scalelite_shared::balance::tenant::TenantUsage;
use scalelite_shared::bbb::meetings_xml::MeetingEntry;
use scalelite_shared::clock::{now_ms, with_skewed_clock};
use scalelite_shared::model::{
    KeycloakLogin, Lrs, LrsAuth, Meeting, Server, ServerState, ServerUpdate, Tenant, TenantSetting,
};
use scalelite_shared::store::{
    JoinTarget, MeetingBackend, PlaceError, Placed, Placement, PollReport, Refusal, StoreError, TenantStore,
};

/// A store handle as the cases take it.
pub type Store = Arc<dyn MeetingBackend>;

/// How long the contract lets a create be on its way to BBB.
const GRACE_MS: i64 = 3_000;
/// The same for the race of replicas and polls: a placement there can take seconds on a slow backend (moto
/// serialises every request), and the grace must cover the whole way to BBB.
const RACE_GRACE_MS: i64 = 60_000;

const LOAD: LoadRules = LoadRules {
    min_user_count: 1.0,
    join_buffer: Duration::from_secs(900),
    max_size_hint: 5.0,
    weights: LoadWeights { base: 0.0, voice: 0.0, video: 0.0 },
};
const HEALTH: HealthRules = HealthRules { healthy_threshold: 1, unhealthy_threshold: 1 };

fn placement(meeting_id: &str, tags: &str) -> Placement {
    Placement {
        meeting_id: meeting_id.to_owned(),
        tenant_id: String::new(),
        tenant_max_meetings: None,
        tags: TagRequest::parse(Some(tags)),
        moderator_pw: "mod".into(),
        size_hint: None,
        voice_bridges: (0..10).map(|i| format!("{meeting_id}-vb{i}")).collect(),
        load: LOAD,
        ttl_ms: 3_600_000,
        now_ms: now_ms(),
        stopped_on: None,
        avoid: Vec::new(),
    }
}

fn report(meetings: Option<Vec<MeetingEntry>>) -> PollReport {
    let now = now_ms();
    PollReport {
        started_at_ms: now,
        now_ms: now,
        meetings,
        bbb_version: None,
        health: HEALTH,
        load: LOAD,
        ttl_ms: 3_600_000,
        grace_ms: GRACE_MS,
    }
}

fn entry(id: &str, attendees: u64) -> MeetingEntry {
    MeetingEntry {
        meeting_id: id.into(),
        attendees,
        participant_count: attendees,
        voice_bridge: format!("{id}-vb"),
        moderator_pw: "bbb-mod".into(),
        ..MeetingEntry::default()
    }
}

/// Adds an enabled server and polls it online with no meetings.
async fn live_server(store: &dyn MeetingBackend, id: &str, tag: Option<&str>) {
    let mut server = Server::new(id, format!("http://{id}/bigbluebutton/api"), "secret");
    server.state = ServerState::Enabled;
    server.tag = tag.map(str::to_owned);
    store.add_server(&server).await.expect("add server");
    store.record_poll(id, &report(Some(Vec::new()))).await.expect("poll");
}

fn server_of(placed: &Placed) -> &str {
    match placed {
        Placed::Existing { server, .. } | Placed::New { server, .. } => &server.id,
    }
}

pub async fn servers_are_kept(store: Store, _replicas: Vec<Store>) {
    let server = Server::new("s1", "http://s1/bigbluebutton/api", "secret");
    store.add_server(&server).await.unwrap();
    assert!(matches!(store.add_server(&server).await, Err(StoreError::Conflict(_))));
    assert_eq!(store.server("s1").await.unwrap(), Some(server.clone()));
    assert_eq!(store.servers().await.unwrap(), vec![server]);

    let update = ServerUpdate {
        state: Some(ServerState::Enabled),
        tag: Some(Some("t".into())),
        load_multiplier: Some(2.0),
        ..ServerUpdate::default()
    };
    let updated = store.update_server("s1", &update).await.unwrap().unwrap();
    assert_eq!(
        (updated.state, updated.tag.as_deref(), updated.load_multiplier),
        (ServerState::Enabled, Some("t"), 2.0)
    );
    store.record_poll("s1", &report(Some(vec![entry("x", 2)]))).await.unwrap();
    assert_eq!(store.server("s1").await.unwrap().unwrap().load, Some(4.0));
    let disabled = store
        .update_server("s1", &ServerUpdate { state: Some(ServerState::Disabled), ..ServerUpdate::default() })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(disabled.load, None, "a disabled server has no load");
    assert!(store.update_server("nope", &update).await.unwrap().is_none());
    assert!(store.delete_server("s1").await.unwrap());
    assert!(!store.delete_server("s1").await.unwrap());
    store.ping().await.unwrap();
}

pub async fn placement_reserves_and_reuses(store: Store, _replicas: Vec<Store>) {
    assert!(matches!(store.place_meeting(&placement("m", "")).await, Err(PlaceError::Refused(Refusal::NoServer))));
    live_server(&*store, "a", None).await;
    live_server(&*store, "b", Some("gpu")).await;
    let first = store.place_meeting(&placement("m", "")).await.unwrap();
    let Placed::New { meeting, server, replaced: None } = &first else { panic!("{first:?}") };
    assert_eq!((server.id.as_str(), server.load), ("a", Some(1.0)));
    assert_eq!(meeting.voice_bridge, "m-vb0");
    assert!(matches!(store.place_meeting(&placement("m", "")).await.unwrap(), Placed::Existing { .. }));
    assert_eq!(store.meeting("m", now_ms()).await.unwrap().unwrap().server_id, "a");

    assert_eq!(server_of(&store.place_meeting(&placement("g", "gpu")).await.unwrap()), "b");
    assert!(
        matches!(store.place_meeting(&placement("r", "ssd!")).await, Err(PlaceError::Refused(Refusal::TagUnavailable(tags))) if tags == "ssd")
    );
    let JoinTarget::Server(joined) = store.join_meeting("m", now_ms()).await.unwrap() else { panic!("joinable") };
    assert_eq!(joined.id, "a");
    assert_eq!(store.server("a").await.unwrap().unwrap().load, Some(2.0), "the join counts at once");
    assert_eq!(store.join_meeting("nope", now_ms()).await.unwrap(), JoinTarget::NoMeeting);

    let mut other_tenant = placement("m", "");
    other_tenant.tenant_id = "t2".into();
    assert!(matches!(store.place_meeting(&other_tenant).await, Err(PlaceError::Refused(Refusal::OtherTenant))));
    assert_eq!(store.delete_meeting("m", &LOAD, now_ms()).await.unwrap().unwrap().id, "m");
    assert!(store.meeting("m", now_ms()).await.unwrap().is_none());
}

pub async fn voice_bridges_are_unique(store: Store, _replicas: Vec<Store>) {
    live_server(&*store, "a", None).await;
    let mut first = placement("one", "");
    first.voice_bridges = vec!["111".into(), "222".into()];
    let mut second = placement("two", "");
    second.voice_bridges = vec!["111".into(), "333".into()];
    let mut third = placement("three", "");
    third.voice_bridges = vec!["111".into(), "333".into()];
    store.place_meeting(&first).await.unwrap();
    store.place_meeting(&second).await.unwrap();
    assert_eq!(store.meeting("two", now_ms()).await.unwrap().unwrap().voice_bridge, "333");
    assert!(matches!(store.place_meeting(&third).await, Err(PlaceError::Refused(Refusal::VoiceBridgeExhausted))));
}

pub async fn voice_bridges_find_their_meeting(store: Store, _replicas: Vec<Store>) {
    live_server(&*store, "a", None).await;
    let mut dialled = placement("dialled", "");
    dialled.voice_bridges = vec!["444".into()];
    store.place_meeting(&dialled).await.unwrap();
    let found = store.meeting_by_voice_bridge("444", now_ms()).await.unwrap().expect("the holder");
    assert_eq!((found.id.as_str(), found.server_id.as_str()), ("dialled", "a"));
    assert!(store.meeting_by_voice_bridge("4444", now_ms()).await.unwrap().is_none());
    assert!(store.meeting_by_voice_bridge("", now_ms()).await.unwrap().is_none());

    let mut short = placement("short", "");
    short.voice_bridges = vec!["555".into()];
    short.ttl_ms = 1;
    short.now_ms -= 1_000;
    store.place_meeting(&short).await.unwrap();
    assert!(store.meeting_by_voice_bridge("555", now_ms()).await.unwrap().is_none(), "expired");

    store.delete_meeting("dialled", &LOAD, now_ms()).await.unwrap();
    assert!(store.meeting_by_voice_bridge("444", now_ms()).await.unwrap().is_none(), "ended");
    let mut again = placement("again", "");
    again.voice_bridges = vec!["444".into()];
    store.place_meeting(&again).await.unwrap();
    assert_eq!(store.meeting_by_voice_bridge("444", now_ms()).await.unwrap().map(|m| m.id).as_deref(), Some("again"));
}

pub async fn dead_servers_lose_their_meetings(store: Store, _replicas: Vec<Store>) {
    live_server(&*store, "a", None).await;
    live_server(&*store, "b", None).await;
    store.place_meeting(&placement("m", "")).await.unwrap();
    let holder = store.meeting("m", now_ms()).await.unwrap().unwrap().server_id;
    store
        .update_server(&holder, &ServerUpdate { state: Some(ServerState::Disabled), ..ServerUpdate::default() })
        .await
        .unwrap();
    assert_eq!(store.join_meeting("m", now_ms()).await.unwrap(), JoinTarget::Unavailable);
    let moved = store.place_meeting(&placement("m", "")).await.unwrap();
    let Placed::New { server, replaced: Some(old), .. } = &moved else { panic!("{moved:?}") };
    assert_ne!(server.id, holder);
    assert_eq!(old.server_id, holder);

    let new_holder = server.id.clone();
    let placed = store.meeting("m", now_ms()).await.unwrap().unwrap();
    let outcome = store.record_poll(&new_holder, &report(None)).await.unwrap();
    assert!(!outcome.online);
    // Whole, as placed: the poll ends it on its server with its moderator password.
    let whole = |m: &Meeting| (m.id.clone(), m.server_id.clone(), m.moderator_pw.clone(), m.voice_bridge.clone());
    assert_eq!(outcome.released.iter().map(whole).collect::<Vec<_>>(), vec![whole(&placed)]);
    assert_eq!(outcome.released[0].moderator_pw, "mod");
    assert!(store.meeting("m", now_ms()).await.unwrap().is_none());
    assert_eq!(store.server(&new_holder).await.unwrap().unwrap().load, None);

    live_server(&*store, "c", None).await;
    store.place_meeting(&placement("n", "")).await.unwrap();
    assert!(store.delete_server("c").await.unwrap());
    assert!(
        matches!(store.place_meeting(&placement("n", "")).await, Err(PlaceError::Refused(Refusal::NoServer))),
        "only offline and disabled servers are left"
    );
}

pub async fn polls_end_meetings_and_drain_cordoned_servers(store: Store, _replicas: Vec<Store>) {
    live_server(&*store, "a", None).await;
    let mut early = placement("ended", "");
    early.now_ms -= 10_000;
    store.place_meeting(&early).await.unwrap();
    store.place_meeting(&placement("running", "")).await.unwrap();
    let outcome = store.record_poll("a", &report(Some(vec![entry("running", 3)]))).await.unwrap();
    assert_eq!(outcome.ended, vec!["ended".to_owned()]);
    assert_eq!(outcome.load, Some(3.0));
    let mut late = placement("late", "");
    late.now_ms += 60_000;
    store.place_meeting(&late).await.unwrap();
    let outcome = store.record_poll("a", &report(Some(vec![entry("running", 3)]))).await.unwrap();
    assert!(outcome.ended.is_empty(), "placed after the poll started: not ended");

    store
        .update_server("a", &ServerUpdate { state: Some(ServerState::Cordoned), ..ServerUpdate::default() })
        .await
        .unwrap();
    store.delete_meeting("late", &LOAD, now_ms()).await.unwrap();
    // The running meeting was confirmed by the first poll: this one must start after it (a store that answers
    // in microseconds would otherwise poll within the same millisecond).
    tokio::time::sleep(Duration::from_millis(2)).await;
    let outcome = store.record_poll("a", &report(Some(Vec::new()))).await.unwrap();
    assert!(outcome.drained);
    assert_eq!(store.server("a").await.unwrap().unwrap().state, ServerState::Disabled);
}

/// A batch of poll results gives each server the outcome a poll of its own would, in the batch's order; a
/// server that is gone gets the empty outcome without spoiling the others.
pub async fn polls_recorded_together_are_recorded_each(store: Store, _replicas: Vec<Store>) {
    live_server(&*store, "a", None).await;
    live_server(&*store, "b", None).await;
    let mut early = placement("ended", "");
    early.now_ms -= 10_000;
    store.place_meeting(&early).await.unwrap();
    store.place_meeting(&placement("running", "")).await.unwrap();
    let placed_on = store.meeting("running", now_ms()).await.unwrap().unwrap().server_id;
    let other = if placed_on == "a" { "b" } else { "a" };
    let batch = vec![
        ("gone".to_owned(), report(Some(Vec::new()))),
        (placed_on.clone(), report(Some(vec![entry("running", 3)]))),
        (other.to_owned(), report(Some(vec![entry("orphan", 2)]))),
        // The same server twice in one batch: recorded in order, as two polls one after the other.
        (placed_on.clone(), report(Some(vec![entry("running", 5)]))),
    ];
    let outcomes: Vec<_> = store.record_polls(&batch).await.into_iter().map(|o| o.expect("recorded")).collect();
    assert_eq!(outcomes.len(), 4);
    assert_eq!(outcomes[3].load, Some(5.0), "the second result of a server is recorded after its first");
    assert_eq!(store.server(&placed_on).await.unwrap().unwrap().load, Some(5.0));
    assert!(!outcomes[0].online && outcomes[0].ended.is_empty(), "a server that is gone changes nothing");
    let ended_early = store.meeting("ended", now_ms()).await.unwrap().is_none();
    assert!(ended_early, "the meeting placed before the poll and not reported ended");
    assert_eq!(outcomes[1].load, Some(3.0));
    assert_eq!(outcomes[2].adopted, vec!["orphan".to_owned()]);
    assert_eq!(store.meeting("orphan", now_ms()).await.unwrap().unwrap().server_id, other);
    assert_eq!(store.meeting("running", now_ms()).await.unwrap().unwrap().server_id, placed_on);
}

pub async fn expired_meetings_are_gone(store: Store, _replicas: Vec<Store>) {
    live_server(&*store, "a", None).await;
    let mut short = placement("short", "");
    short.ttl_ms = 1;
    short.now_ms -= 1_000;
    store.place_meeting(&short).await.unwrap();
    assert!(store.meeting("short", now_ms()).await.unwrap().is_none());
    assert!(matches!(store.place_meeting(&placement("short", "")).await.unwrap(), Placed::New { .. }));
}

pub async fn leases_exclude_other_holders(store: Store, _replicas: Vec<Store>) {
    assert!(store.acquire_lease("poll", "a", 60_000).await.unwrap());
    assert!(store.acquire_lease("poll", "a", 60_000).await.unwrap(), "the holder renews");
    assert!(!store.acquire_lease("poll", "b", 60_000).await.unwrap());
    assert!(store.acquire_lease("import", "b", 60_000).await.unwrap(), "leases are by name");
    store.release_lease("poll", "b").await.unwrap();
    assert!(!store.acquire_lease("poll", "b", 60_000).await.unwrap(), "only the holder releases");
    store.release_lease("poll", "a").await.unwrap();
    assert!(store.acquire_lease("poll", "b", 1).await.unwrap());
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert!(store.acquire_lease("poll", "a", 60_000).await.unwrap(), "an expired lease is free");
}

/// Protected-recording tokens are taken once, and not after they expire.
pub async fn tokens_are_single_use(store: Store, _replicas: Vec<Store>) {
    store.put_token("t1", r#"{"record_id":"r"}"#, 60_000).await.unwrap();
    assert_eq!(store.take_token("t1").await.unwrap().as_deref(), Some(r#"{"record_id":"r"}"#));
    assert_eq!(store.take_token("t1").await.unwrap(), None, "a token is used once");
    assert_eq!(store.take_token("never").await.unwrap(), None);
    store.put_token("t2", "v", 1).await.unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert_eq!(store.take_token("t2").await.unwrap(), None, "an expired token is refused");
}

/// 8 tasks place 1,000 meetings at once over 10 servers: one server each, spread within 1, no reservation lost.
pub async fn concurrent_placements_spread_evenly(store: Store, replicas: Vec<Store>) {
    for i in 0..10 {
        live_server(&*store, &format!("s{i}"), None).await;
    }
    let tasks: Vec<_> = (0..8)
        .map(|task| {
            let store = replicas[task].clone();
            tokio::spawn(async move {
                let mut placed = Vec::new();
                for n in 0..125 {
                    let result = store.place_meeting(&placement(&format!("t{task}-{n}"), "")).await.expect("placement");
                    placed.push(server_of(&result).to_owned());
                }
                placed
            })
        })
        .collect();
    let mut per_server: HashMap<String, usize> = HashMap::new();
    for task in tasks {
        for server in task.await.unwrap() {
            *per_server.entry(server).or_default() += 1;
        }
    }
    assert_eq!(per_server.values().sum::<usize>(), 1000);
    let (min, max) = (per_server.values().min().unwrap(), per_server.values().max().unwrap());
    assert!(max - min <= 1, "{per_server:?}");
    let mut total_load = 0.0;
    let mut total_meetings = 0;
    for i in 0..10 {
        let id = format!("s{i}");
        total_load += store.server(&id).await.unwrap().unwrap().load.unwrap();
        total_meetings += store.meetings_on(&id, now_ms()).await.unwrap().len();
    }
    assert_eq!((total_load, total_meetings), (1000.0, 1000));
}

/// A poll that starts while the create is on its way to BBB keeps the meeting; once BBB confirmed the create,
/// a poll that misses the meeting ends it.
pub async fn a_poll_during_a_create_keeps_the_meeting(store: Store, _replicas: Vec<Store>) {
    live_server(&*store, "a", None).await;
    let Placed::New { meeting, .. } = store.place_meeting(&placement("m", "")).await.unwrap() else { panic!("new") };
    let mut during = report(Some(Vec::new()));
    during.started_at_ms = meeting.created_at_ms + 300;
    let outcome = store.record_poll("a", &during).await.unwrap();
    assert!(outcome.ended.is_empty(), "the create has not come back yet");
    assert!(store.meeting("m", now_ms()).await.unwrap().is_some());
    assert_eq!(store.server("a").await.unwrap().unwrap().load, Some(1.0), "its reservation stays");
    assert!(matches!(store.join_meeting("m", now_ms()).await.unwrap(), JoinTarget::Server(_)));

    let confirmed_at = now_ms();
    store.confirm_meeting(&meeting, confirmed_at).await.unwrap();
    let mut after = report(Some(Vec::new()));
    after.started_at_ms = confirmed_at + 1;
    after.now_ms = confirmed_at + 1;
    assert_eq!(store.record_poll("a", &after).await.unwrap().ended, vec!["m".to_owned()]);
    assert!(store.meeting("m", now_ms()).await.unwrap().is_none());

    // A create of a meeting already placed is on its way again: the next poll keeps it too.
    let Placed::New { meeting, .. } = store.place_meeting(&placement("n", "")).await.unwrap() else { panic!("new") };
    store.confirm_meeting(&meeting, now_ms()).await.unwrap();
    let Placed::Existing { meeting: again, .. } = store.place_meeting(&placement("n", "")).await.unwrap() else {
        panic!("existing")
    };
    assert_eq!(again.confirmed_at_ms, None);
    let mut racing = report(Some(Vec::new()));
    racing.started_at_ms = now_ms() + 1;
    assert!(store.record_poll("a", &racing).await.unwrap().ended.is_empty());
    assert!(store.meeting("n", now_ms()).await.unwrap().is_some());
}

/// Replicas whose wall clocks are 60 s apart, either way, decide on the store's clock: a poll through one
/// replica, 0.3 s after another sent a create, keeps the meeting; once that replica confirmed the create, a poll
/// that misses the meeting ends it.
pub async fn replicas_with_clocks_60_s_apart_agree(store: Store, replicas: Vec<Store>) {
    live_server(&*store, "a", None).await;
    let (creating, polling) = (&replicas[0], &replicas[1]);
    for skew_ms in [-60_000, 60_000] {
        let id = format!("skewed{skew_ms}");
        let meeting = with_skewed_clock(skew_ms, async {
            let placing = Placement { now_ms: creating.now_ms().await.unwrap(), ..placement(&id, "") };
            let Placed::New { meeting, .. } = creating.place_meeting(&placing).await.unwrap() else { panic!("new") };
            meeting
        })
        .await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        let poll = || async {
            let mut missing = report(Some(Vec::new()));
            (missing.started_at_ms, missing.now_ms) =
                (polling.now_ms().await.unwrap(), polling.now_ms().await.unwrap());
            polling.record_poll("a", &missing).await.unwrap().ended
        };
        assert!(poll().await.is_empty(), "clock {skew_ms} ms off: the create has not come back yet");
        assert!(polling.meeting(&id, polling.now_ms().await.unwrap()).await.unwrap().is_some());

        with_skewed_clock(skew_ms, async {
            creating.confirm_meeting(&meeting, creating.now_ms().await.unwrap()).await
        })
        .await
        .unwrap();
        // DynamoDB tells its time to the second: a poll a second and a half later began after the confirmation.
        tokio::time::sleep(Duration::from_millis(1_500)).await;
        assert_eq!(poll().await, vec![id.clone()], "clock {skew_ms} ms off: BBB has forgotten the confirmed meeting");
    }
}

/// `count` untagged meetings `<prefix>-<n>` placed at once through `one`, each placement's outcome in order.
async fn burst(one: &Store, prefix: &str, count: usize) -> Vec<Result<Placed, PlaceError>> {
    let tasks: Vec<_> = (0..count)
        .map(|n| {
            let (one, id) = (one.clone(), format!("{prefix}-{n}"));
            tokio::spawn(async move { one.place_meeting(&placement(&id, "")).await })
        })
        .collect();
    let mut placed = Vec::with_capacity(count);
    for task in tasks {
        placed.push(task.await.expect("placement task"));
    }
    placed
}

/// A burst of creates through one replica, a hundred times more than it has servers, all land, spread
/// evenly: placements through one handle take turns instead of racing one another to the retry limit.
pub async fn a_burst_through_one_replica_all_lands(store: Store, replicas: Vec<Store>) {
    for id in ["a", "b", "c"] {
        live_server(&*store, id, None).await;
    }
    let mut failed = Vec::new();
    for placed in burst(&replicas[0], "burst", 300).await {
        if let Err(error) = placed {
            failed.push(error.to_string());
        }
    }
    assert!(failed.is_empty(), "{} of 300 placements failed: {:?}", failed.len(), failed.first());
    for id in ["a", "b", "c"] {
        assert_eq!(store.server(id).await.unwrap().unwrap().load, Some(100.0), "server {id}");
    }
}

/// A pool of 40 servers whose least loaded half is tagged: a placement reads the servers in order of load only as
/// far as it needs, and lands where reading every server would have put it (untagged requests read past the
/// tagged servers, a tag that no server carries falls back or is refused), and a burst through one handle fills
/// the untagged servers level.
pub async fn a_large_pool_is_read_only_as_far_as_placements_need(store: Store, replicas: Vec<Store>) {
    for n in 0..20 {
        live_server(&*store, &format!("t{n:02}"), Some("gpu")).await;
        let id = format!("u{n:02}");
        live_server(&*store, &id, None).await;
        store.record_poll(&id, &report(Some(vec![entry(&format!("{id}-running"), n + 5)]))).await.unwrap();
    }
    assert_eq!(server_of(&store.place_meeting(&placement("plain", "")).await.unwrap()), "u00");
    let gpu = store.place_meeting(&placement("gpu", "gpu")).await.unwrap();
    assert!(server_of(&gpu).starts_with('t'), "{}", server_of(&gpu));
    let fallback = store.place_meeting(&placement("ssd", "ssd")).await.unwrap();
    assert!(["u00", "u01"].contains(&server_of(&fallback)), "{}", server_of(&fallback));
    assert!(matches!(
        store.place_meeting(&placement("ssd-only", "ssd!")).await,
        Err(PlaceError::Refused(Refusal::TagUnavailable(tags))) if tags == "ssd"
    ));

    let mut receivers = HashSet::new();
    for placed in burst(&replicas[0], "level", 60).await {
        let placed = placed.expect("placed");
        assert!(server_of(&placed).starts_with('u'), "{}", server_of(&placed));
        receivers.insert(server_of(&placed).to_owned());
    }
    let loads: HashMap<String, f64> = store
        .servers()
        .await
        .unwrap()
        .into_iter()
        .filter(|s| s.id.starts_with('u'))
        .map(|s| (s.id, s.load.unwrap()))
        .collect();
    let lowest = loads.values().copied().fold(f64::INFINITY, f64::min);
    for id in &receivers {
        assert!(loads[id] <= lowest + 1.0, "{id} took a meeting at {} while another server is at {lowest}", loads[id]);
    }
}

/// Fake BBB servers: the meetings each one runs.
type Fleet = Arc<Mutex<HashMap<String, HashSet<String>>>>;

fn fleet_entries(fleet: &Fleet, server: &str) -> Vec<MeetingEntry> {
    let fleet = fleet.lock().unwrap();
    fleet.get(server).into_iter().flatten().map(|id| entry(id, 1)).collect()
}

/// 8 replicas create 1,000 distinct meetings (each create takes a while to reach BBB) while another replica
/// polls every 100 ms: none is lost, none is split.
pub async fn replicas_creating_while_polls_run_lose_nothing(store: Store, replicas: Vec<Store>) {
    let servers: Vec<String> = (0..10).map(|i| format!("s{i}")).collect();
    for id in &servers {
        live_server(&*store, id, None).await;
    }
    let fleet: Fleet = Arc::default();
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let poller = {
        let (store, fleet, done, servers) = (store.clone(), fleet.clone(), done.clone(), servers.clone());
        tokio::spawn(async move {
            while !done.load(std::sync::atomic::Ordering::SeqCst) {
                for id in &servers {
                    let started = now_ms();
                    let mut answer = report(Some(fleet_entries(&fleet, id)));
                    answer.started_at_ms = started;
                    answer.grace_ms = RACE_GRACE_MS;
                    answer.now_ms = now_ms();
                    let outcome = store.record_poll(id, &answer).await.expect("poll recorded");
                    assert!(outcome.ended.is_empty(), "{id} ended {:?}", outcome.ended);
                    assert!(outcome.split.is_empty(), "{id} split {:?}", outcome.split);
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };
    let tasks: Vec<_> = replicas
        .into_iter()
        .enumerate()
        .map(|(task, store)| {
            let fleet = fleet.clone();
            tokio::spawn(async move {
                for n in 0..125 {
                    let id = format!("r{task}-{n}");
                    let placed = store.place_meeting(&placement(&id, "")).await.expect("placement");
                    let Placed::New { mut meeting, .. } = placed else { panic!("{id} was new") };
                    if mark_is_stale(&meeting, now_ms(), RACE_GRACE_MS) {
                        // As `create` does when a placement took long: marked as sent again.
                        let again = store.place_meeting(&placement(&id, "")).await.expect("placement");
                        let Placed::Existing { meeting: marked, .. } = again else { panic!("{id} placed") };
                        meeting = marked;
                    }
                    tokio::time::sleep(Duration::from_millis(((task * 7 + n * 13) % 20) as u64)).await;
                    fleet.lock().unwrap().entry(meeting.server_id.clone()).or_default().insert(id);
                    store.confirm_meeting(&meeting, now_ms()).await.expect("confirmed");
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    poller.await.unwrap();
    let mut total = 0;
    for id in &servers {
        let running = fleet.lock().unwrap().get(id).cloned().unwrap_or_default();
        let placed: HashSet<String> =
            store.meetings_on(id, now_ms()).await.unwrap().into_iter().map(|m| m.id).collect();
        assert_eq!(placed, running, "the store places on {id} exactly what runs there");
        total += placed.len();
    }
    assert_eq!(total, 1000);
}

/// The same meetingID created at once from 8 replicas lands on one server, placed once.
pub async fn one_meeting_from_eight_replicas_lands_once(store: Store, replicas: Vec<Store>) {
    for i in 0..4 {
        live_server(&*store, &format!("s{i}"), None).await;
    }
    let calls = replicas.into_iter().map(|replica| async move { replica.place_meeting(&placement("same", "")).await });
    let results: Vec<Placed> = futures::future::join_all(calls).await.into_iter().map(Result::unwrap).collect();
    let servers: HashSet<&str> = results.iter().map(server_of).collect();
    assert_eq!(servers.len(), 1, "{results:?}");
    assert_eq!(results.iter().filter(|r| matches!(r, Placed::New { .. })).count(), 1);
    let total: f64 = futures::future::join_all((0..4).map(|i| {
        let store = store.clone();
        async move { store.server(&format!("s{i}")).await.unwrap().unwrap().load.unwrap() }
    }))
    .await
    .into_iter()
    .sum();
    assert_eq!(total, 1.0, "one reservation");
}

/// An operator's change and a poll that drains the server, racing: both land.
pub async fn server_updates_and_poll_drains_both_land(store: Store, replicas: Vec<Store>) {
    live_server(&*store, "a", None).await;
    for round in 0..10 {
        let cordon = ServerUpdate { state: Some(ServerState::Cordoned), ..ServerUpdate::default() };
        store.update_server("a", &cordon).await.unwrap();
        let tag = format!("t{round}");
        let update = ServerUpdate { tag: Some(Some(tag.clone())), ..ServerUpdate::default() };
        let drained = report(Some(Vec::new()));
        let (updated, polled) =
            tokio::join!(replicas[0].update_server("a", &update), replicas[1].record_poll("a", &drained));
        updated.unwrap();
        assert!(polled.unwrap().drained);
        let server = store.server("a").await.unwrap().unwrap();
        assert_eq!((server.state, server.tag.as_deref()), (ServerState::Disabled, Some(tag.as_str())), "round {round}");
        let enable = ServerUpdate { state: Some(ServerState::Enabled), ..ServerUpdate::default() };
        store.update_server("a", &enable).await.unwrap();
    }
}

/// A meeting deleted (its create failed, or it was ended) gives its reservation back.
pub async fn deleting_a_meeting_returns_its_reservation(store: Store, _replicas: Vec<Store>) {
    live_server(&*store, "a", None).await;
    store.place_meeting(&placement("m", "")).await.unwrap();
    store.place_meeting(&placement("n", "")).await.unwrap();
    assert_eq!(store.server("a").await.unwrap().unwrap().load, Some(2.0));
    assert_eq!(store.delete_meeting("m", &LOAD, now_ms()).await.unwrap().unwrap().id, "m");
    assert_eq!(store.server("a").await.unwrap().unwrap().load, Some(1.0));
    assert!(store.delete_meeting("m", &LOAD, now_ms()).await.unwrap().is_none());
    let mut voice = placement("other", "");
    voice.voice_bridges = vec!["m-vb0".into()];
    store.place_meeting(&voice).await.expect("the voice bridge is free again");
}

/// A meeting whose server was removed can still be deleted (the removal moved the server's counter on).
pub async fn a_meeting_whose_server_was_removed_can_be_deleted(store: Store, _replicas: Vec<Store>) {
    live_server(&*store, "a", None).await;
    store.place_meeting(&placement("orphaned", "")).await.unwrap();
    assert!(store.delete_server("a").await.unwrap());
    let deleted = store.delete_meeting("orphaned", &LOAD, now_ms()).await.expect("no endless race");
    assert_eq!(deleted.map(|m| m.id).as_deref(), Some("orphaned"));
    assert!(store.meeting("orphaned", now_ms()).await.unwrap().is_none());
}

/// The load of a join is kept through changes that end up writing nothing (a meeting or a server that is not
/// there, a refused placement).
pub async fn join_load_survives_changes_that_write_nothing(store: Store, _replicas: Vec<Store>) {
    live_server(&*store, "a", None).await;
    store.place_meeting(&placement("m", "")).await.unwrap();
    assert!(matches!(store.join_meeting("m", now_ms()).await.unwrap(), JoinTarget::Server(_)));
    assert!(store.delete_meeting("unknown", &LOAD, now_ms()).await.unwrap().is_none());
    assert!(store.update_server("unknown", &ServerUpdate::default()).await.unwrap().is_none());
    let refused = store.place_meeting(&placement("tagged", "gpu!")).await;
    assert!(matches!(refused, Err(PlaceError::Refused(Refusal::TagUnavailable(_)))));
    // Join load may be written in the background (within half a second); reads of this handle add what is
    // still pending.
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(store.server("a").await.unwrap().unwrap().load, Some(2.0), "the reservation and the join");
}

/// A server that comes back reports meetings nobody places: adopted there. One that also runs on another
/// server is reported split and stays where it is placed.
pub async fn running_meetings_are_adopted_or_reported_split(store: Store, _replicas: Vec<Store>) {
    live_server(&*store, "a", None).await;
    live_server(&*store, "b", None).await;
    let outcome = store.record_poll("a", &report(Some(vec![entry("orphan", 4)]))).await.unwrap();
    assert_eq!(outcome.adopted, vec!["orphan".to_owned()]);
    let adopted = store.meeting("orphan", now_ms()).await.unwrap().expect("adopted");
    assert_eq!((adopted.server_id.as_str(), adopted.voice_bridge.as_str()), ("a", "orphan-vb"));
    assert_eq!(adopted.moderator_pw, "bbb-mod");
    let JoinTarget::Server(server) = store.join_meeting("orphan", now_ms()).await.unwrap() else { panic!("join") };
    assert_eq!(server.id, "a");
    assert_eq!(store.server("a").await.unwrap().unwrap().load, Some(5.0), "4 polled, 1 joined");

    let outcome = store.record_poll("b", &report(Some(vec![entry("orphan", 1)]))).await.unwrap();
    assert_eq!((outcome.adopted.len(), outcome.split.clone()), (0, vec!["orphan".to_owned()]));
    assert_eq!(store.server("b").await.unwrap().unwrap().split_meetings, vec!["orphan".to_owned()]);
    assert_eq!(store.meeting("orphan", now_ms()).await.unwrap().unwrap().server_id, "a", "the placed copy stays");
    store.record_poll("b", &report(Some(Vec::new()))).await.unwrap();
    assert!(store.server("b").await.unwrap().unwrap().split_meetings.is_empty());
}

/// A cordoned server keeps its meetings and their joins, but joins add no load there.
pub async fn cordoned_servers_drain_without_join_load(store: Store, _replicas: Vec<Store>) {
    live_server(&*store, "a", None).await;
    store.place_meeting(&placement("m", "")).await.unwrap();
    let cordon = ServerUpdate { state: Some(ServerState::Cordoned), ..ServerUpdate::default() };
    store.update_server("a", &cordon).await.unwrap();
    assert!(matches!(store.join_meeting("m", now_ms()).await.unwrap(), JoinTarget::Server(_)));
    assert_eq!(store.server("a").await.unwrap().unwrap().load, Some(1.0));
}

/// A poll that finds a placed meeting running counts it as confirmed and moves its expiry on, again only once
/// the expiry falls more than an eighth of the TTL behind (a quiet pass writes nothing); a poll that changes
/// nothing leaves the server as it was, and one after joins were counted brings the load back to what the
/// server reported.
pub async fn steady_polls_extend_meetings_and_reset_join_load(store: Store, replicas: Vec<Store>) {
    live_server(&*store, "a", None).await;
    let Placed::New { meeting, .. } = store.place_meeting(&placement("m", "")).await.unwrap() else { panic!("new") };
    assert_eq!(meeting.confirmed_at_ms, None);
    let first = report(Some(vec![entry("m", 2)]));
    store.record_poll("a", &first).await.unwrap();
    let polled = store.meeting("m", now_ms()).await.unwrap().expect("running");
    assert!(polled.confirmed_at_ms.is_some(), "a meeting the server runs is confirmed");
    let polled_server = store.server("a").await.unwrap().unwrap();
    assert_eq!(polled_server.load, Some(2.0));

    // A short TTL and real waits: a store may keep an expiry as a time to live on its own clock.
    // The slack is 2 s.
    let quiet = || PollReport { ttl_ms: 16_000, ..report(Some(vec![entry("m", 2)])) };
    let renewed = quiet();
    store.record_poll("a", &renewed).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    store.record_poll("a", &quiet()).await.unwrap();
    let kept = store.meeting("m", now_ms()).await.unwrap().expect("running");
    let renewed_expiry = renewed.now_ms + renewed.ttl_ms;
    assert!(
        (kept.expires_at_ms - renewed_expiry).abs() < 100,
        "an expiry within the slack is left as it was: {} against {renewed_expiry}",
        kept.expires_at_ms
    );
    tokio::time::sleep(Duration::from_millis(2_000)).await;
    let due = quiet();
    store.record_poll("a", &due).await.unwrap();
    let extended = store.meeting("m", now_ms()).await.unwrap().expect("running");
    let expected = due.now_ms + due.ttl_ms;
    assert!((extended.expires_at_ms - expected).abs() < 100, "{} against {expected}", extended.expires_at_ms);
    assert_eq!(store.server("a").await.unwrap().unwrap(), polled_server, "nothing changed");

    assert!(matches!(store.join_meeting("m", now_ms()).await.unwrap(), JoinTarget::Server(_)));
    let other = &replicas[0];
    let written = async || other.server("a").await.unwrap().unwrap().load == Some(3.0);
    crate::wait::eventually("the join's load written", Duration::from_secs(10), written).await;
    store.record_poll("a", &report(Some(vec![entry("m", 2)]))).await.unwrap();
    assert_eq!(other.server("a").await.unwrap().unwrap().load, Some(2.0), "the poll replaced the join load");
    assert_eq!(store.server("a").await.unwrap().unwrap().load, Some(2.0));
}

/// A meeting's participants are what the last poll of its server saw, plus the joins counted since: on the
/// replica that counted them at once, on another once written; the next poll counts again.
pub async fn meetings_count_polled_and_joined_participants(store: Store, replicas: Vec<Store>) {
    live_server(&*store, "a", None).await;
    store.place_meeting(&placement("m", "")).await.unwrap();
    assert_eq!(store.meeting("m", now_ms()).await.unwrap().unwrap().participants, 0, "placed, not yet polled");
    store.record_poll("a", &report(Some(vec![entry("m", 3)]))).await.unwrap();
    assert_eq!(store.meeting("m", now_ms()).await.unwrap().unwrap().participants, 3);
    for _ in 0..2 {
        assert!(matches!(store.join_meeting("m", now_ms()).await.unwrap(), JoinTarget::Server(_)));
    }
    assert_eq!(store.meeting("m", now_ms()).await.unwrap().unwrap().participants, 5, "3 polled, 2 joined");
    let other = &replicas[0];
    let written = async || other.meeting("m", now_ms()).await.unwrap().unwrap().participants == 5;
    crate::wait::eventually("the joins written", Duration::from_secs(10), written).await;
    assert_eq!(other.meetings_on("a", now_ms()).await.unwrap()[0].participants, 5);
    store.record_poll("a", &report(Some(vec![entry("m", 4)]))).await.unwrap();
    assert_eq!(other.meeting("m", now_ms()).await.unwrap().unwrap().participants, 4, "the poll counts again");
    assert_eq!(store.meeting("m", now_ms()).await.unwrap().unwrap().participants, 4);
}

/// A tenant's usage: its live meetings and their participants (polled plus joined since), on the replica that
/// counted the joins at once and on another once written; other tenants' meetings and forgotten ones left out.
pub async fn a_tenants_usage_counts_its_meetings_and_participants(store: Store, replicas: Vec<Store>) {
    live_server(&*store, "a", None).await;
    for (id, tenant) in [("m1", "t1"), ("m2", "t1"), ("m3", "t2"), ("gone", "t1")] {
        store.place_meeting(&tenant_placement(id, tenant, None)).await.unwrap();
    }
    store.delete_meeting("gone", &LOAD, now_ms()).await.unwrap();
    store.record_poll("a", &report(Some(vec![entry("m1", 3), entry("m2", 4), entry("m3", 9)]))).await.unwrap();
    assert!(matches!(store.join_meeting("m1", now_ms()).await.unwrap(), JoinTarget::Server(_)));
    let expected = TenantUsage { meetings: 2, participants: 8 };
    assert_eq!(store.tenant_usage("t1", now_ms()).await.unwrap(), expected, "3 + 4 polled, 1 joined");
    let other = &replicas[0];
    let written = async || other.tenant_usage("t1", now_ms()).await.unwrap() == expected;
    crate::wait::eventually("the join written", Duration::from_secs(10), written).await;
    assert_eq!(store.tenant_usage("t2", now_ms()).await.unwrap(), TenantUsage { meetings: 1, participants: 9 });
    assert_eq!(store.tenant_usage("nobody", now_ms()).await.unwrap(), TenantUsage::default());
}

/// A server at its meeting limit, or with its participant limit reached by the last poll, takes no new meeting;
/// eight replicas placing at once never fill one past its limit; the limits are kept, and removed.
pub async fn full_servers_take_no_new_meeting(store: Store, replicas: Vec<Store>) {
    for (id, max) in [("a", 3), ("b", 2)] {
        live_server(&*store, id, None).await;
        let limit = ServerUpdate { max_meetings: Some(Some(max)), ..ServerUpdate::default() };
        store.update_server(id, &limit).await.unwrap();
    }
    assert_eq!(store.server("a").await.unwrap().unwrap().max_meetings, Some(3));
    let tasks: Vec<_> = replicas
        .iter()
        .enumerate()
        .map(|(task, store)| {
            let store = store.clone();
            tokio::spawn(async move {
                let mut placed = Vec::new();
                for n in 0..2 {
                    match store.place_meeting(&placement(&format!("r{task}-{n}"), "")).await {
                        Ok(result) => placed.push(server_of(&result).to_owned()),
                        Err(PlaceError::Refused(Refusal::NoServer)) => {}
                        Err(other) => panic!("{other}"),
                    }
                }
                placed
            })
        })
        .collect();
    let mut placed = Vec::new();
    for task in tasks {
        placed.extend(task.await.unwrap());
    }
    placed.sort();
    assert_eq!(placed, ["a", "a", "a", "b", "b"], "each server up to its limit, no further");
    assert_eq!(store.meetings_on("a", now_ms()).await.unwrap().len(), 3);
    assert_eq!(store.meetings_on("b", now_ms()).await.unwrap().len(), 2);

    live_server(&*store, "c", None).await;
    let limit = ServerUpdate { max_participants: Some(Some(10)), ..ServerUpdate::default() };
    store.update_server("c", &limit).await.unwrap();
    store.record_poll("c", &report(Some(vec![entry("busy", 10)]))).await.unwrap();
    let refused = store.place_meeting(&placement("late", "")).await;
    assert!(matches!(refused, Err(PlaceError::Refused(Refusal::NoServer))), "c has its 10 participants");
    store.record_poll("c", &report(Some(vec![entry("busy", 9)]))).await.unwrap();
    assert_eq!(server_of(&store.place_meeting(&placement("late", "")).await.unwrap()), "c");

    let unlimited = ServerUpdate { max_meetings: Some(None), ..ServerUpdate::default() };
    assert_eq!(store.update_server("b", &unlimited).await.unwrap().unwrap().max_meetings, None);
    assert_eq!(store.server("b").await.unwrap().unwrap().max_meetings, None, "the limit is removed");
    assert_eq!(server_of(&store.place_meeting(&placement("more", "")).await.unwrap()), "b");
}

/// A placement of `meeting_id` for tenant `tenant_id` with at most `max_meetings`.
fn tenant_placement(meeting_id: &str, tenant_id: &str, max_meetings: Option<u64>) -> Placement {
    Placement { tenant_id: tenant_id.into(), tenant_max_meetings: max_meetings, ..placement(meeting_id, "") }
}

/// 8 replicas creating at once never take a tenant past its meeting limit: of 32 new meetings of a tenant
/// limited to 5, exactly 5 are placed and the rest refused, while another tenant's creates all land. A meeting
/// already placed is created again at the limit, and a meeting forgotten makes room for one more.
pub async fn a_tenants_meeting_limit_holds_across_replicas(store: Store, replicas: Vec<Store>) {
    for i in 0..4 {
        live_server(&*store, &format!("s{i}"), None).await;
    }
    let tasks: Vec<_> = replicas
        .iter()
        .enumerate()
        .map(|(task, store)| {
            let store = store.clone();
            tokio::spawn(async move {
                let (mut placed, mut refused) = (Vec::new(), 0);
                for n in 0..4 {
                    let id = format!("t1-{task}-{n}");
                    match store.place_meeting(&tenant_placement(&id, "t1", Some(5))).await {
                        Ok(_) => placed.push(id),
                        Err(PlaceError::Refused(Refusal::TenantFull)) => refused += 1,
                        Err(other) => panic!("{other}"),
                    }
                    let other = tenant_placement(&format!("t2-{task}-{n}"), "t2", None);
                    store.place_meeting(&other).await.expect("another tenant is not limited");
                }
                (placed, refused)
            })
        })
        .collect();
    let (mut placed, mut refused) = (Vec::new(), 0);
    for task in tasks {
        let (ids, count) = task.await.unwrap();
        placed.extend(ids);
        refused += count;
    }
    assert_eq!((placed.len(), refused), (5, 27), "exactly the limit is placed: {placed:?}");
    let mut held = Vec::new();
    for i in 0..4 {
        let on = store.meetings_on(&format!("s{i}"), now_ms()).await.unwrap();
        held.extend(on.into_iter().map(|m| m.tenant_id));
    }
    assert_eq!(held.iter().filter(|t| *t == "t1").count(), 5);
    assert_eq!(held.iter().filter(|t| *t == "t2").count(), 32, "the other tenant's creates all landed");

    let again = store.place_meeting(&tenant_placement(&placed[0], "t1", Some(5))).await.unwrap();
    assert!(matches!(again, Placed::Existing { .. }), "a placed meeting is created again at the limit");
    let refused = store.place_meeting(&tenant_placement("t1-late", "t1", Some(5))).await;
    assert!(matches!(refused, Err(PlaceError::Refused(Refusal::TenantFull))), "{refused:?}");
    store.delete_meeting(&placed[0], &LOAD, now_ms()).await.unwrap();
    store.place_meeting(&tenant_placement("t1-late", "t1", Some(5))).await.expect("room for one more");
}

/// Joins on one replica follow what another replica changes, at once: a server disabled there takes no more
/// joins here, a meeting re-placed there is joined on its new server here, a cordon there shows here, and a
/// meeting ended there is gone here. Joins keep running here while the other replica moves the meeting: every
/// join that starts after the move has returned goes to the new server.
pub async fn joins_follow_changes_made_by_other_replicas(store: Store, replicas: Vec<Store>) {
    live_server(&*store, "a", None).await;
    live_server(&*store, "b", None).await;
    let other = &replicas[0];
    let joined = async |store: &Store| match store.join_meeting("m", now_ms()).await.unwrap() {
        JoinTarget::Server(server) => Some(server),
        JoinTarget::Unavailable => None,
        JoinTarget::NoMeeting => panic!("the meeting is live"),
    };
    let placed = store.place_meeting(&placement("m", "")).await.unwrap();
    let holder = server_of(&placed).to_owned();
    for _ in 0..3 {
        assert_eq!(joined(&store).await.map(|server| server.id), Some(holder.clone()));
    }

    let disable = ServerUpdate { state: Some(ServerState::Disabled), ..ServerUpdate::default() };
    other.update_server(&holder, &disable).await.unwrap();
    assert_eq!(joined(&store).await, None, "the holder was disabled on another replica");
    let moved = other.place_meeting(&placement("m", "")).await.unwrap();
    let mover = server_of(&moved).to_owned();
    assert_ne!(mover, holder);
    let Some(server) = joined(&store).await else { panic!("the meeting was re-placed") };
    assert_eq!(server.id, mover);

    let cordon = ServerUpdate { state: Some(ServerState::Cordoned), ..ServerUpdate::default() };
    other.update_server(&mover, &cordon).await.unwrap();
    let Some(server) = joined(&store).await else { panic!("a cordoned server keeps its joins") };
    assert_eq!(server.state, ServerState::Cordoned, "the cordon shows at once");

    // Back and forth between the servers while this replica joins without a pause.
    let enable = ServerUpdate { state: Some(ServerState::Enabled), ..ServerUpdate::default() };
    other.update_server(&holder, &enable).await.unwrap();
    other.record_poll(&holder, &report(Some(Vec::new()))).await.unwrap();
    other.update_server(&mover, &enable).await.unwrap();
    let done = Arc::new(AtomicBool::new(false));
    let joiner = {
        let (store, done) = (store.clone(), done.clone());
        tokio::spawn(async move {
            let mut seen = Vec::new();
            while !done.load(Ordering::Relaxed) {
                let started = Instant::now();
                if let JoinTarget::Server(server) = store.join_meeting("m", now_ms()).await.unwrap() {
                    seen.push((started, Instant::now(), server.id));
                }
            }
            seen
        })
    };
    // Each move: when it began, when it had returned, and where the meeting went.
    let mut moves = Vec::new();
    let mut from = mover;
    for _ in 0..6 {
        let began = Instant::now();
        other.update_server(&from, &disable).await.unwrap();
        let to = server_of(&other.place_meeting(&placement("m", "")).await.unwrap()).to_owned();
        moves.push((began, Instant::now(), to.clone()));
        tokio::time::sleep(Duration::from_millis(30)).await;
        // Enabled, it takes meetings again once a poll has found it up.
        other.update_server(&from, &enable).await.unwrap();
        other.record_poll(&from, &report(Some(Vec::new()))).await.unwrap();
        from = to;
    }
    done.store(true, Ordering::Relaxed);
    let seen = joiner.await.unwrap();
    assert!(seen.len() > moves.len(), "joins ran throughout ({} of them)", seen.len());
    let mut checked = 0;
    for (started, finished, server) in &seen {
        // The last move that began before the join started. A join that overlapped a move (that one, or the next
        // one) may see either server; one that ran wholly between two moves sees where the first put the meeting.
        let Some(last) = moves.iter().rposition(|(began, ..)| began < started) else { continue };
        let (_, returned, current) = &moves[last];
        let next_began = moves.get(last + 1).map(|(began, ..)| began);
        if returned < started && next_began.is_none_or(|began| finished < began) {
            assert_eq!(server, current, "a join that started after the meeting moved to {current} went to {server}");
            checked += 1;
        }
    }
    assert!(checked > 0, "some joins started after a move had returned");

    other.delete_meeting("m", &LOAD, now_ms()).await.unwrap();
    assert_eq!(store.join_meeting("m", now_ms()).await.unwrap(), JoinTarget::NoMeeting, "ended on another replica");
}

/// A poll records the BBB version the server revealed.
pub async fn polls_record_the_bbb_version(store: Store, _replicas: Vec<Store>) {
    live_server(&*store, "a", None).await;
    let mut answer = report(Some(Vec::new()));
    answer.bbb_version = Some("3.0.9".into());
    store.record_poll("a", &answer).await.unwrap();
    assert_eq!(store.server("a").await.unwrap().unwrap().bbb_version.as_deref(), Some("3.0.9"));
}

/// Tenants: found by id and name, names unique, renames move the name, LRS settings replaced whole, limits kept
/// and removed, settings kept per tenant and removed with it.
pub async fn tenants_are_kept(store: Arc<dyn TenantStore>) {
    let basic =
        Lrs { endpoint: "https://lrs".into(), auth: LrsAuth::Basic { username: "u".into(), password: "p".into() } };
    let school = Tenant { lrs: Some(basic), ..Tenant::new("t1", "school", vec!["a".into(), "b".into()]) };
    let uni =
        Tenant { max_meetings: Some(5), max_participants: Some(200), ..Tenant::new("t2", "uni", vec!["u".into()]) };
    store.add_tenant(&school).await.unwrap();
    store.add_tenant(&uni).await.unwrap();
    let clash = Tenant::new("t3", "school", vec!["x".into()]);
    assert!(matches!(store.add_tenant(&clash).await, Err(StoreError::Conflict(_))), "names are unique");
    assert_eq!(store.tenants().await.unwrap(), vec![school.clone(), uni.clone()]);
    assert_eq!(store.tenant_by_name("school").await.unwrap(), Some(school.clone()));
    assert_eq!(store.tenant("t2").await.unwrap(), Some(uni.clone()));

    let keycloak = LrsAuth::Keycloak(KeycloakLogin {
        token_url: "https://kc/token".into(),
        client_id: "id".into(),
        client_secret: "cs".into(),
        username: "ku".into(),
        password: "kp".into(),
    });
    let lrs = Some(Lrs { endpoint: "https://lrs2".into(), auth: keycloak });
    let renamed = Tenant { name: "college".into(), secrets: vec!["c".into()], lrs, ..school.clone() };
    assert_eq!(store.update_tenant(&renamed).await.unwrap(), Some(renamed.clone()));
    assert_eq!(store.tenant("t1").await.unwrap(), Some(renamed.clone()), "Keycloak replaces basic credentials");
    let plain = Tenant { lrs: None, ..renamed.clone() };
    store.update_tenant(&plain).await.unwrap();
    assert_eq!(store.tenant("t1").await.unwrap(), Some(plain), "the LRS settings are removed");
    store.update_tenant(&renamed).await.unwrap();
    assert_eq!(store.tenant_by_name("school").await.unwrap(), None, "the old name is free");
    assert_eq!(store.tenant_by_name("college").await.unwrap(), Some(renamed.clone()));
    let taken = Tenant { name: "uni".into(), ..renamed.clone() };
    assert!(matches!(store.update_tenant(&taken).await, Err(StoreError::Conflict(_))));
    let ghost = Tenant::new("nope", "ghost", vec![]);
    assert_eq!(store.update_tenant(&ghost).await.unwrap(), None);
    let limited = Tenant { max_meetings: Some(3), ..renamed.clone() };
    store.update_tenant(&limited).await.unwrap();
    assert_eq!(store.tenant("t1").await.unwrap(), Some(limited), "a limit is kept");
    let unlimited = Tenant { max_participants: None, ..uni.clone() };
    store.update_tenant(&unlimited).await.unwrap();
    assert_eq!(store.tenant("t2").await.unwrap(), Some(unlimited), "a limit is removed");
    store.update_tenant(&renamed).await.unwrap();

    let setting = |id: &str, tenant: &str, param: &str, override_: bool| TenantSetting {
        id: id.into(),
        tenant_id: tenant.into(),
        param: param.into(),
        value: format!("{param}-value"),
        override_,
    };
    store.add_tenant_setting(&setting("s1", "t1", "welcome", false)).await.unwrap();
    store.add_tenant_setting(&setting("s2", "t1", "record", true)).await.unwrap();
    store.add_tenant_setting(&setting("s3", "t2", "logo", false)).await.unwrap();
    assert_eq!(
        store.tenant_settings(Some("t1")).await.unwrap(),
        vec![setting("s2", "t1", "record", true), setting("s1", "t1", "welcome", false)]
    );
    assert_eq!(store.tenant_settings(None).await.unwrap().len(), 3);
    assert!(store.delete_tenant_setting("s2").await.unwrap());
    assert!(!store.delete_tenant_setting("s2").await.unwrap());
    assert!(store.delete_tenant("t1").await.unwrap());
    assert!(!store.delete_tenant("t1").await.unwrap());
    assert_eq!(store.tenant_settings(None).await.unwrap(), vec![setting("s3", "t2", "logo", false)]);
    assert_eq!(store.tenant_by_name("college").await.unwrap(), None);
}

/// Runs the whole contract, each case on a fresh store from `open`, which gives `Some((store, guard))` (the
/// guard lives as long as the case and cleans up after it) or `None` to skip the case; `replica(&guard)`
/// opens another handle on the same backend.
#[macro_export]
macro_rules! store_contract {
    ($open:expr, $replica:expr) => {
        $crate::store_contract!($open, $replica;
            servers_are_kept,
            placement_reserves_and_reuses,
            voice_bridges_are_unique,
            voice_bridges_find_their_meeting,
            dead_servers_lose_their_meetings,
            polls_end_meetings_and_drain_cordoned_servers,
            expired_meetings_are_gone,
            leases_exclude_other_holders,
            tokens_are_single_use,
            concurrent_placements_spread_evenly,
            a_burst_through_one_replica_all_lands,
            a_large_pool_is_read_only_as_far_as_placements_need,
            a_poll_during_a_create_keeps_the_meeting,
            replicas_with_clocks_60_s_apart_agree,
            replicas_creating_while_polls_run_lose_nothing,
            one_meeting_from_eight_replicas_lands_once,
            server_updates_and_poll_drains_both_land,
            deleting_a_meeting_returns_its_reservation,
            a_meeting_whose_server_was_removed_can_be_deleted,
            join_load_survives_changes_that_write_nothing,
            running_meetings_are_adopted_or_reported_split,
            cordoned_servers_drain_without_join_load,
            polls_record_the_bbb_version,
            polls_recorded_together_are_recorded_each,
            steady_polls_extend_meetings_and_reset_join_load,
            joins_follow_changes_made_by_other_replicas,
            meetings_count_polled_and_joined_participants,
            full_servers_take_no_new_meeting,
            a_tenants_meeting_limit_holds_across_replicas,
            a_tenants_usage_counts_its_meetings_and_participants
        );
    };
    ($open:expr, $replica:expr; $($case:ident),+) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $case() {
                if let Some((store, guard)) = $open.await {
                    let mut replicas = Vec::new();
                    for _ in 0..8 {
                        replicas.push($replica(&guard).await);
                    }
                    $crate::contract::$case(store, replicas).await;
                }
            }
        )+
    };
}

/// The tenant contract on a fresh store from `open`.
#[macro_export]
macro_rules! tenant_contract {
    ($open:expr) => {
        #[tokio::test]
        async fn tenants_are_kept() {
            if let Some((store, _guard)) = $open.await {
                $crate::contract::tenants_are_kept(store).await;
            }
        }
    };
}
