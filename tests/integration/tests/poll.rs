//! The poll job through HTTP: health thresholds, ended meetings, cordon drain, meeting TTL, answers of any size
//! within the cap.

use std::time::Duration;

use bbb_simulator::RawAnswer;
use scalelite_integration_tests::Harness;
use scalelite_shared::bbb::checksum::{Algorithm, sign};
use serde_json::json;

fn entry(polls: &serde_json::Value, id: &str) -> serde_json::Value {
    polls.as_array().unwrap().iter().find(|p| p["id"] == id).cloned().unwrap_or_default()
}

#[tokio::test]
async fn ended_meetings_are_removed() {
    let harness = Harness::start(1).await;
    harness.create("gone").await;
    harness.create("stays").await;
    // The meeting ends on the server behind the balancer's back.
    let sim = harness.sim(0);
    let checksum = sign(Algorithm::Sha1, "end", "meetingID=gone", sim.secret());
    harness.get_url(&format!("{}/end?meetingID=gone&checksum={checksum}", sim.url())).await;
    let polls = harness.poll().await;
    assert_eq!(entry(&polls, "demo-0")["ended"], json!(1));
    assert_eq!(harness.call("getMeetingInfo", "meetingID=gone").await.message_key().as_deref(), Some("notFound"));
    assert_eq!(harness.call("getMeetingInfo", "meetingID=stays").await.returncode().as_deref(), Some("SUCCESS"));
}

#[tokio::test]
async fn unhealthy_threshold_counts_failures() {
    let harness = Harness::with_env(1, &[("SERVER_UNHEALTHY_THRESHOLD", "3"), ("SERVER_HEALTHY_THRESHOLD", "2")]).await;
    assert_eq!(harness.server_info("demo-0").await["online"], json!("offline"), "one success is not enough");
    harness.poll().await;
    harness.create("h").await;
    harness.sim(0).go_down().await;
    for _ in 0..2 {
        assert_eq!(entry(&harness.poll().await, "demo-0")["online"], json!(true));
    }
    let third = harness.poll().await;
    assert_eq!(entry(&third, "demo-0")["online"], json!(false));
    assert_eq!(entry(&third, "demo-0")["released"], json!(1));
    assert_eq!(harness.server_info("demo-0").await["load"], json!("unavailable"));

    harness.sim(0).come_up().await.unwrap();
    assert_eq!(entry(&harness.poll().await, "demo-0")["online"], json!(false), "one success is not enough");
    assert_eq!(entry(&harness.poll().await, "demo-0")["online"], json!(true));
}

#[tokio::test]
async fn a_slow_server_times_out_and_goes_offline() {
    let harness = Harness::with_env(2, &[("RESPONSE_TIMEOUT", "0.3"), ("SERVER_UNHEALTHY_THRESHOLD", "1")]).await;
    harness.sim(1).set_delay(Duration::from_secs(3));
    let polls = harness.poll().await;
    assert_eq!(entry(&polls, "demo-0")["online"], json!(true));
    assert_eq!(entry(&polls, "demo-1")["online"], json!(false));
    harness.sim(1).set_delay(Duration::ZERO);
}

#[tokio::test]
async fn a_drained_cordoned_server_is_disabled() {
    let harness = Harness::with_env(1, &[("LOAD_JOIN_BUFFER_TIME", "0")]).await;
    harness.create("busy").await;
    harness.sim(0).set_participants("busy", 2);
    harness.admin("updateServer", "", Some(json!({"id": "demo-0", "server": {"state": "cordon"}}))).await;
    harness.poll().await;
    assert_eq!(harness.server_info("demo-0").await["state"], json!("cordoned"));
    harness.sim(0).set_participants("busy", 0);
    let polls = harness.poll().await;
    assert_eq!(entry(&polls, "demo-0")["drained"], json!(true));
    assert_eq!(harness.server_info("demo-0").await["state"], json!("disabled"));
}

#[tokio::test]
async fn meetings_expire_after_their_ttl_unless_polls_see_them() {
    let harness = Harness::with_env(1, &[("DEFAULT_MEETING_TTL", "1")]).await;
    harness.create("room").await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    harness.poll().await; // still running on its server, now confirmed: the TTL starts again
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(harness.call("getMeetingInfo", "meetingID=room").await.returncode().as_deref(), Some("SUCCESS"));
    // Confirmed and unchanged, its expiry is renewed once it falls more than an eighth of the TTL behind.
    harness.poll().await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(harness.call("getMeetingInfo", "meetingID=room").await.returncode().as_deref(), Some("SUCCESS"));
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(harness.call("getMeetingInfo", "meetingID=room").await.message_key().as_deref(), Some("notFound"));
    harness.create("room").await;
    assert_eq!(harness.call("getMeetingInfo", "meetingID=room").await.returncode().as_deref(), Some("SUCCESS"));
}

#[tokio::test]
async fn the_poll_endpoint_needs_the_checksum() {
    let harness = Harness::start(1).await;
    let answer =
        harness.fetch(harness.client.post(format!("{}/scalelite/jobs/poll", harness.running.base_url()))).await;
    assert_eq!(answer.message_key().as_deref(), Some("checksumError"));
}

