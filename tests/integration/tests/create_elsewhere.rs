//! A create whose server does not answer: the new meeting is placed once more on another server, the silence
//! counts toward the server's health, and with no other server the answer says so.

use std::time::Duration;

use scalelite_integration_tests::Harness;
use serde_json::json;

/// Two servers, the first meeting on one of them: the next create chooses the other (less loaded), which is
/// made silent. Returns the busy server's index.
async fn one_busy_one_silent(harness: &Harness) -> usize {
    harness.create("first").await;
    harness.holder("first").unwrap()
}

#[tokio::test]
async fn a_create_no_server_connection_takes_goes_to_another_server() {
    let harness = Harness::with_env(2, &[("SERVER_UNHEALTHY_THRESHOLD", "1")]).await;
    let busy = one_busy_one_silent(&harness).await;
    let silent = 1 - busy;
    harness.sim(silent).go_down().await;
    let answer = harness.call("create", "meetingID=second&name=Second").await;
    assert_eq!(answer.returncode().as_deref(), Some("SUCCESS"), "{}", answer.body);
    assert_eq!(harness.holder("second"), Some(busy));
    let join = harness.call("join", "meetingID=second&fullName=Ada&role=VIEWER").await;
    assert!(join.headers["location"].to_str().unwrap().starts_with(&harness.sim(busy).url()));
    assert_eq!(
        harness.server_info(&format!("demo-{silent}")).await["online"],
        json!("offline"),
        "the silence counted toward its health (threshold 1)"
    );
}

#[tokio::test]
async fn a_create_that_times_out_goes_to_another_server_and_the_late_copy_is_ended() {
    let harness = Harness::start(2).await;
    let busy = one_busy_one_silent(&harness).await;
    let slow = 1 - busy;
    // RESPONSE_TIMEOUT is 2 s in the harness.
    harness.sim(slow).set_call_delay("create", Duration::from_secs(3));
    let answer = harness.call("create", "meetingID=second&name=Second").await;
    assert_eq!(answer.returncode().as_deref(), Some("SUCCESS"), "{}", answer.body);
    assert!(harness.sim(busy).meeting("second").is_some());
    assert_eq!(
        harness.server_info(&format!("demo-{slow}")).await["online"],
        json!("online"),
        "one failure is below the default threshold of 2"
    );
    // The slow server created its copy after all; the next poll ends it, since the meeting is placed elsewhere.
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    harness.sim(slow).set_call_delay("create", Duration::ZERO);
    harness.poll().await;
    assert!(harness.sim(slow).meeting("second").is_none(), "the late copy was ended");
    assert!(harness.sim(busy).meeting("second").is_some());
}

#[tokio::test]
async fn with_no_other_server_the_answer_says_what_happened() {
    let harness = Harness::start(1).await;
    harness.sim(0).go_down().await;
    let answer = harness.call("create", "meetingID=alone&name=Alone").await;
    assert_eq!(answer.message_key().as_deref(), Some("internalError"));
    assert!(answer.body.contains("did not answer, and no other server is available"), "{}", answer.body);
    assert_eq!(harness.call("getMeetingInfo", "meetingID=alone").await.message_key().as_deref(), Some("notFound"));
}
