//! Stores that are down, through HTTP: calls fail within a second with the documented error (playback 503,
//! never 404), meeting calls do not wait for a recordings outage, the callback URLs given meanwhile are written once the database is
//! back, a process that starts during the outage stays up and becomes ready, and readiness only waits for
//! the stores a function uses; a read on a database connection the server closed answers.

use std::time::{Duration, Instant};

use scalelite_functions::Ctx;
use scalelite_functions::registry;
use scalelite_functions::runtime::app::{App, Mode};
use scalelite_infra::postgres::PostgresRecordings;
use scalelite_integration_tests::outage::Outage;
use scalelite_integration_tests::pg::PgSchema;
use scalelite_integration_tests::{Harness, redis_url};
use scalelite_shared::api::ApiRequest;
use scalelite_shared::config::Config;
use scalelite_shared::store::CallbackStore;

/// `url` with its host and port replaced by the outage port.
fn through(url: &str, port: u16) -> String {
    let (scheme, rest) = url.split_once("://").unwrap();
    let (authority, path) = rest.split_once('/').map_or((rest, ""), |(a, p)| (a, p));
    let (user, _) = authority.rsplit_once('@').map_or(("", authority), |(u, h)| (u, h));
    let user = if user.is_empty() { String::new() } else { format!("{user}@") };
    format!("{scheme}://{user}127.0.0.1:{port}/{path}")
}

