//! Reading BBB answers: the `returncode` status, and the `<meeting>` elements of getMeetings with their counts.
//! An answer that fails [`check`] (a DTD, a character or reference XML forbids) is no answer.

use std::ops::Range;

use quick_xml::Reader;
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesRef, BytesStart, Event};
use quick_xml::name::QName;
use serde::Deserialize;

use crate::bbb::well_formed::check;

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
    /// Parses the status of a BBB answer (the root element's `returncode`, `messageKey` and `message`, each
    /// at most once), skipping over everything else unread; `None` when the body is not such a document.
    pub fn parse(body: &[u8]) -> Option<Self> {
        read_status(body, None)
    }

    pub fn is_success(&self) -> bool {
        self.returncode == "SUCCESS"
    }
}

/// A getMeetings answer read in one pass: its status (as [`Status::parse`] reads it) and the `<meeting>`
/// elements directly under the root's `<meetings>`; `None` when the body is not a BBB answer, or a meeting in it
/// cannot be read.
pub fn parse_get_meetings(body: &[u8]) -> Option<(Status, Vec<MeetingEntry>)> {
    let mut meetings = Vec::new();
    let status = read_status(body, Some(&mut meetings))?;
    Some((status, meetings))
}

/// The status of a BBB answer; with `meetings`, the `<meeting>`s of the root's `<meetings>` are read into it on
/// the way (a meeting that cannot be read makes the answer `None`), else every other child is skipped unread.
fn read_status(body: &[u8], mut meetings: Option<&mut Vec<MeetingEntry>>) -> Option<Status> {
    check(body).ok()?;
    let mut reader = Reader::from_reader(body);
    let mut found: [Option<String>; 3] = Default::default();
    let mut depth = 0usize;
    loop {
        match reader.read_event().ok()? {
            Event::Start(start) if depth == 1 => {
                let slot = match start.name().as_ref() {
                    "returncode" => Some(&mut found[0]),
                    "messageKey" => Some(&mut found[1]),
                    "message" => Some(&mut found[2]),
                    _ => None,
                };
                match (slot, meetings.as_deref_mut()) {
                    (Some(slot), _) if slot.is_some() => return None,
                    (Some(slot), _) => *slot = Some(element_text(&mut reader).ok()?),
                    (None, Some(list)) if start.name().as_ref() == "meetings" => {
                        read_meeting_list(&mut reader, body, list).ok()?;
                    }
                    (None, _) => {
                        reader.read_to_end(start.name()).ok()?;
                    }
                }
            }
            Event::Start(_) => depth += 1,
            // What follows the root element is not read.
            Event::End(_) => break,
            // Text before the root element, but for white space: not a document.
            Event::Text(text) if depth == 0 && !text.xml10_content().trim().is_empty() => return None,
            Event::CData(text) if depth == 0 && !text.xml10_content().trim().is_empty() => return None,
            // The root's own text is not read, but a reference in it must stand for something.
            Event::GeneralRef(reference) => {
                let mut text = String::new();
                resolve(&reference, &mut text).ok()?;
                if depth == 0 && !text.trim().is_empty() {
                    return None;
                }
            }
            // A document cut off inside its root element is no answer.
            Event::Eof if depth > 0 => return None,
            Event::Eof => break,
            _ => {}
        }
    }
    let [returncode, message_key, message] = found.map(Option::unwrap_or_default);
    Some(Status { returncode, message_key, message }).filter(|s| !s.returncode.is_empty())
}

#[derive(Deserialize)]
struct IndexAnswer {
    #[serde(rename = "bbbVersion", default)]
    bbb_version: Option<String>,
}

/// The `bbbVersion` of an API root answer (BBB reveals it only with `allowRevealOfBBBVersion`).
pub fn bbb_version(body: &[u8]) -> Option<String> {
    check(body).ok()?;
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
    /// `voiceParticipantCount`: participants on audio.
    pub voice_count: u64,
    pub video_count: u64,
    pub is_breakout: bool,
    pub create_time_ms: u64,
    pub tenant_id: Option<String>,
    pub voice_bridge: String,
    pub moderator_pw: String,
}

/// Why reading stopped before the end of the document.
enum Stop {
    /// Not well-formed, or not what the element should hold.
    Malformed,
    /// The document ends inside the element (a cut-off answer).
    Cut,
}

impl From<quick_xml::Error> for Stop {
    fn from(_: quick_xml::Error) -> Self {
        Stop::Malformed
    }
}

/// Adds what a character or predefined entity reference stands for to `text`; any other is `Malformed`.
fn resolve(reference: &BytesRef<'_>, text: &mut String) -> Result<(), Stop> {
    match reference.resolve_char_ref().map_err(|_| Stop::Malformed)? {
        Some(character) => text.push(character),
        None => text.push_str(resolve_predefined_entity(reference.as_ref()).ok_or(Stop::Malformed)?),
    }
    Ok(())
}

