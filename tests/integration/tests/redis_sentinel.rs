//! Redis behind Sentinel, through HTTP: a primary, a replica and three sentinels of its own; the primary is
//! killed while creates and joins stream in, the sentinels promote the replica, every meeting created is still
//! served afterwards, calls in flight either succeed or get the documented error, and creates work again. A
//! load balancer replica idle during a failover writes to the new primary, not to the old one when it resumes;
//! writes wait for the Redis replica, and with `REDIS_WAIT_REPLICAS_REQUIRED` fail without it.

use std::fs::File;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use scalelite_integration_tests::wait::{came_true, eventually};
use scalelite_integration_tests::{Answer, Harness, fresh_namespace, skip};

const MASTER: &str = "scalelite-test";

/// A Redis process of this test, killed when dropped (also when the test fails).
struct Node {
    name: &'static str,
    port: u16,
    child: Child,
}

impl Node {
    /// `redis-server` on a free port with `config` (and `--sentinel` for a sentinel), logging into `dir`, once it
    /// answers. A port picked free can be taken by another process before the server binds it (an outgoing
    /// connection of a test running beside this one), so a server that exits at start is started again on another.
    async fn start(dir: &Path, name: &'static str, config: &str, sentinel: bool) -> Self {
        for _ in 0..5 {
            let mut node = Self::spawn(dir, name, free_port(), config, sentinel);
            if node.answers().await {
                return node;
            }
        }
        panic!("{name} did not start: {}", log_tail(dir, name));
    }

    fn spawn(dir: &Path, name: &'static str, port: u16, config: &str, sentinel: bool) -> Self {
        let file = dir.join(format!("{name}.conf"));
        let config = format!("port {port}\nbind 127.0.0.1\ndir {}\n{config}", dir.display());
        std::fs::write(&file, config).expect("config");
        let log = File::create(dir.join(format!("{name}.log"))).expect("log");
        let mut command = Command::new("redis-server");
        command.arg(&file);
        if sentinel {
            command.arg("--sentinel");
        }
        let child = command
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("redis-server starts");
        Self { name, port, child }
    }

