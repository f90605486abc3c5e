//! Property tests of what BBB servers send as files: any metadata.xml or tar gives a recording or the
//! documented refusal, never a panic, and no accepted tar entry climbs out.

use proptest::prelude::*;

use super::extract::entries_under;
use super::metadata::parse_metadata;

fn metadata_like() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just("<recording>".to_owned()),
            Just("</recording>".to_owned()),
            Just("<id>r-1</id>".to_owned()),
            Just("<meta>".to_owned()),
            Just("</meta>".to_owned()),
            Just("<meetingId>m</meetingId>".to_owned()),
            Just("<playback><format>presentation</format><link>/p</link></playback>".to_owned()),
            Just("<start_time>".to_owned()),
            Just("</start_time>".to_owned()),
            Just("<participants>99999999999999999999999</participants>".to_owned()),
            "[a-z0-9 <>/&;=\"'\\x00-\\x1f]{0,8}",
        ],
        0..30,
    )
    .prop_map(|parts| parts.concat())
}

/// A tar of one entry whose raw name is chosen by the test.
fn tar_with(name: &[u8]) -> Vec<u8> {
    let mut header = tar::Header::new_gnu();
    let length = name.len().min(100);
    header.as_old_mut().name[..length].copy_from_slice(&name[..length]);
    header.set_entry_type(tar::EntryType::Regular);
    header.set_size(0);
    header.set_cksum();
    let mut builder = tar::Builder::new(Vec::new());
    builder.append(&header, std::io::empty()).unwrap();
    builder.into_inner().unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn metadata_parses_or_is_refused(xml in metadata_like()) {
        let _ = parse_metadata(xml.as_bytes());
    }

    #[test]
    fn metadata_noise_is_refused(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = parse_metadata(&bytes);
    }

    #[test]
    fn tar_noise_is_refused(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = entries_under(bytes.as_slice(), "r-1");
    }

    #[test]
    fn accepted_entries_stay_under_the_recording(name in "[a-z./\\\\-]{0,40}") {
        if entries_under(tar_with(name.as_bytes()).as_slice(), "r-1").is_ok() {
            let parts: Vec<&str> = name.split('/').filter(|p| !p.is_empty() && *p != ".").collect();
            prop_assert!(parts.len() >= 2 && parts[1] == "r-1" && !parts.contains(&".."), "{name}");
        }
    }
}