/// The text of the element just opened, up to its end: text and CDATA, with character and predefined entity
/// references resolved and comments left out. An element inside it is `Malformed`.
fn element_text(reader: &mut Reader<&[u8]>) -> Result<String, Stop> {
    let mut text = String::new();
    loop {
        match reader.read_event()? {
            Event::Text(part) => text.push_str(&part.xml10_content()),
            Event::CData(part) => text.push_str(&part.xml10_content()),
            Event::GeneralRef(reference) => resolve(&reference, &mut text)?,
            Event::End(_) => return Ok(text),
            Event::Start(_) | Event::Empty(_) => return Err(Stop::Malformed),
            Event::Eof => return Err(Stop::Cut),
            _ => {}
        }
    }
}

/// Skips the element just opened (named `name`) to its end.
fn skip(reader: &mut Reader<&[u8]>, name: QName<'_>) -> Result<(), Stop> {
    reader.read_to_end(name).map(drop).map_err(|error| match error {
        quick_xml::Error::IllFormed(quick_xml::errors::IllFormedError::MissingEndTag(_)) => Stop::Cut,
        _ => Stop::Malformed,
    })
}

/// What a `<meeting>` holds, as read: each text field at most once.
#[derive(Default)]
struct Fields {
    text: [Option<String>; 8],
    attendees: Option<u64>,
    tenant_id: Option<Option<String>>,
}

/// The text fields the poller reads, in the order of `Fields::text`.
const TEXT_FIELDS: [&str; 8] = [
    "meetingID",
    "participantCount",
    "voiceParticipantCount",
    "videoCount",
    "isBreakout",
    "createTime",
    "voiceBridge",
    "moderatorPW",
];

/// Reads `element` (opened already) into `fields`; a field given twice is `Malformed`.
fn read_field(
    reader: &mut Reader<&[u8]>,
    fields: &mut Fields,
    element: &BytesStart<'_>,
    empty: bool,
) -> Result<(), Stop> {
    let name = element.name();
    if let Some(index) = TEXT_FIELDS.iter().position(|field| *field == name.as_ref()) {
        if fields.text[index].is_some() {
            return Err(Stop::Malformed);
        }
        fields.text[index] = Some(if empty { String::new() } else { element_text(reader)? });
        return Ok(());
    }
    match name.as_ref() {
        "attendees" if fields.attendees.is_some() => Err(Stop::Malformed),
        "attendees" => {
            fields.attendees = Some(if empty { 0 } else { count_children(reader, "attendee")? });
            Ok(())
        }
        "metadata" if fields.tenant_id.is_some() => Err(Stop::Malformed),
        "metadata" => {
            fields.tenant_id = Some(if empty { None } else { tenant_id(reader)? });
            Ok(())
        }
        _ if empty => Ok(()),
        _ => skip(reader, name),
    }
}

/// How many `<child>` elements the element just opened holds, to its end.
fn count_children(reader: &mut Reader<&[u8]>, child: &str) -> Result<u64, Stop> {
    let mut count = 0;
    loop {
        match reader.read_event()? {
            Event::Start(start) => {
                count += u64::from(start.name().as_ref() == child);
                skip(reader, start.name())?;
            }
            Event::Empty(empty) => count += u64::from(empty.name().as_ref() == child),
            Event::End(_) => return Ok(count),
            Event::Eof => return Err(Stop::Cut),
            _ => {}
        }
    }
}

/// The `<tenant-id>` of the `<metadata>` element just opened, read to its end.
fn tenant_id(reader: &mut Reader<&[u8]>) -> Result<Option<String>, Stop> {
    let mut tenant = None;
    loop {
        match reader.read_event()? {
            Event::Start(start) | Event::Empty(start) if tenant.is_some() && start.name().as_ref() == "tenant-id" => {
                return Err(Stop::Malformed);
            }
            Event::Start(start) if start.name().as_ref() == "tenant-id" => tenant = Some(element_text(reader)?),
            Event::Start(start) => skip(reader, start.name())?,
            Event::Empty(empty) if empty.name().as_ref() == "tenant-id" => tenant = Some(String::new()),
            Event::End(_) => return Ok(tenant),
            Event::Eof => return Err(Stop::Cut),
            _ => {}
        }
    }
}

fn number(text: &Option<String>) -> u64 {
    text.as_deref().and_then(|t| t.trim().parse().ok()).unwrap_or(0)
}

