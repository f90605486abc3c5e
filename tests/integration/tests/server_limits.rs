//! A server's limits through HTTP: set with addServer and updateServer, shown by getServerInfo; a full server
//! takes no new meeting, the create goes to the next one, and fails as "no server" once every one is full.

use reqwest::StatusCode;
use scalelite_integration_tests::Harness;
use serde_json::{Value, json};

async fn update(harness: &Harness, id: &str, server: Value) -> Value {
    let answer = harness.admin("updateServer", "", Some(json!({ "id": id, "server": server }))).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    answer.json()
}

#[tokio::test]
async fn a_full_server_passes_new_meetings_on() {
    let harness = Harness::start(2).await;
    let limited = update(&harness, "demo-0", json!({"max_meetings": 1})).await;
    assert_eq!(limited["max_meetings"], 1);
    assert_eq!(limited.get("max_participants"), None, "a limit not set is not shown");
    update(&harness, "demo-1", json!({"max_meetings": "1", "max_participants": 50})).await;
    let info = harness.server_info("demo-1").await;
    assert_eq!((info["max_meetings"].clone(), info["max_participants"].clone()), (json!(1), json!(50)));

    harness.create("first").await;
    let first = harness.holder("first").unwrap();
    harness.create("second").await;
    assert_eq!(harness.holder("second"), Some(1 - first), "the full server passed it on");
    let refused = harness.call("create", "meetingID=third&name=Third").await;
    assert_eq!(refused.message_key().as_deref(), Some("internalError"), "{}", refused.body);
    assert_eq!(refused.field("message").as_deref(), Some("Could not find any available servers."));
    assert_eq!(harness.call("create", "meetingID=first&name=First").await.returncode().as_deref(), Some("SUCCESS"));

    // Participants as the poll counts them: the server holding `first` is full with 50 of them.
    update(&harness, "demo-0", json!({"max_meetings": null, "max_participants": 50})).await;
    update(&harness, "demo-1", json!({"max_meetings": 0})).await;
    assert_eq!(harness.server_info("demo-1").await.get("max_meetings"), None, "0 removes the limit");
    assert!(harness.sim(first).set_participants("first", 50));
    harness.poll().await;
    for id in ["fourth", "fifth"] {
        harness.create(id).await;
        assert_eq!(harness.holder(id), Some(1 - first), "{id} goes where there is room");
    }

    let invalid =
        harness.admin("updateServer", "", Some(json!({"id": "demo-0", "server": {"max_meetings": -1}}))).await;
    assert_eq!(invalid.status, StatusCode::BAD_REQUEST, "{}", invalid.body);
    let added = harness
        .admin(
            "addServer",
            "",
            Some(
                json!({"server": {"url": "https://bbb9.example/bigbluebutton/api", "secret": "s", "max_meetings": 7}}),
            ),
        )
        .await;
    assert_eq!((added.status, added.json()["max_meetings"].clone()), (StatusCode::CREATED, json!(7)));
}