    /// Whether the process answers PING within 10 s; false as soon as it has exited.
    async fn answers(&mut self) -> bool {
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(10) {
            if self.child.try_wait().is_ok_and(|status| status.is_some()) {
                return false;
            }
            if self.ask(&cmd(&["PING"])).await.is_ok() {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        false
    }

    fn client(&self) -> redis::Client {
        redis::Client::open(format!("redis://127.0.0.1:{}", self.port)).expect("client")
    }

    /// The answer to `command`, once the node answers at all.
    async fn ask(&self, command: &redis::Cmd) -> redis::RedisResult<redis::Value> {
        let mut conn = self.client().get_multiplexed_async_connection().await?;
        command.query_async(&mut conn).await
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn cmd(args: &[&str]) -> redis::Cmd {
    let mut command = redis::cmd(args[0]);
    for arg in &args[1..] {
        command.arg(*arg);
    }
    command
}

fn text(value: &redis::Value) -> String {
    match value {
        redis::Value::BulkString(bytes) => String::from_utf8_lossy(bytes).into_owned(),
        redis::Value::SimpleString(text) | redis::Value::VerbatimString { text, .. } => text.clone(),
        other => format!("{other:?}"),
    }
}

/// The last lines of a node's log, for a failure message.
fn log_tail(dir: &Path, name: &str) -> String {
    let log = std::fs::read_to_string(dir.join(format!("{name}.log"))).unwrap_or_default();
    let lines: Vec<&str> = log.lines().collect();
    format!("\n--- {name}.log ---\n{}", lines[lines.len().saturating_sub(20)..].join("\n"))
}

/// A primary, one replica and three sentinels watching them, failing over within a few seconds.
struct Topology {
    primary: Option<Node>,
    replica: Node,
    sentinels: Vec<Node>,
    dir: tempfile::TempDir,
}

impl Topology {
    async fn start() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let data = "save \"\"\nappendonly no\nrepl-diskless-sync-delay 0\n";
        let primary = Node::start(dir.path(), "primary", &format!("{data}dbfilename primary.rdb\n"), false).await;
        let replica_config = format!("{data}dbfilename replica.rdb\nreplicaof 127.0.0.1 {}\n", primary.port);
        let replica = Node::start(dir.path(), "replica", &replica_config, false).await;
        let watch = format!(
            "sentinel monitor {MASTER} 127.0.0.1 {} 2\nsentinel down-after-milliseconds {MASTER} 1000\n\
             sentinel failover-timeout {MASTER} 4000\nsentinel parallel-syncs {MASTER} 1\n",
            primary.port
        );
        let names = ["sentinel-1", "sentinel-2", "sentinel-3"];
        let mut sentinels = Vec::new();
        for name in names {
            sentinels.push(Node::start(dir.path(), name, &watch, true).await);
        }
        let topology = Self { primary: Some(primary), replica, sentinels, dir };
        topology.settle().await;
        topology
    }

    fn primary(&self) -> &Node {
        self.primary.as_ref().expect("the primary runs")
    }

    /// Waits until the replica is in sync and every sentinel knows the replica and the other sentinels, so a
    /// failover can be agreed on.
    async fn settle(&self) {
        let limit = Duration::from_secs(30);
        let synced = came_true(limit, async || {
            let info = self.primary().ask(&cmd(&["INFO", "replication"])).await.map(|v| text(&v)).unwrap_or_default();
            info.contains("slave0:") && info.contains("state=online")
        })
        .await;
        let logs = || ["primary", "replica"].map(|name| log_tail(self.dir.path(), name)).concat();
        assert!(synced, "the replica's sync did not happen within {limit:?}{}", logs());
        for sentinel in &self.sentinels {
            let seen = came_true(limit, async || {
                let quorum = sentinel.ask(&cmd(&["SENTINEL", "CKQUORUM", MASTER])).await.map(|v| text(&v));
                let peers = sentinel.ask(&cmd(&["SENTINEL", "SENTINELS", MASTER])).await;
                let replicas = sentinel.ask(&cmd(&["SENTINEL", "REPLICAS", MASTER])).await;
                let count = |value: &redis::RedisResult<redis::Value>| match value {
                    Ok(redis::Value::Array(items)) => items.len(),
                    _ => 0,
                };
                quorum.is_ok_and(|q| q.starts_with("OK")) && count(&peers) == 2 && count(&replicas) == 1
            })
            .await;
            let name = sentinel.name;
            assert!(seen, "{name} did not see the replica and the other sentinels{}", log_tail(self.dir.path(), name));
        }
    }

    /// `REDIS_SENTINELS` for the load balancer.
    fn sentinels_setting(&self) -> String {
        self.sentinels.iter().map(|s| format!("127.0.0.1:{}", s.port)).collect::<Vec<_>>().join(",")
    }

    /// Kills the primary (SIGKILL): nothing it did not pass on is kept.
    fn kill_primary(&mut self) {
        let mut primary = self.primary.take().expect("the primary runs");
        primary.child.kill().expect("kill the primary");
    }

    /// Waits until the old primary, resumed, has been made a replica of the new one and copied it.
    async fn wait_for_demotion(&self) {
        eventually("the old primary following the new one", Duration::from_secs(60), async || {
            let info = self.primary().ask(&cmd(&["INFO", "replication"])).await.map(|v| text(&v)).unwrap_or_default();
            info.contains("role:slave") && info.contains("master_link_status:up")
        })
        .await;
    }

    /// Waits until every sentinel names the replica as primary and it answers as one.
    async fn wait_for_promotion(&self) {
        let port = self.replica.port.to_string();
        for sentinel in &self.sentinels {
            eventually(&format!("{} naming the replica", sentinel.name), Duration::from_secs(30), async || {
                let named = sentinel.ask(&cmd(&["SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER])).await;
                matches!(named, Ok(redis::Value::Array(items)) if items.get(1).map(text) == Some(port.clone()))
            })
            .await;
        }
        eventually("the replica answering as primary", Duration::from_secs(30), async || {
            let info = self.replica.ask(&cmd(&["INFO", "replication"])).await.map(|v| text(&v)).unwrap_or_default();
            info.contains("role:master")
        })
        .await;
    }
}

fn redis_server_installed() -> bool {
    Command::new("redis-server").arg("--version").output().is_ok_and(|out| out.status.success())
}

/// A call that must answer well within the retry timeout (10 s) plus a BBB call: never a hang.
async fn answered(harness: &Harness, call: &str, query: &str) -> Answer {
    let limit = Duration::from_secs(20);
    tokio::time::timeout(limit, harness.call(call, query)).await.unwrap_or_else(|_| panic!("{call} {query} hung"))
}

/// A create's outcome: when it was answered, and whether it succeeded.
struct Created {
    id: String,
    answered: Instant,
    ok: bool,
}

/// Creates (and joins) meetings until `stop`, logging each create's outcome. A failure must be the documented one.
async fn stream(harness: &Harness, next: &AtomicUsize, stop: &AtomicBool, log: &Mutex<Vec<Created>>) {
    while !stop.load(Ordering::SeqCst) {
        let id = format!("m{}", next.fetch_add(1, Ordering::SeqCst));
        let create = answered(harness, "create", &format!("meetingID={id}&name=Room+{id}")).await;
        let ok = create.returncode().as_deref() == Some("SUCCESS");
        if !ok {
            assert_eq!(create.message_key().as_deref(), Some("internalError"), "create {id}: {}", create.body);
        }
        log.lock().unwrap().push(Created { id: id.clone(), answered: Instant::now(), ok });
        if ok {
            let join = answered(harness, "join", &format!("meetingID={id}&fullName=U&role=VIEWER")).await;
            if join.location().is_none() {
                assert_eq!(join.message_key().as_deref(), Some("internalError"), "join {id}: {}", join.body);
            }
        }
    }
}

fn successes(log: &Mutex<Vec<Created>>, after: Instant) -> usize {
    log.lock().unwrap().iter().filter(|c| c.ok && c.answered > after).count()
}

/// The meeting is served through `via`: join redirects to the simulated server of `fleet` holding it,
/// getMeetingInfo answers.
async fn assert_served_by(fleet: &Harness, via: &Harness, id: &str) {
    let holder = fleet.holder(id).unwrap_or_else(|| panic!("no server holds {id}"));
    let join = answered(via, "join", &format!("meetingID={id}&fullName=After&role=VIEWER")).await;
    let location = join.location().unwrap_or_else(|| panic!("join {id} after the failover: {}", join.body));
    assert!(location.starts_with(&fleet.sim(holder).url()), "join {id} went to {location}");
    let info = answered(via, "getMeetingInfo", &format!("meetingID={id}")).await;
    assert_eq!(info.returncode().as_deref(), Some("SUCCESS"), "getMeetingInfo {id}: {}", info.body);
}

/// The meeting is served through the harness whose fleet holds it.
async fn assert_served(harness: &Harness, id: &str) {
    assert_served_by(harness, harness, id).await;
}

/// A load balancer replica on `topology`'s sentinels with `servers` simulated servers, keeping its keys under
/// `namespace`, with `extra` settings.
async fn load_balancer(topology: &Topology, namespace: &str, servers: usize, extra: &[(&str, &str)]) -> Harness {
    let sentinels = topology.sentinels_setting();
    let mut vars = vec![
        ("REDIS_SENTINELS", sentinels.as_str()),
        ("REDIS_SENTINEL_MASTER", MASTER),
        ("REDIS_NAMESPACE", namespace),
        ("SINGLE_REPLICA", "true"),
    ];
    vars.extend_from_slice(extra);
    Harness::with_env(servers, &vars).await
}

/// A primary, a replica and three sentinels of this test's own, and the local runtime with `servers` simulated
/// servers and `extra` settings on them, and the namespace of its keys; `None` (skipped) without redis-server.
async fn sentinel_harness(servers: usize, extra: &[(&str, &str)]) -> Option<(Topology, Harness, String)> {
    if !redis_server_installed() {
        skip::skip("redis-server is not installed (it runs the primary, replica and sentinels)");
        return None;
    }
    let topology = Topology::start().await;
    let namespace = fresh_namespace("sentinel");
    let harness = load_balancer(&topology, &namespace, servers, extra).await;
    Some((topology, harness, namespace))
}

#[tokio::test]
async fn meetings_survive_a_sentinel_failover() {
    let Some((mut topology, harness, _)) = sentinel_harness(3, &[]).await else { return };

    let (next, stop, log) = (AtomicUsize::new(0), AtomicBool::new(false), Mutex::new(Vec::new()));
    let started = Instant::now();
    let failover = async {
        eventually("creates before the failover", Duration::from_secs(30), async || successes(&log, started) >= 30)
            .await;
        let killed = Instant::now();
        topology.kill_primary();
        topology.wait_for_promotion().await;
        let promoted = Instant::now();
        eventually("creates after the failover", Duration::from_secs(30), async || successes(&log, promoted) >= 20)
            .await;
        stop.store(true, Ordering::SeqCst);
        (killed, promoted)
    };
    let streams = futures::future::join_all((0..4).map(|_| stream(&harness, &next, &stop, &log)));
    let ((killed, promoted), _) = tokio::join!(failover, streams);
    eprintln!("failover took {:?}", promoted - killed);

    let log = log.into_inner().unwrap();
    let before: Vec<&Created> = log.iter().filter(|c| c.ok && c.answered < killed).collect();
    assert!(before.len() >= 30, "{} creates before the kill", before.len());
    // Every meeting a create answered SUCCESS for, before, during or after the failover.
    for created in log.iter().filter(|c| c.ok) {
        assert_served(&harness, &created.id).await;
    }
    for id in ["after-1", "after-2", "after-3"] {
        harness.create(id).await;
        assert_served(&harness, id).await;
    }
    let failed = log.iter().filter(|c| !c.ok).count();
    eprintln!("{} creates, {} before the kill, {failed} failed with internalError", log.len(), before.len());
}

/// Stops (SIGSTOP) or resumes (SIGCONT) a process.
fn signal(node: &Node, signal: &str) {
    let status = Command::new("kill").arg(format!("-{signal}")).arg(node.child.id().to_string()).status();
    assert!(status.is_ok_and(|s| s.success()), "kill -{signal} {}", node.name);
}

#[tokio::test]
async fn writes_wait_for_the_replica_but_not_for_one_that_is_down() {
    let Some((topology, harness, _)) = sentinel_harness(2, &[]).await else { return };
    harness.create("synced").await;

    // A replica that stops answering: the first write waits half a second for it, then writes go on without.
    signal(&topology.replica, "STOP");
    let started = Instant::now();
    harness.create("unreplicated").await;
    assert!(started.elapsed() >= Duration::from_millis(500), "the create did not wait for the replica");
    let started = Instant::now();
    for n in 0..6 {
        harness.create(&format!("more-{n}")).await;
    }
    assert!(started.elapsed() < Duration::from_secs(4), "six creates took {:?}", started.elapsed());
    signal(&topology.replica, "CONT");
    for id in ["synced", "unreplicated", "more-5"] {
        assert_served(&harness, id).await;
    }
}

/// The old primary, frozen (SIGSTOP) while the sentinels fail it over and then resumed, answers as primary until
/// they demote it. A load balancer replica that did nothing meanwhile still holds its connection to it: its next
/// write must land on the new primary all the same, or the meeting is gone once the old primary is demoted.
#[tokio::test]
async fn an_idle_replica_writes_to_the_new_primary_when_the_old_one_resumes() {
    let Some((topology, busy, namespace)) = sentinel_harness(2, &[]).await else { return };
    let idle = load_balancer(&topology, &namespace, 0, &[]).await;
    busy.create("before-busy").await;
    idle.create("before-idle").await;

    signal(topology.primary(), "STOP");
    topology.wait_for_promotion().await;
    busy.create("during").await;
    signal(topology.primary(), "CONT");
    let role = topology.primary().ask(&cmd(&["ROLE"])).await.expect("the old primary answers");
    assert!(matches!(&role, redis::Value::Array(items) if items.first().map(text).as_deref() == Some("master")));

    idle.create("after").await;
    let key = format!("{namespace}:meeting:after");
    let on_new = topology.replica.ask(&cmd(&["EXISTS", &key])).await.expect("the new primary answers");
    assert_eq!(on_new, redis::Value::Int(1), "the idle replica's meeting is not on the new primary");

    topology.wait_for_demotion().await;
    for id in ["before-busy", "before-idle", "during", "after"] {
        assert_served_by(&busy, &busy, id).await;
        assert_served_by(&busy, &idle, id).await;
    }
}

/// With `REDIS_WAIT_REPLICAS_REQUIRED`, a write no replica acknowledges within the retry timeout fails the call:
/// a create answers `internalError` and no BBB server is asked; once the replica is back, it succeeds.
#[tokio::test]
async fn required_acknowledgements_refuse_writes_while_the_replica_is_down() {
    let required = [("REDIS_WAIT_REPLICAS_REQUIRED", "true"), ("REDIS_SENTINEL_RETRY_TIMEOUT", "2")];
    let Some((topology, harness, _)) = sentinel_harness(2, &required).await else { return };
    harness.create("synced").await;

    signal(&topology.replica, "STOP");
    let started = Instant::now();
    let refused = answered(&harness, "create", "meetingID=unreplicated&name=Unreplicated").await;
    assert_eq!(refused.message_key().as_deref(), Some("internalError"), "create: {}", refused.body);
    assert!(started.elapsed() >= Duration::from_secs(2), "the create failed after {:?}", started.elapsed());
    assert_eq!(harness.holder("unreplicated"), None, "a BBB server was asked to create the meeting");

    signal(&topology.replica, "CONT");
    harness.create("unreplicated").await;
    for id in ["synced", "unreplicated"] {
        assert_served(&harness, id).await;
    }
}
