//! Load accounting: participants times the multiplier, plus the reservations of young meetings.
//!
//! A meeting's load is its attendees, plus optional weights for a base cost and for its voice and video
//! participants (`LOAD_BASE`, `LOAD_VOICE`, `LOAD_VIDEO`, all 0 by default), times the server's multiplier.
//!
//! A create reserves the load its meeting is expected to bring (`LOAD_MIN_USER_COUNT` participants, or the
//! front-end's size hint up to `LOAD_MAX_SIZE_HINT`) in the same atomic step that places it, so a burst of creates spreads over the pool before any poll. Each poll
//! replaces the load with what the server reports; a meeting younger than `LOAD_JOIN_BUFFER_TIME` keeps the
//! part of its reservation its real participants have not yet filled, so the reservation fades as they arrive.

use std::collections::HashMap;
use std::time::Duration;

use crate::bbb::meetings_xml::MeetingEntry;
use crate::model::{Meeting, Server, ServerState, ServerStats};

/// What a meeting weighs besides its attendees (one each).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct LoadWeights {
    /// Every meeting, however empty.
    pub base: f64,
    /// Each participant on audio.
    pub voice: f64,
    /// Each video stream.
    pub video: f64,
}

/// How load is counted, how much a new meeting reserves and for how long.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LoadRules {
    /// Participants a new meeting reserves without a size hint.
    pub min_user_count: f64,
    pub join_buffer: Duration,
    /// The most participants a size hint reserves.
    pub max_size_hint: f64,
    pub weights: LoadWeights,
}

impl LoadRules {
    /// The load a new meeting reserves on a server with this multiplier: its base cost and the participants its
    /// size hint names (at most `max_size_hint`), else `min_user_count`.
    pub fn reservation(&self, size_hint: Option<u32>, multiplier: f64) -> f64 {
        let seats = size_hint.map_or(self.min_user_count, |hint| f64::from(hint).min(self.max_size_hint));
        (self.weights.base + seats) * multiplier
    }

    /// What a running meeting weighs on a server with multiplier 1.
    pub fn weight(&self, meeting: &MeetingEntry) -> f64 {
        let LoadWeights { base, voice, video } = self.weights;
        base + meeting.attendees as f64 + voice * meeting.voice_count as f64 + video * meeting.video_count as f64
    }

    fn is_young(&self, meeting: &Meeting, now_ms: i64) -> bool {
        let buffer = i64::try_from(self.join_buffer.as_millis()).unwrap_or(i64::MAX);
        now_ms.saturating_sub(meeting.created_at_ms) < buffer
    }

    /// What a removed meeting gives back to its server's load: its reservation while it is young (later
    /// the polls have measured it), never more than the load holds.
    pub fn returned(&self, meeting: &Meeting, server_load: f64, now_ms: i64) -> f64 {
        if self.is_young(meeting, now_ms) { meeting.reserved_load.min(server_load).max(0.0) } else { 0.0 }
    }
}

/// The figures of a getMeetings answer.
pub fn stats(reported: &[MeetingEntry]) -> ServerStats {
    ServerStats {
        meetings: reported.len() as u64,
        users: reported.iter().map(|m| m.participant_count).sum(),
        largest_meeting: reported.iter().map(|m| m.participant_count).max().unwrap_or(0),
        videos: reported.iter().map(|m| m.video_count).sum(),
    }
}

/// A server's load after a poll: the weight of its non-breakout meetings times `multiplier`, plus what
/// remains of the reservations of its young placed meetings.
pub fn polled_load(
    reported: &[MeetingEntry],
    placed: &[Meeting],
    multiplier: f64,
    rules: &LoadRules,
    now_ms: i64,
) -> f64 {
    let weights: HashMap<&str, f64> = reported
        .iter()
        .filter(|m| !m.is_breakout)
        .map(|m| (m.meeting_id.as_str(), rules.weight(m) * multiplier))
        .collect();
    let measured: f64 = weights.values().sum();
    let reserved = placed.iter().filter(|m| rules.is_young(m, now_ms)).fold(0.0, |sum, m| {
        let arrived = weights.get(m.id.as_str()).copied().unwrap_or(0.0);
        sum + (m.reserved_load - arrived).max(0.0)
    });
    measured + reserved
}

