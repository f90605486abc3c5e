//! The poll benchmark recorded in BENCHMARKS.md: `poll_bench SERVERS MEETINGS [CONCURRENCY]` starts the local
//! runtime with SERVERS simulated BBB servers in this process, opens MEETINGS meetings on them directly (as
//! if another load balancer had placed them), then times poll passes through `POST /scalelite/jobs/poll`: the
//! first adopts every meeting, the next ones find them placed (the steady state). Runs on the embedded store,
//! or on Redis with `SCALELITE_TEST_STORE=production`.

use std::time::Instant;

use futures::StreamExt;
use scalelite_integration_tests::Harness;
use scalelite_shared::bbb::checksum::{Algorithm, sign};

/// The allocator of the load balancer's binaries, so the load balancer in this process allocates as it does there.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Steady-state passes timed after the adopting one.
const STEADY_PASSES: usize = 3;

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1).map(|a| a.parse::<usize>().expect("whole numbers"));
    let servers = args.next().unwrap_or(1_000);
    let meetings = args.next().unwrap_or(servers * 10);
    let concurrency = args.next().unwrap_or(64).to_string();
    let started = Instant::now();
    let harness = Harness::with_env(servers, &[("POLL_CONCURRENCY", &concurrency)]).await;
    eprintln!("{servers} simulated servers started and polled once in {:.1} s", started.elapsed().as_secs_f64());

    // No connection kept per simulated server: ten thousand of them would use up the open files.
    let client = reqwest::Client::builder().pool_max_idle_per_host(0).build().expect("client");
    let opened = Instant::now();
    futures::stream::iter(0..meetings)
        .for_each_concurrent(64, |i| {
            let sim = harness.sim(i % servers);
            let query = format!("meetingID=bench-{i}&name=Bench&voiceBridge={}", 10_000_000 + i);
            let checksum = sign(Algorithm::Sha1, "create", &query, sim.secret());
            let url = format!("{}/create?{query}&checksum={checksum}", sim.url());
            let client = &client;
            async move {
                client.get(url).send().await.expect("simulated create").error_for_status().expect("created");
            }
        })
        .await;
    eprintln!("{meetings} meetings opened on the simulated servers in {:.1} s", opened.elapsed().as_secs_f64());

    let timed = |label: &'static str| {
        let harness = &harness;
        async move {
            let pass = Instant::now();
            let report = harness.poll().await;
            let seconds = pass.elapsed().as_secs_f64();
            let polled = report.as_array().map_or(0, Vec::len);
            let online = report.as_array().map_or(0, |a| a.iter().filter(|s| s["online"] == true).count());
            let adopted: u64 = report.as_array().map_or(0, |a| a.iter().filter_map(|s| s["adopted"].as_u64()).sum());
            // Each simulated server holds one listening socket in this process; the rest is the load balancer's.
            let open_files = std::fs::read_dir("/proc/self/fd").map_or(0, |dir| dir.count());
            println!(
                "{label}: {polled} servers ({online} online, {adopted} meetings adopted) in {seconds:.3} s, \
                 {:.3} ms a server; {} open files besides the simulated servers' listeners",
                seconds * 1000.0 / servers.max(1) as f64,
                open_files.saturating_sub(servers)
            );
        }
    };
    timed("adopting pass").await;
    for _ in 0..STEADY_PASSES {
        timed("steady pass").await;
    }
}
