//! The BBB meeting calls through HTTP: local runtime -> handler -> embedded store -> simulated servers.

use bbb_simulator::ChatMessage;
use reqwest::StatusCode;
use scalelite_integration_tests::{Answer, Harness};
use scalelite_shared::bbb::checksum::{Algorithm, sign, strip_checksum};
use scalelite_shared::bbb::params::Params;

fn query_of(url: &str) -> &str {
    url.split_once('?').map_or("", |(_, q)| q)
}

#[tokio::test]
async fn index_answers_without_checksum() {
    let harness = Harness::with_env(0, &[("BUILD_NUMBER", "42")]).await;
    let answer = harness.get_url(&format!("{}/bigbluebutton/api", harness.running.base_url())).await;
    assert_eq!(
        answer.body,
        "<response><returncode>SUCCESS</returncode><version>2.0</version><build>42</build></response>"
    );
    let slash = harness.get_url(&format!("{}/bigbluebutton/api/", harness.running.base_url())).await;
    assert_eq!(slash.body, answer.body);
    let health = harness.get_url(&format!("{}/health_check", harness.running.base_url())).await;
    assert_eq!(health.body, "success");
}

#[tokio::test]
async fn unknown_calls_are_unsupported() {
    let harness = Harness::start(1).await;
    let client_calls = ["getJoinUrl", "feedback", "learningDashboard", "getSessions", "signOut", "enter", "stuns"];
    let paths = client_calls.iter().map(|call| format!("/bigbluebutton/api/{call}")).chain(["/whatever".into()]);
    for path in paths {
        let answer = harness.get_url(&format!("{}{path}", harness.running.base_url())).await;
        assert_eq!(answer.status, StatusCode::OK);
        assert_eq!(answer.message_key().as_deref(), Some("unsupportedRequest"), "{path}");
    }
    let post_join = harness.fetch(harness.client.post(harness.url("join", "meetingID=a&fullName=x"))).await;
    assert_eq!(post_join.message_key().as_deref(), Some("unsupportedRequest"));
    let signed = harness.call("getJoinUrl", "sessionToken=abc").await;
    assert_eq!(signed.message_key().as_deref(), Some("unsupportedRequest"), "a session names no meeting");
}

#[tokio::test]
async fn create_places_the_meeting_and_forces_balancer_parameters() {
    let harness = Harness::start(2).await;
    let answer = harness.call("create", "meetingID=m1&name=Maths&meta_server-tag=foo&voiceBridge=11111").await;
    assert_eq!(answer.returncode().as_deref(), Some("SUCCESS"), "{}", answer.body);
    let holder = harness.holder("m1").expect("created on a simulated server");
    let created = harness.sim(holder).meeting("m1").unwrap();
    let sent = Params::from_pairs(created.create_params.clone());
    assert_eq!(sent.get("name"), Some("Maths"));
    assert_eq!(sent.get("meta_server-tag"), None, "untagged server: the tag is removed");
    let voice_bridge = sent.get("voiceBridge").unwrap();
    assert_eq!(voice_bridge.len(), 9);
    assert_ne!(voice_bridge, "11111");
    let moderator_pw = sent.get("moderatorPW").unwrap();
    assert_eq!(moderator_pw.len(), 8);
    assert_eq!(answer.field("moderatorPW").as_deref(), Some(moderator_pw));

    let again = harness.call("create", "meetingID=m1&name=Maths").await;
    assert_eq!(again.message_key().as_deref(), Some("duplicateWarning"));
    assert_eq!(harness.fleet().meeting_count(), 1, "the second create went to the same server");
}

#[tokio::test]
async fn create_requires_a_meeting_id() {
    let harness = Harness::start(1).await;
    let answer = harness.call("create", "name=x").await;
    assert_eq!(answer.message_key().as_deref(), Some("missingParamMeetingID"));
    assert_eq!(answer.field("message").as_deref(), Some("You must specify a meeting ID for the meeting."));
}

#[tokio::test]
async fn create_without_servers_is_an_internal_error() {
    let harness = Harness::start(0).await;
    let answer = harness.call("create", "meetingID=x&name=x").await;
    assert_eq!(answer.message_key().as_deref(), Some("internalError"));
    assert_eq!(answer.field("message").as_deref(), Some("Could not find any available servers."));
}

