//! Property tests of the parsers that read what clients and BBB servers send: any input gives an answer or
//! the documented refusal, never a panic.

use proptest::prelude::*;

use crate::bbb::checksum::{Algorithm, ChecksumPolicy, sign, strip_checksum};
use crate::bbb::meetings_xml::{Status, bbb_version, parse_meetings};
use crate::bbb::params::Params;
use crate::bbb::xml::XmlResponse;

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

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

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
