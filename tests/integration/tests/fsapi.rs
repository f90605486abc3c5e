//! FreeSWITCH dial-in over HTTP (`POST /fsapi`, as mod_xml_curl asks): Basic authentication, the reject
//! document, the pin prompt and re-prompt, the bridge to the server of a meeting created through the load
//! balancer, breakout pins, caller-id rules, escaping of hostile values, and bad bodies.

use quick_xml::events::Event;
use quick_xml::{Reader, XmlVersion};
use redis::AsyncCommands;
use scalelite_integration_tests::{Answer, Harness, NamespaceCleanup, SECRET, fresh_namespace, redis_url};
use scalelite_shared::bbb::params::Params;

/// What a dial-plan document says.
#[derive(Debug, Default)]
struct Dialplan {
    section: String,
    description: String,
    extension: String,
    expression: String,
    result: Option<String>,
    /// `(application, data)` of each action, in order.
    actions: Vec<(String, Option<String>)>,
}

impl Dialplan {
    fn parse(answer: &Answer) -> Self {
        assert_eq!(answer.status, 200, "{}", answer.body);
        let mut reader = Reader::from_str(&answer.body);
        let mut plan = Dialplan::default();
        let mut root = None;
        loop {
            match reader.read_event().unwrap_or_else(|e| panic!("well-formed: {e}: {}", answer.body)) {
                Event::Eof => break,
                Event::Start(e) | Event::Empty(e) => {
                    let qname = e.name();
                    let name: &str = qname.as_ref();
                    let attr = |key: &str| {
                        e.try_get_attribute(key)
                            .unwrap()
                            .map(|a| a.normalized_value(XmlVersion::Implicit1_0).unwrap().into_owned())
                    };
                    match name {
                        "document" => root = attr("type"),
                        "section" => {
                            (plan.section, plan.description) =
                                (attr("name").unwrap(), attr("description").unwrap_or_default())
                        }
                        "extension" => plan.extension = attr("name").unwrap(),
                        "condition" => plan.expression = attr("expression").unwrap(),
                        "result" => plan.result = attr("status"),
                        "action" => plan.actions.push((attr("application").unwrap(), attr("data"))),
                        _ => {}
                    }
                }
                _ => {}
            }
        }
        assert_eq!(root.as_deref(), Some("freeswitch/xml"), "{}", answer.body);
        plan
    }

    fn data(&self, application: &str) -> Vec<&str> {
        self.actions.iter().filter(|(a, _)| a == application).filter_map(|(_, d)| d.as_deref()).collect()
    }

    fn is_bridge(&self) -> bool {
        self.extension == "bridge_to_bbb_server"
    }
}

/// `POST /fsapi` with `form` as the form body (FreeSWITCH's way), as `fsapi` with `password` when given.
async fn ask(harness: &Harness, password: Option<&str>, form: &[(&str, &str)]) -> Answer {
    let body = Params::from_pairs(form.iter().copied()).encode();
    let mut request = harness
        .client
        .post(format!("{}/fsapi", harness.running.base_url()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body);
    if let Some(password) = password {
        request = request.basic_auth("fsapi", Some(password));
    }
    harness.fetch(request).await
}

/// A call to `5551234`, at the pin prompt (`pin` none) or with its pin, and the caller-id fields.
fn call<'a>(pin: Option<&'a str>, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut form = vec![("section", "dialplan"), ("Caller-Destination-Number", "5551234")];
    form.extend(pin.map(|pin| ("variable_pin", pin)));
    form.extend_from_slice(extra);
    form
}

/// The voice bridge of a meeting created through the load balancer.
async fn created(harness: &Harness, meeting_id: &str) -> String {
    harness.create(meeting_id).await.field("voiceBridge").expect("a voice bridge")
}

