//! Bad input gets the documented error and leaves state alone: huge and binary bodies, garbage queries,
//! XML metacharacters.

use scalelite_integration_tests::Harness;

#[tokio::test]
async fn huge_bodies_are_refused() {
    let harness = Harness::with_env(1, &[("MAX_BODY_BYTES", "1024")]).await;
    let request = harness
        .client
        .post(harness.url("create", "meetingID=h&name=h"))
        .header("content-type", "application/xml")
        .body(vec![b'<'; 4096]);
    let answer = harness.fetch(request).await;
    assert_eq!(answer.status, 413);
    assert_eq!(harness.fleet().meeting_count(), 0);
}

#[tokio::test]
async fn binary_bodies_and_garbage_queries() {
    let harness = Harness::start(1).await;
    let binary: Vec<u8> = (0..=255u8).cycle().take(10_000).collect();
    let request = harness
        .client
        .post(harness.url("create", "meetingID=b&name=b"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(binary.clone());
    let answer = harness.fetch(request).await;
    assert_eq!(
        answer.message_key().as_deref(),
        Some("validationError"),
        "form garbage holds control characters: {}",
        answer.body
    );
    assert_eq!(harness.fleet().meeting_count(), 0, "nothing reached BBB");
    harness.create("b").await;
    let request = harness
        .client
        .post(harness.url("insertDocument", "meetingID=b"))
        .header("content-type", "application/xml")
        .body(binary);
    assert_eq!(harness.fetch(request).await.returncode().as_deref(), Some("SUCCESS"), "BBB judges the document");

    let base = harness.running.base_url();
    for query in ["%", "%%%", "a=%FF%FE&&&=&checksum", "meetingID=%00%01", "&&&&", "checksum=%E2%82"] {
        let answer = harness.get_url(&format!("{base}/bigbluebutton/api/join?{query}")).await;
        assert_eq!(answer.status, 200, "{query}");
        assert_eq!(answer.message_key().as_deref(), Some("checksumError"), "{query}");
    }
    let answer = harness.call("create", "meetingID=%FF%FE&name=n").await;
    assert_eq!(answer.returncode().as_deref(), Some("SUCCESS"), "{}", answer.body);
    let answer = harness.call("create", "meetingID=c&name=%00").await;
    assert_eq!(answer.message_key().as_deref(), Some("validationError"), "{}", answer.body);
    let health = harness.get_url(&format!("{base}/health_check")).await;
    assert_eq!(health.body, "success");
}

#[tokio::test]
async fn xml_metacharacters_are_escaped_everywhere() {
    let harness = Harness::start(1).await;
    let answer = harness.call("create", "meetingID=%3Cx%3E%26%22&name=%3C%2Fname%3E%3Cevil%2F%3E").await;
    assert_eq!(answer.returncode().as_deref(), Some("SUCCESS"), "{}", answer.body);
    assert!(answer.body.contains("<meetingID>&lt;x&gt;&amp;&quot;</meetingID>"), "{}", answer.body);
    let meetings = harness.call("getMeetings", "").await;
    assert!(!meetings.body.contains("<evil/>"), "{}", meetings.body);
    assert!(meetings.body.contains("&lt;/name&gt;&lt;evil/&gt;"));
    let missing = harness.call("getMeetingInfo", "meetingID=%3Cnope%3E").await;
    assert_eq!(missing.message_key().as_deref(), Some("notFound"));
    let tag = harness.call("create", "meetingID=t&name=t&meta_server-tag=%3Cb%3E%21").await;
    assert_eq!(tag.field("message").as_deref(), Some("There is no available server with the required tag=&lt;b&gt;."));
}
