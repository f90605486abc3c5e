//! BBB servers that answer badly, through HTTP: redirects are not followed, oversized answers are refused, and
//! whatever a client or a server sends, the XML the load balancer writes stays well-formed.

use bbb_simulator::RawAnswer;
use scalelite_integration_tests::Harness;

fn well_formed(document: &str) -> bool {
    let mut reader = quick_xml::Reader::from_str(document);
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Eof) => return true,
            Ok(_) => {}
            Err(_) => return false,
        }
    }
}

#[tokio::test]
async fn a_redirect_from_bbb_is_never_followed() {
    let harness = Harness::start(2).await;
    harness.create("r").await;
    let holder = harness.holder("r").unwrap();
    let elsewhere = format!("{}/getMeetings?checksum=x", harness.sim(1 - holder).url());
    let redirect = RawAnswer { status: 302, headers: vec![("location".into(), elsewhere)], body: Vec::new() };
    harness.sim(holder).set_raw_answer("getMeetingInfo", redirect);
    let calls_before = harness.sim(1 - holder).calls().len();
    let answer = harness.call("getMeetingInfo", "meetingID=r").await;
    assert_eq!(answer.message_key().as_deref(), Some("internalError"), "{}", answer.body);
    assert_eq!(harness.sim(1 - holder).calls().len(), calls_before, "the redirect target was never called");
}

#[tokio::test]
async fn an_oversized_answer_is_refused() {
    let harness = Harness::with_env(1, &[("BBB_MAX_ANSWER_BYTES", "4096")]).await;
    harness.create("big").await;
    let mut body = b"<response><returncode>SUCCESS</returncode><meetings>".to_vec();
    body.extend(std::iter::repeat_n(b' ', 64 * 1024));
    body.extend_from_slice(b"</meetings></response>");
    harness.sim(0).set_raw_answer("getMeetings", RawAnswer { status: 200, headers: Vec::new(), body });
    harness.poll().await;
    let metrics = harness.get_url(&format!("{}/metrics", harness.running.base_url())).await.body;
    assert!(
        metrics.lines().any(|line| line == "scalelite_poll_failures_total{server=\"demo-0\"} 1"),
        "the oversized getMeetings counts as no answer:\n{metrics}"
    );
    let info = harness.call("getMeetingInfo", "meetingID=big").await;
    assert_eq!(info.returncode().as_deref(), Some("SUCCESS"), "other calls still work");
}

#[tokio::test]
async fn control_characters_never_break_the_xml() {
    let harness = Harness::start(1).await;
    let answer = harness.call("create", "meetingID=c&name=C&meta_server-tag=a%00b%1B!").await;
    assert_eq!(answer.message_key().as_deref(), Some("serverTagUnavailable"));
    assert!(!answer.body.contains('\0') && !answer.body.contains('\u{1b}'), "{:?}", answer.body);
    assert!(well_formed(&answer.body), "{:?}", answer.body);
}