/// Applies an answered poll to `server`: its figures, its load (none while disabled), and the drain of a
/// cordoned server with no load left. `placed` are the meetings it still holds. True when it drained.
pub fn apply_poll(
    server: &mut Server,
    reported: &[MeetingEntry],
    placed: &[Meeting],
    rules: &LoadRules,
    now_ms: i64,
) -> bool {
    server.stats = stats(reported);
    let load = polled_load(reported, placed, server.load_multiplier, rules, now_ms);
    server.load = (server.state != ServerState::Disabled).then_some(load);
    let drained = server.state == ServerState::Cordoned && load == 0.0;
    if drained {
        server.state = ServerState::Disabled;
        server.load = None;
    }
    drained
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULES: LoadRules = LoadRules {
        min_user_count: 15.0,
        join_buffer: Duration::from_secs(900),
        max_size_hint: 75.0,
        weights: LoadWeights { base: 0.0, voice: 0.0, video: 0.0 },
    };

    fn reported(id: &str, attendees: u64, breakout: bool) -> MeetingEntry {
        MeetingEntry {
            meeting_id: id.into(),
            attendees,
            participant_count: attendees,
            is_breakout: breakout,
            ..Default::default()
        }
    }

    fn placed(id: &str, created_at_ms: i64) -> Meeting {
        Meeting {
            id: id.into(),
            server_id: "s".into(),
            moderator_pw: "pw".into(),
            voice_bridge: "1".into(),
            tenant_id: String::new(),
            reserved_load: RULES.reservation(None, 2.0),
            created_at_ms,
            expires_at_ms: i64::MAX,
            create_sent_at_ms: created_at_ms,
            confirmed_at_ms: None,
            participants: 0,
        }
    }

    #[test]
    fn a_size_hint_reserves_its_participants_up_to_the_cap() {
        assert_eq!(RULES.reservation(None, 2.0), 30.0);
        assert_eq!(RULES.reservation(Some(4), 2.0), 8.0, "a small meeting reserves less");
        assert_eq!(RULES.reservation(Some(40), 1.0), 40.0);
        assert_eq!(RULES.reservation(Some(1_000), 1.0), 75.0, "capped");
    }

    #[test]
    fn a_young_meeting_gives_its_reservation_back() {
        let young = placed("a", 1_000);
        assert_eq!(RULES.returned(&young, 100.0, 2_000), 30.0);
        assert_eq!(RULES.returned(&young, 10.0, 2_000), 10.0, "never below zero");
        assert_eq!(RULES.returned(&young, 100.0, 1_000 + 900_000), 0.0, "measured by polls by then");
    }

    #[test]
    fn an_empty_server_has_zero_load() {
        assert!(polled_load(&[], &[], 1.0, &RULES, 0).is_sign_positive());
    }

    #[test]
    fn counts_attendees_times_multiplier_without_breakouts() {
        let load = polled_load(&[reported("a", 3, false), reported("b", 4, true)], &[], 2.0, &RULES, 0);
        assert_eq!(load, 6.0);
    }

    #[test]
    fn weights_count_a_base_cost_voice_and_video() {
        let weighted = LoadRules { weights: LoadWeights { base: 5.0, voice: 0.5, video: 0.5 }, ..RULES };
        let mut meeting = reported("a", 4, false);
        meeting.voice_count = 2;
        meeting.video_count = 3;
        assert_eq!(polled_load(std::slice::from_ref(&meeting), &[], 2.0, &weighted, 0), (5.0 + 4.0 + 1.0 + 1.5) * 2.0);
        assert_eq!(polled_load(&[meeting], &[], 2.0, &RULES, 0), 8.0, "no weights: attendees only");
        assert_eq!(weighted.reservation(None, 2.0), 40.0, "a new meeting reserves its base cost too");
    }

    #[test]
    fn reservation_fades_as_participants_arrive() {
        let young = placed("a", 1_000);
        assert_eq!(polled_load(&[], std::slice::from_ref(&young), 2.0, &RULES, 2_000), 30.0);
        assert_eq!(polled_load(&[reported("a", 5, false)], std::slice::from_ref(&young), 2.0, &RULES, 2_000), 30.0);
        assert_eq!(polled_load(&[reported("a", 20, false)], std::slice::from_ref(&young), 2.0, &RULES, 2_000), 40.0);
        let old = 1_000 + 900_000;
        assert_eq!(polled_load(&[reported("a", 5, false)], &[young], 2.0, &RULES, old), 10.0);
    }

    #[test]
    fn stats_sum_everything() {
        let figures = stats(&[reported("a", 3, false), reported("b", 4, true)]);
        assert_eq!(figures, ServerStats { meetings: 2, users: 7, largest_meeting: 4, videos: 0 });
    }
}
