//! A class joining at once, through HTTP: every join of a burst reaches the meeting's server, on the embedded
//! store and on Redis. On Redis the joins of one meeting that come together share a read; a join sent after the
//! meeting ended through another replica is refused all the same, however many joins of it are on the way.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use futures::future::join_all;
use http::StatusCode;
use scalelite_cli::{Options, Running};
use scalelite_integration_tests::{Answer, Harness, SECRET};
use scalelite_shared::bbb::checksum::{Algorithm, sign};
use scalelite_shared::config::Config;

/// Participants joining at once.
const CLASS: usize = 200;

/// Joins kept on the way at once while the meeting ends.
const STORM: usize = 32;

/// Another replica of the load balancer, in this process, on the harness's stores.
async fn replica(harness: &Harness) -> Running {
    let config = Config::from_lookup(|name| harness.env.get(name).cloned()).expect("config");
    let options = Options { bind: SocketAddr::from(([127, 0, 0, 1], 0)), demo_servers: 0 };
    scalelite_cli::start(config, options).await.expect("replica starts")
}

/// Participant `n` joining meeting `id` through the replica at `base`.
async fn join(harness: &Harness, base: &str, id: &str, n: usize) -> Answer {
    let query = format!("meetingID={id}&fullName=Student+{n}&role=VIEWER");
    let checksum = sign(Algorithm::Sha256, "join", &query, SECRET);
    harness.get_url(&format!("{base}/bigbluebutton/api/join?{query}&checksum={checksum}")).await
}

/// `CLASS` joins of one meeting at once: every one goes to the server that runs it.
async fn class_joins_at_once(harness: &Harness) {
    harness.create("lecture").await;
    let server = harness.sim(harness.holder("lecture").expect("placed")).url();
    let base = harness.running.base_url();
    let answers = join_all((0..CLASS).map(|n| join(harness, &base, "lecture", n))).await;
    for answer in answers {
        assert_eq!(answer.status, StatusCode::FOUND, "{}", answer.body);
        let location = answer.location().expect("a redirect");
        assert!(location.starts_with(&format!("{server}/join?")), "{location}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_class_joining_at_once_reaches_its_server() {
    class_joins_at_once(&Harness::start(3).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_class_joining_at_once_reaches_its_server_on_redis() {
    let Some(harness) = Harness::on_production_stores(3, &[]).await else { return };
    class_joins_at_once(&harness).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn joins_sent_after_the_end_through_another_replica_are_refused_during_a_storm() {
    let Some(harness) = Harness::on_production_stores(3, &[]).await else { return };
    let other = replica(&harness).await;
    harness.create("lecture").await;
    let base = other.base_url();
    let (ended, stop, sent_after) = (AtomicBool::new(false), AtomicBool::new(false), AtomicUsize::new(0));
    // Each of `STORM` participants joins again as soon as answered, noting whether the end had been answered
    // before the join was sent.
    let storm = join_all((0..STORM).map(|n| {
        let (harness, base, ended, stop, sent_after) = (&harness, &base, &ended, &stop, &sent_after);
        async move {
            let mut seen = Vec::new();
            while !stop.load(Ordering::SeqCst) {
                let after_end = ended.load(Ordering::SeqCst);
                seen.push((after_end, join(harness, base, "lecture", n).await));
                sent_after.fetch_add(usize::from(after_end), Ordering::SeqCst);
            }
            seen
        }
    }));
    let end = async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let answer = harness.call("end", "meetingID=lecture").await;
        assert_eq!(answer.returncode().as_deref(), Some("SUCCESS"), "{}", answer.body);
        ended.store(true, Ordering::SeqCst);
        // The storm goes on until as many joins as it has participants were answered after the end (or 10 s).
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while sent_after.load(Ordering::SeqCst) < STORM && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        stop.store(true, Ordering::SeqCst);
    };
    let (seen, ()) = tokio::join!(storm, end);
    let seen: Vec<(bool, Answer)> = seen.into_iter().flatten().collect();
    let before = seen.iter().filter(|(after_end, answer)| !after_end && answer.status == StatusCode::FOUND).count();
    assert!(before >= STORM, "the storm was on the way before the end: {before} joins went through");
    let after: Vec<&Answer> = seen.iter().filter(|(after_end, _)| *after_end).map(|(_, answer)| answer).collect();
    assert!(after.len() >= STORM, "joins were sent after the end: {}", after.len());
    for answer in after {
        assert_eq!(answer.message_key().as_deref(), Some("notFound"), "a join sent after the end: {}", answer.body);
    }
}