#[tokio::test]
async fn the_local_runtime_polls_every_poll_interval() {
    let harness = Harness::with_env(1, &[("POLL_INTERVAL", "0.2"), ("SERVER_UNHEALTHY_THRESHOLD", "1")]).await;
    harness.sim(0).go_down().await;
    let mut online = json!("online");
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        online = harness.server_info("demo-0").await["online"].clone();
        if online == json!("offline") {
            break;
        }
    }
    assert_eq!(online, json!("offline"), "no manual poll: the timer found the dead server");
}

#[tokio::test]
async fn a_pass_is_skipped_while_another_replica_holds_the_lease() {
    let harness = Harness::start(1).await;
    let store = &harness.running.ctx.leases;
    assert!(store.acquire_lease("poll", "another-replica", 60_000).await.unwrap());
    let checksum = sign(Algorithm::Sha256, "poll", "", scalelite_integration_tests::SECRET);
    let url = format!("{}/scalelite/jobs/poll?checksum={checksum}", harness.running.base_url());
    let skipped = harness.fetch(harness.client.post(&url)).await;
    assert_eq!(skipped.status, 409, "{}", skipped.body);
    store.release_lease("poll", "another-replica").await.unwrap();
    assert_eq!(entry(&harness.poll().await, "demo-0")["online"], json!(true));
    assert!(store.acquire_lease("poll", "another-replica", 60_000).await.unwrap(), "the pass gave the lease back");
}

/// A BBB server slow to answer `create`, and a poll that starts while the create is on its way: the meeting
/// stays placed, joins reach it, and the next create finds it on the same server (never split in two).
#[tokio::test]
async fn a_poll_during_a_slow_create_keeps_the_meeting() {
    let harness = Harness::start(2).await;
    for index in 0..2 {
        harness.sim(index).set_call_delay("create", Duration::from_millis(1500));
    }
    let create = harness.call("create", "meetingID=slow&name=Slow");
    let poll = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        harness.poll().await
    };
    let (created, polled) = tokio::join!(create, poll);
    assert_eq!(created.returncode().as_deref(), Some("SUCCESS"), "{}", created.body);
    let holder = harness.holder("slow").expect("created on a server");
    assert_eq!(entry(&polled, &format!("demo-{holder}"))["ended"], json!(0), "{polled}");
    assert_eq!(entry(&polled, &format!("demo-{holder}"))["recorded"], json!(true));

    let joined = harness.call("join", "meetingID=slow&fullName=Ann&role=VIEWER").await;
    let location = joined.location().expect("a redirect");
    assert!(location.starts_with(&harness.sim(holder).url()), "{location}");
    harness.poll().await;
    let again = harness.call("create", "meetingID=slow&name=Slow").await;
    assert_eq!(again.returncode().as_deref(), Some("SUCCESS"));
    let servers_running: Vec<usize> = (0..2).filter(|&i| harness.sim(i).meeting("slow").is_some()).collect();
    assert_eq!(servers_running, vec![holder], "one server runs the class");
}

/// The established TCP connections to the servers listening on `ports`, each as the server's port and the
/// client's (the loopback table of /proc/net/tcp, hex ports), sorted. The kernel lists the table in pieces, so
/// while other tests open and close connections one reading may show a socket twice or miss one: the table is read
/// until two readings agree.
fn connections_to(ports: &[u16]) -> Vec<(u16, u16)> {
    let read = || {
        let table = std::fs::read_to_string("/proc/net/tcp").unwrap_or_default();
        let port = |field: &str| field.rsplit(':').next().and_then(|p| u16::from_str_radix(p, 16).ok());
        let mut found: Vec<(u16, u16)> = table
            .lines()
            .skip(1)
            .filter_map(|line| {
                let fields: Vec<&str> = line.split_whitespace().collect();
                let (local, remote) = (port(fields.get(1)?)?, port(fields.get(2)?)?);
                (fields.get(3) == Some(&"01") && ports.contains(&local)).then_some((local, remote))
            })
            .collect();
        found.sort_unstable();
        found.dedup();
        found
    };
    let mut last = read();
    for _ in 0..10 {
        let again = read();
        if again == last {
            break;
        }
        last = again;
    }
    last
}

/// A pass asks `POLL_CONCURRENCY` servers at a time, and keeps at most `BBB_KEPT_CONNECTIONS` connections open
/// afterwards, so the open files of a poller stay bounded however large the pool.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pass_polls_a_few_servers_at_a_time_and_keeps_connections_within_the_bound() {
    let harness = Harness::with_env(12, &[("POLL_CONCURRENCY", "3"), ("BBB_KEPT_CONNECTIONS", "4")]).await;
    for index in 0..12 {
        harness.sim(index).set_call_delay("getMeetings", Duration::from_millis(200));
    }
    let ports: Vec<u16> = (0..12).map(|index| harness.sim(index).addr().port()).collect();
    let started = std::time::Instant::now();
    let polled = harness.poll().await;
    let took = started.elapsed();
    assert_eq!(polled.as_array().map(Vec::len), Some(12));
    assert!(took >= Duration::from_millis(780), "12 servers, 3 at a time, 200 ms each took {took:?}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(connections_to(&ports).len(), 4, "the connections kept are the bound's");
}

