//! Replicas whose wall clocks disagree, through HTTP on one Redis: this process's runtime, and `scalelite serve`
//! processes whose clocks libfaketime sets 30 s behind or ahead. A create that BBB is slow to answer, with a
//! poll through another replica while it is on its way, keeps its meeting in both directions of the skew.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use reqwest::StatusCode;
use scalelite_integration_tests::skip::skip;
use scalelite_integration_tests::{Answer, Harness, SECRET};
use scalelite_shared::bbb::checksum::{Algorithm, sign};

/// Where Debian's `faketime` package puts the library.
const LIBFAKETIME: &str = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1";

/// A `scalelite serve` process on the harness's stores, its wall clock `offset` off.
struct SkewedReplica {
    child: Child,
    base: String,
}

impl SkewedReplica {
    async fn start(harness: &Harness, offset: &str) -> Option<Self> {
        if !Path::new(LIBFAKETIME).exists() {
            skip(&format!("{LIBFAKETIME} is missing (apt-get install faketime)"));
            return None;
        }
        let Some(binary) = scalelite_binary() else {
            skip("the scalelite binary is not built beside this test (cargo test --workspace builds it)");
            return None;
        };
        let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port();
        let child = Command::new(binary)
            .arg("serve")
            .envs(&harness.env)
            .env("PORT", port.to_string())
            .env("LOG_LEVEL", "warn")
            .env("LD_PRELOAD", LIBFAKETIME)
            .env("FAKETIME", offset)
            .env("FAKETIME_DONT_FAKE_MONOTONIC", "1")
            .stdout(Stdio::null())
            .spawn()
            .expect("scalelite serve starts");
        let replica = Self { child, base: format!("http://127.0.0.1:{port}") };
        for _ in 0..200 {
            if replica.get(&format!("{}/readyz", replica.base)).await.is_some_and(|a| a.status == StatusCode::OK) {
                return Some(replica);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the replica at {} did not become ready", replica.base);
    }

    async fn get(&self, url: &str) -> Option<Answer> {
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().ok()?;
        let response = client.get(url).send().await.ok()?;
        let (status, headers) = (response.status(), response.headers().clone());
        Some(Answer { status, headers, body: response.text().await.ok()? })
    }

    async fn call(&self, call: &str, query: &str) -> Answer {
        let checksum = sign(Algorithm::Sha256, call, query, SECRET);
        let url = format!("{}/bigbluebutton/api/{call}?{query}&checksum={checksum}", self.base);
        self.get(&url).await.expect("the replica answers")
    }

    /// One poll pass through this replica.
    async fn poll(&self) {
        let checksum = sign(Algorithm::Sha256, "poll", "", SECRET);
        let url = format!("{}/scalelite/jobs/poll?checksum={checksum}", self.base);
        let answer = reqwest::Client::new().post(url).send().await.expect("the replica answers");
        assert_eq!(answer.status(), StatusCode::OK);
    }

    /// How far the replica's wall clock is from this one's, by the `Date` of its answers.
    async fn skew_seconds(&self) -> i64 {
        let answer = self.get(&format!("{}/healthz", self.base)).await.expect("the replica answers");
        let date = answer.headers.get("date").and_then(|d| d.to_str().ok()).expect("a Date header").to_owned();
        let theirs = httpdate::parse_http_date(&date).expect("an HTTP date");
        let ours = std::time::SystemTime::now();
        match theirs.duration_since(ours) {
            Ok(ahead) => i64::try_from(ahead.as_secs()).unwrap_or(i64::MAX),
            Err(behind) => -i64::try_from(behind.duration().as_secs()).unwrap_or(i64::MAX),
        }
    }
}

impl Drop for SkewedReplica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The `scalelite` binary cargo built beside this test binary (`target/<profile>/deps/<test>`).
fn scalelite_binary() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    Some(exe.parent()?.parent()?.join("scalelite")).filter(|binary| binary.exists())
}

/// Runs `poll` 0.3 s from now, while the create sent meanwhile waits for BBB.
async fn poll_soon(poll: impl Future<Output = ()>) {
    tokio::time::sleep(Duration::from_millis(300)).await;
    poll.await;
}

async fn assert_joins_on_its_server(harness: &Harness, id: &str) {
    let holder = harness.holder(id).unwrap_or_else(|| panic!("{id} runs on no server"));
    let joined = harness.call("join", &format!("meetingID={id}&fullName=Ann&role=VIEWER")).await;
    let location = joined.location().unwrap_or_else(|| panic!("{id} was forgotten: {}", joined.body));
    assert!(location.starts_with(&harness.sim(holder).url()), "{location}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_create_survives_a_poll_through_a_replica_whose_clock_is_30_s_off() {
    let Some(harness) = Harness::on_production_stores(2, &[]).await else { return };
    let Some(behind) = SkewedReplica::start(&harness, "-30s").await else { return };
    let Some(ahead) = SkewedReplica::start(&harness, "+30s").await else { return };
    assert!((-32..=-28).contains(&behind.skew_seconds().await), "libfaketime set the clock behind");
    assert!((28..=32).contains(&ahead.skew_seconds().await), "libfaketime set the clock ahead");
    for index in 0..2 {
        harness.sim(index).set_call_delay("create", Duration::from_millis(1500));
    }
    for n in 0..2 {
        // The creating replica is behind; the poll runs where the clock is right.
        let id = format!("behind-{n}");
        let query = format!("meetingID={id}&name=Behind");
        let (created, ()) = tokio::join!(
            behind.call("create", &query),
            poll_soon(async {
                harness.poll().await;
            })
        );
        assert_eq!(created.returncode().as_deref(), Some("SUCCESS"), "{}", created.body);
        assert_joins_on_its_server(&harness, &id).await;

        // The creating replica is right; the poll runs where the clock is ahead.
        let id = format!("ahead-{n}");
        let query = format!("meetingID={id}&name=Ahead");
        let (created, ()) = tokio::join!(harness.call("create", &query), poll_soon(ahead.poll()));
        assert_eq!(created.returncode().as_deref(), Some("SUCCESS"), "{}", created.body);
        assert_joins_on_its_server(&harness, &id).await;
    }
    // The meetings are confirmed now: a poll where BBB no longer runs one ends it, whichever replica polls.
    let holder = harness.holder("behind-0").expect("running");
    assert!(harness.sim(holder).end_meeting("behind-0"));
    ahead.poll().await;
    let joined = harness.call("join", "meetingID=behind-0&fullName=Ann&role=VIEWER").await;
    assert_eq!(joined.message_key().as_deref(), Some("notFound"), "{}", joined.body);
}
