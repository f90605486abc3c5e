//! Property tests of the parsers that read what clients and BBB servers send: any input gives an answer or
//! the documented refusal, never a panic.

use proptest::prelude::*;

use crate::bbb::checksum::{Algorithm, ChecksumPolicy, sign, strip_checksum};
use crate::bbb::meetings_xml::{MeetingEntry, Status, bbb_version, parse_get_meetings, parse_meetings};
use crate::bbb::params::Params;
use crate::bbb::xml::XmlResponse;

/// The serde reader of getMeetings answers and statuses the one-pass reader replaced: the reference it is
/// checked against, on answers that pass the well-formedness check both readers start with.
mod serde_reference {
    use std::ops::Range;

    use quick_xml::Reader;
    use quick_xml::events::Event;
    use serde::Deserialize;

    use crate::bbb::meetings_xml::{MeetingEntry, Status};
    use crate::bbb::well_formed::check;

    pub fn status(body: &[u8]) -> Option<Status> {
        check(body).ok()?;
        let text = std::str::from_utf8(body).ok()?;
        quick_xml::de::from_str::<Status>(text).ok().filter(|s| !s.returncode.is_empty())
    }

    #[derive(Default, Deserialize)]
    struct Fields {
        #[serde(rename = "meetingID", default)]
        meeting_id: String,
        #[serde(rename = "participantCount", default)]
        participant_count: Option<String>,
        #[serde(rename = "voiceParticipantCount", default)]
        voice_count: Option<String>,
        #[serde(rename = "videoCount", default)]
        video_count: Option<String>,
        #[serde(rename = "isBreakout", default)]
        is_breakout: Option<String>,
        #[serde(rename = "createTime", default)]
        create_time: Option<String>,
        #[serde(rename = "voiceBridge", default)]
        voice_bridge: Option<String>,
        #[serde(rename = "moderatorPW", default)]
        moderator_pw: Option<String>,
        #[serde(default)]
        attendees: Option<Attendees>,
        #[serde(default)]
        metadata: Option<Metadata>,
    }

    #[derive(Default, Deserialize)]
    struct Attendees {
        #[serde(rename = "attendee", default)]
        attendee: Vec<serde::de::IgnoredAny>,
    }

    #[derive(Default, Deserialize)]
    struct Metadata {
        #[serde(rename = "tenant-id", default)]
        tenant_id: Option<String>,
    }

    fn number(text: &Option<String>) -> u64 {
        text.as_deref().and_then(|t| t.trim().parse().ok()).unwrap_or(0)
    }

    /// The byte ranges of the `<meeting>` elements directly under `<response><meetings>`.
    fn meeting_spans(body: &[u8]) -> Option<Vec<Range<usize>>> {
        let mut reader = Reader::from_reader(body);
        let mut path: Vec<String> = Vec::new();
        let mut spans = Vec::new();
        let mut open_at = 0usize;
        loop {
            let before = usize::try_from(reader.buffer_position()).ok()?;
            match reader.read_event().ok()? {
                Event::Start(start) => {
                    path.push(start.name().into_inner().to_owned());
                    if path.len() == 3 && path[1] == "meetings" && path[2] == "meeting" {
                        open_at = before;
                    }
                }
                Event::End(_) => {
                    if path.len() == 3 && path[1] == "meetings" && path[2] == "meeting" {
                        spans.push(open_at..usize::try_from(reader.buffer_position()).ok()?);
                    }
                    path.pop();
                }
                Event::Eof => return Some(spans),
                _ => {}
            }
        }
    }

    /// The meetings of a getMeetings answer, read as the load balancer read them before its one-pass reader.
    pub fn parse_meetings(body: &[u8]) -> Option<Vec<MeetingEntry>> {
        check(body).ok()?;
        let text = std::str::from_utf8(body).ok()?;
        let spans = meeting_spans(body)?;
        spans
            .into_iter()
            .map(|span| {
                let fields: Fields = quick_xml::de::from_str(&text[span.clone()]).ok()?;
                Some(MeetingEntry {
                    span,
                    meeting_id: fields.meeting_id,
                    participant_count: number(&fields.participant_count),
                    attendees: fields.attendees.map_or(0, |a| a.attendee.len() as u64),
                    voice_count: number(&fields.voice_count),
                    video_count: number(&fields.video_count),
                    is_breakout: fields.is_breakout.as_deref().is_some_and(|b| b.trim() == "true"),
                    create_time_ms: number(&fields.create_time),
                    tenant_id: fields.metadata.and_then(|m| m.tenant_id),
                    voice_bridge: fields.voice_bridge.unwrap_or_default().trim().to_owned(),
                    moderator_pw: fields.moderator_pw.unwrap_or_default(),
                })
            })
            .collect()
    }
}

