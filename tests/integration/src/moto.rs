//! moto for tests, one server for DynamoDB and S3: `MOTO_ENDPOINT` when set, else `tests/dynamodb/moto_serial.py`
//! started once for this test process (and stopped when it exits).

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

static ENDPOINT: OnceLock<Option<String>> = OnceLock::new();

/// The moto endpoint (`MOTO_ENDPOINT`, else moto started now), or `None` with a message naming `service`
/// when moto is not installed. In CI (`CI` set) a missing moto fails the test instead.
pub fn endpoint(service: &str) -> Option<String> {
    let endpoint = ENDPOINT.get_or_init(start_moto).clone();
    if endpoint.is_none() {
        crate::skip::skip(&format!(
            "no {service}: moto is not installed (set MOTO_PYTHON to a Python that has it, or install moto: \
             pip install \"moto[server,s3]\"; tests/dynamodb/run does both)"
        ));
    }
    endpoint
}

fn start_moto() -> Option<String> {
    if let Some(endpoint) = std::env::var("MOTO_ENDPOINT").ok().filter(|e| !e.is_empty()) {
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
