//! Creates under contention, through HTTP: bursts of new meetings on a few servers, from one replica and from
//! several on one Redis, all succeed, spread evenly, and the wait shows in `/metrics`.

use std::net::SocketAddr;

use futures::future::join_all;
use scalelite_cli::{Options, Running};
use scalelite_integration_tests::{Answer, Harness, SECRET};
use scalelite_shared::bbb::checksum::{Algorithm, sign};
use scalelite_shared::config::Config;

/// Creates at once through each replica.
const BURST: usize = 64;

/// Another replica of the load balancer, in this process, on the harness's stores.
async fn replica(harness: &Harness) -> Running {
    let config = Config::from_lookup(|name| harness.env.get(name).cloned()).expect("config");
    let options = Options { bind: SocketAddr::from(([127, 0, 0, 1], 0)), demo_servers: 0 };
    scalelite_cli::start(config, options).await.expect("replica starts")
}

async fn create(harness: &Harness, base: &str, id: &str) -> Answer {
    let query = format!("meetingID={id}&name=Burst");
    let checksum = sign(Algorithm::Sha256, "create", &query, SECRET);
    harness.get_url(&format!("{base}/bigbluebutton/api/create?{query}&checksum={checksum}")).await
}

/// `BURST` creates at once through each of `bases`; asserts every one succeeded and the servers share them.
async fn burst(harness: &Harness, bases: &[String]) {
    let creates = bases.iter().enumerate().flat_map(|(replica, base)| {
        (0..BURST).map(move |n| async move {
            (format!("r{replica}-{n}"), create(harness, base, &format!("r{replica}-{n}")).await)
        })
    });
    let failed: Vec<String> = join_all(creates)
        .await
        .into_iter()
        .filter(|(_, answer)| answer.returncode().as_deref() != Some("SUCCESS"))
        .map(|(id, answer)| format!("{id}: {}", answer.body))
        .collect();
    assert!(
        failed.is_empty(),
        "{} of {} creates failed, first: {:?}",
        failed.len(),
        bases.len() * BURST,
        failed.first()
    );
    let total = bases.len() * BURST;
    for (index, server) in harness.fleet().servers.iter().enumerate() {
        let held = server.meeting_ids().len();
        assert!(held * 3 >= total * 3 / 4 && held * 3 <= total * 5 / 4, "server {index} runs {held} of {total}");
    }
}

/// The placement histogram of the replica at `base` counts each of its `creates` (a create whose placement
/// waited past half its grace is placed again, marked as sent anew, and counted twice).
async fn placements_counted(harness: &Harness, base: &str, creates: usize) {
    let metrics = harness.get_url(&format!("{base}/metrics")).await.body;
    let count = metrics
        .lines()
        .find_map(|line| line.strip_prefix("scalelite_placement_duration_seconds_count "))
        .and_then(|count| count.parse::<usize>().ok());
    assert!(count.is_some_and(|count| count >= creates), "{creates} creates, counted {count:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_creates_through_one_replica_all_succeed() {
    let harness = Harness::start(3).await;
    let base = harness.running.base_url();
    burst(&harness, std::slice::from_ref(&base)).await;
    placements_counted(&harness, &base, BURST).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bursts_from_four_replicas_on_redis_all_succeed() {
    let Some(harness) = Harness::on_production_stores(3, &[]).await else { return };
    let mut others = Vec::new();
    for _ in 0..3 {
        others.push(replica(&harness).await);
    }
    let mut bases = vec![harness.running.base_url()];
    bases.extend(others.iter().map(Running::base_url));
    burst(&harness, &bases).await;
    for base in &bases {
        placements_counted(&harness, base, BURST).await;
    }
}
