//! Learning Record Store settings through HTTP: set on a tenant with the admin API, kept in upstream's tenant
//! fields, and handed to BBB on each create as `meta_secret-lrs-payload`, which OpenSSL (independent code)
//! opens with the server's secret; Keycloak tokens fetched with the password grant, and creates that go on
//! without the payload when no token can be had.

use std::collections::HashMap;
use std::io::Write;
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use http::StatusCode;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use redis::AsyncCommands;
use scalelite_integration_tests::skip::skip;
use scalelite_integration_tests::{Answer, Harness, NamespaceCleanup, fresh_namespace, redis_url};
use scalelite_shared::bbb::checksum::Algorithm;
use scalelite_shared::bbb::params::Params;
use serde_json::{Value, json};

const PAYLOAD: &str = "meta_secret-lrs-payload";

/// One request the token endpoint received: its content type and form body.
type TokenRequest = (String, Params);

/// A token endpoint on loopback that records each request and answers every one with `status` and `body`.
struct TokenEndpoint {
    addr: SocketAddr,
    received: Arc<Mutex<Vec<TokenRequest>>>,
}

impl TokenEndpoint {
    async fn start(status: StatusCode, body: &'static str) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("address");
        let received: Arc<Mutex<Vec<TokenRequest>>> = Arc::default();
        let log = received.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let log = log.clone();
                let service = service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
                    let log = log.clone();
                    async move {
                        let (parts, form) = request.into_parts();
                        let form = form.collect().await.map(|b| b.to_bytes()).unwrap_or_default();
                        let content_type = parts.headers.get("content-type").and_then(|v| v.to_str().ok());
                        log.lock().unwrap().push((content_type.unwrap_or_default().to_owned(), Params::parse(&form)));
                        let mut response = hyper::Response::new(Full::new(Bytes::from_static(body.as_bytes())));
                        *response.status_mut() = status;
                        Ok::<_, std::convert::Infallible>(response)
                    }
                });
                tokio::spawn(
                    hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service),
                );
            }
        });
        Self { addr, received }
    }

    fn url(&self) -> String {
        format!("http://{}/realms/school/protocol/openid-connect/token", self.addr)
    }

    fn requests(&self) -> Vec<TokenRequest> {
        self.received.lock().unwrap().clone()
    }
}

/// True when the `openssl` command runs; otherwise the test is reported skipped.
fn have_openssl() -> bool {
    let found = Command::new("openssl").arg("version").output().is_ok_and(|o| o.status.success());
    if !found {
        skip("the openssl command is missing (apt-get install openssl)");
    }
    found
}

