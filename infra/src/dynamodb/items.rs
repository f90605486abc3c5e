//! Attribute values to and from domain objects.

use std::collections::HashMap;
use std::str::FromStr;

use aws_sdk_dynamodb::types::AttributeValue;
use scalelite_shared::model::{Meeting, PlaybackFormat, Recording, Server, ServerState, ServerStats, Thumbnail};

pub(crate) type Item = HashMap<String, AttributeValue>;

pub(crate) fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

pub(crate) fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

pub(crate) fn get_s(item: &Item, name: &str) -> Option<String> {
    item.get(name).and_then(|v| v.as_s().ok()).cloned()
}

pub(crate) fn get_n<T: FromStr>(item: &Item, name: &str) -> Option<T> {
    item.get(name).and_then(|v| v.as_n().ok()).and_then(|v| v.parse().ok())
}

pub(crate) fn get_bool(item: &Item, name: &str) -> bool {
    item.get(name).and_then(|v| v.as_bool().ok()).copied().unwrap_or(false)
}

/// A key of one string attribute.
pub(crate) fn key(name: &str, value: &str) -> Item {
    HashMap::from([(name.to_owned(), s(value))])
}

fn put_opt(item: &mut Item, name: &str, value: Option<AttributeValue>) {
    if let Some(value) = value {
        item.insert(name.to_owned(), value);
    }
}

/// DynamoDB's TTL attribute (seconds since the epoch) for an expiry in milliseconds.
pub(crate) fn ttl(expires_at_ms: i64) -> AttributeValue {
    n(expires_at_ms.saturating_div(1000).saturating_add(1))
}

pub(crate) fn server_item(server: &Server, version: i64) -> Item {
    let mut item = HashMap::from([
        ("id".to_owned(), s(&server.id)),
        ("url".to_owned(), s(&server.url)),
        ("secret".to_owned(), s(&server.secret)),
        ("state".to_owned(), s(server.state.as_str())),
        ("load_multiplier".to_owned(), n(server.load_multiplier)),
        ("online".to_owned(), AttributeValue::Bool(server.online)),
        ("meetings".to_owned(), n(server.stats.meetings)),
        ("users".to_owned(), n(server.stats.users)),
        ("largest_meeting".to_owned(), n(server.stats.largest_meeting)),
        ("videos".to_owned(), n(server.stats.videos)),
        ("healthy_counter".to_owned(), n(server.healthy_counter)),
        ("unhealthy_counter".to_owned(), n(server.unhealthy_counter)),
        ("version".to_owned(), n(version)),
    ]);
    put_opt(&mut item, "tag", server.tag.as_ref().map(s));
    put_opt(&mut item, "load", server.load.map(n));
    put_opt(&mut item, "bbb_version", server.bbb_version.as_ref().map(s));
    put_opt(&mut item, "max_meetings", server.max_meetings.map(n));
    put_opt(&mut item, "max_participants", server.max_participants.map(n));
    let split = server.split_meetings.iter().map(s).collect::<Vec<_>>();
    put_opt(&mut item, "split_meetings", (!split.is_empty()).then_some(AttributeValue::L(split)));
    item
}

/// A server and its version.
pub(crate) fn server(item: &Item) -> Option<(Server, i64)> {
    let server = Server {
        id: get_s(item, "id")?,
        url: get_s(item, "url").unwrap_or_default(),
        secret: get_s(item, "secret").unwrap_or_default(),
        tag: get_s(item, "tag").filter(|t| !t.is_empty()),
        state: get_s(item, "state").and_then(|s| ServerState::parse(&s)).unwrap_or(ServerState::Disabled),
        load: get_n(item, "load"),
        load_multiplier: get_n(item, "load_multiplier").unwrap_or(1.0),
        online: get_bool(item, "online"),
        stats: ServerStats {
            meetings: get_n(item, "meetings").unwrap_or(0),
            users: get_n(item, "users").unwrap_or(0),
            largest_meeting: get_n(item, "largest_meeting").unwrap_or(0),
            videos: get_n(item, "videos").unwrap_or(0),
        },
        bbb_version: get_s(item, "bbb_version"),
        healthy_counter: get_n(item, "healthy_counter").unwrap_or(0),
        unhealthy_counter: get_n(item, "unhealthy_counter").unwrap_or(0),
        split_meetings: item
            .get("split_meetings")
            .and_then(|v| v.as_l().ok())
            .map(|list| list.iter().filter_map(|v| v.as_s().ok().cloned()).collect())
            .unwrap_or_default(),
        max_meetings: get_n(item, "max_meetings"),
        max_participants: get_n(item, "max_participants"),
    };
    Some((server, get_n(item, "version").unwrap_or(0)))
}

pub(crate) fn meeting_item(meeting: &Meeting) -> Item {
    let mut item = HashMap::from([
        ("id".to_owned(), s(&meeting.id)),
        ("server_id".to_owned(), s(&meeting.server_id)),
        ("moderator_pw".to_owned(), s(&meeting.moderator_pw)),
        ("voice_bridge".to_owned(), s(&meeting.voice_bridge)),
        ("tenant_id".to_owned(), s(&meeting.tenant_id)),
        ("reserved_load".to_owned(), n(meeting.reserved_load)),
        ("created_at_ms".to_owned(), n(meeting.created_at_ms)),
        ("expires_at_ms".to_owned(), n(meeting.expires_at_ms)),
        ("ttl".to_owned(), ttl(meeting.expires_at_ms)),
        ("create_sent_at_ms".to_owned(), n(meeting.create_sent_at_ms)),
        ("participants".to_owned(), n(meeting.participants)),
    ]);
    put_opt(&mut item, "confirmed_at_ms", meeting.confirmed_at_ms.map(n));
    item
}

