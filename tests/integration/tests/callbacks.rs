//! Callbacks through HTTP: create keeps the front-end's callback URLs, the import job announces recordings,
//! and the analytics and end-of-meeting callbacks BBB makes reach the front-end through the load balancer.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use scalelite_integration_tests::recording_files::{Fixture, write_tar};
use scalelite_integration_tests::{Harness, SECRET};
use scalelite_shared::bbb::params::Params;
use serde_json::{Value, json};

/// The load balancer's second secret in these tests.
const SECOND_SECRET: &str = "second-secret";

/// One request a front-end received.
#[derive(Clone, Debug)]
struct Received {
    method: String,
    /// Path and query.
    target: String,
    headers: HeaderMap,
    body: Bytes,
}

/// A front-end on loopback that records every request and answers the queued statuses, then 200.
struct FrontEnd {
    addr: SocketAddr,
    received: Arc<Mutex<Vec<Received>>>,
    statuses: Arc<Mutex<VecDeque<StatusCode>>>,
}

impl FrontEnd {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("address");
        let received: Arc<Mutex<Vec<Received>>> = Arc::default();
        let statuses: Arc<Mutex<VecDeque<StatusCode>>> = Arc::default();
        let (log, queue) = (received.clone(), statuses.clone());
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (log, queue) = (log.clone(), queue.clone());
                let service = service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
                    let (log, queue) = (log.clone(), queue.clone());
                    async move {
                        let (parts, body) = request.into_parts();
                        let body = body.collect().await.map(|b| b.to_bytes()).unwrap_or_default();
                        log.lock().unwrap().push(Received {
                            method: parts.method.to_string(),
                            target: parts.uri.to_string(),
                            headers: parts.headers,
                            body,
                        });
                        let status = queue.lock().unwrap().pop_front().unwrap_or(StatusCode::OK);
                        let mut response = hyper::Response::new(Full::new(Bytes::new()));
                        *response.status_mut() = status;
                        Ok::<_, std::convert::Infallible>(response)
                    }
                });
                tokio::spawn(
                    hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service),
                );
            }
        });
        Self { addr, received, statuses }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn answer_next(&self, statuses: &[StatusCode]) {
        self.statuses.lock().unwrap().extend(statuses);
    }

    fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// The requests received on paths starting with `path`.
    fn received_on(&self, path: &str) -> Vec<Received> {
        self.received().into_iter().filter(|r| r.target.starts_with(path)).collect()
    }
}

async fn harness() -> Harness {
    Harness::with_env(1, &[("LOADBALANCER_SECRETS", SECOND_SECRET)]).await
}

/// Creates `meeting_id` with the given extra parameters and asserts SUCCESS.
async fn create_with(harness: &Harness, meeting_id: &str, extra: &[(&str, &str)]) {
    let mut params = Params::from_pairs([("meetingID", meeting_id), ("name", "Room")]);
    for (name, value) in extra {
        params.set(name, value);
    }
    let answer = harness.call("create", &params.encode()).await;
    assert_eq!(answer.returncode().as_deref(), Some("SUCCESS"), "{}", answer.body);
}

/// The create parameters the simulated server received for `meeting_id`.
fn sent_to_bbb(harness: &Harness, meeting_id: &str) -> Vec<(String, String)> {
    harness.sim(0).meeting(meeting_id).expect("the meeting on its server").create_params
}

fn sent(params: &[(String, String)], name: &str) -> Option<String> {
    params.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone())
}

fn claims(token: &str, algorithm: Algorithm, secret: &str) -> Result<Value, jsonwebtoken::errors::Error> {
    let mut validation = Validation::new(algorithm);
    validation.required_spec_claims.clear();
    jsonwebtoken::decode::<Value>(token, &DecodingKey::from_secret(secret.as_bytes()), &validation).map(|t| t.claims)
}

fn bbb_token(secret: &str) -> String {
    let claims = json!({ "exp": jsonwebtoken::get_current_timestamp() + 600 });
    jsonwebtoken::encode(&Header::new(Algorithm::HS512), &claims, &EncodingKey::from_secret(secret.as_bytes()))
        .expect("token")
}

