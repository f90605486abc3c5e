//! `GET /scalelite/status` through HTTP: who may see it, the figures it shows, escaping, and how it looks in
//! headless Chromium.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use scalelite_integration_tests::{Answer, Harness, SECRET};
use scalelite_shared::bbb::checksum::{Algorithm, sign};
use scalelite_shared::model::Server;
use serde_json::json;

const TOKEN: &str = "status-token-0123456789";

async fn harness(servers: usize) -> Harness {
    Harness::with_env(servers, &[("STATUS_PAGE_TOKEN", TOKEN)]).await
}

fn page_url(harness: &Harness, query: &str) -> String {
    format!("{}/scalelite/status?{query}", harness.running.base_url())
}

fn signed_url(harness: &Harness) -> String {
    page_url(harness, &format!("checksum={}", sign(Algorithm::Sha256, "status", "", SECRET)))
}

fn header<'a>(answer: &'a Answer, name: &str) -> &'a str {
    answer.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default()
}

/// The table row of server `id` (its escaped id in the first cell).
fn row<'a>(page: &'a str, id: &str) -> &'a str {
    let cell = format!("<div class=\"id\">{id}</div>");
    let at = page.find(&cell).unwrap_or_else(|| panic!("no row for {id}:\n{page}"));
    let start = page[..at].rfind("<tr").unwrap();
    let end = at + page[at..].find("</tr>").unwrap();
    &page[start..end]
}

fn num(value: impl std::fmt::Display) -> String {
    format!("<td class=\"num\">{value}</td>")
}

/// Creates meetings and gives them participants: `(meeting, participants)`.
async fn fill(harness: &Harness, meetings: &[(&str, usize)]) {
    for (id, participants) in meetings {
        harness.create(id).await;
        let holder = harness.holder(id).unwrap();
        assert!(harness.sim(holder).set_participants(id, *participants));
    }
    harness.poll().await;
}

/// Per server: (meetings, participants, largest meeting), as the simulated fleet holds them.
fn fleet_figures(harness: &Harness, index: usize) -> (usize, usize, usize) {
    let sim = harness.sim(index);
    let sizes: Vec<usize> = sim.meeting_ids().iter().map(|id| sim.meeting(id).unwrap().attendees.len()).collect();
    (sizes.len(), sizes.iter().sum(), sizes.iter().copied().max().unwrap_or(0))
}

#[tokio::test]
async fn the_page_shows_every_server_to_the_token_and_the_checksum_only() {
    let harness = harness(3).await;
    fill(&harness, &[("a", 7), ("b", 3), ("c", 5), ("d", 2)]).await;

    let by_token = harness.get_url(&page_url(&harness, &format!("token={TOKEN}"))).await;
    assert_eq!(by_token.status, 200, "{}", by_token.body);
    assert_eq!(header(&by_token, "content-type"), "text/html; charset=utf-8");
    assert_eq!(header(&by_token, "cache-control"), "no-store");
    let page = &by_token.body;
    assert!(page.contains("<div class=\"n\">3/3</div><div class=\"l\">servers online</div>"), "{page}");
    assert!(page.contains("<div class=\"n\">4</div><div class=\"l\">meetings</div>"), "{page}");
    assert!(page.contains("<div class=\"n\">17</div><div class=\"l\">participants</div>"), "{page}");
    let servers = harness.admin("getServers", "", None).await.json();
    let mut most_loaded = 0.0_f64;
    for index in 0..3 {
        let id = format!("demo-{index}");
        let row = row(page, &id);
        let (meetings, users, largest) = fleet_figures(&harness, index);
        for cell in [num(meetings), num(users), num(largest), num(0)] {
            assert!(row.contains(&cell), "{id} lacks {cell}: {row}");
        }
        let server = servers.as_array().unwrap().iter().find(|s| s["id"] == id.as_str()).unwrap();
        let load = server["load"].as_f64().unwrap();
        most_loaded = most_loaded.max(load);
        assert!(row.contains(&format!("</span>{load:.1}</td>")), "{id} load {load}: {row}");
        assert!(row.contains("badge enabled") && row.contains(">online</td>") && row.contains(&num("1.0")));
        assert!(!page.contains(harness.sim(index).secret()), "a server secret is shown");
    }
    assert!(page.contains("width:100.0%"), "the most loaded server ({most_loaded}) has a full bar");

    let by_checksum = harness.get_url(&signed_url(&harness)).await;
    assert_eq!(by_checksum.status, 200, "{}", by_checksum.body);
    assert_eq!(header(&by_checksum, "cache-control"), "no-store");
    assert_eq!(&by_checksum.body, page, "the same page either way");

    for query in ["", "token=", "token=wrong", "token=status-token-012345678", "checksum=0000", "token=x&checksum=0"] {
        let refused = harness.get_url(&page_url(&harness, query)).await;
        assert_eq!(refused.status, 401, "?{query}: {}", refused.body);
        assert_eq!(header(&refused, "content-type"), "text/html; charset=utf-8");
        assert_eq!(header(&refused, "cache-control"), "no-store");
        assert!(refused.body.contains("Unauthorized") && !refused.body.contains("demo-0"), "{}", refused.body);
    }
    let signed_for_another_call =
        page_url(&harness, &format!("checksum={}", sign(Algorithm::Sha256, "getServers", "", SECRET)));
    assert_eq!(harness.get_url(&signed_for_another_call).await.status, 401);

    harness.sim(2).go_down().await;
    harness.poll().await;
    harness.poll().await;
    let page = harness.get_url(&signed_url(&harness)).await.body;
    assert!(page.contains("<div class=\"n\">2/3</div>"), "{page}");
    let down = row(&page, "demo-2");
    assert!(down.contains("class=\"down\"") && down.contains(">offline</td>") && down.contains(&num(0)), "{down}");
    assert!(row(&page, "demo-0").contains(">online</td>"));
}