#[tokio::test]
async fn create_and_join_parameter_layers() {
    let harness = Harness::with_env(
        1,
        &[
            ("DEFAULT_CREATE_PARAMS", "record=true,welcome=Hello"),
            ("OVERRIDE_CREATE_PARAMS", "muteOnStart=true"),
            ("CREATE_EXCLUDE_PARAMS", "logo"),
            ("MAX_MEETING_DURATION", "60"),
            ("DEFAULT_JOIN_PARAMS", "userdata-bbb_auto_join_audio=true"),
            ("OVERRIDE_JOIN_PARAMS", "userdata-bbb_skip_check_audio=true"),
            ("JOIN_EXCLUDE_PARAMS", "avatarURL"),
        ],
    )
    .await;
    harness.call("create", "meetingID=p&name=P&record=false&muteOnStart=false&logo=x&duration=120").await;
    let sent = Params::from_pairs(harness.sim(0).meeting("p").unwrap().create_params);
    assert_eq!(sent.get("record"), Some("false"), "the client wins over defaults");
    assert_eq!(sent.get("welcome"), Some("Hello"));
    assert_eq!(sent.get("muteOnStart"), Some("true"), "overrides win over the client");
    assert_eq!(sent.get("logo"), None);
    assert_eq!(sent.get("duration"), Some("60"));

    let join = harness
        .call("join", "meetingID=p&fullName=Ann&role=VIEWER&avatarURL=x&userdata-bbb_skip_check_audio=false")
        .await;
    let location = join.location().unwrap();
    let forwarded = Params::parse(query_of(&location).as_bytes());
    assert_eq!(forwarded.get("userdata-bbb_auto_join_audio"), Some("true"));
    assert_eq!(forwarded.get("userdata-bbb_skip_check_audio"), Some("true"));
    assert_eq!(forwarded.get("avatarURL"), None);
}

#[tokio::test]
async fn join_redirects_to_the_meeting_server_with_a_fresh_checksum() {
    let harness = Harness::start(3).await;
    harness.create("j1").await;
    let holder = harness.holder("j1").unwrap();
    let answer = harness.call("join", "meetingID=j1&fullName=Ann+%3CB%3E&role=MODERATOR").await;
    assert_eq!(answer.status, StatusCode::FOUND);
    let location = answer.location().unwrap();
    let sim = harness.sim(holder);
    assert!(location.starts_with(&format!("{}/join?", sim.url())), "{location}");
    let query = query_of(&location);
    let params = Params::parse(query.as_bytes());
    let checksum = params.get("checksum").unwrap();
    assert_eq!(checksum, sign(Algorithm::Sha256, "join", &strip_checksum(query, checksum), sim.secret()));
    assert_eq!(params.get("fullName"), Some("Ann <B>"));

    // Following the redirect, the simulated server accepts the join and counts the participant.
    let followed = harness.get_url(&location).await;
    assert_eq!(followed.status, StatusCode::FOUND, "{}", followed.body);
    assert_eq!(sim.meeting("j1").unwrap().attendees.len(), 1);

    let running = harness.call("isMeetingRunning", "meetingID=j1").await;
    assert_eq!(running.field("running").as_deref(), Some("true"));
}

#[tokio::test]
async fn join_of_unknown_meeting_is_not_found() {
    let harness = Harness::start(1).await;
    let answer = harness.call("join", "meetingID=nope&fullName=x").await;
    assert_eq!(answer.message_key().as_deref(), Some("notFound"));
}

#[tokio::test]
async fn is_meeting_running_and_get_meeting_info() {
    let harness = Harness::start(2).await;
    let unknown = harness.call("isMeetingRunning", "meetingID=zz").await;
    assert_eq!(unknown.body, "<response><returncode>SUCCESS</returncode><running>false</running></response>");
    let info = harness.call("getMeetingInfo", "meetingID=zz").await;
    assert_eq!(info.message_key().as_deref(), Some("notFound"));

    harness.call("create", "meetingID=i1&name=A+%26+B&meta_Course=Bio").await;
    let info = harness.call("getMeetingInfo", "meetingID=i1&password=ignored").await;
    assert_eq!(info.returncode().as_deref(), Some("SUCCESS"));
    assert_eq!(info.field("meetingName").as_deref(), Some("A &amp; B"));
    assert_eq!(info.field("course").as_deref(), Some("Bio"));
    let sim = harness.sim(harness.holder("i1").unwrap());
    let last = sim.calls().last().cloned().unwrap();
    assert!(last.starts_with("getMeetingInfo?meetingID=i1&checksum="), "only meetingID is passed on: {last}");
}

#[tokio::test]
async fn end_forgets_then_ends() {
    let harness = Harness::start(2).await;
    harness.create("e1").await;
    let holder = harness.holder("e1").unwrap();
    let answer = harness.call("end", "meetingID=e1").await;
    assert_eq!(answer.message_key().as_deref(), Some("sentEndMeetingRequest"), "{}", answer.body);
    assert!(harness.sim(holder).meeting("e1").is_none());
    let call = harness.sim(holder).calls().last().cloned().unwrap();
    assert!(call.starts_with("end?meetingID=e1&password&checksum="), "{call}");
    let again = harness.call("end", "meetingID=e1").await;
    assert_eq!(again.message_key().as_deref(), Some("notFound"));
}