/// After a `<meeting>` (opened at `open_at` in `body`) turned out unreadable: `Malformed` when it closes before
/// the document ends (a whole meeting that cannot be read makes the answer unreadable), `Cut` when the answer
/// is cut off inside it.
fn unreadable_meeting(body: &[u8], open_at: usize) -> Stop {
    let mut reader = Reader::from_reader(&body[open_at..]);
    let mut depth = 0usize;
    loop {
        match reader.read_event() {
            Ok(Event::Start(_)) => depth += 1,
            Ok(Event::End(_)) if depth <= 1 => return Stop::Malformed,
            Ok(Event::End(_)) => depth -= 1,
            Ok(Event::Eof) => return Stop::Cut,
            Err(_) => return Stop::Malformed,
            Ok(_) => {}
        }
    }
}

/// The fields of the `<meeting>` just opened, read to its end.
fn meeting_fields(reader: &mut Reader<&[u8]>) -> Result<Fields, Stop> {
    let mut fields = Fields::default();
    loop {
        match reader.read_event()? {
            Event::Start(element) => read_field(reader, &mut fields, &element, false)?,
            Event::Empty(element) => read_field(reader, &mut fields, &element, true)?,
            Event::End(_) => return Ok(fields),
            Event::Eof => return Err(Stop::Cut),
            _ => {}
        }
    }
}

/// The `<meeting>` just opened at byte `open_at` of `body`, read to its end.
fn read_meeting(reader: &mut Reader<&[u8]>, body: &[u8], open_at: usize) -> Result<MeetingEntry, Stop> {
    let fields = match meeting_fields(reader) {
        Ok(fields) => fields,
        Err(Stop::Malformed) => return Err(unreadable_meeting(body, open_at)),
        Err(Stop::Cut) => return Err(Stop::Cut),
    };
    let end = usize::try_from(reader.buffer_position()).map_err(|_| Stop::Malformed)?;
    let [meeting_id, participant_count, voice_count, video_count, is_breakout, create_time, voice_bridge, moderator_pw] =
        fields.text;
    Ok(MeetingEntry {
        span: open_at..end,
        meeting_id: meeting_id.unwrap_or_default(),
        participant_count: number(&participant_count),
        attendees: fields.attendees.unwrap_or(0),
        voice_count: number(&voice_count),
        video_count: number(&video_count),
        is_breakout: is_breakout.as_deref().is_some_and(|b| b.trim() == "true"),
        create_time_ms: number(&create_time),
        tenant_id: fields.tenant_id.flatten(),
        voice_bridge: voice_bridge.unwrap_or_default().trim().to_owned(),
        moderator_pw: moderator_pw.unwrap_or_default(),
    })
}

/// The `<meetings>` element just opened, read to its end: its `<meeting>` children into `meetings`.
fn read_meeting_list(reader: &mut Reader<&[u8]>, body: &[u8], meetings: &mut Vec<MeetingEntry>) -> Result<(), Stop> {
    let mut depth = 0usize;
    loop {
        let before = usize::try_from(reader.buffer_position()).map_err(|_| Stop::Malformed)?;
        match reader.read_event()? {
            Event::Start(start) if depth == 0 && start.name().as_ref() == "meeting" => {
                meetings.push(read_meeting(reader, body, before)?);
            }
            Event::Start(_) => depth += 1,
            Event::End(_) if depth == 0 => return Ok(()),
            Event::End(_) => depth -= 1,
            Event::Eof => return Err(Stop::Cut),
            _ => {}
        }
    }
}

/// The meetings of a getMeetings answer (the `<meeting>` elements directly under `<response><meetings>`), in one
/// pass; `None` when the document cannot be read. A cut-off answer gives the meetings it holds whole.
pub fn parse_meetings(body: &[u8]) -> Option<Vec<MeetingEntry>> {
    check(body).ok()?;
    let mut reader = Reader::from_reader(body);
    let mut meetings = Vec::new();
    let mut depth = 0usize;
    loop {
        match reader.read_event().ok()? {
            Event::Start(start) if depth == 1 && start.name().as_ref() == "meetings" => {
                match read_meeting_list(&mut reader, body, &mut meetings) {
                    Ok(()) => {}
                    Err(Stop::Cut) => return Some(meetings),
                    Err(Stop::Malformed) => return None,
                }
            }
            Event::Start(_) => depth += 1,
            Event::End(_) => depth = depth.saturating_sub(1),
            Event::Eof => return Some(meetings),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ANSWER: &str = "<response><returncode>SUCCESS</returncode><meetings>\
        <meeting><meetingID>a&amp;b</meetingID><createTime>1700000000000</createTime>\
        <voiceBridge>71234</voiceBridge><moderatorPW>mp</moderatorPW>\
        <participantCount>2</participantCount><voiceParticipantCount>1</voiceParticipantCount>\
        <videoCount>1</videoCount><isBreakout>false</isBreakout>\
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
        assert_eq!((meetings[0].voice_count, meetings[0].video_count), (1, 1));
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
        let with_dtd = b"<!DOCTYPE response><response><returncode>SUCCESS</returncode></response>";
        assert!(Status::parse(with_dtd).is_none(), "a DTD makes it no answer");
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
