//! The admin API's placed meetings through HTTP: which server holds a meetingID (with its tenant, voice bridge
//! and placement time), and the placed meetings of a server or a tenant, a page at a time.

use reqwest::StatusCode;
use scalelite_integration_tests::{Answer, Harness};
use scalelite_shared::bbb::checksum::{Algorithm, sign};
use serde_json::{Value, json};

/// A create on a tenant's host, signed with its secret.
async fn create_as(harness: &Harness, host: &str, secret: &str, meeting_id: &str) -> Answer {
    let url = harness.url_with(Algorithm::Sha256, secret, "create", &format!("meetingID={meeting_id}&name=N"));
    let answer = harness.fetch(harness.client.get(url).header("host", host)).await;
    assert_eq!(answer.returncode().as_deref(), Some("SUCCESS"), "{}", answer.body);
    answer
}

fn ids(list: &Value) -> Vec<&str> {
    list["meetings"].as_array().unwrap().iter().map(|m| m["meeting_id"].as_str().unwrap()).collect()
}

#[tokio::test]
async fn which_server_holds_a_meeting() {
    let harness = Harness::start(3).await;
    harness.create("room-1").await;
    let holder = harness.holder("room-1").unwrap();
    let answer = harness.admin("getPlacedMeeting", "meetingID=room-1", None).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let meeting = answer.json();
    let on_bbb = harness.sim(holder).meeting("room-1").unwrap();
    assert_eq!(meeting["meeting_id"], "room-1");
    assert_eq!(meeting["voice_bridge"], on_bbb.voice_bridge.as_str());
    assert_eq!(meeting["tenant"], Value::Null);
    assert_eq!(meeting["server"], harness.server_info(&format!("demo-{holder}")).await);
    assert_eq!(meeting["server"]["url"], harness.sim(holder).url().as_str());
    let placed_at = meeting["created_at"].as_i64().unwrap();
    assert!(
        (placed_at - on_bbb.create_time_ms).abs() < 10_000,
        "placed at {placed_at}, created at {}",
        on_bbb.create_time_ms
    );

    assert_eq!(meeting["participants"], 0, "placed, not yet polled");
    assert!(harness.sim(holder).set_participants("room-1", 4));
    harness.poll().await;
    let participants =
        async || harness.admin("getPlacedMeeting", "meetingID=room-1", None).await.json()["participants"].clone();
    assert_eq!(participants().await, 4, "as the poll saw them");
    let joined = harness.call("join", "meetingID=room-1&fullName=Ann&role=VIEWER").await;
    assert_eq!(joined.status, StatusCode::FOUND, "{}", joined.body);
    assert_eq!(participants().await, 5, "and the join since");
    let listed = harness.admin("getPlacedMeetings", "", None).await.json();
    assert_eq!(listed["meetings"][0]["participants"], 5);
    harness.poll().await;
    assert_eq!(participants().await, 4, "the next poll counts again");

    let unknown = harness.admin("getPlacedMeeting", "meetingID=nope", None).await;
    assert_eq!(
        (unknown.status, unknown.json()),
        (StatusCode::NOT_FOUND, json!({"error": "Couldn't find meeting with meetingID=nope"}))
    );
    harness.call("end", "meetingID=room-1").await;
    assert_eq!(harness.admin("getPlacedMeeting", "meetingID=room-1", None).await.status, StatusCode::NOT_FOUND);

    let base = harness.running.base_url();
    let checksum = sign(Algorithm::Sha256, "getPlacedMeeting", "meetingID=room-1", "bad");
    let wrong =
        harness.get_url(&format!("{base}/scalelite/api/getPlacedMeeting?meetingID=room-1&checksum={checksum}")).await;
    assert_eq!(wrong.message_key().as_deref(), Some("checksumError"));
}

#[tokio::test]
async fn placed_meetings_by_server_and_tenant_a_page_at_a_time() {
    let harness = Harness::with_env(2, &[("MULTITENANCY_ENABLED", "true")]).await;
    let empty = harness.admin("getPlacedMeetings", "", None).await;
    assert_eq!(empty.json(), json!({"meetings": [], "total": 0, "offset": 0, "limit": null}));

    let added = harness.admin("addTenant", "", Some(json!({"tenant": {"name": "school", "secrets": "s1"}}))).await;
    let school = added.json()["tenant"]["id"].as_str().unwrap().to_owned();
    for id in ["m3", "m1", "m5", "m2"] {
        harness.create(id).await;
    }
    for id in ["s2", "s1"] {
        create_as(&harness, "school.lb.example", "s1", id).await;
    }

    let all = harness.admin("getPlacedMeetings", "", None).await.json();
    assert_eq!(ids(&all), ["m1", "m2", "m3", "m5", "s1", "s2"], "every placed meeting, by meetingID");
    assert_eq!(all["total"], 6);
    let s1 = &all["meetings"][4];
    assert_eq!(s1["tenant"], json!({"id": school, "name": "school"}));

    let of_school = harness.admin("getPlacedMeetings", &format!("tenant_id={school}"), None).await.json();
    assert_eq!(ids(&of_school), ["s1", "s2"]);

    let on_first = harness.sim(0).meeting_ids();
    let of_server = harness.admin("getPlacedMeetings", "server_id=demo-0", None).await.json();
    assert_eq!(ids(&of_server), on_first.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(of_server["meetings"].as_array().unwrap().iter().all(|m| m["server"]["id"] == "demo-0"));
    let both = harness.admin("getPlacedMeetings", &format!("server_id=demo-1&tenant_id={school}"), None).await.json();
    assert!(ids(&both).iter().all(|id| id.starts_with('s') && harness.holder(id) == Some(1)), "{both}");

    let page = harness.admin("getPlacedMeetings", "offset=1&limit=2", None).await.json();
    assert_eq!(
        (ids(&page), &page["total"], &page["offset"], &page["limit"]),
        (vec!["m2", "m3"], &json!(6), &json!(1), &json!(2))
    );
    let capped = harness.admin("getPlacedMeetings", "limit=1000", None).await.json();
    assert_eq!(capped["limit"], 100, "at most 100 a page, as getRecordings");
    let beyond = harness.admin("getPlacedMeetings", "offset=10", None).await.json();
    assert_eq!((ids(&beyond).len(), &beyond["total"]), (0, &json!(6)));

    let missing = harness.admin("getPlacedMeetings", "server_id=nope", None).await;
    assert_eq!(
        (missing.status, missing.json()),
        (StatusCode::NOT_FOUND, json!({"error": "Couldn't find server with id=nope"}))
    );
}