#[tokio::test]
async fn send_chat_message_reaches_the_meeting_server() {
    let harness = Harness::start(3).await;
    harness.create("c1").await;
    let holder = harness.holder("c1").unwrap();
    let query = Params::from_pairs([("meetingID", "c1"), ("message", "Back in 5 & <b>"), ("userName", "Desk")]);
    let answer = harness.call("sendChatMessage", &query.encode()).await;
    assert_eq!(answer.returncode().as_deref(), Some("SUCCESS"), "{}", answer.body);
    let chat = harness.sim(holder).meeting("c1").unwrap().chat;
    assert_eq!(chat, [ChatMessage { user_name: "Desk".into(), message: "Back in 5 & <b>".into() }]);
    let call = harness.sim(holder).calls().last().cloned().unwrap();
    assert!(call.starts_with("sendChatMessage?meetingID=c1&message=Back+in+5+%26+%3Cb%3E&userName=Desk&checksum="));

    let unnamed = harness.call("sendChatMessage", "meetingID=c1&message=hi&extra=dropped").await;
    assert_eq!(unnamed.returncode().as_deref(), Some("SUCCESS"));
    let chat = harness.sim(holder).meeting("c1").unwrap().chat;
    assert_eq!(chat.last().map(|m| m.user_name.as_str()), Some("System"), "BBB names the sender");
    assert!(!harness.sim(holder).calls().last().unwrap().contains("extra"), "only BBB's parameters go on");

    let unknown = harness.call("sendChatMessage", "meetingID=none&message=hi").await;
    assert_eq!(unknown.message_key().as_deref(), Some("notFound"));
    let missing = harness.call("sendChatMessage", "message=hi").await;
    assert_eq!(missing.message_key().as_deref(), Some("missingParamMeetingID"));
    let post = harness.fetch(harness.client.post(harness.url("sendChatMessage", "meetingID=c1&message=hi"))).await;
    assert_eq!(post.message_key().as_deref(), Some("unsupportedRequest"), "GET only, as BBB");
    let unsigned = harness
        .get_url(&format!("{}/bigbluebutton/api/sendChatMessage?meetingID=c1", harness.running.base_url()))
        .await;
    assert_eq!(unsigned.message_key().as_deref(), Some("checksumError"));
    assert_eq!(harness.sim(holder).meeting("c1").unwrap().chat.len(), 2);
}

#[tokio::test]
async fn bbb_3_create_parameters_reach_bbb_unchanged() {
    let harness = Harness::start(1).await;
    let manifests =
        r#"[{"url":"https://plugins.example.org/pick/manifest.json"},{"url":"https://p.example/b.json?v=2&x=%20"}]"#;
    let external = "https://files.example.org/pick?course=7&lang=de";
    let query = Params::from_pairs([
        ("meetingID", "b3"),
        ("name", "BBB 3"),
        ("allowOverrideClientSettingsOnCreateCall", "true"),
        ("pluginManifests", manifests),
        ("presentationUploadExternalUrl", external),
        ("presentationUploadExternalDescription", "Pick a file from the course"),
    ]);
    let body = r#"<modules>
   <module name="presentation"><document url="https://example.org/a.pdf" filename="a.pdf"/></module>
   <module name="clientSettingsOverride"><![CDATA[{"public":{"app":{"appName":"Uni & Co","askForConfirmationOnLeave":false}}}]]></module>
</modules>"#;
    let request = harness
        .client
        .post(harness.url("create", &query.encode()))
        .header("content-type", "application/xml")
        .body(body);
    let answer = harness.fetch(request).await;
    assert_eq!(answer.returncode().as_deref(), Some("SUCCESS"), "{}", answer.body);

    let created = harness.sim(0).meeting("b3").unwrap();
    assert_eq!(
        created.plugin_manifests,
        ["https://plugins.example.org/pick/manifest.json", "https://p.example/b.json?v=2&x=%20"]
    );
    let settings = created.client_settings_override.expect("the clientSettingsOverride module reached BBB");
    assert_eq!(settings["public"]["app"]["appName"], "Uni & Co");
    assert_eq!(created.documents, 1, "the presentation module travels with it");
    let sent = Params::from_pairs(created.create_params);
    assert_eq!(sent.get("pluginManifests"), Some(manifests));
    assert_eq!(sent.get("presentationUploadExternalUrl"), Some(external));
    assert_eq!(sent.get("presentationUploadExternalDescription"), Some("Pick a file from the course"));
    assert_eq!(sent.get("allowOverrideClientSettingsOnCreateCall"), Some("true"));

    let by_get = harness
        .call(
            "create",
            &Params::from_pairs([("meetingID", "g3"), ("name", "G"), ("pluginManifests", manifests)]).encode(),
        )
        .await;
    assert_eq!(by_get.returncode().as_deref(), Some("SUCCESS"), "{}", by_get.body);
    assert_eq!(harness.sim(0).meeting("g3").unwrap().plugin_manifests.len(), 2);
}

