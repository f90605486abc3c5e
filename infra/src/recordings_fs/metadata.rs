//! Reads a recording's metadata.xml into a `Recording`: the `recording/id` + `meta` form that upstream
//! reads, and the `recording/meeting` attribute form, which fills what the first one lacks.

use std::collections::BTreeMap;

use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, XmlVersion};
use scalelite_shared::model::{PlaybackFormat, RECORDING_STATES, Recording, Thumbnail};

/// BBB's own meta keys, kept in columns rather than metadata.
const OWN_KEYS: &[&str] = &["isBreakout", "meetingId", "meetingName"];

/// Why a metadata.xml was refused.
#[derive(Debug, PartialEq, thiserror::Error)]
pub enum MetadataError {
    #[error("metadata.xml is not well-formed XML: {0}")]
    Xml(String),
    #[error("metadata.xml has no recording id")]
    NoRecordId,
    #[error("recording id {0:?} is not a safe directory name")]
    UnsafeRecordId(String),
    #[error("metadata.xml has no meeting id")]
    NoMeetingId,
    #[error("metadata.xml has no playback format")]
    NoFormat,
    #[error("playback format {0:?} is not a safe directory name")]
    UnsafeFormat(String),
    #[error("state {0:?} is not a recording state")]
    BadState(String),
}

/// True for names that are safe as one directory level: letters, digits, `.`, `_`, `-`, and not `.`/`..`.
pub fn safe_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && name != "."
        && name != ".."
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// The path and query of a link, with scheme and host dropped (upstream stores the request URI).
fn request_uri(link: &str) -> String {
    let link: String = link.split_whitespace().collect();
    match url::Url::parse(&link) {
        Ok(url) => match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        },
        Err(_) => link,
    }
}

fn attribute(start: &BytesStart<'_>, name: &str) -> Option<String> {
    start
        .attributes()
        .flatten()
        .find(|a| a.key.into_inner() == name)
        .and_then(|a| a.normalized_value(XmlVersion::Implicit1_0).ok())
        .map(|v| v.into_owned())
}

fn number<T: std::str::FromStr>(text: &str) -> Option<T> {
    text.trim().parse().ok()
}

/// What the parser gathers before it decides.
#[derive(Default)]
struct Gathered {
    id: Option<String>,
    attributes_id: Option<String>,
    external_id: Option<String>,
    attributes_name: Option<String>,
    published: bool,
    participants: Option<i32>,
    state: Option<String>,
    start: Option<i64>,
    end: Option<i64>,
    meta: BTreeMap<String, String>,
    meta_meeting_id: Option<String>,
    meta_name: Option<String>,
    format: Option<String>,
    link: Option<String>,
    duration_ms: Option<f64>,
    thumbnails: Vec<Thumbnail>,
    /// The attributes of the `<image>` being read.
    image: Option<Thumbnail>,
}

impl Gathered {
    fn element_start(&mut self, path: &[String], start: &BytesStart<'_>) {
        // A metadata key is kept even when it has no text (`<key/>` or `<key></key>`), as upstream keeps it.
        if path.len() == 3 && path[0] == "recording" && path[1] == "meta" && !OWN_KEYS.contains(&path[2].as_str()) {
            self.meta.entry(path[2].clone()).or_default();
        }
        match path_str(path).as_str() {
            "recording/meeting" => {
                self.attributes_id = attribute(start, "id");
                self.external_id = attribute(start, "externalId");
                self.attributes_name = attribute(start, "name");
            }
            "recording/playback/extensions/preview/images/image" => {
                self.image = Some(Thumbnail {
                    width: attribute(start, "width").and_then(|w| number(&w)),
                    height: attribute(start, "height").and_then(|h| number(&h)),
                    alt: attribute(start, "alt"),
                    sequence: i32::try_from(self.thumbnails.len()).unwrap_or(i32::MAX),
                    url: String::new(),
                });
            }
            _ => {}
        }
    }

