//! Where recording files live in the bucket: `published/<format>/<recordID>/<file>` and
//! `unpublished/<format>/<recordID>/<file>`, as upstream Scalelite's importer names them; BBB's text tracks
//! under `captions/` as in its captions directory (`<recordID>/<file>`, uploads in `inbox/`).

/// The top-level prefix of the published or the unpublished tree.
pub fn tree(published: bool) -> &'static str {
    if published { "published/" } else { "unpublished/" }
}

/// The prefix of one format of a recording (ends with `/`, so `r-1` never matches `r-10`).
pub fn format_prefix(published: bool, format: &str, record_id: &str) -> String {
    format!("{}{format}/{record_id}/", tree(published))
}

/// The key of a file of one format of a recording.
pub fn file_key(published: bool, format: &str, record_id: &str, file: &str) -> String {
    format!("{}{file}", format_prefix(published, format, record_id))
}

/// The key of a file of a recording's text tracks (`captions.json`, `<kind>_<lang>.vtt`).
pub fn text_track_key(record_id: &str, file: &str) -> String {
    format!("captions/{record_id}/{file}")
}

/// The key of an uploaded text track's file waiting for caption processing.
pub fn inbox_key(file: &str) -> String {
    format!("captions/inbox/{file}")
}

/// The same key in the other tree.
pub fn moved(key: &str, published: bool) -> Option<String> {
    key.strip_prefix(tree(!published)).map(|rest| format!("{}{rest}", tree(published)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_of_both_trees() {
        assert_eq!(file_key(true, "presentation", "r-1", "slides/1.png"), "published/presentation/r-1/slides/1.png");
        assert_eq!(format_prefix(false, "video", "r-1"), "unpublished/video/r-1/");
        assert_eq!(moved("unpublished/video/r-1/v.webm", true).as_deref(), Some("published/video/r-1/v.webm"));
        assert_eq!(moved("published/video/r-1/v.webm", true), None, "already there");
    }

    #[test]
    fn keys_of_text_tracks() {
        assert_eq!(text_track_key("r-1", "captions.json"), "captions/r-1/captions.json");
        assert_eq!(inbox_key("r-1-0a-track.txt"), "captions/inbox/r-1-0a-track.txt");
    }
}
