//! DynamoDB for tests: `DYNAMODB_ENDPOINT` when set, else moto (`tests/dynamodb/moto_serial.py`) started once for this test process
//! (and stopped when it exits); each case gets tables of its own under a fresh prefix, deleted afterwards.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use scalelite_infra::dynamodb::{Dynamo, Tables, ensure_tables};

static ENDPOINT: OnceLock<Option<String>> = OnceLock::new();

/// The DynamoDB endpoint the tests use, or `None` with a message when there is none and moto is not
/// installed. In CI (`CI` set) a missing moto fails the test instead.
pub fn dynamodb_endpoint() -> Option<String> {
    ENDPOINT.get_or_init(start_moto).clone()
}

fn start_moto() -> Option<String> {
    if let Some(endpoint) = std::env::var("DYNAMODB_ENDPOINT").ok().filter(|e| !e.is_empty()) {
        return Some(endpoint);
    }
    let python = std::env::var("MOTO_PYTHON").unwrap_or_else(|_| "python3".into());
    let installed = Command::new(&python)
        .args(["-c", "import moto.server, werkzeug"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !installed {
        crate::skip::skip(&format!(
            "no DynamoDB: moto is not installed for {python} (set DYNAMODB_ENDPOINT, or install moto: pip install \
             \"moto[server]\"; tests/dynamodb/run does both)"
        ));
        return None;
    }
    let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port();
    // moto one request at a time (see the script), and a shell that stops it when this process is gone.
    let launcher = concat!(env!("CARGO_MANIFEST_DIR"), "/../dynamodb/moto_serial.py");
    let script = format!(
        "'{python}' '{launcher}' 127.0.0.1 {port} >/dev/null 2>&1 & m=$!; trap 'kill $m' EXIT; \
         while kill -0 {} 2>/dev/null; do sleep 1; done",
        std::process::id()
    );
    let mut watcher = Command::new("sh").arg("-c").arg(script).stdin(Stdio::null()).spawn().expect("start moto");
    std::thread::spawn(move || watcher.wait());
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    let deadline = Instant::now() + Duration::from_secs(60);
    while TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_err() {
        assert!(Instant::now() < deadline, "moto did not start on port {port}");
        std::thread::sleep(Duration::from_millis(100));
    }
    Some(format!("http://{address}"))
}

/// A client for `endpoint` with moto's dummy credentials, whatever the environment says.
pub fn client(endpoint: &str) -> aws_sdk_dynamodb::Client {
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version_latest()
        .endpoint_url(endpoint)
        .region(aws_sdk_dynamodb::config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new("test", "test", None, None, "tests"))
        .build();
    aws_sdk_dynamodb::Client::from_conf(config)
}

/// A fresh table prefix: every case has its own tables, so cases run in parallel.
pub fn fresh_prefix(name: &str) -> String {
    format!("{name}-{}-", uuid::Uuid::new_v4().simple())
}

/// Tables of one case under a fresh prefix, created now and deleted when this is dropped.
pub struct DynamoTables {
    pub db: Dynamo,
    pub endpoint: String,
    pub prefix: String,
}

impl DynamoTables {
    /// Creates the tables, or `None` (skip) when there is no DynamoDB.
    pub async fn create(name: &str) -> Option<Self> {
        let endpoint = dynamodb_endpoint()?;
        let prefix = fresh_prefix(name);
        let db = Dynamo { client: client(&endpoint), tables: Tables::new(&prefix) };
        ensure_tables(&db.client, &db.tables).await.expect("create DynamoDB tables");
        Some(Self { db, endpoint, prefix })
    }
}

impl Drop for DynamoTables {
    fn drop(&mut self) {
        let (endpoint, prefix) = (self.endpoint.clone(), self.prefix.clone());
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
            runtime.block_on(async {
                let client = client(&endpoint);
                let names = client.list_tables().send().await.ok()?.table_names.unwrap_or_default();
                for name in names.into_iter().filter(|n| n.starts_with(&prefix)) {
                    let _ = client.delete_table().table_name(name).send().await;
                }
                Some(())
            })
        })
        .join();
    }
}