#[tokio::test]
async fn without_a_configured_token_only_the_checksum_opens_it() {
    let harness = Harness::start(1).await;
    assert_eq!(harness.get_url(&page_url(&harness, "token=")).await.status, 401);
    assert_eq!(harness.get_url(&page_url(&harness, &format!("token={TOKEN}"))).await.status, 401);
    assert_eq!(harness.get_url(&signed_url(&harness)).await.status, 200);
    let post = harness.fetch(harness.client.post(signed_url(&harness))).await;
    assert_eq!(post.message_key().as_deref(), Some("unsupportedRequest"), "GET only");
}

const HOSTILE_ID: &str = "<b>id&\"x'</b>";
const HOSTILE_TAG: &str = "<script>alert(\"tag\")</script>&amp;";

/// A server whose id, host and tag carry HTML metacharacters, straight into the store, and a hostile tag on
/// demo-0 through the admin API.
async fn add_hostile(harness: &Harness) {
    let mut server = Server::new(HOSTILE_ID, "http://evil<i>&\"host/bigbluebutton/api", "hostile-secret");
    server.tag = Some("<img src=x onerror=alert(1)>".into());
    harness.running.ctx.servers.add_server(&server).await.unwrap();
    let updated =
        harness.admin("updateServer", "", Some(json!({"id": "demo-0", "server": {"tag": HOSTILE_TAG}}))).await;
    assert_eq!(updated.status, 200, "{}", updated.body);
}

#[tokio::test]
async fn hostile_ids_hosts_and_tags_are_escaped() {
    let harness = harness(2).await;
    add_hostile(&harness).await;
    let page = harness.get_url(&page_url(&harness, &format!("token={TOKEN}"))).await.body;
    for escaped in [
        "&lt;b&gt;id&amp;&quot;x&#39;&lt;/b&gt;",
        "evil&lt;i&gt;&amp;&quot;host",
        "&lt;script&gt;alert(&quot;tag&quot;)&lt;/script&gt;&amp;amp;",
        "&lt;img src=x onerror=alert(1)&gt;",
    ] {
        assert!(page.contains(escaped), "missing {escaped}:\n{page}");
    }
    for raw in [HOSTILE_ID, HOSTILE_TAG, "<script", "<img", "<i>", "hostile-secret"] {
        assert!(!page.contains(raw), "{raw} is in the page unescaped:\n{page}");
    }
    assert!(page.contains("<div class=\"n\">2/3</div>"), "the added server is offline: {page}");
}

/// The Chromium binary Debian installs, if any.
fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    ["chromium", "chromium-headless-shell"]
        .iter()
        .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