#[tokio::test]
async fn create_keeps_ready_urls_from_bbb_and_points_analytics_and_end_here() {
    let harness = harness().await;
    let front = FrontEnd::start().await;
    create_with(
        &harness,
        "room 1",
        &[
            ("meta_bbb-recording-ready-url", &front.url("/ready")),
            ("meta_canvas-recording-ready-url", "https://canvas.example/ready"),
            ("meta_analytics-callback-url", &front.url("/analytics")),
            ("meta_endcallbackurl", &front.url("/end?room=1")),
        ],
    )
    .await;
    let params = sent_to_bbb(&harness, "room 1");
    let base = harness.running.base_url();
    assert_eq!(sent(&params, "meta_bbb-recording-ready-url"), None, "{params:?}");
    assert_eq!(sent(&params, "meta_canvas-recording-ready-url"), None);
    assert_eq!(
        sent(&params, "meta_analytics-callback-url"),
        Some(format!("{base}/bigbluebutton/api/analytics_callback"))
    );
    assert_eq!(sent(&params, "meta_endcallbackurl"), None);
    let end = sent(&params, "meta_endCallbackUrl").expect("an end callback");
    let token =
        end.strip_prefix(&format!("{base}/bigbluebutton/api/end_callback?meetingID=room+1&token=")).expect(&end);
    assert_eq!(token.len(), 64, "an HMAC-SHA256 token: {end}");

    let plain = Harness::with_env(1, &[("URL_HOST", "lb.example")]).await;
    create_with(&plain, "m", &[("meta_analytics-callback-url", "https://lms.example/a")]).await;
    let params = sent_to_bbb(&plain, "m");
    assert_eq!(
        sent(&params, "meta_analytics-callback-url").as_deref(),
        Some("https://lb.example/bigbluebutton/api/analytics_callback")
    );
    assert_eq!(sent(&params, "meta_endCallbackUrl"), None, "nothing is added when the front-end asked nothing");
}

#[tokio::test]
async fn an_imported_recording_is_announced_once_with_a_signed_token() {
    let harness = harness().await;
    let front = FrontEnd::start().await;
    create_with(&harness, "m1", &[("meta_bn-recording-ready-url", &front.url("/ready"))]).await;
    front.answer_next(&[StatusCode::INTERNAL_SERVER_ERROR]);
    let spool = harness.path("recordings/spool");
    write_tar(&spool.join("r1.tar"), &[Fixture::new("r1-100", "m1"), Fixture::new("r1-100", "m1").format("video")]);
    write_tar(&spool.join("r2.tar"), &[Fixture::new("r2-200", "no-callback")]);
    let report = harness.import().await;
    assert_eq!(report["imported"], 3, "{report}");

    let calls = front.received_on("/ready");
    assert_eq!(calls.len(), 2, "refused under the first secret, accepted under the second, once for two formats");
    let mut tokens = Vec::new();
    for call in &calls {
        assert_eq!(call.method, "POST");
        assert_eq!(call.headers["content-type"], "application/x-www-form-urlencoded");
        let form = Params::parse(&call.body);
        tokens.push(form.get("signed_parameters").expect("signed_parameters").to_owned());
    }
    let expected = json!({ "meeting_id": "m1", "record_id": "r1-100" });
    assert_eq!(claims(&tokens[0], Algorithm::HS256, SECRET).expect("first secret"), expected);
    assert_eq!(claims(&tokens[1], Algorithm::HS256, SECOND_SECRET).expect("second secret"), expected);
    assert!(claims(&tokens[1], Algorithm::HS256, SECRET).is_err());

    assert_eq!(harness.import().await["imported"], 0);
    assert_eq!(front.received_on("/ready").len(), 2, "nothing new, nothing announced");
}

#[tokio::test]
async fn analytics_are_forwarded_only_with_a_server_token() {
    let harness = harness().await;
    let front = FrontEnd::start().await;
    create_with(&harness, "m1", &[("meta_analytics-callback-url", &front.url("/analytics?key=1"))]).await;
    let url = format!("{}/bigbluebutton/api/analytics_callback", harness.running.base_url());
    let body = json!({ "meeting_id": "m1", "data": { "duration": 42 } }).to_string();
    let post = |token: Option<String>, body: String| {
        let request = harness.client.post(&url).header("content-type", "application/json").body(body);
        match token {
            Some(token) => request.header("authorization", format!("Bearer {token}")),
            None => request,
        }
    };

    for (token, why) in [
        (None, "no token"),
        (Some(bbb_token("not-a-server-secret")), "a token no server signed"),
        (Some(bbb_token(SECRET)), "the load balancer's secret is not a server's"),
    ] {
        let answer = harness.fetch(post(token, body.clone())).await;
        assert_eq!((answer.status.as_u16(), answer.body.as_str()), (204, ""), "{why}");
        assert!(front.received().is_empty(), "{why}: nothing forwarded");
    }
    let unknown = json!({ "meeting_id": "other" }).to_string();
    let answer = harness.fetch(post(Some(bbb_token(harness.sim(0).secret())), unknown)).await;
    assert_eq!(answer.status.as_u16(), 204);
    assert!(front.received().is_empty(), "a meeting without an analytics URL");

    let answer = harness.fetch(post(Some(bbb_token(harness.sim(0).secret())), body)).await;
    assert_eq!((answer.status.as_u16(), answer.body.as_str()), (204, ""));
    let forwarded = front.received();
    assert_eq!(forwarded.len(), 1);
    let call = &forwarded[0];
    assert_eq!((call.method.as_str(), call.target.as_str()), ("POST", "/analytics?key=1"));
    assert_eq!(call.headers["content-type"], "application/json");
    assert_eq!(call.headers["user-agent"], "BigBlueButton Analytics Callback");
    let sent: Value = serde_json::from_slice(&call.body).expect("JSON");
    assert_eq!(sent, json!({ "meeting_id": "m1", "data": { "duration": 42 }, "customer": "scalelite" }));
    let token = call.headers["authorization"].to_str().unwrap().strip_prefix("Bearer ").expect("bearer").to_owned();
    let exp = claims(&token, Algorithm::HS512, SECRET).expect("signed with the load balancer's secret")["exp"]
        .as_u64()
        .expect("exp");
    let day = jsonwebtoken::get_current_timestamp() + 24 * 3600;
    assert!((day - 60..=day + 60).contains(&exp), "valid for a day: {exp}");

    let get = harness.fetch(harness.client.get(&url)).await;
    assert_eq!(get.message_key().as_deref(), Some("unsupportedRequest"), "POST only");
}