    fn text(&mut self, path: &[String], text: String) {
        if path.len() == 3 && path[0] == "recording" && path[1] == "meta" {
            if !OWN_KEYS.contains(&path[2].as_str()) {
                self.meta.entry(path[2].clone()).or_default().push_str(&text);
            }
            match path[2].as_str() {
                "meetingId" => self.meta_meeting_id.get_or_insert_default().push_str(&text),
                "meetingName" => self.meta_name.get_or_insert_default().push_str(&text),
                _ => {}
            }
            return;
        }
        match path_str(path).as_str() {
            "recording/id" => self.id = Some(text.trim().to_owned()),
            "recording/published" => self.published = text.trim() == "true",
            "recording/participants" => self.participants = number(&text),
            "recording/state" => self.state = Some(text.trim().to_owned()),
            "recording/start_time" => self.start = number(&text),
            "recording/end_time" => self.end = number(&text),
            "recording/playback/format" => self.format = Some(text.trim().to_owned()),
            "recording/playback/link" => self.link = Some(text),
            "recording/playback/duration" => self.duration_ms = number(&text),
            "recording/playback/extensions/preview/images/image" => {
                if let Some(image) = &mut self.image {
                    image.url.push_str(&text);
                }
            }
            _ => {}
        }
    }

    fn element_end(&mut self, path: &[String]) {
        if path_str(path) == "recording/playback/extensions/preview/images/image"
            && let Some(mut image) = self.image.take()
        {
            image.url = request_uri(&image.url);
            self.thumbnails.push(image);
        }
    }

    fn into_recording(self) -> Result<Recording, MetadataError> {
        let meta_meeting_id = self.meta_meeting_id.map(|m| m.trim().to_owned());
        let meta_name = self.meta_name;
        let record_id = self.id.filter(|id| !id.is_empty()).or(self.attributes_id).ok_or(MetadataError::NoRecordId)?;
        if !safe_name(&record_id) {
            return Err(MetadataError::UnsafeRecordId(record_id));
        }
        let meeting_id =
            meta_meeting_id.filter(|m| !m.is_empty()).or(self.external_id).ok_or(MetadataError::NoMeetingId)?;
        let format = self.format.filter(|f| !f.is_empty()).ok_or(MetadataError::NoFormat)?;
        if !safe_name(&format) {
            return Err(MetadataError::UnsafeFormat(format));
        }
        let state = match self.state.as_deref() {
            None | Some("") => None,
            // A screenshare bug writes "available"; upstream reads it as published.
            Some("available") => Some("published".to_owned()),
            Some(state) if RECORDING_STATES.contains(&state) => Some(state.to_owned()),
            Some(other) => return Err(MetadataError::BadState(other.to_owned())),
        };
        let length = self.duration_ms.map(|ms| (ms / 60_000.0).round() as i32);
        Ok(Recording {
            record_id,
            meeting_id,
            name: meta_name.or(self.attributes_name),
            published: self.published,
            participants: self.participants,
            state,
            start_time_ms: self.start,
            end_time_ms: self.end,
            metadata: self.meta,
            formats: vec![PlaybackFormat {
                format,
                url: self.link.as_deref().map(request_uri).unwrap_or_default(),
                length,
                processing_time: None,
                thumbnails: self.thumbnails,
            }],
            ..Recording::default()
        })
    }
}

fn path_str(path: &[String]) -> String {
    path.join("/")
}

