//! The store contract: what every `MeetingStore` adapter must do, run against each backend.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use scalelite_shared::balance::health::HealthRules;
use scalelite_shared::balance::load::LoadRules;
use scalelite_shared::balance::tags::TagRequest;
use scalelite_shared::bbb::meetings_xml::MeetingEntry;
use scalelite_shared::clock::now_ms;
use scalelite_shared::model::{Server, ServerState, ServerUpdate, Tenant, TenantSetting};
use scalelite_shared::store::{
    JoinTarget, MeetingStore, PlaceError, Placed, Placement, PollReport, StoreError, TenantStore,
};

const LOAD: LoadRules = LoadRules { min_user_count: 1.0, join_buffer: Duration::from_secs(900) };
const HEALTH: HealthRules = HealthRules { healthy_threshold: 1, unhealthy_threshold: 1 };

fn placement(meeting_id: &str, tags: &str) -> Placement {
    Placement {
        meeting_id: meeting_id.to_owned(),
        tenant_id: String::new(),
        tags: TagRequest::parse(Some(tags)),
        moderator_pw: "mod".into(),
        voice_bridges: (0..10).map(|i| format!("{meeting_id}-vb{i}")).collect(),
        load: LOAD,
        ttl_ms: 3_600_000,
        now_ms: now_ms(),
    }
}

fn report(meetings: Option<Vec<MeetingEntry>>) -> PollReport {
    PollReport { started_at_ms: now_ms(), meetings, health: HEALTH, load: LOAD, ttl_ms: 3_600_000 }
}

fn entry(id: &str, attendees: u64) -> MeetingEntry {
    MeetingEntry { meeting_id: id.into(), attendees, participant_count: attendees, ..MeetingEntry::default() }
}

