//! The poll benchmark recorded in BENCHMARKS.md: `poll_bench SERVERS MEETINGS [CONCURRENCY]` starts SERVERS
//! simulated BBB servers in child processes (as the BBB servers are other machines, the fleet's own work is not
//! the load balancer's; each child runs at most 4,000, so its listeners and kept connections stay within the
//! open-file limit), the local runtime in this one with those servers registered, opens MEETINGS meetings
//! on them directly (as if another load balancer had placed them), then times poll passes through
//! `POST /scalelite/jobs/poll`: the first adopts every meeting, the next ones find them placed (the steady
//! state). Each pass prints its wall time, the CPU time the load balancer and the fleet spent in it, and the
//! load balancer's open files and resident memory (the store's connections and caches, holding the pool). Runs
//! on the embedded store, or on Redis with `SCALELITE_TEST_STORE=production`; keeps a connection to every
//! server unless `BBB_KEPT_CONNECTIONS` sets another bound.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bbb_simulator::Fleet;
use futures::StreamExt;
use scalelite_integration_tests::Harness;
use scalelite_integration_tests::process::status_kb;
use scalelite_shared::bbb::checksum::{Algorithm, sign};
use scalelite_shared::model::{Server, ServerState};

/// The allocator of the load balancer's binaries, so the load balancer in this process allocates as it does there.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Steady-state passes timed after the adopting one.
const STEADY_PASSES: usize = 3;

/// Set in a child that runs part of the fleet: how many servers.
const FLEET_VAR: &str = "POLL_BENCH_FLEET";

/// Most simulated servers in one child: a listener and a kept connection each.
const SERVERS_PER_CHILD: usize = 4_000;

/// One simulated server as the child announces it.
struct Simulated {
    url: String,
    secret: String,
}

/// The child: the fleet, announced one `url secret` line a server, until its stdin closes.
async fn run_fleet(servers: usize) {
    let fleet = Fleet::start(servers).await.expect("the simulated fleet starts");
    let mut out = std::io::stdout().lock();
    for sim in &fleet.servers {
        writeln!(out, "{} {}", sim.url(), sim.secret()).expect("announce");
    }
    out.flush().expect("announce");
    drop(out);
    tokio::task::spawn_blocking(|| std::io::stdin().lines().count()).await.expect("stdin");
}

/// The fleet in child processes of this program, and its servers.
fn start_fleet(servers: usize) -> (Vec<Child>, Vec<Simulated>) {
    let mut children = Vec::new();
    let mut sims = Vec::with_capacity(servers);
    let mut left = servers;
    while left > 0 {
        let part = left.min(SERVERS_PER_CHILD);
        let (child, part_sims) = start_fleet_part(part);
        children.push(child);
        sims.extend(part_sims);
        left -= part;
    }
    (children, sims)
}

/// Part of the fleet in one child process, and its servers.
fn start_fleet_part(servers: usize) -> (Child, Vec<Simulated>) {
    let mut child = Command::new(std::env::current_exe().expect("this program"))
        .env(FLEET_VAR, servers.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("the fleet's process starts");
    let lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let sims = lines
        .take(servers)
        .map(|line| {
            let line = line.expect("an announced server");
            let (url, secret) = line.split_once(' ').expect("url secret");
            Simulated { url: url.to_owned(), secret: secret.to_owned() }
        })
        .collect::<Vec<_>>();
    assert_eq!(sims.len(), servers, "the fleet announced every server");
    (child, sims)
}

/// CPU time (user and system) of process `pid`, from /proc.
fn cpu_time(pid: u32, ticks_per_second: f64) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("/proc stat");
    // The fields after the command name (which is in parentheses): utime and stime are the 12th and 13th.
    let fields: Vec<&str> = stat.rsplit_once(')').expect("stat").1.split_whitespace().collect();
    let ticks: u64 = fields[11].parse::<u64>().expect("utime") + fields[12].parse::<u64>().expect("stime");
    Duration::from_secs_f64(ticks as f64 / ticks_per_second)
}

fn clock_ticks() -> f64 {
    let out = Command::new("getconf").arg("CLK_TCK").output().expect("getconf");
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap_or(100.0)
}

