//! The getRecordings answer, element for element as upstream writes it.

use crate::bbb::xml::XmlResponse;
use crate::model::{PlaybackFormat, Recording};

/// True for metadata keys that can be written as an XML element name.
pub fn valid_meta_key(key: &str) -> bool {
    let mut bytes = key.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

/// How getRecordings shows links: `origin` (`scheme://host[:port]`) before stored paths, and the playback URL
/// of each format (a token link for protected recordings).
pub struct Links<'a> {
    pub origin: &'a str,
    /// Whether `<protected>` is shown (protected recordings are enabled).
    pub show_protected: bool,
    pub playback_url: &'a dyn Fn(&Recording, &PlaybackFormat) -> String,
}

fn format(response: &mut XmlResponse, recording: &Recording, format: &PlaybackFormat, links: &Links<'_>) {
    response.start("format");
    response.element("type", &format.format);
    response.element("url", &(links.playback_url)(recording, format));
    let mut number = itoa::Buffer::new();
    response.element("length", number.format(format.length.unwrap_or(0)));
    if let Some(time) = format.processing_time {
        response.element("processingTime", number.format(time));
    }
    let hidden = recording.protected && links.show_protected;
    if !hidden && !format.thumbnails.is_empty() {
        response.start("preview").start("images");
        for thumbnail in &format.thumbnails {
            let (mut width, mut height) = (itoa::Buffer::new(), itoa::Buffer::new());
            let width = thumbnail.width.map(|w| width.format(w)).unwrap_or_default();
            let height = thumbnail.height.map(|h| height.format(h)).unwrap_or_default();
            let alt = thumbnail.alt.as_deref().unwrap_or_default();
            response.start_with("image", &[("alt", alt), ("width", width), ("height", height)]);
            response.text(&format!("{}{}", links.origin, thumbnail.url));
            response.end("image");
        }
        response.end("images").end("preview");
    }
    response.end("format");
}

fn recording(response: &mut XmlResponse, recording: &Recording, links: &Links<'_>) {
    response.start("recording");
    response.element("recordID", &recording.record_id);
    response.element("meetingID", &recording.meeting_id);
    response.element("internalMeetingID", &recording.record_id);
    response.element("name", recording.name.as_deref().unwrap_or_default());
    response.element("published", if recording.published { "true" } else { "false" });
    if links.show_protected {
        response.element("protected", if recording.protected { "true" } else { "false" });
    }
    if let Some(state) = &recording.state {
        response.element("state", state);
    }
    let mut number = itoa::Buffer::new();
    response.element("startTime", number.format(recording.start_time_ms.unwrap_or(0)));
    response.element("endTime", number.format(recording.end_time_ms.unwrap_or(0)));
    if let Some(participants) = recording.participants {
        response.element("participants", number.format(participants));
    }
    response.start("metadata");
    for (key, value) in recording.metadata.iter().filter(|(key, _)| valid_meta_key(key)) {
        if value.is_empty() {
            response.start(key).cdata("").end(key);
        } else {
            response.element(key, value);
        }
    }
    response.end("metadata");
    response.start("playback");
    for playback in &recording.formats {
        format(response, recording, playback, links);
    }
    response.end("playback");
    response.end("recording");
}

/// The whole getRecordings document; `noRecordings` when the list is empty.
pub fn recordings_document(recordings: &[Recording], links: &Links<'_>) -> Vec<u8> {
    let mut response = XmlResponse::success();
    if recordings.is_empty() {
        response.empty("recordings");
        response.element("messageKey", "noRecordings");
        response.element("message", "There are not recordings for the meetings");
        return response.finish();
    }
    // About a kilobyte a recording, so the document is not copied as it grows.
    response.reserve(recordings.len() * 1024);
    response.start("recordings");
    for item in recordings {
        recording(&mut response, item, links);
    }
    response.end("recordings");
    response.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Thumbnail;

    fn links<'a>(url: &'a dyn Fn(&Recording, &PlaybackFormat) -> String) -> Links<'a> {
        Links { origin: "https://lb.example", show_protected: false, playback_url: url }
    }

    #[test]
    fn writes_upstream_shape() {
        let recording = Recording {
            record_id: "r1".into(),
            meeting_id: "m<1>".into(),
            name: Some("A & B".into()),
            published: true,
            state: Some("published".into()),
            start_time_ms: Some(1),
            end_time_ms: Some(2),
            participants: Some(3),
            metadata: [
                ("origin".to_owned(), "gl".to_owned()),
                ("empty".to_owned(), String::new()),
                ("bad key".to_owned(), "x".to_owned()),
            ]
            .into_iter()
            .collect(),
            formats: vec![PlaybackFormat {
                format: "presentation".into(),
                url: "/playback/presentation/2.3/r1".into(),
                length: Some(5),
                processing_time: None,
                thumbnails: vec![Thumbnail {
                    url: "/t.png".into(),
                    width: Some(1),
                    height: Some(2),
                    alt: Some("a\"b".into()),
                    sequence: 0,
                }],
            }],
            ..Recording::default()
        };
        let url = |_: &Recording, f: &PlaybackFormat| format!("https://lb.example{}", f.url);
        let xml = String::from_utf8(recordings_document(&[recording], &links(&url))).unwrap();
        assert_eq!(
            xml,
            "<response><returncode>SUCCESS</returncode><recordings><recording><recordID>r1</recordID>\
             <meetingID>m&lt;1&gt;</meetingID><internalMeetingID>r1</internalMeetingID><name>A &amp; B</name>\
             <published>true</published><state>published</state><startTime>1</startTime><endTime>2</endTime>\
             <participants>3</participants><metadata><empty><![CDATA[]]></empty><origin>gl</origin></metadata>\
             <playback><format><type>presentation</type><url>https://lb.example/playback/presentation/2.3/r1</url>\
             <length>5</length><preview><images><image alt=\"a&quot;b\" width=\"1\" height=\"2\">https://lb.example/t.png</image>\
             </images></preview></format></playback></recording></recordings></response>"
        );
    }

    #[test]
    fn empty_list_says_no_recordings() {
        let url = |_: &Recording, _: &PlaybackFormat| String::new();
        let xml = String::from_utf8(recordings_document(&[], &links(&url))).unwrap();
        assert_eq!(
            xml,
            "<response><returncode>SUCCESS</returncode><recordings/><messageKey>noRecordings</messageKey>\
             <message>There are not recordings for the meetings</message></response>"
        );
    }
}
