//! Reading BBB answers: the `returncode` status, and the `<meeting>` elements of getMeetings with their counts.

use std::ops::Range;

use quick_xml::Reader;
use quick_xml::events::Event;
use serde::Deserialize;

/// The status part of any BBB answer.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
pub struct Status {
    #[serde(default)]
    pub returncode: String,
    #[serde(rename = "messageKey", default)]
    pub message_key: String,
    #[serde(default)]
    pub message: String,
}

impl Status {
    /// Parses the status of a BBB answer; `None` when the body is not such a document.
    pub fn parse(body: &[u8]) -> Option<Self> {
        let text = std::str::from_utf8(body).ok()?;
        quick_xml::de::from_str::<Status>(text).ok().filter(|s| !s.returncode.is_empty())
    }

    pub fn is_success(&self) -> bool {
        self.returncode == "SUCCESS"
    }
}

#[derive(Deserialize)]
struct IndexAnswer {
    #[serde(rename = "bbbVersion", default)]
    bbb_version: Option<String>,
}

/// The `bbbVersion` of an API root answer (BBB reveals it only with `allowRevealOfBBBVersion`).
pub fn bbb_version(body: &[u8]) -> Option<String> {
    let answer: IndexAnswer = quick_xml::de::from_str(std::str::from_utf8(body).ok()?).ok()?;
    answer.bbb_version.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

/// One `<meeting>` of a getMeetings answer: where it stands in the document and what the poller counts.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MeetingEntry {
    /// Byte range of the whole `<meeting>…</meeting>` element in the answer.
    pub span: Range<usize>,
    pub meeting_id: String,
    pub participant_count: u64,
    pub attendees: u64,
    pub video_count: u64,
    pub is_breakout: bool,
    pub create_time_ms: u64,
    pub tenant_id: Option<String>,
    pub voice_bridge: String,
    pub moderator_pw: String,
}

#[derive(Default, Deserialize)]
struct Fields {
    #[serde(rename = "meetingID", default)]
    meeting_id: String,
    #[serde(rename = "participantCount", default)]
    participant_count: Option<String>,
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

/// The meetings of a getMeetings answer; `None` when the document cannot be read.
pub fn parse_meetings(body: &[u8]) -> Option<Vec<MeetingEntry>> {
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

#[cfg(test)]
mod tests {
    use super::*;

    const ANSWER: &str = "<response><returncode>SUCCESS</returncode><meetings>\
        <meeting><meetingID>a&amp;b</meetingID><createTime>1700000000000</createTime>\
        <voiceBridge>71234</voiceBridge><moderatorPW>mp</moderatorPW>\
        <participantCount>2</participantCount><videoCount>1</videoCount><isBreakout>false</isBreakout>\
        <attendees><attendee><userID>u1</userID></attendee><attendee><userID>u2</userID></attendee></attendees>\
        <metadata><tenant-id>t1</tenant-id></metadata></meeting>\
        <meeting><meetingID>c</meetingID><participantCount></participantCount><attendees/><metadata/></meeting>\
        </meetings></response>";

    #[test]
    fn reads_meetings_and_their_spans() {
        let meetings = parse_meetings(ANSWER.as_bytes()).unwrap();
        assert_eq!(meetings.len(), 2);
        assert_eq!(meetings[0].meeting_id, "a&b");
        assert_eq!(meetings[0].attendees, 2);
        assert_eq!(meetings[0].participant_count, 2);
        assert_eq!(meetings[0].video_count, 1);
        assert_eq!(meetings[0].tenant_id.as_deref(), Some("t1"));
        assert_eq!((meetings[0].voice_bridge.as_str(), meetings[0].moderator_pw.as_str()), ("71234", "mp"));
        assert!(ANSWER[meetings[1].span.clone()].starts_with("<meeting><meetingID>c<"));
        assert!(ANSWER[meetings[1].span.clone()].ends_with("</meeting>"));
        assert_eq!(meetings[1].participant_count, 0);
        assert_eq!(meetings[1].tenant_id, None);
    }

    #[test]
    fn reads_the_bbb_version() {
        let answer = b"<response><returncode>SUCCESS</returncode><version>2.0</version><bbbVersion>3.0.4</bbbVersion></response>";
        assert_eq!(bbb_version(answer).as_deref(), Some("3.0.4"));
        assert_eq!(bbb_version(b"<response><returncode>SUCCESS</returncode></response>"), None);
    }

    #[test]
    fn reads_status() {
        let status = Status::parse(
            b"<response><returncode>FAILED</returncode><messageKey>k</messageKey><message>m</message></response>",
        )
        .unwrap();
        assert_eq!((status.returncode.as_str(), status.message_key.as_str()), ("FAILED", "k"));
        assert!(Status::parse(b"\xff\xfe").is_none());
        assert!(Status::parse(b"<html>oops</html>").is_none());
    }

    #[test]
    fn empty_and_garbage_lists() {
        let empty = b"<response><returncode>SUCCESS</returncode><meetings/></response>";
        assert_eq!(parse_meetings(empty).unwrap().len(), 0);
        // A cut-off answer has no complete meeting to report.
        assert_eq!(parse_meetings(b"<response><meetings><meeting><meetingID>x</meetingID>"), Some(Vec::new()));
        assert_eq!(parse_meetings(b"<response><meetings><meeting></oops></meeting></meetings></response>"), None);
    }
}
