//! Server choice through HTTP: reservations spread bursts, tags, multipliers, states.

use futures::future::join_all;
use scalelite_integration_tests::Harness;
use serde_json::json;

fn spread(harness: &Harness) -> Vec<usize> {
    harness.fleet().servers.iter().map(|s| s.meeting_ids().len()).collect()
}

#[tokio::test]
async fn fifty_simultaneous_creates_spread_ten_per_server() {
    let harness = Harness::start(5).await;
    let queries: Vec<String> = (0..50).map(|i| format!("meetingID=burst-{i}&name=Burst")).collect();
    let answers = join_all(queries.iter().map(|q| harness.call("create", q))).await;
    assert!(answers.iter().all(|a| a.returncode().as_deref() == Some("SUCCESS")));
    assert_eq!(spread(&harness), vec![10; 5]);
    for server in harness.admin("getServers", "", None).await.json().as_array().unwrap() {
        assert_eq!(server["load"], json!(150.0), "10 meetings x 15 reserved participants");
    }
}

#[tokio::test]
async fn reservations_fade_as_polls_see_participants() {
    let harness = Harness::with_env(2, &[("LOAD_MIN_USER_COUNT", "5")]).await;
    harness.create("r1").await;
    let holder = harness.holder("r1").unwrap();
    let id = format!("demo-{holder}");
    assert_eq!(harness.server_info(&id).await["load"], json!(5.0));
    harness.sim(holder).set_participants("r1", 3);
    harness.poll().await;
    assert_eq!(harness.server_info(&id).await["load"], json!(5.0), "3 arrived, 2 still reserved");
    harness.sim(holder).set_participants("r1", 12);
    harness.poll().await;
    assert_eq!(harness.server_info(&id).await["load"], json!(12.0));
}

#[tokio::test]
async fn reservations_end_after_the_join_buffer() {
    let harness = Harness::with_env(1, &[("LOAD_JOIN_BUFFER_TIME", "0")]).await;
    harness.create("old").await;
    harness.sim(0).set_participants("old", 2);
    harness.poll().await;
    assert_eq!(harness.server_info("demo-0").await["load"], json!(2.0));
}

#[tokio::test]
async fn joins_add_load_and_polls_replace_it() {
    let harness = Harness::with_env(1, &[("LOAD_JOIN_BUFFER_TIME", "0")]).await;
    harness.create("jl").await;
    for _ in 0..3 {
        harness.call("join", "meetingID=jl&fullName=x&role=VIEWER").await;
    }
    assert_eq!(harness.server_info("demo-0").await["load"], json!(18.0));
    harness.poll().await;
    assert_eq!(harness.server_info("demo-0").await["load"], json!(0.0), "nobody followed the redirects");
}

#[tokio::test]
async fn the_least_loaded_server_by_participants_times_multiplier() {
    let harness = Harness::with_env(2, &[("LOAD_JOIN_BUFFER_TIME", "0")]).await;
    harness.admin("updateServer", "", Some(json!({"id": "demo-0", "server": {"load_multiplier": "3"}}))).await;
    harness.create("a").await;
    assert_eq!(harness.holder("a"), Some(0), "equal loads: the first server by id");
    harness.sim(0).set_participants("a", 4);
    harness.poll().await;
    assert_eq!(harness.server_info("demo-0").await["load"], json!(12.0));
    harness.create("b").await;
    assert_eq!(harness.holder("b"), Some(1));
    harness.sim(1).set_participants("b", 5);
    harness.poll().await;
    harness.create("c").await;
    assert_eq!(harness.holder("c"), Some(1), "5 participants weigh less than 4 x 3");
}

#[tokio::test]
async fn tags_optional_and_required() {
    let harness = Harness::start(3).await;
    harness.admin("updateServer", "", Some(json!({"id": "demo-1", "server": {"tag": "gpu"}}))).await;
    harness.admin("updateServer", "", Some(json!({"id": "demo-2", "server": {"tag": "big"}}))).await;

    harness.create("plain").await;
    assert_eq!(harness.holder("plain"), Some(0), "untagged requests go to untagged servers");

    harness.call("create", "meetingID=t1&name=x&meta_server-tag=gpu").await;
    assert_eq!(harness.holder("t1"), Some(1));
    let sent = harness.sim(1).meeting("t1").unwrap().create_params;
    assert!(sent.contains(&("meta_server-tag".into(), "gpu".into())));

    harness.call("create", "meetingID=t2&name=x&meta_server-tag=big%3Bgpu%21").await;
    assert_eq!(harness.holder("t2"), Some(2), "big is less loaded than gpu");

    harness.call("create", "meetingID=t3&name=x&meta_server-tag=none").await;
    assert_eq!(harness.holder("t3"), Some(0));

    harness.call("create", "meetingID=t4&name=x&meta_server-tag=ssd").await;
    assert_eq!(harness.holder("t4"), Some(0), "optional tag falls back to untagged");

    let refused = harness.call("create", "meetingID=t5&name=x&meta_server-tag=ssd%3Bhdd%21").await;
    assert_eq!(refused.message_key().as_deref(), Some("serverTagUnavailable"));
    assert_eq!(
        refused.field("message").as_deref(),
        Some("There is no available server with the required tag=ssd;hdd.")
    );
    assert_eq!(harness.holder("t5"), None);
}