/// Text as BBB may write it: plain, escaped, in CDATA, with comments between its pieces.
fn bbb_text() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            "[a-z0-9 ]{0,6}",
            Just("&amp;".to_owned()),
            Just("&lt;".to_owned()),
            Just("&#65;".to_owned()),
            Just("&#x263A;".to_owned()),
            Just("<![CDATA[x&<y]]>".to_owned()),
            Just("<!-- c -->".to_owned()),
            Just("\r\n".to_owned()),
        ],
        0..4,
    )
    .prop_map(|parts| parts.concat())
}

/// One child of a `<meeting>`: a field the poller reads, a list, or something else.
fn meeting_child() -> impl Strategy<Value = String> {
    let field = prop_oneof![
        Just("meetingID"),
        Just("participantCount"),
        Just("voiceParticipantCount"),
        Just("videoCount"),
        Just("isBreakout"),
        Just("createTime"),
        Just("voiceBridge"),
        Just("moderatorPW"),
        Just("meetingName"),
    ];
    prop_oneof![
        (field.clone(), bbb_text()).prop_map(|(name, text)| format!("<{name}>{text}</{name}>")),
        field.prop_map(|name| format!("<{name}/>")),
        (0..4usize, any::<bool>()).prop_map(|(count, nested)| {
            let one = if nested { "<attendee><userID>u</userID><role>VIEWER</role></attendee>" } else { "<attendee/>" };
            format!("<attendees>{}</attendees>", one.repeat(count))
        }),
        Just("<attendees/>".to_owned()),
        (proptest::option::of(bbb_text()), any::<bool>()).prop_map(|(tenant, other)| {
            let tenant = tenant.map(|t| format!("<tenant-id>{t}</tenant-id>")).unwrap_or_default();
            let other = if other { "<bbb-origin>greenlight</bbb-origin>" } else { "" };
            format!("<metadata>{other}{tenant}</metadata>")
        }),
        Just("<metadata/>".to_owned()),
        Just("<breakoutRooms><breakout>b1</breakout><meetingID>inner</meetingID></breakoutRooms>".to_owned()),
        Just("<duration attr=\"1\">0</duration>".to_owned()),
    ]
}

/// A getMeetings answer with meetings made of those children, cut off at `cut` (a fraction) when it is given.
fn get_meetings_answer() -> impl Strategy<Value = String> {
    let meeting = proptest::collection::vec(meeting_child(), 0..8)
        .prop_map(|children| format!("<meeting>{}</meeting>", children.concat()));
    (proptest::collection::vec(meeting, 0..4), proptest::option::of(0.0..1.0f64)).prop_map(|(meetings, cut)| {
        let whole = format!(
            "<?xml version=\"1.0\"?><response><returncode>SUCCESS</returncode><meetings>{}</meetings></response>",
            meetings.concat()
        );
        match cut {
            Some(fraction) => {
                let mut at = (whole.len() as f64 * fraction) as usize;
                while !whole.is_char_boundary(at) {
                    at -= 1;
                }
                whole[..at].to_owned()
            }
            None => whole,
        }
    })
}

/// Bytes shaped like XML: tags, attributes, entities and text from a small alphabet, so the parser sees
/// near-misses, not only noise.
fn xmlish() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just("<response>".to_owned()),
            Just("</response>".to_owned()),
            Just("<meetings>".to_owned()),
            Just("</meetings>".to_owned()),
            Just("<meeting>".to_owned()),
            Just("</meeting>".to_owned()),
            Just("<returncode>SUCCESS</returncode>".to_owned()),
            Just("<meetingID>".to_owned()),
            Just("</meetingID>".to_owned()),
            Just("<participantCount>".to_owned()),
            Just("</participantCount>".to_owned()),
            Just("<attendees><attendee/></attendees>".to_owned()),
            Just("<![CDATA[".to_owned()),
            Just("]]>".to_owned()),
            Just("&amp;".to_owned()),
            Just("&bogus;".to_owned()),
            "[a-z0-9 <>/&;=\"'\\x00-\\x1f]{0,8}",
        ],
        0..40,
    )
    .prop_map(|parts| parts.concat())
}