async fn wait_until(what: &str, mut done: impl AsyncFnMut() -> bool) {
    let started = Instant::now();
    while !done().await {
        assert!(started.elapsed() < Duration::from_secs(20), "{what} did not happen");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_recordings_database_outage_fails_fast_and_loses_no_callback() {
    let Some(schema) = PgSchema::create("outage").await else { return };
    let mut outage = Outage::new("127.0.0.1:5432".parse().unwrap());
    let url = through(&schema.url, outage.port);
    let harness = Harness::with_env(1, &[("DATABASE_URL", &url)]).await;

    let ready = format!("{}/readyz", harness.running.base_url());
    assert_eq!(harness.get_url(&ready).await.status, 503, "not ready while the database is down");

    let started = Instant::now();
    let created =
        harness.call("create", "meetingID=cb&name=CB&meta_bbb-recording-ready-url=https%3A%2F%2Ffe%2Fready").await;
    assert_eq!(created.returncode().as_deref(), Some("SUCCESS"), "{}", created.body);
    assert!(started.elapsed() < Duration::from_millis(1500), "create waited {:?}", started.elapsed());

    let started = Instant::now();
    let listed = harness.call("getRecordings", "meetingID=cb").await;
    assert_eq!(listed.message_key().as_deref(), Some("internalError"));
    assert!(listed.body.contains("Unable to access the recordings store."), "{}", listed.body);
    assert!(started.elapsed() < Duration::from_millis(1500), "getRecordings waited {:?}", started.elapsed());

    // Playback cannot tell whether the recording exists: unavailable, never not found.
    let playback = format!("{}/presentation/r-1/index.html", harness.running.base_url());
    let played = harness.get_url(&playback).await;
    assert_eq!(played.status, 503, "playback during the outage: {}", played.body);

    outage.end().await;
    wait_until("readiness after the outage", async || harness.get_url(&ready).await.status == 200).await;
    assert_eq!(harness.get_url(&playback).await.status, 404, "no such recording, once the database answers");
    let direct = PostgresRecordings::open(&schema.url).await.unwrap();
    wait_until("the kept callback URLs written", async || {
        direct.callbacks("cb").await.ok().flatten().is_some_and(|c| c.recording_ready_url.is_some())
    })
    .await;
}

#[tokio::test]
async fn a_redis_outage_answers_within_a_second_and_recovers() {
    let Some(redis) = redis_url().await else { return };
    let address = redis.split("://").nth(1).unwrap().split('/').next().unwrap().rsplit('@').next().unwrap().to_owned();
    let mut outage = Outage::new(tokio::net::lookup_host(&address).await.unwrap().next().unwrap());
    let namespace = scalelite_integration_tests::fresh_namespace("outage");
    let url = format!("redis://127.0.0.1:{}", outage.port);
    let harness =
        Harness::with_env(0, &[("REDIS_URL", &url), ("REDIS_NAMESPACE", &namespace), ("SINGLE_REPLICA", "true")]).await;
    for attempt in 0..3 {
        let started = Instant::now();
        let answer = harness.call("getMeetingInfo", "meetingID=m").await;
        assert_eq!(answer.message_key().as_deref(), Some("internalError"), "attempt {attempt}: {}", answer.body);
        assert!(started.elapsed() < Duration::from_millis(1500), "attempt {attempt} waited {:?}", started.elapsed());
    }
    let ready = format!("{}/readyz", harness.running.base_url());
    assert_eq!(harness.get_url(&ready).await.status, 503);
    outage.end().await;
    wait_until("readiness after the outage", async || harness.get_url(&ready).await.status == 200).await;
    let answer = harness.call("getMeetingInfo", "meetingID=m").await;
    assert_eq!(answer.message_key().as_deref(), Some("notFound"), "{}", answer.body);
}

/// A pod serving one function is ready when that function's stores answer: a recordings outage does not
/// take `join` out of service.
#[tokio::test]
async fn readiness_waits_only_for_the_stores_a_function_uses() {
    let dir = tempfile::tempdir().unwrap();
    let outage = Outage::new("127.0.0.1:5432".parse().unwrap());
    let vars = [
        ("LOADBALANCER_SECRET".to_owned(), "s".to_owned()),
        ("SQLITE_PATH".to_owned(), dir.path().join("r.db").display().to_string()),
        ("DATABASE_URL".to_owned(), format!("postgres://postgres@127.0.0.1:{}/test", outage.port)),
    ];
    let config = || Config::from_lookup(|name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())).unwrap();
    for (name, status) in [("join", 200), ("getRecordings", 503)] {
        let function = registry::find(name).unwrap();
        let ctx = Ctx::open(config()).await.expect("starts while the database is down").serving(function);
        let app = App { ctx: std::sync::Arc::new(ctx), mode: Mode::One(function) };
        assert_eq!(app.handle(ApiRequest::get("/_/ready", "")).await.status, status, "{name}");
    }
}

/// A read on a connection the server closed (a restart, a firewall's idle timeout) answers as if nothing happened:
/// one used a moment ago is found broken by the read and the read goes to another; one idle for more than a second
/// is pinged before the read and replaced.
#[tokio::test]
async fn a_read_on_a_database_connection_the_server_closed_answers() {
    let Some(schema) = PgSchema::create("closed").await else { return };
    let url = format!("{}&application_name={}", schema.url, schema.name);
    let harness = Harness::with_env(0, &[("DATABASE_URL", &url)]).await;
    let ready = format!("{}/readyz", harness.running.base_url());
    wait_until("readiness", async || harness.get_url(&ready).await.status == 200).await;
    let mut admin = schema.connect().await;
    for pause in [Duration::ZERO, Duration::from_millis(1500)] {
        let listed = harness.call("getRecordings", "meetingID=m").await;
        assert_eq!(listed.message_key().as_deref(), Some("noRecordings"), "{}", listed.body);
        let closed: i64 = sqlx::query_scalar(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1",
        )
        .bind(&schema.name)
        .fetch_one(&mut admin)
        .await
        .unwrap();
        assert!(closed >= 1, "the server closed the pool's connections");
        tokio::time::sleep(pause).await;
        let listed = harness.call("getRecordings", "meetingID=m").await;
        assert_eq!(listed.message_key().as_deref(), Some("noRecordings"), "{pause:?} after: {}", listed.body);
    }
}
