//! One condition of a query plan, and whether a recording meets it.

use super::prefix::Prefix;
use crate::model::Recording;

/// A condition every recording of an answer meets; the values inside one condition are OR-ed, and a plan's
/// conditions hold one value at least. The variants are listed from the most selective to the least, the
/// order a plan keeps them in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Condition {
    /// The recordID is one of these, exactly.
    RecordIdIn(Vec<String>),
    /// The front-end meetingID is one of these, exactly.
    MeetingIdIn(Vec<String>),
    /// The recordID starts with one of these.
    RecordIdStartsWith(Vec<Prefix>),
    /// The recording has one of these metadata `(key, value)` pairs.
    MetadataAnyOf(Vec<(String, String)>),
    /// The state is one of these (a recording without a state meets none).
    StateIn(Vec<String>),
}

impl Condition {
    pub fn matches(&self, recording: &Recording) -> bool {
        match self {
            Self::RecordIdIn(ids) => ids.contains(&recording.record_id),
            Self::MeetingIdIn(ids) => ids.contains(&recording.meeting_id),
            Self::RecordIdStartsWith(prefixes) => prefixes.iter().any(|p| p.matches(&recording.record_id)),
            Self::MetadataAnyOf(pairs) => pairs.iter().any(|(key, value)| recording.metadata.get(key) == Some(value)),
            Self::StateIn(states) => recording.state.as_ref().is_some_and(|state| states.contains(state)),
        }
    }
}
