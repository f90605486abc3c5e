//! Handlers against a fake BBB (the `BbbApi` port) instead of the simulator: what `create` sends, and what
//! it keeps when BBB refuses.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use bytes::Bytes;
use scalelite_functions::Ctx;
use scalelite_functions::runtime::app::{App, Mode};
use scalelite_shared::api::ApiRequest;
use scalelite_shared::balance::health::HealthRules;
use scalelite_shared::bbb::checksum::{Algorithm, sign};
use scalelite_shared::bbb::client::{BbbApi, CallError, Reply, Target};
use scalelite_shared::bbb::meetings_xml::Status;
use scalelite_shared::bbb::params::Params;
use scalelite_shared::config::Config;
use scalelite_shared::model::{Server, ServerState};
use scalelite_shared::store::PollReport;

/// Answers every call with `answer` and remembers what it was asked.
struct FakeBbb {
    answer: &'static str,
    calls: Mutex<Vec<String>>,
}

#[async_trait]
impl BbbApi for FakeBbb {
    fn signed_url(&self, target: Target<'_>, call: &str, query: &str) -> String {
        format!("{}/{call}?{query}", target.url)
    }

    async fn get_query(&self, _: Target<'_>, call: &str, query: &str) -> Result<Reply, CallError> {
        self.calls.lock().unwrap().push(format!("{call}?{query}"));
        let body = Bytes::from_static(self.answer.as_bytes());
        Ok(Reply { status: Status::parse(&body).ok_or(CallError::Malformed)?, body })
    }

    async fn post_xml(&self, target: Target<'_>, call: &str, params: &Params, _: Bytes) -> Result<Reply, CallError> {
        self.get_query(target, call, &params.encode()).await
    }
}

async fn app(answer: &'static str) -> (App, Arc<FakeBbb>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("fake.db").display().to_string();
    let vars = [("LOADBALANCER_SECRET", "s"), ("SQLITE_PATH", db.as_str())];
    let config =
        Config::from_lookup(|name| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| (*v).to_owned())).unwrap();
    let fake = Arc::new(FakeBbb { answer, calls: Mutex::default() });
    let ctx = Ctx::open(config).await.unwrap().with_bbb(fake.clone());
    let server = Server { state: ServerState::Enabled, ..Server::new("bbb-1", "https://bbb-1/bigbluebutton/api", "x") };
    ctx.servers.add_server(&server).await.unwrap();
    let now = ctx.now_ms().await.unwrap();
    let online = PollReport {
        started_at_ms: now,
        now_ms: now,
        meetings: Some(Vec::new()),
        bbb_version: None,
        health: HealthRules { healthy_threshold: 1, unhealthy_threshold: 1 },
        load: ctx.config.load,
        ttl_ms: 60_000,
        grace_ms: 1_000,
    };
    ctx.meetings.record_poll("bbb-1", &online).await.unwrap();
    (App { ctx: Arc::new(ctx), mode: Mode::All }, fake, dir)
}

fn create(query: &str) -> ApiRequest {
    let checksum = sign(Algorithm::Sha256, "create", query, "s");
    ApiRequest::get("/bigbluebutton/api/create", &format!("{query}&checksum={checksum}"))
}

#[tokio::test]
async fn create_sends_the_placement_and_confirms_it() {
    let (app, fake, _dir) = app("<response><returncode>SUCCESS</returncode></response>").await;
    let answer = app.handle(create("meetingID=m1&name=One")).await;
    assert!(String::from_utf8_lossy(&answer.body).contains("SUCCESS"));
    let meeting = app.ctx.meetings.meeting("m1", app.ctx.now_ms().await.unwrap()).await.unwrap().expect("placed");
    let calls = fake.calls.lock().unwrap().clone();
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert!(calls[0].starts_with("create?"), "{calls:?}");
    assert!(calls[0].contains(&format!("voiceBridge={}", meeting.voice_bridge)), "{calls:?}");
    assert!(calls[0].contains(&format!("moderatorPW={}", meeting.moderator_pw)), "{calls:?}");
    // BBB answered, so the meeting counts as confirmed: a poll that starts now and misses it ends it. The times
    // are the store's, as the confirmation's is: the machine's wall clock may be behind it.
    let now = app.ctx.now_ms().await.unwrap() + 1;
    let missed = PollReport {
        started_at_ms: now,
        now_ms: now,
        meetings: Some(Vec::new()),
        bbb_version: None,
        health: HealthRules { healthy_threshold: 1, unhealthy_threshold: 1 },
        load: app.ctx.config.load,
        ttl_ms: 60_000,
        grace_ms: 60_000,
    };
    assert_eq!(app.ctx.meetings.record_poll("bbb-1", &missed).await.unwrap().ended, vec!["m1".to_owned()]);
}

#[tokio::test]
async fn a_refused_create_is_passed_on_and_not_kept() {
    let refusal = "<response><returncode>FAILED</returncode><messageKey>sizeExceeded</messageKey>\
                   <message>too big</message></response>";
    let (app, _fake, _dir) = app(refusal).await;
    let answer = app.handle(create("meetingID=m2&name=Two")).await;
    let body = String::from_utf8_lossy(&answer.body).into_owned();
    assert!(body.contains("<messageKey>sizeExceeded</messageKey>"), "{body}");
    assert!(app.ctx.meetings.meeting("m2", app.ctx.now_ms().await.unwrap()).await.unwrap().is_none());
    let load = app.ctx.servers.server("bbb-1").await.unwrap().unwrap().load;
    assert_eq!(load, Some(0.0), "the reservation went back with the meeting");
}
