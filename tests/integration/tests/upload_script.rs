//! The BBB-side sender `bbb-server/scalelite_upload.py` against the local runtime: it packs a published recording,
//! signs its token with the server's secret, and the upload imports; refusals and an unreachable load
//! balancer end in a non-zero exit. Skipped with a message when python3 is missing (failed in CI).

use std::process::Output;

use scalelite_integration_tests::Harness;
use scalelite_integration_tests::recording_files::Fixture;

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../bbb-server/scalelite_upload.py");

async fn python_available() -> bool {
    let found =
        tokio::process::Command::new("python3").arg("--version").output().await.is_ok_and(|o| o.status.success());
    if !found {
        scalelite_integration_tests::skip::skip(
            "python3 is not installed, so bbb-server/scalelite_upload.py cannot be tried",
        );
    }
    found
}

/// Runs the script with `args` (no config file unless one is named) and returns its output.
async fn run_script(args: &[&str]) -> Output {
    let output = tokio::process::Command::new("python3")
        .arg(SCRIPT)
        .args(["--config", "/dev/null", "--backoff", "0.05", "--timeout", "10"])
        .args(args)
        .output()
        .await
        .expect("python3 runs");
    eprintln!("{}", String::from_utf8_lossy(&output.stderr));
    output
}

fn published(harness: &Harness) -> String {
    harness.path("bbb/published").display().to_string()
}

#[tokio::test]
async fn the_sender_uploads_every_format_and_the_recording_imports() {
    if !python_available().await {
        return;
    }
    let harness = Harness::start(1).await;
    let tree = harness.path("bbb/published");
    Fixture::new("sent-1", "m-sent").write_dir(&tree);
    Fixture::new("sent-1", "m-sent").format("podcast").write_dir(&tree);
    Fixture::new("other-2", "m-other").write_dir(&tree);
    let (base, secret, dir) = (harness.running.base_url(), harness.sim(0).secret().to_owned(), published(&harness));

    let sent = run_script(&[
        "-m",
        "sent-1",
        "--url",
        &base,
        "--server-id",
        "demo-0",
        "--secret",
        &secret,
        "--published-dir",
        &dir,
    ])
    .await;
    assert!(sent.status.success(), "the sender exits 0");
    assert!(harness.path("recordings/spool/sent-1.tar").is_file());

    let report = harness.import().await;
    assert_eq!((report["imported"].as_u64(), report["failed"].as_u64()), (Some(2), Some(0)), "{report}");
    let listed = harness.call("getRecordings", "meetingID=m-sent").await;
    assert_eq!(listed.field("recordID").as_deref(), Some("sent-1"), "{}", listed.body);
    assert_eq!(listed.body.matches("<format>").count(), 2, "presentation and podcast");
    assert!(harness.path("recordings/published/podcast/sent-1/index.html").is_file());
    assert_eq!(harness.call("getRecordings", "meetingID=m-other").await.message_key().as_deref(), Some("noRecordings"));

    // The same settings from a KEY=VALUE file.
    let config = harness.path("bbb/scalelite-upload.conf");
    let text =
        format!("# written by the test\nURL={base}\nSERVER_ID=demo-0\nSECRET=\"{secret}\"\nPUBLISHED_DIR={dir}\n");
    std::fs::write(&config, text).expect("config file");
    let from_file = tokio::process::Command::new("python3")
        .arg(SCRIPT)
        .arg("--config")
        .arg(&config)
        .args(["-m", "other-2"])
        .output()
        .await
        .expect("python3 runs");
    assert!(from_file.status.success(), "{}", String::from_utf8_lossy(&from_file.stderr));
    assert_eq!(harness.import().await["imported"], 1);
    assert_eq!(harness.call("getRecordings", "meetingID=m-other").await.field("recordID").as_deref(), Some("other-2"));
}

#[tokio::test]
async fn the_sender_fails_on_refusal_and_after_its_last_try() {
    if !python_available().await {
        return;
    }
    let harness = Harness::start(1).await;
    Fixture::new("sent-3", "m-sent").write_dir(&harness.path("bbb/published"));
    let (base, dir) = (harness.running.base_url(), published(&harness));

    let started = std::time::Instant::now();
    let refused = run_script(&[
        "-m",
        "sent-3",
        "--url",
        &base,
        "--server-id",
        "demo-0",
        "--secret",
        "wrong",
        "--published-dir",
        &dir,
    ])
    .await;
    assert_eq!(refused.status.code(), Some(1), "a wrong secret fails");
    assert!(String::from_utf8_lossy(&refused.stderr).contains("HTTP 401"));
    assert!(started.elapsed() < std::time::Duration::from_secs(5), "a refusal is not retried");

    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let dead = format!("http://{}", closed.local_addr().expect("address"));
    drop(closed);
    let secret = harness.sim(0).secret().to_owned();
    let unreachable = run_script(&[
        "-m",
        "sent-3",
        "--url",
        &dead,
        "--server-id",
        "demo-0",
        "--secret",
        &secret,
        "--published-dir",
        &dir,
        "--tries",
        "3",
    ])
    .await;
    assert_eq!(unreachable.status.code(), Some(1), "fails after its last try");
    assert_eq!(String::from_utf8_lossy(&unreachable.stderr).matches("failed:").count(), 3, "three tries");

    let missing =
        run_script(&["-m", "nothing-here", "--url", &base, "--secret", &secret, "--published-dir", &dir]).await;
    assert_eq!(missing.status.code(), Some(1), "no published format to send");
    assert!(std::fs::read_dir(harness.path("recordings/spool")).map_or(true, |mut d| d.next().is_none()));
}
