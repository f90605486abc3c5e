//! Reading servers and meetings from upstream's hashes.

use std::collections::HashMap;

use scalelite_shared::model::{Meeting, Server, ServerState, ServerStats};

fn count(hash: &HashMap<String, String>, field: &str) -> u64 {
    hash.get(field).and_then(|v| v.parse().ok()).unwrap_or(0)
}

/// What a server is made of in Redis.
pub(crate) struct ServerParts {
    pub hash: HashMap<String, String>,
    pub load: Option<f64>,
    pub cordoned_load: Option<f64>,
    pub in_enabled_set: bool,
    pub health: HashMap<String, String>,
}

/// A server from its parts; a hash without `state` is a legacy server, enabled when in `server_enabled`.
pub(crate) fn server(id: &str, parts: ServerParts) -> Server {
    let hash = &parts.hash;
    let state = match hash.get("state").and_then(|s| ServerState::parse(s)) {
        Some(state) => state,
        None if parts.in_enabled_set => ServerState::Enabled,
        None => ServerState::Disabled,
    };
    let load = match state {
        ServerState::Enabled => parts.load,
        ServerState::Cordoned => parts.cordoned_load,
        ServerState::Disabled => None,
    };
    Server {
        id: id.to_owned(),
        url: hash.get("url").cloned().unwrap_or_default(),
        secret: hash.get("secret").cloned().unwrap_or_default(),
        tag: hash.get("tag").filter(|t| !t.is_empty()).cloned(),
        state,
        load,
        load_multiplier: hash
            .get("load_multiplier")
            .and_then(|m| m.parse().ok())
            .filter(|m: &f64| *m != 0.0)
            .unwrap_or(1.0),
        online: hash.get("online").is_some_and(|o| o == "true"),
        stats: ServerStats {
            meetings: count(hash, "meetings"),
            users: count(hash, "users"),
            largest_meeting: count(hash, "largest_meeting"),
            videos: count(hash, "videos"),
        },
        bbb_version: hash.get("bbb_version").filter(|v| !v.is_empty()).cloned(),
        healthy_counter: u32::try_from(count(&parts.health, "healthy_counter")).unwrap_or(u32::MAX),
        unhealthy_counter: u32::try_from(count(&parts.health, "unhealthy_counter")).unwrap_or(u32::MAX),
        split_meetings: Vec::new(),
        max_meetings: hash.get("max_meetings").and_then(|v| v.parse().ok()),
        max_participants: hash.get("max_participants").and_then(|v| v.parse().ok()),
    }
}

/// The fields of a meeting hash that [`meeting`] reads, in the order it takes them: first those a poll compares
/// with its server's answer ([`PLACEMENT_FIELDS`]), then those only the meeting's removal needs.
pub(crate) const MEETING_FIELDS: [&str; 10] = [
    "server_id",
    "reserved_load",
    "created_at_ms",
    "create_sent_at_ms",
    "confirmed_at_ms",
    "participants",
    "expires_at_ms",
    "moderator_pw",
    "voice_bridge",
    "tenant_id",
];

/// The fields of a meeting hash a poll compares with its server's answer: [`MEETING_FIELDS`] but for the moderator
/// password, voice bridge and tenant, which only the meeting's removal needs.
pub(crate) const PLACEMENT_FIELDS: &[&str] = MEETING_FIELDS.split_at(7).0;

/// A meeting from the [`MEETING_FIELDS`] of its hash, or their leading [`PLACEMENT_FIELDS`] (the others then
/// empty); `None` when gone. Fields an upstream deployment does not write (ours) default; a meeting with no
/// `expires_at_ms` (written by an upstream deployment, or before scalelite-rs kept its expiry in the hash) reads as
/// never expiring, so the next poll that sees it running writes it.
///
/// The expiry is the one its writer set with `PEXPIREAT`, in the store's clock that every process's times follow,
/// so reading it costs no `PTTL`.
pub(crate) fn meeting(id: &str, mut fields: Vec<Option<String>>) -> Option<Meeting> {
    if fields.len() == PLACEMENT_FIELDS.len() {
        fields.resize(MEETING_FIELDS.len(), None);
    }
    let Ok(
        [
            server_id,
            reserved_load,
            created_at_ms,
            create_sent_at_ms,
            confirmed_at_ms,
            participants,
            expires_at_ms,
            moderator_pw,
            voice_bridge,
            tenant_id,
        ],
    ) = <[Option<String>; 10]>::try_from(fields)
    else {
        return None;
    };
    let number = |field: Option<String>| field.and_then(|v| v.parse::<i64>().ok());
    let created_at_ms = number(created_at_ms).unwrap_or(0);
    Some(Meeting {
        id: id.to_owned(),
        server_id: server_id?,
        moderator_pw: moderator_pw.unwrap_or_default(),
        voice_bridge: voice_bridge.unwrap_or_default(),
        tenant_id: tenant_id.unwrap_or_default(),
        reserved_load: reserved_load.and_then(|v| v.parse().ok()).unwrap_or(0.0),
        created_at_ms,
        expires_at_ms: number(expires_at_ms).unwrap_or(i64::MAX),
        create_sent_at_ms: number(create_sent_at_ms).unwrap_or(created_at_ms),
        confirmed_at_ms: number(confirmed_at_ms),
        participants: participants.and_then(|v| v.parse().ok()).unwrap_or(0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hash(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn reads_an_upstream_server() {
        let parts = ServerParts {
            hash: hash(&[
                ("url", "https://b/bigbluebutton/api"),
                ("secret", "s"),
                ("online", "true"),
                ("load_multiplier", "2.0"),
            ]),
            load: Some(4.0),
            cordoned_load: None,
            in_enabled_set: true,
            health: hash(&[("unhealthy_counter", "1")]),
        };
        let server = server("b", parts);
        assert_eq!(
            (server.state, server.load, server.load_multiplier, server.online),
            (ServerState::Enabled, Some(4.0), 2.0, true)
        );
        assert_eq!(server.unhealthy_counter, 1);
    }

    #[test]
    fn reads_an_upstream_meeting() {
        let hash = hash(&[("server_id", "b"), ("moderator_pw", "mp"), ("voice_bridge", "123"), ("tenant_id", "")]);
        let fields = |hash: &HashMap<String, String>| MEETING_FIELDS.iter().map(|f| hash.get(*f).cloned()).collect();
        let meeting = meeting("m", fields(&hash)).unwrap();
        assert_eq!((meeting.reserved_load, meeting.created_at_ms, meeting.expires_at_ms), (0.0, 0, i64::MAX));
        assert_eq!((meeting.server_id.as_str(), meeting.voice_bridge.as_str()), ("b", "123"));
        assert_eq!(meeting.participants, 0);
        assert!(super::meeting("m", fields(&HashMap::new())).is_none());
    }

    #[test]
    fn a_placement_holds_what_a_poll_compares() {
        let hash = hash(&[
            ("server_id", "b"),
            ("moderator_pw", "mp"),
            ("created_at_ms", "7"),
            ("participants", "12"),
            ("expires_at_ms", "1500"),
        ]);
        let fields = PLACEMENT_FIELDS.iter().map(|f| hash.get(*f).cloned()).collect();
        let placed = meeting("m", fields).unwrap();
        // The participants and the expiry as read, so a poll finding the same count writes nothing.
        assert_eq!((placed.server_id.as_str(), placed.created_at_ms, placed.participants), ("b", 7, 12));
        assert_eq!((placed.moderator_pw.as_str(), placed.expires_at_ms), ("", 1_500));
        assert!(meeting("m", vec![None; PLACEMENT_FIELDS.len()]).is_none());
    }
}
