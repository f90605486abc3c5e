//! A tenant's limits: whether it may start one more meeting, and whether its meetings may take one more
//! participant.

use crate::model::Meeting;

/// What a tenant's live meetings hold.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TenantUsage {
    pub meetings: u64,
    /// The participants of its meetings together: each one's last poll count plus the joins since.
    pub participants: u64,
}

impl TenantUsage {
    /// The usage of `meetings` (a tenant's live meetings).
    pub fn of<'a>(meetings: impl IntoIterator<Item = &'a Meeting>) -> Self {
        meetings.into_iter().fold(Self::default(), |usage, meeting| Self {
            meetings: usage.meetings + 1,
            participants: usage.participants.saturating_add(meeting.participants),
        })
    }
}

/// Whether a tenant with at most `max_meetings`, holding `others` live meetings besides the one to place, may
/// have it placed.
pub fn has_room_for_meeting(max_meetings: Option<u64>, others: u64) -> bool {
    max_meetings.is_none_or(|max| others < max)
}

/// Whether a tenant with at most `max_participants`, whose meetings hold `participants`, may take one more.
pub fn has_room_for_participant(max_participants: Option<u64>, participants: u64) -> bool {
    max_participants.is_none_or(|max| participants < max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tenant_at_a_limit_has_no_room() {
        assert!(has_room_for_meeting(None, 1_000) && has_room_for_participant(None, 1_000));
        assert!(has_room_for_meeting(Some(5), 4) && !has_room_for_meeting(Some(5), 5));
        assert!(has_room_for_participant(Some(30), 29) && !has_room_for_participant(Some(30), 30));
    }

    #[test]
    fn usage_counts_meetings_and_their_participants() {
        let meeting = |participants| Meeting {
            id: String::new(),
            server_id: "a".into(),
            moderator_pw: String::new(),
            voice_bridge: String::new(),
            tenant_id: "t".into(),
            reserved_load: 0.0,
            created_at_ms: 0,
            expires_at_ms: 1,
            create_sent_at_ms: 0,
            confirmed_at_ms: None,
            participants,
        };
        let usage = TenantUsage::of(&[meeting(3), meeting(0), meeting(12)]);
        assert_eq!(usage, TenantUsage { meetings: 3, participants: 15 });
    }
}
