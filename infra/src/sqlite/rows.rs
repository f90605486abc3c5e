//! Rows of the embedded store and their conversion to domain objects.

use scalelite_shared::model::{Meeting, Server, ServerState, ServerStats};

/// The columns a [`ServerRow`] reads, in its order, each behind `prefix` (a table alias or `""`).
macro_rules! server_columns {
    ($prefix:literal) => {
        concat!(
            $prefix,
            "id, ",
            $prefix,
            "url, ",
            $prefix,
            "secret, ",
            $prefix,
            "tag, ",
            $prefix,
            "state, ",
            $prefix,
            "load, ",
            $prefix,
            "load_multiplier, ",
            $prefix,
            "online, ",
            $prefix,
            "meetings, ",
            $prefix,
            "users, ",
            $prefix,
            "largest_meeting, ",
            $prefix,
            "videos, ",
            $prefix,
            "bbb_version, ",
            $prefix,
            "healthy_counter, ",
            $prefix,
            "unhealthy_counter, ",
            $prefix,
            "split_meetings, ",
            $prefix,
            "max_meetings, ",
            $prefix,
            "max_participants"
        )
    };
}

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
    max_meetings: Option<i64>,
    max_participants: Option<i64>,
}

impl ServerRow {
    /// How many columns [`server_columns!`] selects.
    pub(crate) const COLUMNS: usize = 18;

    /// A row of rusqlite's, selected with [`server_columns!`].
    pub(crate) fn read(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: row.get(0)?,
            url: row.get(1)?,
            secret: row.get(2)?,
            tag: row.get(3)?,
            state: row.get(4)?,
            load: row.get(5)?,
            load_multiplier: row.get(6)?,
            online: row.get(7)?,
            meetings: row.get(8)?,
            users: row.get(9)?,
            largest_meeting: row.get(10)?,
            videos: row.get(11)?,
            bbb_version: row.get(12)?,
            healthy_counter: row.get(13)?,
            unhealthy_counter: row.get(14)?,
            split_meetings: row.get(15)?,
            max_meetings: row.get(16)?,
            max_participants: row.get(17)?,
        })
    }
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
            max_meetings: row.max_meetings.map(count),
            max_participants: row.max_participants.map(count),
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
    participants: i64,
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
            participants: count(row.participants),
        }
    }
}
