//! `scalelite serve --demo`: a newcomer's first command works end to end.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};

/// Runs a command line the demo printed (`VAR=value … program args…`, single-quoted arguments) and returns its
/// standard output.
fn run_printed(line: &str) -> String {
    let output = Command::new("sh").args(["-c", line]).output().expect("the printed command runs");
    assert!(output.status.success(), "{line}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Stops the demo as a service manager does (SIGTERM), so its clean-up runs, and waits for it.
fn terminate(child: &mut Child) {
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let _ = child.wait();
}

#[tokio::test]
async fn the_demo_prints_a_create_that_works() {
    let dir = tempfile::tempdir().unwrap();
    let temporary = tempfile::tempdir().unwrap();
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_scalelite"))
        .args(["serve", "--demo"])
        .current_dir(dir.path())
        .env("TMPDIR", temporary.path())
        .env("PORT", port.to_string())
        .env_remove("LOADBALANCER_SECRET")
        .env_remove("SQLITE_PATH")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines().map_while(Result::ok);
    let line = stdout.find(|l| l.starts_with("Try: curl")).expect("the demo prints a command");
    let sign = stdout.next().expect("how to sign a call");
    let status = stdout.next().expect("how to see the pool");
    let url = line.trim_start_matches("Try: curl '").trim_end_matches('\'');
    let body = reqwest::get(url).await.unwrap().text().await.unwrap();
    // The printed commands work as printed: the CLI finds the demo's store and secret.
    let pool = run_printed(status.trim_start_matches("See the pool with: "));
    assert!(pool.contains("HOSTNAME") && pool.contains("demo-0"), "{status}: {pool}");
    let signed = run_printed(sign.trim_start_matches("Sign any call with: "));
    assert!(signed.contains("/bigbluebutton/api/join?meetingID=demo") && signed.contains("checksum="), "{signed}");
    let running = std::fs::read_dir(temporary.path()).unwrap().count();
    terminate(&mut child);
    assert_eq!(running, 1, "while it runs, the demo keeps its state in one temporary directory");
    assert!(body.starts_with("<response><returncode>SUCCESS</returncode><meetingID>demo</meetingID>"), "{body}");
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(left.is_empty(), "the demo keeps its state apart, not in the working directory: {left:?}");
    let kept: Vec<_> = std::fs::read_dir(temporary.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(kept.is_empty(), "the demo's temporary state is gone once it stops: {kept:?}");
}