/// A meeting, expired or not.
pub(crate) fn meeting(item: &Item) -> Option<Meeting> {
    Some(Meeting {
        id: get_s(item, "id")?,
        server_id: get_s(item, "server_id")?,
        moderator_pw: get_s(item, "moderator_pw").unwrap_or_default(),
        voice_bridge: get_s(item, "voice_bridge").unwrap_or_default(),
        tenant_id: get_s(item, "tenant_id").unwrap_or_default(),
        reserved_load: get_n(item, "reserved_load").unwrap_or(0.0),
        created_at_ms: get_n(item, "created_at_ms").unwrap_or(0),
        expires_at_ms: get_n(item, "expires_at_ms").unwrap_or(0),
        create_sent_at_ms: get_n(item, "create_sent_at_ms").or_else(|| get_n(item, "created_at_ms")).unwrap_or(0),
        confirmed_at_ms: get_n(item, "confirmed_at_ms"),
        participants: get_n(item, "participants").unwrap_or(0),
    })
}

fn thumbnail_value(thumbnail: &Thumbnail) -> AttributeValue {
    let mut item =
        HashMap::from([("url".to_owned(), s(&thumbnail.url)), ("sequence".to_owned(), n(thumbnail.sequence))]);
    put_opt(&mut item, "width", thumbnail.width.map(n));
    put_opt(&mut item, "height", thumbnail.height.map(n));
    put_opt(&mut item, "alt", thumbnail.alt.as_ref().map(s));
    AttributeValue::M(item)
}

fn thumbnail(item: &Item) -> Thumbnail {
    Thumbnail {
        url: get_s(item, "url").unwrap_or_default(),
        width: get_n(item, "width"),
        height: get_n(item, "height"),
        alt: get_s(item, "alt"),
        sequence: get_n(item, "sequence").unwrap_or(0),
    }
}

fn format_value(format: &PlaybackFormat) -> AttributeValue {
    let mut item = HashMap::from([
        ("format".to_owned(), s(&format.format)),
        ("url".to_owned(), s(&format.url)),
        ("thumbnails".to_owned(), AttributeValue::L(format.thumbnails.iter().map(thumbnail_value).collect())),
    ]);
    put_opt(&mut item, "length", format.length.map(n));
    put_opt(&mut item, "processing_time", format.processing_time.map(n));
    AttributeValue::M(item)
}

fn maps(item: &Item, name: &str) -> Vec<Item> {
    item.get(name)
        .and_then(|v| v.as_l().ok())
        .map(|list| list.iter().filter_map(|v| v.as_m().ok()).cloned().collect())
        .unwrap_or_default()
}

fn format(item: &Item) -> PlaybackFormat {
    PlaybackFormat {
        format: get_s(item, "format").unwrap_or_default(),
        url: get_s(item, "url").unwrap_or_default(),
        length: get_n(item, "length"),
        processing_time: get_n(item, "processing_time"),
        thumbnails: maps(item, "thumbnails").iter().map(thumbnail).collect(),
    }
}

pub(crate) fn recording_item(recording: &Recording, version: i64) -> Item {
    let metadata = recording.metadata.iter().map(|(k, v)| (k.clone(), s(v))).collect();
    let mut item = HashMap::from([
        ("record_id".to_owned(), s(&recording.record_id)),
        ("published".to_owned(), AttributeValue::Bool(recording.published)),
        ("protected".to_owned(), AttributeValue::Bool(recording.protected)),
        ("publish_updated".to_owned(), AttributeValue::Bool(recording.publish_updated)),
        ("metadata".to_owned(), AttributeValue::M(metadata)),
        ("formats".to_owned(), AttributeValue::L(recording.formats.iter().map(format_value).collect())),
        ("version".to_owned(), n(version)),
    ]);
    // An index key may not be an empty string: a recording without a meetingID stays out of `by_meeting`.
    put_opt(&mut item, "meeting_id", Some(&recording.meeting_id).filter(|m| !m.is_empty()).map(s));
    put_opt(&mut item, "name", recording.name.as_ref().map(s));
    put_opt(&mut item, "participants", recording.participants.map(n));
    put_opt(&mut item, "state", recording.state.as_ref().map(s));
    put_opt(&mut item, "start_time_ms", recording.start_time_ms.map(n));
    put_opt(&mut item, "end_time_ms", recording.end_time_ms.map(n));
    item
}

/// A recording and its version.
pub(crate) fn recording(item: &Item) -> Option<(Recording, i64)> {
    let metadata = item
        .get("metadata")
        .and_then(|v| v.as_m().ok())
        .map(|m| m.iter().filter_map(|(k, v)| Some((k.clone(), v.as_s().ok()?.clone()))).collect())
        .unwrap_or_default();
    let recording = Recording {
        record_id: get_s(item, "record_id")?,
        meeting_id: get_s(item, "meeting_id").unwrap_or_default(),
        name: get_s(item, "name"),
        published: get_bool(item, "published"),
        participants: get_n(item, "participants"),
        state: get_s(item, "state"),
        start_time_ms: get_n(item, "start_time_ms"),
        end_time_ms: get_n(item, "end_time_ms"),
        protected: get_bool(item, "protected"),
        publish_updated: get_bool(item, "publish_updated"),
        metadata,
        formats: maps(item, "formats").iter().map(format).collect(),
    };
    Some((recording, get_n(item, "version").unwrap_or(0)))
}