/// Within the bound, the next pass asks each server over the connection the last pass kept: no new connection
/// (and no new local port) a server a pass.
#[tokio::test]
async fn the_next_pass_reuses_the_connections_kept() {
    let harness = Harness::start(3).await;
    let ports: Vec<u16> = (0..3).map(|index| harness.sim(index).addr().port()).collect();
    harness.poll().await;
    let kept = connections_to(&ports);
    assert_eq!(kept.len(), 3, "one connection a server: {kept:?}");
    for _ in 0..3 {
        let polls = harness.poll().await;
        assert!(polls.as_array().unwrap().iter().all(|poll| poll["online"] == true), "{polls}");
        assert_eq!(connections_to(&ports), kept, "the same connections");
    }
    // A server that drops its connections is reached over a new one.
    harness.sim(1).go_down().await;
    harness.sim(1).come_up().await.unwrap();
    let polls = harness.poll().await;
    assert_eq!(entry(&polls, "demo-1")["online"], json!(true), "{polls}");
    let after = connections_to(&ports);
    assert_eq!(after.len(), 3, "{after:?}");
    assert_ne!(after, kept);
}

/// A server goes offline: its meeting is released (the `end` sent to it fails) and placed elsewhere by its next
/// create. When the server comes back still running its copy, the first poll that reaches it ends that copy, so
/// the class is not split in two; joins keep reaching the placed copy.
#[tokio::test]
async fn a_server_that_comes_back_ends_its_copies_of_meetings_placed_elsewhere() {
    let harness = Harness::start(2).await;
    harness.create("class").await;
    let first = harness.holder("class").unwrap();
    let other = 1 - first;
    harness.sim(first).go_down().await;
    harness.poll().await;
    let polls = harness.poll().await;
    assert_eq!(entry(&polls, &format!("demo-{first}"))["released"], json!(1));
    harness.create("class").await;
    assert!(harness.sim(other).meeting("class").is_some(), "placed anew on the live server");

    harness.sim(first).come_up().await.unwrap();
    assert!(harness.sim(first).meeting("class").is_some(), "the old copy still runs");
    let polls = harness.poll().await;
    assert_eq!(entry(&polls, &format!("demo-{first}"))["split"], json!(["class"]));
    assert!(harness.sim(first).meeting("class").is_none(), "the copy on the returned server was ended");
    assert!(harness.sim(other).meeting("class").is_some());
    let polls = harness.poll().await;
    assert_eq!(entry(&polls, &format!("demo-{first}"))["split"], json!([]), "resolved by the next poll");
    let join = harness.call("join", "meetingID=class&fullName=Ada&role=VIEWER").await;
    assert!(join.headers["location"].to_str().unwrap().starts_with(&harness.sim(other).url()));
}

/// A getMeetings answer of about 10 MB (130,000 meetings, under the 16 MiB answer cap) is recorded whole: the
/// meetings adopted by one poll, extended by the next, each statement or command of the store bounded.
#[tokio::test]
async fn a_poll_of_130000_meetings_is_recorded() {
    const MEETINGS: usize = 130_000;
    let harness = Harness::start(1).await;
    let mut body = b"<response><returncode>SUCCESS</returncode><meetings>".to_vec();
    for i in 0..MEETINGS {
        body.extend(
            format!("<meeting><meetingID>m{i:06}</meetingID><voiceBridge>7{i:06}</voiceBridge></meeting>").bytes(),
        );
    }
    body.extend_from_slice(b"</meetings></response>");
    assert!(body.len() > 10_000_000 && body.len() < 16 << 20, "{} bytes", body.len());
    harness.sim(0).set_raw_answer("getMeetings", RawAnswer { status: 200, headers: Vec::new(), body });

    let first = entry(&harness.poll().await, "demo-0");
    assert_eq!((first["recorded"].clone(), first["adopted"].clone()), (json!(true), json!(MEETINGS)), "{first}");
    let info = b"<response><returncode>SUCCESS</returncode><running>true</running></response>".to_vec();
    harness.sim(0).set_raw_answer("getMeetingInfo", RawAnswer { status: 200, headers: Vec::new(), body: info });
    for id in ["m000000", "m129999"] {
        let answer = harness.call("getMeetingInfo", &format!("meetingID={id}")).await;
        assert_eq!(answer.returncode().as_deref(), Some("SUCCESS"), "{id} is placed: {}", answer.body);
    }
    let second = entry(&harness.poll().await, "demo-0");
    assert_eq!((second["recorded"].clone(), second["adopted"].clone()), (json!(true), json!(0)), "{second}");
    assert_eq!(second["ended"], json!(0), "{second}");
}
