//! The `scalelite-function` binary: one function named by `$FUNCTION`, served on `$PORT` whatever the path.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

fn spawn(function: &str, port: u16, dir: &std::path::Path) -> Process {
    let child = Command::new(env!("CARGO_BIN_EXE_scalelite-function"))
        .env("FUNCTION", function)
        .env("PORT", port.to_string())
        .env("SQLITE_PATH", dir.join("f.db"))
        .env("LOADBALANCER_SECRET", "s")
        .env("BUILD_NUMBER", "7")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary starts");
    Process(child)
}

#[tokio::test]
async fn serves_the_named_function_on_any_path() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let _process = spawn("index", port, dir.path());
    let client = reqwest::Client::new();
    let mut body = String::new();
    for _ in 0..100 {
        if let Ok(response) = client.get(format!("http://127.0.0.1:{port}/function/index")).send().await {
            body = response.text().await.unwrap();
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(body, "<response><returncode>SUCCESS</returncode><version>2.0</version><build>7</build></response>");
    let probe = client.get(format!("http://127.0.0.1:{port}/_/ready")).send().await.unwrap();
    assert_eq!(probe.status(), 200);
}

#[test]
fn an_unknown_function_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut process = spawn("nonsense", free_port(), dir.path());
    let status = process.0.wait().expect("it exits");
    assert!(!status.success());
}