/// Adds an enabled server and polls it online with no meetings.
async fn live_server(store: &dyn MeetingStore, id: &str, tag: Option<&str>) {
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

pub async fn servers_are_kept(store: Arc<dyn MeetingStore>) {
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

pub async fn placement_reserves_and_reuses(store: Arc<dyn MeetingStore>) {
    assert!(matches!(store.place_meeting(&placement("m", "")).await, Err(PlaceError::NoServer)));
    live_server(&*store, "a", None).await;
    live_server(&*store, "b", Some("gpu")).await;
    let first = store.place_meeting(&placement("m", "")).await.unwrap();
    let Placed::New { meeting, server, replaced: None } = &first else { panic!("{first:?}") };
    assert_eq!((server.id.as_str(), server.load), ("a", Some(1.0)));
    assert_eq!(meeting.voice_bridge, "m-vb0");
    assert!(matches!(store.place_meeting(&placement("m", "")).await.unwrap(), Placed::Existing { .. }));
    assert_eq!(store.meeting("m").await.unwrap().unwrap().server_id, "a");

    assert_eq!(server_of(&store.place_meeting(&placement("g", "gpu")).await.unwrap()), "b");
    assert!(
        matches!(store.place_meeting(&placement("r", "ssd!")).await, Err(PlaceError::TagUnavailable(tags)) if tags == "ssd")
    );
    let JoinTarget::Server(joined) = store.join_meeting("m").await.unwrap() else { panic!("joinable") };
    assert_eq!(joined.id, "a");
    assert_eq!(store.server("a").await.unwrap().unwrap().load, Some(2.0), "the join counts at once");
    assert_eq!(store.join_meeting("nope").await.unwrap(), JoinTarget::NoMeeting);

    let mut other_tenant = placement("m", "");
    other_tenant.tenant_id = "t2".into();
    assert!(matches!(store.place_meeting(&other_tenant).await, Err(PlaceError::OtherTenant)));
    assert_eq!(store.delete_meeting("m").await.unwrap().unwrap().id, "m");
    assert!(store.meeting("m").await.unwrap().is_none());
}

pub async fn voice_bridges_are_unique(store: Arc<dyn MeetingStore>) {
    live_server(&*store, "a", None).await;
    let mut first = placement("one", "");
    first.voice_bridges = vec!["111".into(), "222".into()];
    let mut second = placement("two", "");
    second.voice_bridges = vec!["111".into(), "333".into()];
    let mut third = placement("three", "");
    third.voice_bridges = vec!["111".into(), "333".into()];
    store.place_meeting(&first).await.unwrap();
    store.place_meeting(&second).await.unwrap();
    assert_eq!(store.meeting("two").await.unwrap().unwrap().voice_bridge, "333");
    assert!(matches!(store.place_meeting(&third).await, Err(PlaceError::VoiceBridgeExhausted)));
}

pub async fn dead_servers_lose_their_meetings(store: Arc<dyn MeetingStore>) {
    live_server(&*store, "a", None).await;
    live_server(&*store, "b", None).await;
    store.place_meeting(&placement("m", "")).await.unwrap();
    let holder = store.meeting("m").await.unwrap().unwrap().server_id;
    store
        .update_server(&holder, &ServerUpdate { state: Some(ServerState::Disabled), ..ServerUpdate::default() })
        .await
        .unwrap();
    assert_eq!(store.join_meeting("m").await.unwrap(), JoinTarget::Unavailable);
    let moved = store.place_meeting(&placement("m", "")).await.unwrap();
    let Placed::New { server, replaced: Some(old), .. } = &moved else { panic!("{moved:?}") };
    assert_ne!(server.id, holder);
    assert_eq!(old.server_id, holder);

    let new_holder = server.id.clone();
    let outcome = store.record_poll(&new_holder, &report(None)).await.unwrap();
    assert!(!outcome.online);
    assert_eq!(outcome.released.len(), 1);
    assert!(store.meeting("m").await.unwrap().is_none());
    assert_eq!(store.server(&new_holder).await.unwrap().unwrap().load, None);

    live_server(&*store, "c", None).await;
    store.place_meeting(&placement("n", "")).await.unwrap();
    assert!(store.delete_server("c").await.unwrap());
    assert!(
        matches!(store.place_meeting(&placement("n", "")).await, Err(PlaceError::NoServer)),
        "only offline and disabled servers are left"
    );
}

pub async fn polls_end_meetings_and_drain_cordoned_servers(store: Arc<dyn MeetingStore>) {
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
    store.delete_meeting("late").await.unwrap();
    let outcome = store.record_poll("a", &report(Some(Vec::new()))).await.unwrap();
    assert!(outcome.drained);
    assert_eq!(store.server("a").await.unwrap().unwrap().state, ServerState::Disabled);
}

pub async fn expired_meetings_are_gone(store: Arc<dyn MeetingStore>) {
    live_server(&*store, "a", None).await;
    let mut short = placement("short", "");
    short.ttl_ms = 1;
    short.now_ms -= 1_000;
    store.place_meeting(&short).await.unwrap();
    assert!(store.meeting("short").await.unwrap().is_none());
    assert!(matches!(store.place_meeting(&placement("short", "")).await.unwrap(), Placed::New { .. }));
}

pub async fn leases_exclude_other_holders(store: Arc<dyn MeetingStore>) {
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
pub async fn tokens_are_single_use(store: Arc<dyn MeetingStore>) {
    store.put_token("t1", r#"{"record_id":"r"}"#, 60_000).await.unwrap();
    assert_eq!(store.take_token("t1").await.unwrap().as_deref(), Some(r#"{"record_id":"r"}"#));
    assert_eq!(store.take_token("t1").await.unwrap(), None, "a token is used once");
    assert_eq!(store.take_token("never").await.unwrap(), None);
    store.put_token("t2", "v", 1).await.unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert_eq!(store.take_token("t2").await.unwrap(), None, "an expired token is refused");
}

/// 8 tasks place 1,000 meetings at once over 10 servers: one server each, spread within 1, no reservation lost.
pub async fn concurrent_placements_spread_evenly(store: Arc<dyn MeetingStore>) {
    for i in 0..10 {
        live_server(&*store, &format!("s{i}"), None).await;
    }
    let tasks: Vec<_> = (0..8)
        .map(|task| {
            let store = store.clone();
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
        total_meetings += store.meetings_on(&id).await.unwrap().len();
    }
    assert_eq!((total_load, total_meetings), (1000.0, 1000));
}

/// Tenants: found by id and name, names unique, renames move the name, settings kept per tenant and removed
/// with it.
pub async fn tenants_are_kept(store: Arc<dyn TenantStore>) {
    let school = Tenant { id: "t1".into(), name: "school".into(), secrets: vec!["a".into(), "b".into()] };
    let uni = Tenant { id: "t2".into(), name: "uni".into(), secrets: vec!["u".into()] };
    store.add_tenant(&school).await.unwrap();
    store.add_tenant(&uni).await.unwrap();
    let clash = Tenant { id: "t3".into(), name: "school".into(), secrets: vec!["x".into()] };
    assert!(matches!(store.add_tenant(&clash).await, Err(StoreError::Conflict(_))), "names are unique");
    assert_eq!(store.tenants().await.unwrap(), vec![school.clone(), uni.clone()]);
    assert_eq!(store.tenant_by_name("school").await.unwrap(), Some(school.clone()));
    assert_eq!(store.tenant("t2").await.unwrap(), Some(uni.clone()));

    let renamed = Tenant { name: "college".into(), secrets: vec!["c".into()], ..school.clone() };
    assert_eq!(store.update_tenant(&renamed).await.unwrap(), Some(renamed.clone()));
    assert_eq!(store.tenant_by_name("school").await.unwrap(), None, "the old name is free");
    assert_eq!(store.tenant_by_name("college").await.unwrap(), Some(renamed.clone()));
    let taken = Tenant { name: "uni".into(), ..renamed.clone() };
    assert!(matches!(store.update_tenant(&taken).await, Err(StoreError::Conflict(_))));
    let ghost = Tenant { id: "nope".into(), name: "ghost".into(), secrets: vec![] };
    assert_eq!(store.update_tenant(&ghost).await.unwrap(), None);

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
/// guard lives as long as the case and cleans up after it) or `None` to skip the case.
#[macro_export]
macro_rules! store_contract {
    ($open:expr) => {
        $crate::store_contract!($open;
            servers_are_kept,
            placement_reserves_and_reuses,
            voice_bridges_are_unique,
            dead_servers_lose_their_meetings,
            polls_end_meetings_and_drain_cordoned_servers,
            expired_meetings_are_gone,
            leases_exclude_other_holders,
            tokens_are_single_use,
            concurrent_placements_spread_evenly
        );
    };
    ($open:expr; $($case:ident),+) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $case() {
                if let Some((store, _guard)) = $open.await {
                    $crate::contract::$case(store).await;
                }
            }
        )+
    };
}