#[tokio::main]
async fn main() {
    if let Ok(servers) = std::env::var(FLEET_VAR) {
        run_fleet(servers.parse().expect("a number of servers")).await;
        return;
    }
    let mut args = std::env::args().skip(1).map(|a| a.parse::<usize>().expect("whole numbers"));
    let servers = args.next().unwrap_or(1_000);
    let meetings = args.next().unwrap_or(servers * 10);
    let concurrency = args.next().unwrap_or(64).to_string();
    let started = Instant::now();
    let (fleet, sims) = start_fleet(servers);
    // Every server's connection kept (the bound at the pool's size) unless BBB_KEPT_CONNECTIONS says otherwise.
    let kept = std::env::var("BBB_KEPT_CONNECTIONS").unwrap_or_else(|_| servers.to_string());
    let harness = Harness::with_env(0, &[("POLL_CONCURRENCY", &concurrency), ("BBB_KEPT_CONNECTIONS", &kept)]).await;
    for (index, sim) in sims.iter().enumerate() {
        let mut server = Server::new(format!("sim-{index}"), sim.url.clone(), &sim.secret);
        server.state = ServerState::Enabled;
        harness.running.ctx.servers.add_server(&server).await.expect("server registered");
    }
    eprintln!("{servers} simulated servers started and registered in {:.1} s", started.elapsed().as_secs_f64());

    // No connection kept per simulated server: ten thousand of them would use up the open files.
    let client = reqwest::Client::builder().pool_max_idle_per_host(0).build().expect("client");
    let opened = Instant::now();
    futures::stream::iter(0..meetings)
        .for_each_concurrent(64, |i| {
            let sim = &sims[i % servers];
            let query = format!("meetingID=bench-{i}&name=Bench&voiceBridge={}", 10_000_000 + i);
            let checksum = sign(Algorithm::Sha1, "create", &query, &sim.secret);
            let url = format!("{}/create?{query}&checksum={checksum}", sim.url);
            let client = &client;
            async move {
                client.get(url).send().await.expect("simulated create").error_for_status().expect("created");
            }
        })
        .await;
    eprintln!("{meetings} meetings opened on the simulated servers in {:.1} s", opened.elapsed().as_secs_f64());

    let ticks = clock_ticks();
    let timed = |label: &'static str| {
        let harness = &harness;
        let fleet_pids: Vec<u32> = fleet.iter().map(Child::id).collect();
        let fleet_cpu = move || fleet_pids.iter().map(|pid| cpu_time(*pid, ticks)).sum::<Duration>();
        async move {
            let (own_before, fleet_before) = (cpu_time(std::process::id(), ticks), fleet_cpu());
            let pass = Instant::now();
            let report = harness.poll().await;
            let seconds = pass.elapsed().as_secs_f64();
            let own = cpu_time(std::process::id(), ticks) - own_before;
            let fleet_cpu = fleet_cpu() - fleet_before;
            let polled = report.as_array().map_or(0, Vec::len);
            let online = report.as_array().map_or(0, |a| a.iter().filter(|s| s["online"] == true).count());
            let adopted: u64 = report.as_array().map_or(0, |a| a.iter().filter_map(|s| s["adopted"].as_u64()).sum());
            let open_files = std::fs::read_dir("/proc/self/fd").map_or(0, |dir| dir.count());
            let pid = std::process::id();
            let (resident, peak) = (status_kb(pid, "VmRSS:") / 1024, status_kb(pid, "VmHWM:") / 1024);
            println!(
                "{label}: {polled} servers ({online} online, {adopted} meetings adopted) in {seconds:.3} s, \
                 {:.3} ms a server; CPU: load balancer {:.2} s ({:.3} ms a server), simulated fleet {:.2} s; \
                 {open_files} open files; resident memory {resident} MB (peak {peak} MB)",
                seconds * 1000.0 / servers.max(1) as f64,
                own.as_secs_f64(),
                own.as_secs_f64() * 1000.0 / servers.max(1) as f64,
                fleet_cpu.as_secs_f64(),
            );
        }
    };
    timed("adopting pass").await;
    for _ in 0..STEADY_PASSES {
        timed("steady pass").await;
    }
    for child in fleet {
        drop(child.stdin);
    }
}