/// The poll's one-pass read of a getMeetings answer gives what the status reader and the meetings reader give
/// apart: no answer where the status reader finds none, and both readers' results where both read one.
fn reads_as_status_and_meetings_apart(body: &[u8]) -> Result<(), TestCaseError> {
    let together: Option<(Status, Vec<MeetingEntry>)> = parse_get_meetings(body);
    match (Status::parse(body), parse_meetings(body)) {
        (None, _) => prop_assert_eq!(together, None),
        (Some(status), Some(meetings)) => prop_assert_eq!(together, Some((status, meetings))),
        // What follows the root element is read by the meetings reader alone.
        (Some(status), None) => prop_assert!(together.is_none_or(|(read, _)| read == status)),
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn getmeetings_answers_read_in_one_pass_as_apart(answer in get_meetings_answer()) {
        reads_as_status_and_meetings_apart(answer.as_bytes())?;
    }

    #[test]
    fn xml_noise_reads_in_one_pass_as_apart(text in xmlish()) {
        reads_as_status_and_meetings_apart(text.as_bytes())?;
    }

    #[test]
    fn the_one_pass_reader_reads_getmeetings_answers_as_serde_did(answer in get_meetings_answer()) {
        prop_assert_eq!(parse_meetings(answer.as_bytes()), serde_reference::parse_meetings(answer.as_bytes()));
        prop_assert_eq!(Status::parse(answer.as_bytes()), serde_reference::status(answer.as_bytes()));
    }

    #[test]
    fn the_one_pass_reader_reads_xml_noise_as_serde_did(text in xmlish()) {
        prop_assert_eq!(parse_meetings(text.as_bytes()), serde_reference::parse_meetings(text.as_bytes()));
        prop_assert_eq!(Status::parse(text.as_bytes()), serde_reference::status(text.as_bytes()));
    }

    #[test]
    fn queries_parse_and_checksums_refuse_without_panicking(query in proptest::collection::vec(any::<u8>(), 0..200)) {
        let params = Params::parse(&query);
        let _ = params.encode();
        let policy = ChecksumPolicy::new(vec!["secret".into()], vec![Algorithm::Sha1, Algorithm::Sha256]);
        let text = String::from_utf8_lossy(&query);
        let checksum = params.get("checksum").unwrap_or_default();
        prop_assert!(!policy.verify("create", &[&text], checksum) || checksum.len() >= 40);
    }

    #[test]
    fn the_checksum_is_stripped_as_three_substitutions_would(
        parts in proptest::collection::vec(prop_oneof![Just("checksum=ff"), Just("&"), Just("a=1"), Just("checksum="), Just("f")], 0..8),
    ) {
        let query = parts.concat();
        let substituted = query.replace("&checksum=ff", "").replace("checksum=ff&", "").replace("checksum=ff", "");
        prop_assert_eq!(strip_checksum(&query, "ff"), substituted);
    }

    #[test]
    fn a_right_checksum_passes_and_any_change_fails(query in "[a-zA-Z0-9=&%._-]{0,60}", flip in 0usize..64) {
        let policy = ChecksumPolicy::new(vec!["s".into()], vec![Algorithm::Sha256]);
        let checksum = sign(Algorithm::Sha256, "join", &query, "s");
        prop_assert!(policy.verify("join", &[&query], &checksum));
        let mut wrong = checksum.into_bytes();
        let at = flip % wrong.len();
        wrong[at] = if wrong[at] == b'0' { b'1' } else { b'0' };
        prop_assert!(!policy.verify("join", &[&query], &String::from_utf8(wrong).unwrap()));
    }

    #[test]
    fn bbb_answers_parse_or_are_refused(answer in xmlish()) {
        let _ = parse_meetings(answer.as_bytes());
        let _ = Status::parse(answer.as_bytes());
        let _ = bbb_version(answer.as_bytes());
    }

    #[test]
    fn noise_from_bbb_is_refused(answer in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = parse_meetings(&answer);
        prop_assert!(Status::parse(&answer).is_none_or(|status| !status.returncode.is_empty()));
    }

    #[test]
    fn written_xml_reads_back_whatever_went_in(key in ".{0,20}", message in ".{0,80}") {
        let document = XmlResponse::failed(&key, &message).finish();
        let text = String::from_utf8(document).unwrap();
        let mut reader = quick_xml::Reader::from_str(&text);
        loop {
            match reader.read_event() {
                Ok(quick_xml::events::Event::Eof) => break,
                Ok(_) => {}
                Err(error) => prop_assert!(false, "{error}: {text:?}"),
            }
        }
    }
}
