//! Hostile requests against the recording routes through HTTP: encoded path tricks, other tenants' hosts,
//! uploads carrying someone else's recording, token links leading off the site.

use scalelite_integration_tests::recording_files::{Fixture, tar_bytes, write_tar};
use scalelite_integration_tests::{Harness, SECRET};
use scalelite_shared::bbb::checksum::{Algorithm, sign};
use serde_json::json;

/// A harness with protection on and two recordings: `pub-1` opened to everyone, `sec-1` protected.
async fn protected_pair() -> Harness {
    let harness = Harness::with_env(0, &[("PROTECTED_RECORDINGS_ENABLED", "true"), ("SECRET_KEY_BASE", "k")]).await;
    write_tar(&harness.path("recordings/spool/a.tar"), &[Fixture::new("pub-1", "m1"), Fixture::new("sec-1", "m2")]);
    harness.import().await;
    let opened = harness.call("updateRecordings", "recordID=pub-1&protect=false").await;
    assert_eq!(opened.returncode().as_deref(), Some("SUCCESS"), "{}", opened.body);
    harness
}

#[tokio::test]
async fn encoded_path_tricks_never_open_another_recording() {
    let harness = protected_pair().await;
    let base = harness.running.base_url();
    let open = harness.get_url(&format!("{base}/presentation/pub-1/index.html")).await;
    assert_eq!(open.headers["x-accel-redirect"], "/static-resource/presentation/pub-1/index.html");
    for trick in [
        "/presentation/pub-1/..%2fsec-1/index.html",
        "/presentation/pub-1/..%2Fsec-1/index.html",
        "/presentation/pub-1/%2e%2e%2fsec-1/index.html",
        "/presentation/pub-1%2f..%2fsec-1/index.html",
        "/presentation/pub-1/..%5csec-1/index.html",
        "/presentation/pub-1/%252e%252e%252fsec-1/index.html",
        "/presentation/pub-1/%00/index.html",
    ] {
        let answer = harness.get_url(&format!("{base}{trick}")).await;
        assert_eq!(answer.status, 404, "{trick}");
        assert!(!answer.headers.contains_key("x-accel-redirect"), "{trick}");
        let authorize = harness
            .fetch(harness.client.get(format!("{base}/scalelite/recordings/authorize")).header("x-original-uri", trick))
            .await;
        assert_eq!(authorize.status, 403, "auth_request for {trick}");
        let captions = harness.get_url(&format!("{base}/captions/pub-1/..%2fsec-1")).await;
        assert_eq!(captions.status, 404);
    }
}

#[tokio::test]
async fn recording_files_are_served_only_on_their_tenants_host() {
    let harness = Harness::with_env(0, &[("MULTITENANCY_ENABLED", "true")]).await;
    let added = harness.admin("addTenant", "", Some(json!({ "tenant": { "name": "t1", "secrets": "s1" } }))).await;
    let t1 = added.json()["tenant"]["id"].as_str().unwrap().to_owned();
    harness.admin("addTenant", "", Some(json!({ "tenant": { "name": "t2", "secrets": "s2" } }))).await;
    write_tar(&harness.path("recordings/spool/t.tar"), &[Fixture::new("t1-rec", "room").meta("tenant-id", &t1)]);
    harness.import().await;
    let url = format!("{}/presentation/t1-rec/index.html", harness.running.base_url());
    let on = |host: &'static str| {
        let request = harness.client.get(&url).header("host", host);
        harness.fetch(request)
    };
    assert_eq!(on("t1.lb.example").await.status, 200, "its own tenant's host");
    assert_eq!(on("t2.lb.example").await.status, 404, "another tenant's host");
    assert_eq!(on("lb.example").await.status, 200, "the main domain sees every recording");
}

