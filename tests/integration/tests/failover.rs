//! Dead, slow, disabled and deleted servers: nothing is stuck and nothing fails as a whole.

use std::time::{Duration, Instant};

use scalelite_integration_tests::Harness;
use serde_json::json;

#[tokio::test]
async fn get_meetings_leaves_out_a_dead_server() {
    let harness = Harness::start(3).await;
    for id in ["a", "b", "c"] {
        harness.create(id).await;
    }
    let dead = harness.holder("a").unwrap();
    harness.sim(dead).go_down().await;
    let answer = harness.call("getMeetings", "").await;
    assert_eq!(answer.returncode().as_deref(), Some("SUCCESS"), "{}", answer.body);
    assert_eq!(answer.body.matches("<meeting>").count(), 2);
    assert!(!answer.body.contains("<meetingID>a</meetingID>"));
}

#[tokio::test]
async fn get_meetings_does_not_wait_past_the_timeout_for_a_slow_server() {
    let harness = Harness::with_env(2, &[("RESPONSE_TIMEOUT", "0.5")]).await;
    harness.create("fast").await;
    harness.create("slow").await;
    let slow = harness.holder("slow").unwrap();
    harness.sim(slow).set_delay(Duration::from_secs(5));
    let started = Instant::now();
    let answer = harness.call("getMeetings", "").await;
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(answer.body.matches("<meeting>").count(), 1, "{}", answer.body);
    harness.sim(slow).set_delay(Duration::ZERO);
}

#[tokio::test]
async fn a_meeting_on_an_offline_server_is_placed_anew() {
    let harness = Harness::start(2).await;
    harness.create("m").await;
    let first = harness.holder("m").unwrap();
    harness.sim(first).go_down().await;
    harness.poll().await;
    let polls = harness.poll().await;
    let dead = polls.as_array().unwrap().iter().find(|p| p["id"] == format!("demo-{first}")).unwrap().clone();
    assert_eq!(dead["online"], json!(false));
    assert_eq!(dead["released"], json!(1));
    assert_eq!(harness.server_info(&format!("demo-{first}")).await["online"], json!("offline"));

    let join = harness.call("join", "meetingID=m&fullName=x&role=VIEWER").await;
    assert_eq!(join.message_key().as_deref(), Some("notFound"), "released with its server");
    harness.create("m").await;
    let second =
        harness.fleet().servers.iter().position(|s| s.meeting("m").is_some() && s.addr() != harness.sim(first).addr());
    assert_eq!(second, Some(1 - first));
    let join = harness.call("join", "meetingID=m&fullName=x&role=VIEWER").await;
    assert!(join.location().unwrap().starts_with(&harness.sim(1 - first).url()));

    // Back online after one good poll (SERVER_HEALTHY_THRESHOLD=1), with its load measured again.
    harness.sim(first).come_up().await.unwrap();
    harness.poll().await;
    let info = harness.server_info(&format!("demo-{first}")).await;
    assert_eq!(info["online"], json!("online"));
    assert_eq!(info["load"], json!(0.0), "its stale meeting is not counted");
}

#[tokio::test]
async fn a_meeting_on_a_disabled_server_is_placed_anew_and_join_waits() {
    let harness = Harness::start(2).await;
    harness.create("d").await;
    let first = harness.holder("d").unwrap();
    harness
        .admin("updateServer", "", Some(json!({"id": format!("demo-{first}"), "server": {"state": "disable"}})))
        .await;
    let join = harness.call("join", "meetingID=d&fullName=x&role=VIEWER").await;
    assert_eq!(join.message_key().as_deref(), Some("serverUnavailable"));
    assert_eq!(join.field("message").as_deref(), Some("The server for this meeting is disabled/offline."));
    harness.create("d").await;
    assert!(harness.sim(1 - first).meeting("d").is_some());
    let join = harness.call("join", "meetingID=d&fullName=x&role=VIEWER").await;
    assert!(join.location().unwrap().starts_with(&harness.sim(1 - first).url()));
}

#[tokio::test]
async fn a_meeting_on_a_deleted_server_is_placed_anew() {
    let harness = Harness::start(2).await;
    harness.create("x").await;
    let first = harness.holder("x").unwrap();
    let deleted = harness.admin("deleteServer", "", Some(json!({"id": format!("demo-{first}")}))).await;
    assert_eq!(deleted.json(), json!({"success": format!("Server id=demo-{first} was destroyed")}));
    let join = harness.call("join", "meetingID=x&fullName=x&role=VIEWER").await;
    assert_eq!(join.message_key().as_deref(), Some("serverUnavailable"));
    let info = harness.call("getMeetingInfo", "meetingID=x").await;
    assert_eq!(info.message_key().as_deref(), Some("notFound"));
    harness.create("x").await;
    assert!(harness.sim(1 - first).meeting("x").is_some());
}

#[tokio::test]
async fn a_cordoned_server_keeps_running_meetings_only() {
    let harness = Harness::start(2).await;
    harness.create("live").await;
    harness.create("idle").await;
    let live = harness.holder("live").unwrap();
    let idle = harness.holder("idle").unwrap();
    assert_ne!(live, idle);
    harness.sim(live).set_participants("live", 2);
    harness.admin("updateServer", "", Some(json!({"id": format!("demo-{live}"), "server": {"state": "cordon"}}))).await;

    let again = harness.call("create", "meetingID=live&name=x").await;
    assert_eq!(again.message_key().as_deref(), Some("duplicateWarning"), "still running there");
    assert!(harness.sim(idle).meeting("live").is_none());
    let join = harness.call("join", "meetingID=live&fullName=y&role=VIEWER").await;
    assert!(join.location().unwrap().starts_with(&harness.sim(live).url()), "joins reach cordoned servers");
}

#[tokio::test]
async fn a_cordoned_server_gives_up_meetings_that_are_not_running() {
    let harness = Harness::start(2).await;
    harness.create("quiet").await;
    let first = harness.holder("quiet").unwrap();
    harness
        .admin("updateServer", "", Some(json!({"id": format!("demo-{first}"), "server": {"state": "cordon"}})))
        .await;
    harness.create("quiet").await;
    assert!(harness.sim(1 - first).meeting("quiet").is_some(), "nobody had joined: placed on an enabled server");
}