#[tokio::test]
async fn insert_document_posts_the_xml_body() {
    let harness = Harness::start(1).await;
    harness.create("d1").await;
    let body = r#"<modules><module name="presentation"><document url="https://example.org/a.pdf" filename="a.pdf"/></module></modules>"#;
    let post = |content_type: &'static str| {
        harness
            .client
            .post(harness.url("insertDocument", "meetingID=d1"))
            .header("content-type", content_type)
            .body(body)
    };
    let answer = harness.fetch(post("application/xml")).await;
    assert_eq!(answer.returncode().as_deref(), Some("SUCCESS"), "{}", answer.body);
    assert_eq!(harness.sim(0).meeting("d1").unwrap().documents, 1);
    let wrong = harness.fetch(post("application/x-www-form-urlencoded")).await;
    assert_eq!(wrong.message_key().as_deref(), Some("unsupportedContentType"));
    let get = harness.call("insertDocument", "meetingID=d1").await;
    assert_eq!(get.message_key().as_deref(), Some("unsupportedRequest"));
    let missing = harness
        .fetch(
            harness
                .client
                .post(harness.url("insertDocument", "meetingID=none"))
                .header("content-type", "text/xml")
                .body(body),
        )
        .await;
    assert_eq!(missing.message_key().as_deref(), Some("notFound"));
}

#[tokio::test]
async fn create_with_pre_uploaded_slides_posts_xml_to_bbb() {
    let harness = Harness::start(1).await;
    let body = r#"<modules><module name="presentation"><document name="a.pdf">JVBERi0x</document><document url="https://x/b.pdf"/></module></modules>"#;
    let request = harness
        .client
        .post(harness.url("create", "meetingID=s1&name=S"))
        .header("content-type", "application/xml")
        .body(body);
    let answer = harness.fetch(request).await;
    assert_eq!(answer.returncode().as_deref(), Some("SUCCESS"), "{}", answer.body);
    assert_eq!(harness.sim(0).meeting("s1").unwrap().documents, 2);
}

#[tokio::test]
async fn create_by_post_form() {
    let harness = Harness::start(1).await;
    let request = harness
        .client
        .post(harness.url("create", ""))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("meetingID=f1&name=Form+meeting");
    let answer: Answer = harness.fetch(request).await;
    assert_eq!(answer.returncode().as_deref(), Some("SUCCESS"), "{}", answer.body);
    let sent = Params::from_pairs(harness.sim(0).meeting("f1").unwrap().create_params);
    assert_eq!(sent.get("name"), Some("Form meeting"));
}

#[tokio::test]
async fn get_meetings_merges_all_servers() {
    let harness = Harness::start(3).await;
    let empty = harness.call("getMeetings", "").await;
    assert_eq!(
        empty.body,
        "<response><returncode>SUCCESS</returncode><messageKey>noMeetings</messageKey><message>no meetings were found on this server</message><meetings/></response>"
    );
    for id in ["g1", "g2", "g3", "g4"] {
        harness.create(id).await;
    }
    harness.call("create", "meetingID=t1&name=T&meta_tenant-id=abc").await;
    let answer = harness.call("getMeetings", "").await;
    assert_eq!(answer.returncode().as_deref(), Some("SUCCESS"));
    assert_eq!(answer.body.matches("<meeting>").count(), 4, "tenant meetings are left out: {}", answer.body);
    for id in ["g1", "g2", "g3", "g4"] {
        assert!(answer.body.contains(&format!("<meetingID>{id}</meetingID>")));
    }
}

#[tokio::test]
async fn get_meetings_can_be_disabled() {
    let harness = Harness::with_env(1, &[("GET_MEETINGS_API_DISABLED", "true")]).await;
    harness.create("x").await;
    let answer = harness.get_url(&format!("{}/bigbluebutton/api/getMeetings", harness.running.base_url())).await;
    assert_eq!(answer.message_key().as_deref(), Some("noMeetings"));
}

/// The demo's join lands somewhere a newcomer understands: the simulated server's client page, and the
/// meeting's `createDate` is today's.
#[tokio::test]
async fn a_followed_join_reaches_the_simulated_client_and_dates_are_today() {
    let harness = Harness::start(1).await;
    let created = harness.create("dated").await;
    let year =
        1970 + std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() / 31_556_952;
    let date = created.body.split("<createDate>").nth(1).and_then(|rest| rest.split('<').next()).unwrap();
    assert!(date.ends_with(&format!("UTC {year}")) || date.ends_with(&format!("UTC {}", year + 1)), "{date}");
    let join = harness.url("join", "meetingID=dated&fullName=Ann&role=MODERATOR");
    let page = reqwest::get(join).await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("simulated BigBlueButton server"));
}