#[tokio::test]
async fn an_import_never_takes_over_another_meetings_recording() {
    let harness = Harness::start(0).await;
    write_tar(&harness.path("recordings/spool/victim.tar"), &[Fixture::new("rec-victim", "victim-room")]);
    harness.import().await;
    write_tar(&harness.path("recordings/spool/attack.tar"), &[Fixture::new("rec-victim", "attacker-room")]);
    let report = harness.import().await;
    assert_eq!(report["failed"], json!(1), "{report}");
    let reason = std::fs::read_to_string(harness.path("recordings/spool/failed/attack.tar.reason")).unwrap();
    assert!(reason.contains("belongs to meeting victim-room"), "{reason}");
    let listed = harness.call("getRecordings", "recordID=rec-victim").await;
    assert!(listed.body.contains("<meetingID>victim-room</meetingID>"), "{}", listed.body);
}

#[tokio::test]
async fn an_upload_carries_only_the_recording_its_token_names() {
    let harness = Harness::start(1).await;
    let tar = tar_bytes(&[Fixture::new("rec-a", "m"), Fixture::new("rec-victim", "m")]);
    let claims = json!({
        "sub": "demo-0",
        "record_id": "rec-a",
        "sha256": hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&tar)),
        "exp": jsonwebtoken::get_current_timestamp() + 600,
    });
    let key = jsonwebtoken::EncodingKey::from_secret(harness.sim(0).secret().as_bytes());
    let token = jsonwebtoken::encode(&jsonwebtoken::Header::default(), &claims, &key).unwrap();
    let url = format!("{}/scalelite/recordings/upload", harness.running.base_url());
    let request = harness
        .client
        .post(url)
        .header("content-type", "application/x-tar")
        .header("authorization", format!("Bearer {token}"))
        .body(tar);
    let answer = harness.fetch(request).await;
    assert_eq!(answer.status, 400, "{}", answer.body);
    assert!(answer.body.contains("rec-victim"), "{}", answer.body);
    assert!(!harness.path("recordings/spool/rec-a.tar").exists(), "nothing queued");
}

#[tokio::test]
async fn token_links_never_lead_off_the_site() {
    let harness = Harness::with_env(0, &[("PROTECTED_RECORDINGS_ENABLED", "true"), ("SECRET_KEY_BASE", "k")]).await;
    let fixtures = [Fixture::new("off-1", "m").link("//evil.example/x"), Fixture::new("on-1", "m")];
    write_tar(&harness.path("recordings/spool/l.tar"), &fixtures);
    harness.import().await;
    for (record_id, status) in [("off-1", 404), ("on-1", 307)] {
        let query = format!("recordID={record_id}");
        let checksum = sign(Algorithm::Sha256, "getRecordings", &query, SECRET);
        let listed = harness
            .get_url(&format!(
                "{}/bigbluebutton/api/getRecordings?{query}&checksum={checksum}",
                harness.running.base_url()
            ))
            .await;
        let link = listed.field("url").expect("a token link");
        let followed = harness.get_url(&link).await;
        assert_eq!(followed.status, status, "{record_id}: {}", followed.body);
        if status == 307 {
            assert_eq!(followed.headers["location"], "/playback/presentation/2.3/on-1");
        }
    }
}

/// After a crash mid-import: the work directory it left is cleared by the next pass, and the lease it held
/// blocks imports for one short lease at most (it is renewed while a pass runs, not taken for a long time).
#[tokio::test]
async fn an_interrupted_import_leaves_nothing_behind() {
    let harness = Harness::start(0).await;
    let abandoned = harness.path("recordings/work/import-crashed/presentation/r");
    std::fs::create_dir_all(&abandoned).unwrap();
    std::fs::write(abandoned.join("metadata.xml"), "half").unwrap();
    write_tar(&harness.path("recordings/spool/ok.tar"), &[Fixture::new("ok-1", "m")]);
    let report = harness.import().await;
    assert_eq!(report["imported"], json!(1), "{report}");
    assert!(!harness.path("recordings/work/import-crashed").exists(), "the abandoned work directory is gone");
    let leases = &harness.running.ctx.leases;
    assert!(leases.acquire_lease("import", "another", 1).await.unwrap(), "the pass gave its lease back");
}