/// Opens a sealed payload with `openssl enc -d`: the payload is OpenSSL's salted layout with 8 random bytes
/// where OpenSSL writes `Salted__`, so those are put back and OpenSSL derives key and IV itself.
fn openssl_open(sealed: &str, secret: &str) -> String {
    let mut bytes = STANDARD.decode(sealed).expect("the payload is Base64");
    assert!(bytes.len() > 16 && (bytes.len() - 16).is_multiple_of(16), "8 bytes, the salt, whole AES blocks");
    bytes[..8].copy_from_slice(b"Salted__");
    let mut child = Command::new("openssl")
        .args(["enc", "-d", "-aes-256-cbc", "-pbkdf2", "-iter", "10000", "-md", "sha256", "-pass", "env:LRS_SECRET"])
        .env("LRS_SECRET", secret)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("openssl runs");
    child.stdin.take().expect("stdin").write_all(&bytes).expect("write to openssl");
    let output = child.wait_with_output().expect("openssl ends");
    assert!(output.status.success(), "openssl: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).expect("UTF-8 JSON")
}

async fn tenancy() -> Harness {
    Harness::with_env(1, &[("MULTITENANCY_ENABLED", "true")]).await
}

async fn add_tenant(harness: &Harness, tenant: Value) -> Value {
    let added = harness.admin("addTenant", "", Some(json!({ "tenant": tenant }))).await;
    assert_eq!(added.status, 201, "{}", added.body);
    added.json()["tenant"].clone()
}

async fn create_as(harness: &Harness, host: &str, secret: &str, meeting_id: &str) -> Answer {
    let url = harness.url_with(Algorithm::Sha256, secret, "create", &format!("meetingID={meeting_id}&name=Room"));
    let answer = harness.fetch(harness.client.get(url).header("host", host)).await;
    assert_eq!(answer.returncode().as_deref(), Some("SUCCESS"), "{}", answer.body);
    answer
}

/// The parameter `name` of the last create of `meeting_id` the simulated server received.
fn sent(harness: &Harness, meeting_id: &str, name: &str) -> Option<String> {
    let calls = harness.sim(0).calls();
    let creates = calls.iter().rev().filter_map(|call| call.strip_prefix("create?"));
    let params =
        creates.map(|query| Params::parse(query.as_bytes())).find(|p| p.get("meetingID") == Some(meeting_id))?;
    params.get(name).map(str::to_owned)
}

/// The fields of the tenant's `tenant:<id>` hash, when the tenants live in Redis (the production stores).
async fn redis_fields(harness: &Harness, id: &str) -> Option<HashMap<String, String>> {
    let config = &harness.running.ctx.config;
    let Some(url) = &config.redis_url else {
        assert_ne!(std::env::var("SCALELITE_TEST_STORE").as_deref(), Ok("production"), "tenants in Redis");
        return None;
    };
    let mut conn = redis::Client::open(url.as_str()).unwrap().get_multiplexed_async_connection().await.unwrap();
    let key = format!("{}:tenant:{id}", config.redis_namespace);
    Some(conn.hgetall(key).await.unwrap())
}

#[tokio::test]
async fn basic_credentials_reach_bbb_sealed_with_the_server_secret() {
    if !have_openssl() {
        return;
    }
    let harness = tenancy().await;
    let lrs = json!({ "lrs_endpoint": "https://lrs.example/xapi", "lrs_username": "alice", "lrs_password": "p\"w" });
    let mut body = json!({ "name": "school", "secrets": "s1" });
    body.as_object_mut().unwrap().extend(lrs.as_object().unwrap().clone());
    let tenant = add_tenant(&harness, body).await;
    let id = tenant["id"].as_str().unwrap().to_owned();
    assert_eq!(tenant["lrs_username"], "alice", "the tenant object shows its LRS fields: {tenant}");
    let info = harness.admin("getTenantInfo", &format!("id={id}"), None).await.json();
    assert_eq!(info["lrs_endpoint"], "https://lrs.example/xapi");
    assert!(info.get("kc_token_url").is_none(), "unset fields are left out: {info}");
    let listed = harness.admin("getTenants", "", None).await.json();
    assert!(listed[0].get("lrs_endpoint").is_none(), "getTenants lists id, name and secrets: {listed}");
    add_tenant(&harness, json!({ "name": "uni", "secrets": "u1" })).await;

    create_as(&harness, "school.lb.example", "s1", "room").await;
    let sealed = sent(&harness, "room", PAYLOAD).expect("the create carries the LRS payload");
    let opened: Value = serde_json::from_str(&openssl_open(&sealed, harness.sim(0).secret())).unwrap();
    assert_eq!(opened, lrs, "the payload is the tenant's LRS settings");
    create_as(&harness, "school.lb.example", "s1", "room").await;
    let again = sent(&harness, "room", PAYLOAD).unwrap();
    assert_ne!(again, sealed, "each create is salted afresh");

    create_as(&harness, "uni.lb.example", "u1", "other").await;
    assert_eq!(sent(&harness, "other", PAYLOAD), None, "a tenant without an LRS gets no payload");

    if let Some(fields) = redis_fields(&harness, &id).await {
        assert_eq!(fields.get("lrs_endpoint").map(String::as_str), Some("https://lrs.example/xapi"));
        assert_eq!(fields.get("lrs_username").map(String::as_str), Some("alice"));
        assert_eq!(fields.get("lrs_password").map(String::as_str), Some("p\"w"));
        assert!(!fields.keys().any(|k| k.starts_with("kc_")), "{fields:?}");
    }

    // Incomplete settings are refused; blank ones remove the LRS.
    let half = json!({ "id": id, "tenant": { "lrs_endpoint": "https://lrs", "kc_token_url": "https://kc" } });
    let refused = harness.admin("updateTenant", "", Some(half)).await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    let mixed = json!({ "name": "x", "secrets": "x", "lrs_endpoint": "e", "lrs_username": "u", "lrs_password": "p",
                        "kc_token_url": "t" });
    assert_eq!(harness.admin("addTenant", "", Some(json!({ "tenant": mixed }))).await.status, 400);
    let cleared = json!({ "id": id, "tenant": { "lrs_endpoint": "" } });
    let updated = harness.admin("updateTenant", "", Some(cleared)).await;
    assert_eq!(updated.status, 200, "{}", updated.body);
    assert!(updated.json()["tenant"].get("lrs_endpoint").is_none(), "{}", updated.body);
    create_as(&harness, "school.lb.example", "s1", "later").await;
    assert_eq!(sent(&harness, "later", PAYLOAD), None);
    if let Some(fields) = redis_fields(&harness, &id).await {
        assert!(!fields.keys().any(|k| k.starts_with("lrs_")), "{fields:?}");
    }
}

fn keycloak_settings(id: &str, token_url: &str) -> Value {
    json!({ "id": id, "tenant": {
        "lrs_endpoint": "https://lrs.example/xapi",
        "kc_token_url": token_url,
        "kc_client_id": "scalelite",
        "kc_client_secret": "client secret&more",
        "kc_username": "lrs-user",
        "kc_password": "pass=word",
    } })
}

#[tokio::test]
async fn keycloak_tokens_are_fetched_with_the_password_grant() {
    if !have_openssl() {
        return;
    }
    let harness = tenancy().await;
    let keycloak = TokenEndpoint::start(StatusCode::OK, r#"{"access_token":"tok-123","token_type":"Bearer"}"#).await;
    let basic = json!({ "name": "school", "secrets": "s1", "lrs_endpoint": "https://old", "lrs_username": "u",
                        "lrs_password": "p" });
    let id = add_tenant(&harness, basic).await["id"].as_str().unwrap().to_owned();
    let updated = harness.admin("updateTenant", "", Some(keycloak_settings(&id, &keycloak.url()))).await;
    assert_eq!(updated.status, 200, "{}", updated.body);

    create_as(&harness, "school.lb.example", "s1", "room").await;
    let requests = keycloak.requests();
    assert_eq!(requests.len(), 1, "one token per create");
    let (content_type, form) = &requests[0];
    assert_eq!(content_type, "application/x-www-form-urlencoded");
    let form: HashMap<&str, &str> = form.iter().collect();
    let expected = HashMap::from([
        ("grant_type", "password"),
        ("client_id", "scalelite"),
        ("client_secret", "client secret&more"),
        ("username", "lrs-user"),
        ("password", "pass=word"),
    ]);
    assert_eq!(form, expected);

    let sealed = sent(&harness, "room", PAYLOAD).expect("the create carries the LRS payload");
    let opened: Value = serde_json::from_str(&openssl_open(&sealed, harness.sim(0).secret())).unwrap();
    assert_eq!(opened, json!({ "lrs_endpoint": "https://lrs.example/xapi", "lrs_token": "tok-123" }));

    if let Some(fields) = redis_fields(&harness, &id).await {
        for (field, value) in [
            ("kc_token_url", keycloak.url().as_str()),
            ("kc_client_id", "scalelite"),
            ("kc_client_secret", "client secret&more"),
            ("kc_username", "lrs-user"),
            ("kc_password", "pass=word"),
        ] {
            assert_eq!(fields.get(field).map(String::as_str), Some(value), "{field}");
        }
        assert!(!fields.contains_key("lrs_username") && !fields.contains_key("lrs_password"), "{fields:?}");
    }
}

#[tokio::test]
async fn creates_go_on_without_the_payload_when_no_token_can_be_had() {
    let harness = tenancy().await;
    let failing = TokenEndpoint::start(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error").await;
    let tokenless = TokenEndpoint::start(StatusCode::OK, r#"{"error":"none"}"#).await;
    let id =
        add_tenant(&harness, json!({ "name": "school", "secrets": "s1" })).await["id"].as_str().unwrap().to_owned();
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/token", listener.local_addr().unwrap())
    };
    for (meeting, url) in [("failing", failing.url()), ("tokenless", tokenless.url()), ("closed", closed)] {
        let updated = harness.admin("updateTenant", "", Some(keycloak_settings(&id, &url))).await;
        assert_eq!(updated.status, 200, "{}", updated.body);
        create_as(&harness, "school.lb.example", "s1", meeting).await;
        assert!(harness.sim(0).meeting(meeting).is_some(), "{meeting}: the meeting is created");
        assert_eq!(sent(&harness, meeting, PAYLOAD), None, "{meeting}: no payload without a token");
    }
    assert_eq!(failing.requests().len(), 1);
    assert_eq!(tokenless.requests().len(), 1);
}

/// A tenant upstream wrote (its LRS set by `tenants:update_lrs_basic` after `tenants:update_lrs_kc`, so both
/// kinds of fields are there and the basic credentials win, as upstream reads them) gets its payload.
#[tokio::test]
async fn an_upstream_tenant_keeps_its_lrs() {
    let Some(url) = redis_url().await else { return };
    if !have_openssl() {
        return;
    }
    let ns = fresh_namespace("upstream-lrs");
    let _cleanup = NamespaceCleanup { url: url.clone(), namespace: ns.clone() };
    let mut redis = redis::Client::open(url.as_str()).unwrap().get_multiplexed_async_connection().await.unwrap();
    let key = |name: &str| format!("{ns}:{name}");
    let _: () = redis.sadd(key("tenants"), "t-up").await.unwrap();
    let _: () = redis.hset(key("tenant_name:school"), "id", "t-up").await.unwrap();
    let fields = [
        ("name", "school"),
        ("secrets", "s1:s2"),
        ("lrs_endpoint", "https://lrs.example/xapi"),
        ("kc_token_url", "http://127.0.0.1:9/token"),
        ("kc_client_id", "c"),
        ("lrs_username", "alice"),
        ("lrs_password", "pw"),
    ];
    let _: () = redis.hset_multiple(key("tenant:t-up"), &fields).await.unwrap();

    let vars = [("REDIS_URL", url.as_str()), ("REDIS_NAMESPACE", &ns), ("SINGLE_REPLICA", "true")];
    let harness = Harness::with_env(1, &[vars.as_slice(), &[("MULTITENANCY_ENABLED", "true")]].concat()).await;
    create_as(&harness, "school.lb.example", "s2", "room").await;
    let sealed = sent(&harness, "room", PAYLOAD).expect("the create carries the LRS payload");
    let opened: Value = serde_json::from_str(&openssl_open(&sealed, harness.sim(0).secret())).unwrap();
    let basic = json!({ "lrs_endpoint": "https://lrs.example/xapi", "lrs_username": "alice", "lrs_password": "pw" });
    assert_eq!(opened, basic);
}
