//! A simulated meeting, its attendees and chat, and their XML.

use scalelite_shared::bbb::xml::XmlResponse;

/// Someone in a simulated meeting.
#[derive(Clone, Debug, PartialEq)]
pub struct Attendee {
    pub user_id: String,
    pub full_name: String,
    pub moderator: bool,
}

/// A message sent to a meeting's public chat with `sendChatMessage`.
#[derive(Clone, Debug, PartialEq)]
pub struct ChatMessage {
    pub user_name: String,
    pub message: String,
}

/// A meeting as a simulated server keeps it.
#[derive(Clone, Debug, PartialEq)]
pub struct SimMeeting {
    pub meeting_id: String,
    pub name: String,
    pub internal_id: String,
    pub create_time_ms: i64,
    pub voice_bridge: String,
    pub attendee_pw: String,
    pub moderator_pw: String,
    pub duration: String,
    pub metadata: Vec<(String, String)>,
    pub attendees: Vec<Attendee>,
    /// Participants on audio and video streams, as getMeetings counts them.
    pub voice_participants: usize,
    pub videos: usize,
    pub is_breakout: bool,
    pub documents: usize,
    /// Every parameter the create carried, as decoded.
    pub create_params: Vec<(String, String)>,
    /// The manifest URLs its create's `pluginManifests` named (BBB 3.0).
    pub plugin_manifests: Vec<String>,
    /// The JSON of its create's `clientSettingsOverride` module (BBB 3.0).
    pub client_settings_override: Option<serde_json::Value>,
    /// Its public chat's messages from `sendChatMessage`.
    pub chat: Vec<ChatMessage>,
}

/// `createTime` as BBB writes `createDate` (Java's `Date.toString()` in UTC: `Mon Jul 09 17:03:29 UTC 2018`).
fn create_date(create_time_ms: i64) -> String {
    let at = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(create_time_ms) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let format = time::format_description::parse_borrowed::<2>(
        "[weekday repr:short] [month repr:short] [day] [hour]:[minute]:[second] UTC [year]",
    );
    format.ok().and_then(|format| at.format(&format).ok()).unwrap_or_default()
}

impl SimMeeting {
    pub fn moderator_count(&self) -> usize {
        self.attendees.iter().filter(|a| a.moderator).count()
    }

    /// The create answer's fields.
    pub fn write_created(&self, out: &mut XmlResponse, message_key: &str, message: &str) {
        out.element("meetingID", &self.meeting_id)
            .element("internalMeetingID", &self.internal_id)
            .element("parentMeetingID", "bbb-none")
            .element("attendeePW", &self.attendee_pw)
            .element("moderatorPW", &self.moderator_pw)
            .element("createTime", &self.create_time_ms.to_string())
            .element("voiceBridge", &self.voice_bridge)
            .element("dialNumber", "613-555-1234")
            .element("createDate", &create_date(self.create_time_ms))
            .element("hasUserJoined", if self.attendees.is_empty() { "false" } else { "true" })
            .element("duration", &self.duration)
            .element("hasBeenForciblyEnded", "false")
            .element("messageKey", message_key)
            .element("message", message);
    }

    /// The fields getMeetingInfo and getMeetings show.
    pub fn write_info(&self, out: &mut XmlResponse) {
        let running = if self.attendees.is_empty() { "false" } else { "true" };
        out.element("meetingName", &self.name)
            .element("meetingID", &self.meeting_id)
            .element("internalMeetingID", &self.internal_id)
            .element("createTime", &self.create_time_ms.to_string())
            .element("voiceBridge", &self.voice_bridge)
            .element("attendeePW", &self.attendee_pw)
            .element("moderatorPW", &self.moderator_pw)
            .element("running", running)
            .element("duration", &self.duration)
            .element("participantCount", &self.attendees.len().to_string())
            .element("voiceParticipantCount", &self.voice_participants.to_string())
            .element("videoCount", &self.videos.to_string())
            .element("moderatorCount", &self.moderator_count().to_string())
            .start("attendees");
        for attendee in &self.attendees {
            out.start("attendee")
                .element("userID", &attendee.user_id)
                .element("fullName", &attendee.full_name)
                .element("role", if attendee.moderator { "MODERATOR" } else { "VIEWER" })
                .end("attendee");
        }
        out.end("attendees").start("metadata");
        for (key, value) in &self.metadata {
            out.element(key, value);
        }
        out.end("metadata").element("isBreakout", if self.is_breakout { "true" } else { "false" });
    }
}
