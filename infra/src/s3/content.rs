//! The headers a recording file is stored with: its content type from the extension, and
//! `Content-Disposition: attachment` for the files browsers should download (`.pdf`, `.ogg`), as upstream.

use std::path::Path;

/// Extensions of files offered as downloads.
const ATTACHMENTS: &[&str] = &["pdf", "ogg"];

/// The content type of a file, `application/octet-stream` when the extension says nothing.
pub fn content_type(path: &Path) -> String {
    mime_guess::from_path(path).first_or_octet_stream().essence_str().to_owned()
}

/// `Some("attachment")` for a file that should be downloaded rather than shown.
pub fn disposition(path: &Path) -> Option<&'static str> {
    let extension = path.extension()?.to_str()?.to_ascii_lowercase();
    ATTACHMENTS.contains(&extension.as_str()).then_some("attachment")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_and_downloads() {
        assert_eq!(content_type(Path::new("a/metadata.xml")), "text/xml");
        assert_eq!(content_type(Path::new("video/webcams.webm")), "video/webm");
        assert_eq!(content_type(Path::new("x/no-extension")), "application/octet-stream");
        assert_eq!(disposition(Path::new("notes/notes.PDF")), Some("attachment"));
        assert_eq!(disposition(Path::new("podcast/audio.ogg")), Some("attachment"));
        assert_eq!(disposition(Path::new("presentation/index.html")), None);
    }
}
