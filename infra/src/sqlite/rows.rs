//! Rows of the embedded store and their conversion to domain objects.

use scalelite_shared::model::{Meeting, Server, ServerState, ServerStats};

#[derive(sqlx::FromRow)]
pub(crate) struct ServerRow {
    id: String,
    url: String,
    secret: String,
    tag: Option<String>,
    state: String,
    load: Option<f64>,
    load_multiplier: f64,
    online: bool,
    meetings: i64,
    users: i64,
    largest_meeting: i64,
    videos: i64,
    bbb_version: Option<String>,
    healthy_counter: i64,
    unhealthy_counter: i64,
    split_meetings: String,
}

fn count(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

impl From<ServerRow> for Server {
    fn from(row: ServerRow) -> Self {
        Server {
            id: row.id,
            url: row.url,
            secret: row.secret,
            tag: row.tag,
            state: ServerState::parse(&row.state).unwrap_or(ServerState::Disabled),
            load: row.load,
            load_multiplier: row.load_multiplier,
            online: row.online,
            stats: ServerStats {
                meetings: count(row.meetings),
                users: count(row.users),
                largest_meeting: count(row.largest_meeting),
                videos: count(row.videos),
            },
            bbb_version: row.bbb_version,
            healthy_counter: u32::try_from(row.healthy_counter).unwrap_or(0),
            unhealthy_counter: u32::try_from(row.unhealthy_counter).unwrap_or(0),
            split_meetings: serde_json::from_str(&row.split_meetings).unwrap_or_default(),
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct MeetingRow {
    id: String,
    server_id: String,
    moderator_pw: String,
    voice_bridge: String,
    tenant_id: String,
    reserved_load: f64,
    created_at_ms: i64,
    expires_at_ms: i64,
    create_sent_at_ms: i64,
    confirmed_at_ms: Option<i64>,
}

impl From<MeetingRow> for Meeting {
    fn from(row: MeetingRow) -> Self {
        Meeting {
            id: row.id,
            server_id: row.server_id,
            moderator_pw: row.moderator_pw,
            voice_bridge: row.voice_bridge,
            tenant_id: row.tenant_id,
            reserved_load: row.reserved_load,
            created_at_ms: row.created_at_ms,
            expires_at_ms: row.expires_at_ms,
            create_sent_at_ms: row.create_sent_at_ms,
            confirmed_at_ms: row.confirmed_at_ms,
        }
    }
}