/// Parses a metadata.xml document.
pub fn parse_metadata(xml: &[u8]) -> Result<Recording, MetadataError> {
    let mut reader = Reader::from_reader(xml);
    let mut path: Vec<String> = Vec::new();
    let mut gathered = Gathered::default();
    let mut buf = Vec::new();
    loop {
        let event = reader.read_event_into(&mut buf).map_err(|e| MetadataError::Xml(e.to_string()))?;
        match event {
            Event::Start(start) => {
                path.push(start.name().into_inner().to_owned());
                if path.len() > 32 {
                    return Err(MetadataError::Xml("nested too deeply".into()));
                }
                gathered.element_start(&path, &start);
            }
            Event::Empty(start) => {
                path.push(start.name().into_inner().to_owned());
                gathered.element_start(&path, &start);
                gathered.element_end(&path);
                path.pop();
            }
            Event::End(_) => {
                gathered.element_end(&path);
                path.pop();
            }
            Event::Text(text) => {
                gathered.text(&path, text.xml10_content().into_owned());
            }
            Event::GeneralRef(reference) => {
                let name = reference.to_string();
                let resolved = match name.as_str() {
                    "amp" => "&".to_owned(),
                    "lt" => "<".to_owned(),
                    "gt" => ">".to_owned(),
                    "quot" => "\"".to_owned(),
                    "apos" => "'".to_owned(),
                    _ => reference
                        .resolve_char_ref()
                        .ok()
                        .flatten()
                        .map(String::from)
                        .ok_or_else(|| MetadataError::Xml(format!("unknown entity &{name};")))?,
                };
                gathered.text(&path, resolved);
            }
            Event::CData(data) => gathered.text(&path, data.xml10_content().into_owned()),
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    gathered.into_recording()
}

#[cfg(test)]
mod tests {
    use super::*;

    const UPSTREAM_FORM: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<recording>
  <id>abc-1554230749920</id>
  <state>available</state>
  <published>true</published>
  <start_time>1554230749920</start_time>
  <end_time>1554230812345</end_time>
  <participants>3</participants>
  <meta>
    <isBreakout>false</isBreakout>
    <meetingId>ext &amp; id</meetingId>
    <meetingName>Maths &lt;1&gt;</meetingName>
    <bbb-origin>greenlight</bbb-origin>
    <empty/>
    <emptykey></emptykey>
  </meta>
  <playback>
    <format>presentation</format>
    <link> https://bbb1.example/playback/presentation/2.3/abc-1554230749920?x=1 </link>
    <processing_time>7177</processing_time>
    <duration>95000</duration>
    <extensions><preview><images>
      <image width="176" height="136" alt="Welcome">https://bbb1.example/presentation/abc/thumb-1.png</image>
      <image width="176" height="136" alt="Two">https://bbb1.example/presentation/abc/thumb-2.png</image>
    </images></preview></extensions>
  </playback>
</recording>"#;

    #[test]
    fn reads_the_upstream_form() {
        let recording = parse_metadata(UPSTREAM_FORM.as_bytes()).unwrap();
        assert_eq!(recording.record_id, "abc-1554230749920");
        assert_eq!(recording.meeting_id, "ext & id");
        assert_eq!(recording.name.as_deref(), Some("Maths <1>"));
        assert!(recording.published);
        assert_eq!(recording.state.as_deref(), Some("published"));
        assert_eq!((recording.start_time_ms, recording.end_time_ms), (Some(1554230749920), Some(1554230812345)));
        assert_eq!(recording.participants, Some(3));
        assert_eq!(
            recording.metadata.into_iter().collect::<Vec<_>>(),
            [
                ("bbb-origin".to_owned(), "greenlight".to_owned()),
                ("empty".to_owned(), String::new()),
                ("emptykey".to_owned(), String::new())
            ]
        );
        let format = &recording.formats[0];
        assert_eq!(format.format, "presentation");
        assert_eq!(format.url, "/playback/presentation/2.3/abc-1554230749920?x=1");
        assert_eq!(format.length, Some(2), "95 s rounds to 2 minutes");
        assert_eq!(format.processing_time, None);
        assert_eq!(format.thumbnails.len(), 2);
        assert_eq!(format.thumbnails[1].url, "/presentation/abc/thumb-2.png");
        assert_eq!((format.thumbnails[1].sequence, format.thumbnails[1].alt.as_deref()), (1, Some("Two")));
    }

    #[test]
    fn reads_the_meeting_attribute_form() {
        let xml = r#"<recording><published>false</published>
            <meeting id="rid-1" externalId="ext-1" name="Room" breakout="false"/>
            <playback><format>video</format><link>https://h/playback/video/rid-1/</link></playback></recording>"#;
        let recording = parse_metadata(xml.as_bytes()).unwrap();
        assert_eq!((recording.record_id.as_str(), recording.meeting_id.as_str()), ("rid-1", "ext-1"));
        assert_eq!(recording.name.as_deref(), Some("Room"));
        assert!(!recording.published);
        assert_eq!(recording.formats[0].url, "/playback/video/rid-1/");
    }

    #[test]
    fn refuses_what_it_cannot_trust() {
        let with = |id: &str, format: &str, state: &str| {
            format!(
                "<recording><id>{id}</id><state>{state}</state><meta><meetingId>m</meetingId></meta>\
                 <playback><format>{format}</format></playback></recording>"
            )
        };
        assert_eq!(
            parse_metadata(with("../x", "presentation", "published").as_bytes()),
            Err(MetadataError::UnsafeRecordId("../x".into()))
        );
        assert_eq!(
            parse_metadata(with("r", "a/b", "published").as_bytes()),
            Err(MetadataError::UnsafeFormat("a/b".into()))
        );
        assert_eq!(parse_metadata(with("r", "p", "weird").as_bytes()), Err(MetadataError::BadState("weird".into())));
        assert!(matches!(
            parse_metadata(b"<recording><id>r</id>"),
            Err(MetadataError::Xml(_)) | Err(MetadataError::NoMeetingId)
        ));
        assert!(parse_metadata(b"\x00\xff binary").is_err());
        assert_eq!(
            parse_metadata(b"<recording><meta><meetingId>m</meetingId></meta></recording>"),
            Err(MetadataError::NoRecordId)
        );
    }
}
