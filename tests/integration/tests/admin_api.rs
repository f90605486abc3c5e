//! The admin API (`/scalelite/api/*`) through HTTP: shapes, status codes and checksum rules as upstream.

use reqwest::StatusCode;
use scalelite_integration_tests::{Harness, SECRET};
use scalelite_shared::bbb::checksum::{Algorithm, sign};
use serde_json::json;

#[tokio::test]
async fn no_servers_is_a_404() {
    let harness = Harness::start(0).await;
    let answer = harness.admin("getServers", "", None).await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert_eq!(answer.json(), json!({"error": "No servers are configured"}));
}

#[tokio::test]
async fn add_update_and_delete_a_server() {
    let harness = Harness::start(0).await;
    let added = harness
        .admin(
            "addServer",
            "",
            Some(
                json!({"server": {"url": "https://bbb9.example.org/bigbluebutton/api", "secret": "s9", "tag": "gpu"}}),
            ),
        )
        .await;
    assert_eq!(added.status, StatusCode::CREATED, "{}", added.body);
    let server = added.json();
    let id = server["id"].as_str().unwrap().to_owned();
    assert_eq!(
        server,
        json!({"id": id, "url": "https://bbb9.example.org/bigbluebutton/api", "secret": "s9", "tag": "gpu", "bbb_version": "",
               "state": "disabled", "load": "unavailable", "load_multiplier": "1.0", "online": "offline"})
    );

    let listed = harness.admin("getServers", "", None).await;
    assert_eq!(listed.json(), json!([server]));

    let updated = harness
        .admin(
            "updateServer",
            "",
            Some(json!({"id": id, "server": {"state": "enable", "load_multiplier": 2.5, "tag": ""}})),
        )
        .await;
    assert_eq!(updated.status, StatusCode::OK);
    let updated = updated.json();
    assert_eq!(
        (updated["state"].clone(), updated["load_multiplier"].clone(), updated["tag"].clone()),
        (json!("enabled"), json!("2.5"), json!(""))
    );

    let bad_state = harness.admin("updateServer", "", Some(json!({"id": id, "server": {"state": "explode"}}))).await;
    assert_eq!(bad_state.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad_state.json(), json!({"error": "Invalid state parameter: explode"}));
    let bad_multiplier =
        harness.admin("updateServer", "", Some(json!({"id": id, "server": {"load_multiplier": "0"}}))).await;
    assert_eq!(bad_multiplier.json(), json!({"error": "Load-multiplier must be a non-zero number"}));
    let missing = harness.admin("updateServer", "", Some(json!({"id": "nope", "server": {}}))).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);

    let info = harness.admin("getServerInfo", &format!("id={id}"), None).await;
    assert_eq!(info.json()["secret"], json!("s9"));
    let unknown = harness.admin("getServerInfo", "id=zzz", None).await;
    assert_eq!(
        (unknown.status, unknown.json()),
        (StatusCode::NOT_FOUND, json!({"error": "Couldn't find server with id=zzz"}))
    );

    let deleted = harness.admin("deleteServer", "", Some(json!({"id": id}))).await;
    assert_eq!(deleted.json(), json!({"success": format!("Server id={id} was destroyed")}));
    assert_eq!(harness.admin("deleteServer", "", Some(json!({"id": id}))).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn add_server_validates_its_input() {
    let harness = Harness::with_env(0, &[("SERVER_ID_IS_HOSTNAME", "true")]).await;
    let incomplete =
        harness.admin("addServer", "", Some(json!({"server": {"url": "https://x.org/bigbluebutton/api"}}))).await;
    assert_eq!(
        (incomplete.status, incomplete.json()),
        (StatusCode::BAD_REQUEST, json!({"error": "Server needs a URL and a secret"}))
    );
    let not_json = harness.admin("addServer", "", None).await;
    assert_eq!(not_json.message_key().as_deref(), Some("unsupportedRequest"), "addServer is POST only");
    let added = harness.admin("addServer", "", Some(json!({"server": {"url": "https://BBB1.Example.org/bigbluebutton/api", "secret": "s", "load_multiplier": 0}}))).await;
    assert_eq!(added.json()["id"], json!("bbb1.example.org"));
    assert_eq!(added.json()["load_multiplier"], json!("1.0"));
    let duplicate = harness
        .admin(
            "addServer",
            "",
            Some(json!({"server": {"url": "https://bbb1.example.org/bigbluebutton/api", "secret": "s"}})),
        )
        .await;
    assert_eq!(duplicate.status, StatusCode::BAD_REQUEST);
    let ftp =
        harness.admin("addServer", "", Some(json!({"server": {"url": "ftp://bbb2.example.org", "secret": "s"}}))).await;
    assert_eq!(ftp.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn admin_checksums_and_content_types() {
    let harness = Harness::start(1).await;
    let base = harness.running.base_url();
    let wrong = harness
        .get_url(&format!(
            "{base}/scalelite/api/getServers?checksum={}",
            sign(Algorithm::Sha256, "getServers", "", "bad")
        ))
        .await;
    assert_eq!(wrong.message_key().as_deref(), Some("checksumError"));
    // The body is not part of the checksum: addServer with only `?checksum=` signs "addServer" + secret.
    let checksum = sign(Algorithm::Sha1, "addServer", "", SECRET);
    let form = harness
        .client
        .post(format!("{base}/scalelite/api/addServer?checksum={checksum}"))
        .header("content-type", "text/plain")
        .body("x");
    assert_eq!(harness.fetch(form).await.message_key().as_deref(), Some("unsupportedContentType"));
    let garbage = harness
        .client
        .post(format!("{base}/scalelite/api/addServer?checksum={checksum}"))
        .header("content-type", "application/json")
        .body("{not json");
    assert_eq!(harness.fetch(garbage).await.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn panic_ends_every_meeting_and_disables_the_server() {
    let harness = Harness::start(2).await;
    for i in 0..4 {
        harness.create(&format!("p{i}")).await;
    }
    let on_first = harness.sim(0).meeting_ids();
    assert_eq!(on_first.len(), 2);
    let answer = harness.admin("panicServer", "", Some(json!({"id": "demo-0"}))).await;
    assert_eq!(
        answer.json(),
        json!({"success": "Server id=demo-0 has been disabled and the meetings have been destroyed"})
    );
    assert!(harness.sim(0).meeting_ids().is_empty(), "ended on BBB");
    assert_eq!(harness.server_info("demo-0").await["state"], json!("disabled"));
    for id in &on_first {
        assert_eq!(
            harness.call("getMeetingInfo", &format!("meetingID={id}")).await.message_key().as_deref(),
            Some("notFound")
        );
    }

    harness.create("p9").await;
    let kept = harness.admin("panicServer", "", Some(json!({"id": "demo-1", "keep_state": true}))).await;
    assert_eq!(kept.status, StatusCode::OK);
    assert_eq!(harness.server_info("demo-1").await["state"], json!("enabled"));
    assert_eq!(harness.admin("panicServer", "", Some(json!({"id": "none"}))).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn panic_on_a_dead_server_reports_the_failed_end_calls() {
    let harness = Harness::start(1).await;
    harness.create("dead").await;
    harness.sim(0).go_down().await;
    let answer = harness.admin("panicServer", "", Some(json!({"id": "demo-0"}))).await;
    assert_eq!(
        (answer.status, answer.json()),
        (StatusCode::BAD_REQUEST, json!({"error": "Couldn't disable server id=demo-0"}))
    );
    assert_eq!(harness.call("getMeetingInfo", "meetingID=dead").await.message_key().as_deref(), Some("notFound"));
}
