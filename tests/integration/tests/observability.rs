//! `/metrics` through HTTP: request counters by function and outcome, refusals by key, latencies, poll failures,
//! server figures.

use scalelite_integration_tests::Harness;

#[tokio::test]
async fn metrics_count_requests_polls_and_servers() {
    let harness = Harness::start(2).await;
    harness.create("m1").await;
    let holder = harness.holder("m1").expect("placed");
    let other = 1 - holder;
    harness.call("join", "meetingID=m1&fullName=x&role=VIEWER").await;
    harness.call("join", "meetingID=none&fullName=x").await;
    harness.get_url(&format!("{}/bigbluebutton/api/getMeetings?checksum=bad", harness.running.base_url())).await;
    harness.sim(other).go_down().await;
    harness.poll().await;

    let answer = harness.get_url(&format!("{}/metrics", harness.running.base_url())).await;
    assert_eq!(answer.status, 200);
    assert!(answer.headers["content-type"].to_str().unwrap().starts_with("text/plain"));
    let text = answer.body;
    let expected_lines = [
        "scalelite_requests_total{function=\"create\",outcome=\"success\"} 1".to_owned(),
        "scalelite_requests_total{function=\"join\",outcome=\"redirect\"} 1".to_owned(),
        "scalelite_requests_total{function=\"join\",outcome=\"notFound\"} 1".to_owned(),
        "scalelite_requests_total{function=\"getMeetings\",outcome=\"checksumError\"} 1".to_owned(),
        "scalelite_request_duration_seconds_count{function=\"create\"} 1".to_owned(),
        format!("scalelite_poll_failures_total{{server=\"demo-{other}\"}} 1"),
        format!("scalelite_server_online{{server=\"demo-{holder}\"}} 1"),
        format!("scalelite_server_enabled{{server=\"demo-{other}\"}} 1"),
        format!("scalelite_server_load{{server=\"demo-{holder}\"}} 15"),
        format!("scalelite_server_split_meetings{{server=\"demo-{holder}\"}} 0"),
    ];
    for expected in &expected_lines {
        assert!(text.lines().any(|line| line == expected.as_str()), "missing {expected}:\n{text}");
    }
    assert!(
        text.lines().any(|l| l == "scalelite_poll_duration_seconds_count 2"),
        "the demo start polls once, the test once"
    );
}

#[tokio::test]
async fn refusals_are_counted_by_their_key() {
    let harness = Harness::start(1).await;
    let missing = harness.admin("getServerInfo", "id=nope", None).await;
    assert_eq!(missing.status, 404, "{}", missing.body);
    let invalid = harness.admin("addServer", "", Some(serde_json::json!({ "server": { "url": "" } }))).await;
    assert_eq!(invalid.status, 400, "{}", invalid.body);
    harness.call("join", "meetingID=none&fullName=x").await;

    let text = harness.get_url(&format!("{}/metrics", harness.running.base_url())).await.body;
    for expected in [
        "scalelite_refusals_total{function=\"getServerInfo\",key=\"serverNotFound\"} 1",
        "scalelite_refusals_total{function=\"addServer\",key=\"invalidServer\"} 1",
        "scalelite_refusals_total{function=\"join\",key=\"notFound\"} 1",
        "scalelite_requests_total{function=\"getServerInfo\",outcome=\"404\"} 1",
    ] {
        assert!(text.lines().any(|line| line == expected), "missing {expected}:\n{text}");
    }
}

/// Every metric the Grafana dashboard queries is one `/metrics` exposes, so the two cannot drift apart.
#[tokio::test]
async fn the_grafana_dashboard_queries_only_exported_metrics() {
    let harness = Harness::start(2).await;
    harness.create("d").await;
    harness.sim(1).go_down().await;
    harness.poll().await; // a failed poll, so its counter has a sample
    let exposed = harness.get_url(&format!("{}/metrics", harness.running.base_url())).await.body;
    let dashboard: serde_json::Value =
        serde_json::from_str(include_str!("../../../kubernetes/grafana/scalelite-dashboard.json")).unwrap();
    let mut queried = 0;
    for panel in dashboard["panels"].as_array().unwrap() {
        for target in panel["targets"].as_array().unwrap() {
            let expr = target["expr"].as_str().unwrap();
            for name in
                expr.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).filter(|w| w.starts_with("scalelite_"))
            {
                queried += 1;
                assert!(exposed.lines().any(|line| line.starts_with(name)), "{name} is not exported:\n{exposed}");
            }
        }
    }
    assert!(queried >= 9);
}
