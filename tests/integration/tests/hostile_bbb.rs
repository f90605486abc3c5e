//! BBB servers that answer badly, through HTTP: redirects are not followed, oversized answers are refused, an
//! answer with a DTD or a character XML forbids is never passed on, and whatever a client or a server sends, the
//! XML the load balancer writes stays well-formed.

use bbb_simulator::RawAnswer;
use scalelite_integration_tests::Harness;
use scalelite_shared::bbb::well_formed::check;

fn raw(body: &str) -> RawAnswer {
    RawAnswer { status: 200, headers: Vec::new(), body: body.as_bytes().to_vec() }
}

/// getMeetings answers listing meeting `m` that are not well-formed XML 1.0, or carry a DTD.
const BROKEN_LISTS: &[&str] = &[
    "<response><returncode>SUCCESS</returncode><meetings><meeting><meetingID>m</meetingID>\
     <meetingName>a\0b</meetingName></meeting></meetings></response>",
    "<response><returncode>SUCCESS</returncode><meetings><meeting><meetingID>m</meetingID>\
     <meetingName>&#27;</meetingName></meeting></meetings></response>",
    "<response><returncode>SUCCESS</returncode><meetings><meeting><meetingID>m</meetingID>\
     <meetingName>&undefined;</meetingName></meeting></meetings></response>",
    "<?xml version=\"1.0\"?><!DOCTYPE response [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]><response>\
     <returncode>SUCCESS</returncode><meetings><meeting><meetingID>m</meetingID><meetingName>&xxe;</meetingName>\
     </meeting></meetings></response>",
    "<!DOCTYPE response SYSTEM \"http://127.0.0.1:9/x.dtd\"><response><returncode>SUCCESS</returncode><meetings>\
     <meeting><meetingID>m</meetingID></meeting></meetings></response>",
    "<response><returncode>SUCCESS</returncode><meetings><meeting a=\"1\" a=\"2\"><meetingID>m</meetingID>\
     </meeting></meetings></response>",
];

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
    assert_eq!(answer.message_key().as_deref(), Some("validationError"), "{}", answer.body);
    assert!(!answer.body.contains('\0') && !answer.body.contains('\u{1b}'), "{:?}", answer.body);
    assert!(well_formed(&answer.body), "{:?}", answer.body);
}

#[tokio::test]
async fn control_characters_in_parameters_are_refused_at_the_edge() {
    let harness = Harness::start(1).await;
    // Any control character in a meetingID, tab and newline included, as BBB refuses it.
    for id in ["a%00b", "a%1Bb", "a%09b", "a%0Ab", "a%7Fb", "a%C2%85b"] {
        let answer = harness.call("create", &format!("meetingID={id}&name=n")).await;
        assert_eq!(answer.message_key().as_deref(), Some("validationError"), "{id}: {}", answer.body);
        assert_eq!(answer.field("message").as_deref(), Some("Invalid meeting ID"), "{id}");
    }
    // In other values, the characters XML cannot carry.
    for query in ["meetingID=ok&name=a%00b", "meetingID=ok&name=n&meta_x=%1B", "meetingID=ok&name=n&welcome=%08"] {
        let answer = harness.call("create", query).await;
        assert_eq!(answer.message_key().as_deref(), Some("validationError"), "{query}: {}", answer.body);
        assert_eq!(answer.field("message").as_deref(), Some("Parameters may not contain control characters"));
    }
    assert_eq!(harness.fleet().meeting_count(), 0, "nothing reached BBB");
    for call in ["join", "end", "isMeetingRunning", "getMeetingInfo", "getRecordings"] {
        let answer = harness.call(call, "meetingID=a%00b&fullName=x").await;
        assert_eq!(answer.message_key().as_deref(), Some("validationError"), "{call}: {}", answer.body);
    }
    let answer = harness.call("join", "meetingID=ok&fullName=a%07b").await;
    assert_eq!(answer.message_key().as_deref(), Some("validationError"), "{}", answer.body);

    let created = harness.call("create", "meetingID=ok&name=Tab%09and%0D%0Anewline").await;
    assert_eq!(created.returncode().as_deref(), Some("SUCCESS"), "tab and newline stay allowed: {}", created.body);
    let meetings = harness.call("getMeetings", "").await;
    assert!(meetings.body.contains("<meetingID>ok</meetingID>"), "{}", meetings.body);
    assert!(well_formed(&meetings.body) && check(meetings.body.as_bytes()).is_ok(), "{:?}", meetings.body);
}

#[tokio::test]
async fn get_meetings_stays_well_formed_whatever_a_server_sends() {
    let harness = Harness::start(2).await;
    harness.create("a").await;
    harness.create("b").await;
    let (a, b) = (harness.holder("a").unwrap(), harness.holder("b").unwrap());
    assert_ne!(a, b, "one meeting on each server");
    for body in BROKEN_LISTS {
        harness.sim(a).set_raw_answer("getMeetings", raw(body));
        let answer = harness.call("getMeetings", "").await;
        assert_eq!(answer.returncode().as_deref(), Some("SUCCESS"), "{body:?}: {}", answer.body);
        assert!(well_formed(&answer.body) && check(answer.body.as_bytes()).is_ok(), "{body:?}: {:?}", answer.body);
        assert!(answer.body.contains("<meetingID>b</meetingID>"), "the other server's meeting: {}", answer.body);
        assert!(!answer.body.contains("<meetingID>m</meetingID>"), "the broken answer is left out: {}", answer.body);
        assert!(!answer.body.contains("DOCTYPE") && !answer.body.contains("xxe"), "{}", answer.body);
    }
}

#[tokio::test]
async fn a_broken_get_meetings_answer_counts_as_a_failed_poll() {
    let harness = Harness::start(1).await;
    for (failures, body) in BROKEN_LISTS.iter().enumerate() {
        harness.sim(0).set_raw_answer("getMeetings", raw(body));
        harness.poll().await;
        let metrics = harness.get_url(&format!("{}/metrics", harness.running.base_url())).await.body;
        let line = format!("scalelite_poll_failures_total{{server=\"demo-0\"}} {}", failures + 1);
        assert!(metrics.lines().any(|l| l == line), "{body:?} is no answer, as a dead server's:\n{metrics}");
    }
}

#[tokio::test]
async fn a_dtd_from_bbb_is_never_passed_on() {
    let harness = Harness::start(1).await;
    harness.create("d").await;
    let answers = [
        "<!DOCTYPE response SYSTEM \"http://127.0.0.1:9/x.dtd\"><response><returncode>SUCCESS</returncode>\
         <running>true</running></response>",
        "<?xml version=\"1.0\"?><!DOCTYPE response [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]><response>\
         <returncode>SUCCESS</returncode><running>&xxe;</running></response>",
    ];
    for body in answers {
        for call in ["getMeetingInfo", "isMeetingRunning"] {
            harness.sim(0).set_raw_answer(call, raw(body));
            let answer = harness.call(call, "meetingID=d").await;
            assert_eq!(answer.message_key().as_deref(), Some("internalError"), "{call}: {}", answer.body);
            assert!(!answer.body.contains("DOCTYPE") && !answer.body.contains("ENTITY"), "{call}: {}", answer.body);
        }
    }
}
