//! The integration-test harness: the local runtime on loopback, a simulated fleet, signed HTTP calls,
//! the store contracts every adapter passes, and fresh PostgreSQL schemas for the recordings index.

pub mod contract;
#[cfg(feature = "dynamodb")]
pub mod dynamo;
#[cfg(any(feature = "dynamodb", feature = "s3"))]
pub mod moto;
pub mod outage;
pub mod pg;
pub mod process;
pub mod recording_contract;
pub mod recording_files;
#[cfg(feature = "s3")]
pub mod s3;
pub mod skip;
pub mod uploads;
pub mod wait;

use std::collections::HashMap;
use std::net::SocketAddr;

use bbb_simulator::{Fleet, SimServer};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use scalelite_cli::{Options, Running};
use scalelite_shared::bbb::checksum::{Algorithm, sign};
use scalelite_shared::config::Config;
use tempfile::TempDir;

/// The load balancer's secret in tests.
pub const SECRET: &str = "test-secret";

/// An answer: status, headers, body text.
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Answer {
    /// The text of the first `<name>` element.
    pub fn field(&self, name: &str) -> Option<String> {
        let open = format!("<{name}>");
        let start = self.body.find(&open)? + open.len();
        let end = self.body[start..].find(&format!("</{name}>"))? + start;
        Some(self.body[start..end].to_owned())
    }

    pub fn returncode(&self) -> Option<String> {
        self.field("returncode")
    }

    pub fn message_key(&self) -> Option<String> {
        self.field("messageKey")
    }

    pub fn location(&self) -> Option<String> {
        self.headers.get("location").and_then(|l| l.to_str().ok()).map(str::to_owned)
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

/// The local runtime with `servers` simulated BBB servers, registered, enabled and polled once; on the
/// embedded store, or on Redis and PostgreSQL when `SCALELITE_TEST_STORE=production`. Recording directories
/// live in the harness's temporary directory (`recordings/{spool,work,published,unpublished,captions}`).
pub struct Harness {
    pub running: Running,
    pub client: reqwest::Client,
    /// The settings it runs with, for another replica on the same stores.
    pub env: HashMap<String, String>,
    dir: TempDir,
    _cleanup: Option<NamespaceCleanup>,
    _schema: Option<pg::PgSchema>,
}

impl Harness {
    pub async fn start(servers: usize) -> Self {
        Self::with_env(servers, &[]).await
    }

    /// Starts with extra environment variables (upstream names) on top of the test defaults.
    pub async fn with_env(servers: usize, vars: &[(&str, &str)]) -> Self {
        if std::env::var("SCALELITE_TEST_STORE").is_ok_and(|store| store == "production") {
            let started = Self::on_production_stores(servers, vars).await;
            return started.expect("SCALELITE_TEST_STORE=production needs a reachable Redis and PostgreSQL");
        }
        Self::build(servers, vars, None).await
    }

    /// Starts on Redis (meetings) and PostgreSQL (recordings) whatever `SCALELITE_TEST_STORE` says; `None`,
    /// with the test reported skipped, when either is not reachable.
    pub async fn on_production_stores(servers: usize, vars: &[(&str, &str)]) -> Option<Self> {
        let url = redis_url().await?;
        let schema = pg::PgSchema::create("http").await?;
        Some(Self::build(servers, vars, Some((url, schema))).await)
    }

    async fn build(servers: usize, vars: &[(&str, &str)], production: Option<(String, pg::PgSchema)>) -> Self {
        let dir = TempDir::new().expect("temp dir");
        let path = |sub: &str| dir.path().join(sub).display().to_string();
        let mut env: HashMap<String, String> = HashMap::from([
            ("LOADBALANCER_SECRET".into(), SECRET.into()),
            ("SQLITE_PATH".into(), path("scalelite.db")),
            ("POLL_INTERVAL".into(), "3600".into()),
            ("RECORDING_IMPORT_POLL_INTERVAL".into(), "3600".into()),
            ("RECORDING_IMPORT_SETTLE".into(), "0".into()),
            ("RECORDING_IMPORT_WATCH".into(), "false".into()),
            ("RECORDING_SPOOL_DIR".into(), path("recordings/spool")),
            ("RECORDING_WORK_DIR".into(), path("recordings/work")),
            ("RECORDING_PUBLISH_DIR".into(), path("recordings/published")),
            ("RECORDING_UNPUBLISH_DIR".into(), path("recordings/unpublished")),
            ("RECORDING_CAPTIONS_DIR".into(), path("recordings/captions")),
            ("CONNECT_TIMEOUT".into(), "1".into()),
            ("RESPONSE_TIMEOUT".into(), "2".into()),
        ]);
        let (mut cleanup, mut schema) = (None, None);
        if let Some((url, created)) = production {
            let namespace = fresh_namespace("http");
            env.insert("REDIS_URL".into(), url.clone());
            env.insert("REDIS_NAMESPACE".into(), namespace.clone());
            cleanup = Some(NamespaceCleanup { url, namespace });
            env.insert("DATABASE_URL".into(), created.url.clone());
            schema = Some(created);
        }
        env.extend(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let config = Config::from_lookup(|name| env.get(name).cloned()).expect("config");
        let options = Options { bind: SocketAddr::from(([127, 0, 0, 1], 0)), demo_servers: servers };
        let running = scalelite_cli::start(config, options).await.expect("runtime starts");
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
        Self { running, client, env, dir, _cleanup: cleanup, _schema: schema }
    }

    /// A path under the harness's temporary directory (recordings live in `recordings/`).
    pub fn path(&self, sub: &str) -> std::path::PathBuf {
        self.dir.path().join(sub)
    }

    pub fn fleet(&self) -> &Fleet {
        self.running.fleet.as_ref().expect("a simulated fleet")
    }

    pub fn sim(&self, index: usize) -> &SimServer {
        &self.fleet().servers[index]
    }

    /// The simulated server holding `meeting_id`, by index.
    pub fn holder(&self, meeting_id: &str) -> Option<usize> {
        self.fleet().servers.iter().position(|s| s.meeting(meeting_id).is_some())
    }

    /// `http://addr/bigbluebutton/api/<call>?<query>&checksum=…` signed with SHA-256.
    pub fn url(&self, call: &str, query: &str) -> String {
        self.url_with(Algorithm::Sha256, SECRET, call, query)
    }

    pub fn url_with(&self, algorithm: Algorithm, secret: &str, call: &str, query: &str) -> String {
        let checksum = sign(algorithm, call, query, secret);
        let base = self.running.base_url();
        if query.is_empty() {
            format!("{base}/bigbluebutton/api/{call}?checksum={checksum}")
        } else {
            format!("{base}/bigbluebutton/api/{call}?{query}&checksum={checksum}")
        }
    }

    pub async fn fetch(&self, request: reqwest::RequestBuilder) -> Answer {
        let response = request.send().await.expect("request");
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.text().await.expect("body");
        Answer { status, headers, body }
    }

    pub async fn get_url(&self, url: &str) -> Answer {
        self.fetch(self.client.get(url)).await
    }

    /// A signed GET of a BBB call.
    pub async fn call(&self, call: &str, query: &str) -> Answer {
        self.get_url(&self.url(call, query)).await
    }

    /// A signed admin call; `body` is sent as JSON when given.
    pub async fn admin(&self, action: &str, query: &str, body: Option<serde_json::Value>) -> Answer {
        let checksum = sign(Algorithm::Sha256, action, query, SECRET);
        let separator = if query.is_empty() { "" } else { "&" };
        let url = format!("{}/scalelite/api/{action}?{query}{separator}checksum={checksum}", self.running.base_url());
        let request = match body {
            Some(body) => self.client.post(url).header("content-type", "application/json").body(body.to_string()),
            None => self.client.get(url),
        };
        self.fetch(request).await
    }

    /// One pass of job `name`, through `POST /scalelite/jobs/<name>`; asserts 200 and returns its report.
    async fn job(&self, name: &str) -> serde_json::Value {
        let checksum = sign(Algorithm::Sha256, name, "", SECRET);
        let url = format!("{}/scalelite/jobs/{name}?checksum={checksum}", self.running.base_url());
        let answer = self.fetch(self.client.post(url)).await;
        assert_eq!(answer.status, StatusCode::OK, "{name}: {}", answer.body);
        answer.json()
    }

    /// One poll pass.
    pub async fn poll(&self) -> serde_json::Value {
        self.job("poll").await
    }

    /// One recording import pass.
    pub async fn import(&self) -> serde_json::Value {
        self.job("import").await
    }

    /// Creates a meeting and asserts SUCCESS.
    pub async fn create(&self, meeting_id: &str) -> Answer {
        let answer = self.call("create", &format!("meetingID={meeting_id}&name=Room+{meeting_id}")).await;
        assert_eq!(answer.returncode().as_deref(), Some("SUCCESS"), "create {meeting_id}: {}", answer.body);
        answer
    }

    /// A server's state as the admin API shows it.
    pub async fn server_info(&self, id: &str) -> serde_json::Value {
        self.admin("getServerInfo", &format!("id={id}"), None).await.json()
    }
}

/// The Redis server the tests use (`REDIS_URL`, default the local one), or `None` with a message when it is
/// not reachable. In CI (`CI` set) a missing Redis fails the test instead.
pub async fn redis_url() -> Option<String> {
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned());
    let reachable = match redis::Client::open(url.as_str()) {
        Ok(client) => client.get_multiplexed_async_connection().await.is_ok(),
        Err(_) => false,
    };
    if reachable {
        return Some(url);
    }
    skip::skip(&format!("Redis is not reachable at {url} (start redis-server or set REDIS_URL)"));
    None
}

/// A namespace no other test uses.
pub fn fresh_namespace(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::new_v4())
}

/// Deletes every key of a test's Redis namespace when dropped.
pub struct NamespaceCleanup {
    pub url: String,
    pub namespace: String,
}

impl Drop for NamespaceCleanup {
    fn drop(&mut self) {
        let Ok(mut conn) = redis::Client::open(self.url.as_str()).and_then(|c| c.get_connection()) else { return };
        let keys: Vec<String> = match redis::Commands::scan_match(&mut conn, format!("{}:*", self.namespace)) {
            Ok(keys) => keys.filter_map(Result::ok).collect(),
            Err(_) => return,
        };
        for chunk in keys.chunks(500) {
            let _: redis::RedisResult<()> = redis::Commands::del(&mut conn, chunk);
        }
    }
}
