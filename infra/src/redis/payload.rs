//! The JSON plans the Lua scripts commit: domain objects with their key names, numbers as strings.

use scalelite_shared::model::{Meeting, Server};
use serde_json::{Value, json};

use super::keys::Keys;

/// A meeting as `write_meeting` and `forget` take it; a meeting of no tenant has no tenant keys (blank).
pub(crate) fn meeting(keys: &Keys, m: &Meeting) -> Value {
    let of_tenant = |key: fn(&Keys, &str) -> String| (!m.tenant_id.is_empty()).then(|| key(keys, &m.tenant_id));
    json!({
        "id": m.id,
        "key": keys.meeting(&m.id),
        "meetings": keys.meetings(),
        "index": keys.server_meetings(&m.server_id),
        "bridges": keys.voice_bridges(),
        "server_id": m.server_id,
        "moderator_pw": m.moderator_pw,
        "voice_bridge": m.voice_bridge,
        "tenant_id": m.tenant_id,
        "tenant_index": of_tenant(Keys::tenant_meetings).unwrap_or_default(),
        "tenant_version": of_tenant(Keys::tenant_version).unwrap_or_default(),
        "reserved_load": m.reserved_load.to_string(),
        "created_at_ms": m.created_at_ms.to_string(),
        "expires_at_ms": m.expires_at_ms.to_string(),
        "create_sent_at_ms": m.create_sent_at_ms.to_string(),
        "confirmed_at_ms": m.confirmed_at_ms.map(|at| at.to_string()).unwrap_or_default(),
        "participants": m.participants.to_string(),
    })
}

/// What a script needs to check that a server is as it was read: its id, the servers set, its change counter.
pub(crate) fn server_check(keys: &Keys, id: &str) -> Value {
    json!({ "id": id, "servers": keys.servers(), "version_key": keys.server_version(id) })
}

/// Every key of server `id`, as `forget_server` takes them (with what [`server_check`] holds).
pub(crate) fn server_keys(keys: &Keys, id: &str) -> Value {
    json!({
        "id": id,
        "key": keys.server(id),
        "servers": keys.servers(),
        "health": keys.health(id),
        "enabled": keys.server_enabled(),
        "server_load": keys.server_load(),
        "cordoned_load": keys.cordoned_server_load(),
        "version_key": keys.server_version(id),
        "split_key": keys.split_meetings(id),
        "index": keys.server_meetings(id),
    })
}

/// A server as `write_server` takes it (with its keys).
pub(crate) fn server(keys: &Keys, s: &Server) -> Value {
    let mut payload = server_keys(keys, &s.id);
    payload.as_object_mut().expect("an object").extend(server_fields(s));
    payload
}

/// A server's fields, numbers as strings.
fn server_fields(s: &Server) -> serde_json::Map<String, Value> {
    let fields = json!({
        "url": s.url,
        "secret": s.secret,
        "tag": s.tag.clone().unwrap_or_default(),
        "state": s.state.as_str(),
        "load_multiplier": s.load_multiplier_text(),
        "online": if s.online { "true" } else { "false" },
        "meetings": s.stats.meetings.to_string(),
        "users": s.stats.users.to_string(),
        "largest_meeting": s.stats.largest_meeting.to_string(),
        "videos": s.stats.videos.to_string(),
        "bbb_version": s.bbb_version.clone().unwrap_or_default(),
        "healthy_counter": s.healthy_counter.to_string(),
        "unhealthy_counter": s.unhealthy_counter.to_string(),
        "load": s.load.map(|l| l.to_string()).unwrap_or_default(),
        "split": serde_json::to_string(&s.split_meetings).unwrap_or_else(|_| "[]".to_owned()),
        "max_meetings": s.max_meetings.map(|max| max.to_string()).unwrap_or_default(),
        "max_participants": s.max_participants.map(|max| max.to_string()).unwrap_or_default(),
    });
    match fields {
        Value::Object(fields) => fields,
        _ => serde_json::Map::new(),
    }
}