/// Width and height from a PNG's IHDR chunk, after checking the signature.
fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert!(bytes.len() > 33, "too short for a PNG");
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    assert_eq!(&bytes[12..16], b"IHDR");
    let be = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
    (be(16), be(20))
}

/// The image data (IDAT chunks, inflated): scanlines with their filter bytes.
fn png_pixels(bytes: &[u8]) -> Vec<u8> {
    let mut at = 8;
    let mut compressed = Vec::new();
    while at + 8 <= bytes.len() {
        let length = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        let kind = &bytes[at + 4..at + 8];
        if kind == b"IDAT" {
            compressed.extend_from_slice(&bytes[at + 8..at + 8 + length]);
        }
        at += 12 + length;
    }
    let mut raw = Vec::new();
    flate2::read::ZlibDecoder::new(&compressed[..]).read_to_end(&mut raw).expect("IDAT inflates");
    raw
}

/// Runs `command` for at most `limit`, without blocking the runtime that serves the page; its stderr goes to
/// `log` (a file, so a chatty browser cannot fill a pipe and stall).
async fn run(command: &mut Command, limit: Duration, log: &Path) -> (bool, String) {
    let stderr = std::fs::File::create(log).expect("log file");
    let mut child = command.stdout(Stdio::null()).stderr(stderr).spawn().expect("chromium starts");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    (status.is_some_and(|s| s.success()), std::fs::read_to_string(log).unwrap_or_default())
}

async fn screenshot(binary: &Path, url: &str, out: &Path, dir: &Path) -> (bool, String) {
    let mut command = Command::new(binary);
    command.args([
        "--headless",
        "--disable-gpu",
        "--no-sandbox",
        "--hide-scrollbars",
        "--no-first-run",
        "--disable-dev-shm-usage",
        &format!("--user-data-dir={}", dir.join("profile").display()),
        &format!("--screenshot={}", out.display()),
        "--window-size=1280,900",
        url,
    ]);
    run(&mut command, Duration::from_secs(90), &dir.join("chromium.log")).await
}

#[tokio::test]
async fn headless_chromium_renders_the_page() {
    let Some(binary) = chromium() else {
        scalelite_integration_tests::skip::skip("chromium is not installed (apt-get install -y chromium)");
        return;
    };
    let harness = harness(4).await;
    fill(&harness, &[("a", 24), ("b", 9), ("c", 16), ("d", 3), ("e", 11)]).await;
    harness.admin("updateServer", "", Some(json!({"id": "demo-1", "server": {"state": "cordon", "tag": "gpu"}}))).await;
    harness
        .admin("updateServer", "", Some(json!({"id": "demo-2", "server": {"load_multiplier": 2.5, "tag": "eu-west"}})))
        .await;
    add_hostile(&harness).await;
    harness.sim(3).go_down().await;
    harness.poll().await;
    harness.poll().await;

    let dir = tempfile::TempDir::new().unwrap();
    let out = dir.path().join("status-page.png");
    let url = page_url(&harness, &format!("token={TOKEN}"));
    let (ok, stderr) = screenshot(&binary, &url, &out, dir.path()).await;
    assert!(ok && out.is_file(), "{} did not write {}: {stderr}", binary.display(), out.display());

    let bytes = std::fs::read(&out).unwrap();
    assert!(bytes.len() > 20_000, "a {}-byte screenshot is too small to show the page", bytes.len());
    assert_eq!(png_size(&bytes), (1280, 900));
    let pixels = png_pixels(&bytes);
    let mut seen = [false; 256];
    pixels.iter().for_each(|&b| seen[b as usize] = true);
    assert!(seen.iter().filter(|&&s| s).count() > 64, "the screenshot is nearly uniform");

    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"), PathBuf::from);
    let kept = target.join("status-page.png");
    match std::fs::create_dir_all(&target).and_then(|()| std::fs::copy(&out, &kept)) {
        Ok(_) => eprintln!("status page screenshot: {}", kept.display()),
        Err(error) => {
            eprintln!("status page screenshot: {} (not copied to {}: {error})", out.display(), kept.display())
        }
    }
    // Keep the temporary one too when the copy failed, so the path printed stays valid.
    if !kept.is_file() {
        let _ = dir.keep();
    }
}
