//! Property tests of what clients put in URLs and headers: playback paths and upload tokens give an answer
//! or the documented refusal, never a panic, and no accepted path climbs out of its recording.

use percent_encoding::percent_decode_str;
use proptest::prelude::*;

use crate::playback::access::{split_path, stays_on_site};
use crate::recordings::upload_token::{claimed_server, verify};

fn path_like() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just("/".to_owned()),
            Just("..".to_owned()),
            Just(".".to_owned()),
            Just("%2e".to_owned()),
            Just("%2E".to_owned()),
            Just("%2f".to_owned()),
            Just("%2F".to_owned()),
            Just("%5c".to_owned()),
            Just("%00".to_owned()),
            Just("%25".to_owned()),
            Just("\\".to_owned()),
            Just("presentation".to_owned()),
            Just("r-1".to_owned()),
            "[a-z0-9%]{0,4}",
        ],
        0..12,
    )
    .prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn accepted_playback_paths_never_climb(path in path_like()) {
        if let Some((top, record_id)) = split_path(&path) {
            let decoded = percent_decode_str(&path).decode_utf8_lossy().into_owned();
            prop_assert!(!decoded.split(['/', '\\']).any(|s| s == ".." || s == "."), "{path}");
            prop_assert!(!decoded.contains('\0'), "{path}");
            prop_assert!(!top.is_empty() && !record_id.is_empty());
        }
    }

    #[test]
    fn redirects_off_site_are_refused(location in ".{0,40}") {
        if stays_on_site(&location, Some("lb.example")) {
            prop_assert!(location.starts_with('/') && !location.starts_with("//") || location.contains("://lb.example"));
        }
    }

    #[test]
    fn upload_tokens_are_refused_not_crashed(token in ".{0,300}") {
        let _ = claimed_server(&token);
        prop_assert!(verify(&token, "s", "secret").is_err());
    }
}
