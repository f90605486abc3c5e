//! Checksums as upstream: by length, several secrets, allowed list, raw query, duplicates refused.

use scalelite_integration_tests::{Harness, SECRET};
use scalelite_shared::bbb::checksum::{Algorithm, sign};

async fn key_of(harness: &Harness, url: &str) -> Option<String> {
    harness.get_url(url).await.message_key()
}

#[tokio::test]
async fn every_algorithm_by_length() {
    let harness = Harness::start(1).await;
    for algorithm in [Algorithm::Sha1, Algorithm::Sha256, Algorithm::Sha384, Algorithm::Sha512] {
        let url = harness.url_with(algorithm, SECRET, "isMeetingRunning", "meetingID=a");
        let answer = harness.get_url(&url).await;
        assert_eq!(answer.returncode().as_deref(), Some("SUCCESS"), "{algorithm:?}: {}", answer.body);
    }
}

#[tokio::test]
async fn allowed_list_and_extra_secrets() {
    let harness = Harness::with_env(
        1,
        &[("LOADBALANCER_SECRETS", "second:third"), ("LOADBALANCER_CHECKSUM_ALGORITHM", "SHA256:SHA512")],
    )
    .await;
    let ok = harness.url_with(Algorithm::Sha512, "third", "isMeetingRunning", "meetingID=a");
    assert_eq!(harness.get_url(&ok).await.returncode().as_deref(), Some("SUCCESS"));
    let sha1 = harness.url_with(Algorithm::Sha1, SECRET, "isMeetingRunning", "meetingID=a");
    assert_eq!(key_of(&harness, &sha1).await.as_deref(), Some("checksumError"));
    let unknown = harness.url_with(Algorithm::Sha256, "nope", "isMeetingRunning", "meetingID=a");
    assert_eq!(key_of(&harness, &unknown).await.as_deref(), Some("checksumError"));
    // Outbound calls use the strongest allowed algorithm.
    harness.create("strong").await;
    let call = harness.sim(0).calls().into_iter().find(|c| c.starts_with("create?")).unwrap();
    let checksum = call.rsplit("checksum=").next().unwrap();
    assert_eq!(checksum.len(), 128);
}

#[tokio::test]
async fn the_raw_query_is_what_is_signed() {
    let harness = Harness::start(1).await;
    let base = harness.running.base_url();
    for query in ["meetingID=a%20b&z=1", "z=1&meetingID=a+b", "meetingID=a%2Bb"] {
        let checksum = sign(Algorithm::Sha1, "isMeetingRunning", query, SECRET);
        let url = format!("{base}/bigbluebutton/api/isMeetingRunning?{query}&checksum={checksum}");
        assert_eq!(harness.get_url(&url).await.returncode().as_deref(), Some("SUCCESS"), "{query}");
        let first = format!("{base}/bigbluebutton/api/isMeetingRunning?checksum={checksum}&{query}");
        assert_eq!(harness.get_url(&first).await.returncode().as_deref(), Some("SUCCESS"), "{query}");
    }
    // Re-encoding changes the checksum.
    let checksum = sign(Algorithm::Sha1, "isMeetingRunning", "meetingID=a%20b", SECRET);
    let url = format!("{base}/bigbluebutton/api/isMeetingRunning?meetingID=a+b&checksum={checksum}");
    assert_eq!(key_of(&harness, &url).await.as_deref(), Some("checksumError"));
}

#[tokio::test]
async fn bad_missing_duplicate_and_uppercase_checksums() {
    let harness = Harness::start(1).await;
    let base = harness.running.base_url();
    let good = sign(Algorithm::Sha256, "getMeetings", "", SECRET);
    let cases = [
        format!("{base}/bigbluebutton/api/getMeetings"),
        format!("{base}/bigbluebutton/api/getMeetings?checksum="),
        format!("{base}/bigbluebutton/api/getMeetings?checksum=abc"),
        format!("{base}/bigbluebutton/api/getMeetings?checksum={}", good.to_uppercase()),
        format!("{base}/bigbluebutton/api/getMeetings?checksum={good}&checksum={good}"),
        format!("{base}/bigbluebutton/api/getMeetings?checksum=%ZZ%00"),
        format!("{base}/bigbluebutton/api/create?meetingID=x&checksum={good}"),
    ];
    for url in &cases {
        let answer = harness.get_url(url).await;
        assert_eq!(answer.status, 200);
        assert_eq!(answer.message_key().as_deref(), Some("checksumError"), "{url}");
        assert_eq!(answer.field("message").as_deref(), Some("You did not pass the checksum security check"));
    }
    assert_eq!(
        harness.get_url(&format!("{base}/bigbluebutton/api/getMeetings?checksum={good}")).await.returncode().as_deref(),
        Some("SUCCESS")
    );
}

#[tokio::test]
async fn post_bodies_are_signed_over_the_query_or_the_sorted_body() {
    let harness = Harness::start(1).await;
    let base = harness.running.base_url();
    let post = |url: String, body: String| {
        harness.client.post(url).header("content-type", "application/x-www-form-urlencoded").body(body)
    };

    let empty = sign(Algorithm::Sha256, "isMeetingRunning", "", SECRET);
    let answer = harness
        .fetch(post(format!("{base}/bigbluebutton/api/isMeetingRunning"), format!("meetingID=a&checksum={empty}")))
        .await;
    assert_eq!(answer.returncode().as_deref(), Some("SUCCESS"), "{}", answer.body);

    let sorted = sign(Algorithm::Sha256, "isMeetingRunning", "a=1&meetingID=x+y", SECRET);
    let answer = harness
        .fetch(post(
            format!("{base}/bigbluebutton/api/isMeetingRunning"),
            format!("meetingID=x%20y&a=1&checksum={sorted}"),
        ))
        .await;
    assert_eq!(answer.returncode().as_deref(), Some("SUCCESS"), "{}", answer.body);

    let twice = harness.fetch(post(harness.url("isMeetingRunning", "meetingID=a"), format!("checksum={empty}"))).await;
    assert_eq!(twice.message_key().as_deref(), Some("checksumError"));

    let json = harness
        .client
        .post(harness.url("isMeetingRunning", "meetingID=a"))
        .header("content-type", "application/json")
        .body("{}");
    assert_eq!(harness.fetch(json).await.message_key().as_deref(), Some("unsupportedContentType"));
    let untyped = harness.client.post(harness.url("isMeetingRunning", "meetingID=a")).body("x=1");
    assert_eq!(harness.fetch(untyped).await.message_key().as_deref(), Some("unsupportedContentType"));
}
