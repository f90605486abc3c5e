//! The order of an answer, as sort keys a store translates: newest first (recordings without a start time
//! last), then by recordID in byte order.

use std::cmp::Ordering;

use crate::model::Recording;

/// A field an answer is sorted by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortField {
    /// The start time; a recording may have none, and those come after every one that has one.
    StartTime,
    /// The recordID, compared byte by byte (never missing).
    RecordId,
}

impl SortField {
    /// Whether a recording may lack the field (such recordings sort last, whatever the direction).
    pub fn optional(self) -> bool {
        matches!(self, Self::StartTime)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    Ascending,
    Descending,
}

/// One key of an order; later keys break the ties of earlier ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SortKey {
    pub field: SortField,
    pub direction: Direction,
}

/// getRecordings' order: newest first, then by recordID.
pub const NEWEST_FIRST: &[SortKey] = &[
    SortKey { field: SortField::StartTime, direction: Direction::Descending },
    SortKey { field: SortField::RecordId, direction: Direction::Ascending },
];

impl SortKey {
    /// Compares two recordings on this key alone.
    pub fn compare(&self, a: &Recording, b: &Recording) -> Ordering {
        let directed = |ordering: Ordering| match self.direction {
            Direction::Ascending => ordering,
            Direction::Descending => ordering.reverse(),
        };
        match self.field {
            SortField::RecordId => directed(a.record_id.cmp(&b.record_id)),
            SortField::StartTime => match (a.start_time_ms, b.start_time_ms) {
                (Some(x), Some(y)) => directed(x.cmp(&y)),
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (None, None) => Ordering::Equal,
            },
        }
    }
}

/// Compares two recordings by `keys`, the first deciding.
pub(super) fn compare(keys: &[SortKey], a: &Recording, b: &Recording) -> Ordering {
    keys.iter().map(|key| key.compare(a, b)).find(|o| o.is_ne()).unwrap_or(Ordering::Equal)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(record_id: &str, start: Option<i64>) -> Recording {
        Recording { record_id: record_id.into(), start_time_ms: start, ..Recording::default() }
    }

    #[test]
    fn newest_first_then_by_record_id_and_no_start_time_last() {
        let mut all = [
            at("n2", None),
            at("c", Some(10)),
            at("b", Some(30)),
            at("n1", None),
            at("a", Some(30)),
            at("B", Some(30)),
        ];
        all.sort_by(|a, b| compare(NEWEST_FIRST, a, b));
        let ids: Vec<&str> = all.iter().map(|r| r.record_id.as_str()).collect();
        assert_eq!(ids, ["B", "a", "b", "c", "n1", "n2"]);
    }
}