#[tokio::test]
async fn basic_authentication_guards_the_dial_plan() {
    let harness = Harness::with_env(1, &[("URL_HOST", "lb.example.com")]).await;
    for password in [None, Some("wrong"), Some("")] {
        let answer = ask(&harness, password, &call(None, &[])).await;
        assert_eq!(answer.status, 401, "{password:?}");
        assert_eq!(answer.headers["www-authenticate"], r#"Basic realm="lb.example.com""#);
    }
    let wrong_user = harness
        .fetch(harness.client.post(format!("{}/fsapi", harness.running.base_url())).basic_auth("admin", Some(SECRET)))
        .await;
    assert_eq!(wrong_user.status, 401);
    let plan = Dialplan::parse(&ask(&harness, Some(SECRET), &call(None, &[])).await);
    assert_eq!(plan.section, "dialplan", "the first load-balancer secret is the default password");

    let own = Harness::with_env(1, &[("FSAPI_PASSWORD", "dial-in")]).await;
    assert_eq!(ask(&own, Some(SECRET), &call(None, &[])).await.status, 401);
    assert_eq!(Dialplan::parse(&ask(&own, Some("dial-in"), &call(None, &[])).await).section, "dialplan");

    let open = Harness::with_env(1, &[("FSAPI_PASSWORD", "")]).await;
    assert_eq!(Dialplan::parse(&ask(&open, None, &call(None, &[])).await).section, "dialplan");
    assert_eq!(
        open.fetch(open.client.get(format!("{}/fsapi", open.running.base_url()))).await.returncode().as_deref(),
        Some("FAILED"),
        "POST only"
    );
}

#[tokio::test]
async fn other_sections_and_missing_numbers_are_rejected() {
    let harness = Harness::start(1).await;
    let requests: [&[(&str, &str)]; 4] = [
        &[("section", "directory"), ("Caller-Destination-Number", "5551234")],
        &[("section", "dialplan")],
        &[("section", "dialplan"), ("Caller-Destination-Number", "  ")],
        &[],
    ];
    for form in requests {
        let answer = ask(&harness, Some(SECRET), form).await;
        assert_eq!(
            answer.body,
            r#"<document type="freeswitch/xml"><section name="result"><result status="not found"/></section></document>"#,
            "{form:?}"
        );
        assert_eq!(Dialplan::parse(&answer).result.as_deref(), Some("not found"));
    }
}

#[tokio::test]
async fn the_prompt_asks_for_the_pin_and_hangs_up_in_time() {
    let harness = Harness::with_env(1, &[("FSAPI_MAX_DURATION", "90")]).await;
    let plan = Dialplan::parse(&ask(&harness, Some(SECRET), &call(None, &[])).await);
    assert_eq!((plan.section.as_str(), plan.extension.as_str()), ("dialplan", "match_did_and_prompt_for_pin"));
    assert_eq!(plan.expression, "^5551234$");
    let applications: Vec<&str> = plan.actions.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(
        applications,
        ["answer", "sched_hangup", "sleep", "playback", "sleep", "play_and_get_digits", "transfer"]
    );
    assert_eq!(plan.data("sched_hangup"), ["+5400 normal_clearing"]);
    assert_eq!(plan.data("playback"), ["ivr/ivr-welcome.wav"]);
    assert_eq!(
        plan.data("play_and_get_digits"),
        ["5 10 3 7000 # conference/conf-enter_conf_pin.wav conference/conf-bad-pin.wav pin \\d+"]
    );
    assert_eq!(plan.data("transfer"), ["${pin} XML public"]);

    let unlimited = Harness::with_env(1, &[("VOICE_BRIDGE_MIN", "4"), ("VOICE_BRIDGE_MAX", "12")]).await;
    let plan = Dialplan::parse(&ask(&unlimited, Some(SECRET), &call(None, &[])).await);
    assert!(plan.data("sched_hangup").is_empty(), "MAX_MEETING_DURATION unset: no hangup");
    assert!(plan.data("play_and_get_digits")[0].starts_with("4 12 3 7000 #"));
    let limited = Harness::with_env(1, &[("MAX_MEETING_DURATION", "30")]).await;
    let plan = Dialplan::parse(&ask(&limited, Some(SECRET), &call(None, &[])).await);
    assert_eq!(plan.data("sched_hangup"), ["+1800 normal_clearing"], "MAX_MEETING_DURATION is the default");
}

#[tokio::test]
async fn unknown_pins_are_asked_again() {
    let harness = Harness::start(1).await;
    let voice_bridge = created(&harness, "running").await;
    let mut unknown = voice_bridge.clone();
    unknown.replace_range(..1, if unknown.starts_with('9') { "8" } else { "9" });
    for pin in [unknown.as_str(), "12345", "1", "12a45", "${pin}", &"7".repeat(100)] {
        let plan = Dialplan::parse(&ask(&harness, Some(SECRET), &call(Some(pin), &[])).await);
        assert_eq!(plan.extension, "reprompt_for_pin", "{pin}");
        assert_eq!(plan.description, "Reprompt Pin for Conference");
        assert_eq!(plan.data("playback"), ["conference/conf-bad-pin.wav"]);
        assert!(plan.data("play_and_get_digits")[0].ends_with(" pin \\d+"), "digits are taken again");
        assert_eq!(plan.data("transfer"), ["${pin} XML public"]);
    }
}

#[tokio::test]
async fn a_pin_bridges_to_the_meetings_server() {
    let harness = Harness::start(3).await;
    let voice_bridge = created(&harness, "dial-in").await;
    let holder = harness.holder("dial-in").expect("placed");
    let host = reqwest::Url::parse(&harness.sim(holder).url()).unwrap().host_str().unwrap().to_owned();

    let plan = Dialplan::parse(&ask(&harness, Some(SECRET), &call(Some(&voice_bridge), &[])).await);
    assert!(plan.is_bridge(), "{plan:?}");
    assert_eq!(plan.description, "Bridge Call to BBB Server");
    assert_eq!(plan.expression, "^5551234$");
    assert_eq!(plan.data("set"), ["meeting_id=dial-in", "effective_caller_id_name=Unavailable"]);
    assert_eq!(plan.data("bridge"), [format!("sofia/external/{voice_bridge}@{host}")]);

    // A breakout room's pin is its parent's voice bridge and one digit: bridged to the parent's server as dialled.
    let breakout = format!("{voice_bridge}7");
    let plan = Dialplan::parse(&ask(&harness, Some(SECRET), &call(Some(&breakout), &[])).await);
    assert!(plan.is_bridge(), "{plan:?}");
    assert_eq!(plan.data("set")[0], "meeting_id=dial-in");
    assert_eq!(plan.data("bridge"), [format!("sofia/external/{breakout}@{host}")]);

    // Once the meeting ends, its pin dials nothing.
    assert_eq!(harness.call("end", "meetingID=dial-in").await.returncode().as_deref(), Some("SUCCESS"));
    let plan = Dialplan::parse(&ask(&harness, Some(SECRET), &call(Some(&voice_bridge), &[])).await);
    assert_eq!(plan.extension, "reprompt_for_pin");
}

#[tokio::test]
async fn caller_ids_are_masked_or_hidden() {
    let harness = Harness::start(1).await;
    let pin = created(&harness, "callers").await;
    let cases: [(&[(&str, &str)], &str); 7] = [
        (&[("Caller-Caller-ID-Name", "Test User")], "Test User"),
        (&[("Caller-Caller-ID-Name", "Test User"), ("Caller-Privacy-Hide-Name", "true")], "Unavailable"),
        (&[("Caller-Caller-ID-Name", "Test User"), ("Caller-Privacy-Hide-Number", "true")], "Test User"),
        (&[("Caller-Caller-ID-Name", "5554321")], "555XXXX"),
        (&[("Caller-Caller-ID-Name", "555")], "XXX"),
        (&[("Caller-Caller-ID-Name", "5554321"), ("Caller-Privacy-Hide-Number", "true")], "Unavailable"),
        (&[("Caller-Caller-ID-Name", "")], "Unavailable"),
    ];
    for (fields, shown) in cases {
        let plan = Dialplan::parse(&ask(&harness, Some(SECRET), &call(Some(&pin), fields)).await);
        assert_eq!(plan.data("set")[1], format!("effective_caller_id_name={shown}"), "{fields:?}");
    }
}

#[tokio::test]
async fn hostile_values_expand_nothing() {
    let harness = Harness::start(1).await;
    let answer = harness.call("create", "meetingID=%24%7Bsystem%28id%29%7D%5C%3C%26%3E%22&name=x").await;
    assert_eq!(answer.returncode().as_deref(), Some("SUCCESS"), "{}", answer.body);
    let pin = answer.field("voiceBridge").unwrap();
    let caller = r#"${system(id>/tmp/RCE)}\<script>&"'"#;
    let form = [
        ("section", "dialplan"),
        ("Caller-Destination-Number", "55${x}.*\\"),
        ("variable_pin", pin.as_str()),
        ("Caller-Caller-ID-Name", caller),
    ];
    let answer = ask(&harness, Some(SECRET), &form).await;
    assert!(!answer.body.contains("<script"), "XML metacharacters are escaped: {}", answer.body);
    let plan = Dialplan::parse(&answer);
    assert!(plan.is_bridge(), "{plan:?}");
    assert_eq!(
        plan.data("set"),
        [
            r#"meeting_id=\${system(id)}\\<&>""#.to_owned(),
            r#"effective_caller_id_name=\${system(id>/tmp/RCE)}\\<script>&"'"#.to_owned(),
        ]
    );
    assert_eq!(plan.expression, r"^55\\$\\{x\\}\\.\\*\\\\$");
    for (_, data) in &plan.actions {
        let data = data.as_deref().unwrap_or_default();
        if data.starts_with("meeting_id") || data.starts_with("effective") {
            assert!(!unescaped_expansion(data), "{data}");
        }
    }

    let prompt = Dialplan::parse(
        &ask(&harness, Some(SECRET), &[("section", "dialplan"), ("Caller-Destination-Number", "${a}")]).await,
    );
    assert_eq!(prompt.expression, r"^\\$\\{a\\}$");
}

/// True when `data` has a `${` not preceded by an escaping backslash.
fn unescaped_expansion(data: &str) -> bool {
    let bytes = data.as_bytes();
    (0..bytes.len().saturating_sub(1)).any(|i| {
        bytes[i] == b'$' && bytes[i + 1] == b'{' && {
            let backslashes = bytes[..i].iter().rev().take_while(|b| **b == b'\\').count();
            backslashes % 2 == 0
        }
    })
}

#[tokio::test]
async fn bad_bodies_get_answers_not_crashes() {
    let harness = Harness::with_env(1, &[("MAX_BODY_BYTES", "4096")]).await;
    let url = format!("{}/fsapi", harness.running.base_url());
    let binary: Vec<u8> = (0..=255u8).cycle().take(4000).collect();
    let bodies: [(&str, Vec<u8>); 4] = [
        ("application/x-www-form-urlencoded", binary.clone()),
        (
            "application/x-www-form-urlencoded",
            b"section=dialplan&Caller-Destination-Number=%ZZ%&variable_pin=%FF%FE&&&=".to_vec(),
        ),
        ("application/octet-stream", binary),
        ("text/xml", b"<document><section name='dialplan'/>".to_vec()),
    ];
    for (content_type, body) in bodies {
        let request =
            harness.client.post(&url).basic_auth("fsapi", Some(SECRET)).header("content-type", content_type).body(body);
        let answer = harness.fetch(request).await;
        let plan = Dialplan::parse(&answer);
        assert!(plan.result.is_some() || plan.section == "dialplan", "{content_type}: {}", answer.body);
    }
    let huge = harness
        .fetch(
            harness.client.post(&url).basic_auth("fsapi", Some(SECRET)).body(format!("section={}", "x".repeat(10_000))),
        )
        .await;
    assert_eq!(huge.status, 413);
    let garbage_auth = harness.fetch(harness.client.post(&url).header("authorization", "Basic !!!%%%")).await;
    assert_eq!(garbage_auth.status, 401);
    // The parameters may also come in the query, as Rails reads them.
    let query = harness
        .fetch(
            harness
                .client
                .post(format!("{url}?section=dialplan&Caller-Destination-Number=1"))
                .basic_auth("fsapi", Some(SECRET)),
        )
        .await;
    assert_eq!(Dialplan::parse(&query).extension, "match_did_and_prompt_for_pin");
}

/// A meeting an upstream Scalelite wrote to Redis (its `voice_bridges` hash and meeting hash) is dialled.
#[tokio::test]
async fn an_upstream_redis_meeting_is_dialled() {
    let Some(url) = redis_url().await else { return };
    let ns = fresh_namespace("fsapi");
    let _cleanup = NamespaceCleanup { url: url.clone(), namespace: ns.clone() };
    let mut redis = redis::Client::open(url.as_str()).unwrap().get_multiplexed_async_connection().await.unwrap();
    let key = |name: &str| format!("{ns}:{name}");
    let _: () = redis.sadd(key("servers"), "bbb-old").await.unwrap();
    let server = [("url", "https://bbb-old.example.com/bigbluebutton/api/"), ("secret", "s"), ("online", "true")];
    let _: () = redis.hset_multiple(key("server:bbb-old"), &server).await.unwrap();
    let _: () = redis.sadd(key("server_enabled"), "bbb-old").await.unwrap();
    let _: () = redis.sadd(key("meetings"), "old-room").await.unwrap();
    let meeting = [("server_id", "bbb-old"), ("moderator_pw", "mp"), ("voice_bridge", "123456789"), ("tenant_id", "")];
    let _: () = redis.hset_multiple(key("meeting:old-room"), &meeting).await.unwrap();
    let _: () = redis.expire(key("meeting:old-room"), 86_400).await.unwrap();
    let _: () = redis.hset(key("voice_bridges"), "123456789", "old-room").await.unwrap();
    // A number left behind by a meeting whose hash expired, as upstream leaves them.
    let _: () = redis.hset(key("voice_bridges"), "987654321", "expired-room").await.unwrap();

    let harness =
        Harness::with_env(0, &[("REDIS_URL", &url), ("REDIS_NAMESPACE", &ns), ("SINGLE_REPLICA", "true")]).await;
    let plan = Dialplan::parse(&ask(&harness, Some(SECRET), &call(Some("123456789"), &[])).await);
    assert_eq!(plan.data("set")[0], "meeting_id=old-room");
    assert_eq!(plan.data("bridge"), ["sofia/external/123456789@bbb-old.example.com"]);
    let plan = Dialplan::parse(&ask(&harness, Some(SECRET), &call(Some("1234567891"), &[])).await);
    assert_eq!(plan.data("bridge"), ["sofia/external/1234567891@bbb-old.example.com"], "breakout");
    let plan = Dialplan::parse(&ask(&harness, Some(SECRET), &call(Some("987654321"), &[])).await);
    assert_eq!(plan.extension, "reprompt_for_pin", "a stale number dials nothing");
}