#[tokio::test]
async fn configured_tag_overrides_the_client() {
    let harness = Harness::with_env(2, &[("OVERRIDE_CREATE_PARAMS", "meta_server-tag=gpu!")]).await;
    harness.admin("updateServer", "", Some(json!({"id": "demo-1", "server": {"tag": "gpu"}}))).await;
    harness.call("create", "meetingID=o1&name=x&meta_server-tag=none").await;
    assert_eq!(harness.holder("o1"), Some(1));
}

#[tokio::test]
async fn cordoned_and_disabled_servers_take_no_new_meetings() {
    let harness = Harness::start(3).await;
    harness.admin("updateServer", "", Some(json!({"id": "demo-0", "server": {"state": "cordon"}}))).await;
    harness.admin("updateServer", "", Some(json!({"id": "demo-1", "server": {"state": "disable"}}))).await;
    for i in 0..4 {
        harness.create(&format!("c{i}")).await;
    }
    assert_eq!(spread(&harness), vec![0, 0, 4]);
}

#[tokio::test]
async fn a_size_hint_reserves_the_hinted_participants_and_the_burst_after_it_goes_elsewhere() {
    let harness = Harness::start(2).await;
    let big = harness.call("create", "meetingID=lecture&name=Lecture&meta_bbb-meeting-size-hint=60").await;
    assert_eq!(big.returncode().as_deref(), Some("SUCCESS"), "{}", big.body);
    let lecture = harness.holder("lecture").unwrap();
    assert_eq!(harness.server_info(&format!("demo-{lecture}")).await["load"], json!(60.0));
    let hinted = harness.sim(lecture).meeting("lecture").unwrap();
    let hint = hinted.create_params.iter().find(|(name, _)| name == "meta_bbb-meeting-size-hint");
    assert_eq!(hint.map(|(_, value)| value.as_str()), Some("60"), "the hint reaches BBB");

    let queries: Vec<String> = (0..4).map(|i| format!("meetingID=seminar-{i}&name=Seminar")).collect();
    let answers = join_all(queries.iter().map(|q| harness.call("create", q))).await;
    assert!(answers.iter().all(|a| a.returncode().as_deref() == Some("SUCCESS")));
    let other = 1 - lecture;
    assert_eq!(harness.sim(other).meeting_ids().len(), 4, "four seminars of 15 weigh what the lecture does");
    assert_eq!(harness.server_info(&format!("demo-{other}")).await["load"], json!(60.0));
}

#[tokio::test]
async fn a_size_hint_is_capped_and_a_bad_one_is_ignored() {
    let harness = Harness::with_env(2, &[("LOAD_MAX_SIZE_HINT", "40")]).await;
    harness.call("create", "meetingID=huge&name=Huge&meta_bbb-meeting-size-hint=5000").await;
    let huge = harness.holder("huge").unwrap();
    assert_eq!(harness.server_info(&format!("demo-{huge}")).await["load"], json!(40.0), "capped");
    harness.call("create", "meetingID=odd&name=Odd&meta_bbb-meeting-size-hint=lots").await;
    let odd = harness.holder("odd").unwrap();
    assert_eq!(harness.server_info(&format!("demo-{odd}")).await["load"], json!(15.0), "LOAD_MIN_USER_COUNT");
}

#[tokio::test]
async fn load_weights_count_a_base_cost_voice_and_video() {
    let weights = [("LOAD_JOIN_BUFFER_TIME", "0"), ("LOAD_BASE", "5"), ("LOAD_VOICE", "0.5"), ("LOAD_VIDEO", "1")];
    let harness = Harness::with_env(2, &weights).await;
    harness.admin("updateServer", "", Some(json!({"id": "demo-0", "server": {"load_multiplier": "2"}}))).await;
    harness.create("av").await;
    let holder = harness.holder("av").unwrap();
    harness.sim(holder).set_participants("av", 4);
    harness.sim(holder).set_media("av", 2, 3);
    harness.poll().await;
    let multiplier = if holder == 0 { 2.0 } else { 1.0 };
    let expected = (5.0 + 4.0 + 0.5 * 2.0 + 3.0) * multiplier;
    assert_eq!(harness.server_info(&format!("demo-{holder}")).await["load"], json!(expected));
    // The other server is empty: the next meeting goes there, and its reservation carries the base cost.
    harness.create("next").await;
    let other = 1 - holder;
    assert_eq!(harness.holder("next"), Some(other));
    let reserved = (5.0 + 15.0) * if other == 0 { 2.0 } else { 1.0 };
    assert_eq!(harness.server_info(&format!("demo-{other}")).await["load"], json!(reserved));
}

#[tokio::test]
async fn without_weights_voice_and_video_weigh_nothing() {
    let harness = Harness::with_env(1, &[("LOAD_JOIN_BUFFER_TIME", "0")]).await;
    harness.create("plain").await;
    harness.sim(0).set_participants("plain", 4);
    harness.sim(0).set_media("plain", 4, 4);
    harness.poll().await;
    assert_eq!(harness.server_info("demo-0").await["load"], json!(4.0), "attendees only, as upstream counts");
}