#[tokio::test]
async fn end_callback_forgets_the_meeting_and_tells_the_front_end() {
    let harness = harness().await;
    let front = FrontEnd::start().await;
    create_with(&harness, "m 1", &[("meta_endCallbackUrl", &front.url("/end?room=1"))]).await;
    let params = sent_to_bbb(&harness, "m 1");
    let callback = sent(&params, "meta_endCallbackUrl").expect("the load balancer's end callback");

    let base = harness.running.base_url();
    for forged in [
        format!("{base}/bigbluebutton/api/end_callback?meetingID=m+1"),
        format!("{base}/bigbluebutton/api/end_callback?meetingID=m+1&token=00"),
        callback.replace("meetingID=m+1", "meetingID=m+2"),
    ] {
        let answer = harness.get_url(&forged).await;
        assert_eq!((answer.status.as_u16(), answer.body.as_str()), (200, ""), "{forged}");
    }
    let info = harness.call("getMeetingInfo", "meetingID=m+1").await;
    assert_eq!(info.returncode().as_deref(), Some("SUCCESS"), "a forged callback changes nothing: {}", info.body);
    assert!(front.received().is_empty());

    let answer = harness.get_url(&format!("{callback}&recordingmarks=true")).await;
    assert_eq!((answer.status.as_u16(), answer.body.as_str()), (200, ""));
    let info = harness.call("getMeetingInfo", "meetingID=m+1").await;
    assert_eq!(info.message_key().as_deref(), Some("notFound"), "{}", info.body);
    let running = harness.call("isMeetingRunning", "meetingID=m+1").await;
    assert_eq!(running.field("running").as_deref(), Some("false"));

    let forwarded = front.received();
    assert_eq!(forwarded.len(), 1);
    assert_eq!(forwarded[0].method, "GET");
    assert_eq!(forwarded[0].target, "/end?room=1&meetingID=m+1&recordingmarks=true");

    let again = harness.fetch(harness.client.post(format!("{callback}&recordingmarks=false"))).await;
    assert_eq!((again.status.as_u16(), again.body.as_str()), (200, ""));
    assert_eq!(front.received().len(), 1, "an unknown meeting: nothing forwarded");
    let none = harness.get_url(&format!("{}/bigbluebutton/api/end_callback", harness.running.base_url())).await;
    assert_eq!(none.status.as_u16(), 200);
}

#[tokio::test]
async fn a_tenants_callbacks_use_its_host_and_its_secrets() {
    let harness = Harness::with_env(1, &[("MULTITENANCY_ENABLED", "true"), ("URL_HOST", "lb.example")]).await;
    let front = FrontEnd::start().await;
    let tenant = scalelite_shared::model::Tenant::new("t-1", "school", vec!["ts".into()]);
    harness.running.ctx.tenants.add_tenant(&tenant).await.unwrap();
    let params = Params::from_pairs([
        ("meetingID", "tm"),
        ("name", "Room"),
        ("meta_bbb-recording-ready-url", &front.url("/ready")),
        ("meta_analytics-callback-url", &front.url("/analytics")),
    ]);
    let url = harness.url_with(scalelite_shared::bbb::checksum::Algorithm::Sha256, "ts", "create", &params.encode());
    let created = harness.fetch(harness.client.get(url).header("host", "school.lb.example")).await;
    assert_eq!(created.returncode().as_deref(), Some("SUCCESS"), "{}", created.body);
    let sent_params = sent_to_bbb(&harness, "tm");
    assert_eq!(
        sent(&sent_params, "meta_analytics-callback-url").as_deref(),
        Some("https://school.lb.example/bigbluebutton/api/analytics_callback"),
        "the tenant's host, so the callback comes back as the tenant's"
    );

    write_tar(&harness.path("recordings/spool/t.tar"), &[Fixture::new("tr-1", "tm").meta("tenant-id", "t-1")]);
    harness.import().await;
    let calls = front.received_on("/ready");
    assert_eq!(calls.len(), 1);
    let token = Params::parse(&calls[0].body).get("signed_parameters").unwrap().to_owned();
    assert!(claims(&token, Algorithm::HS256, "ts").is_ok(), "signed with the tenant's secret");
    assert!(claims(&token, Algorithm::HS256, SECRET).is_err());
}
