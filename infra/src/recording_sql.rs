//! What both SQL stores write alike for a recordings query plan: its order as an `ORDER BY` clause, and its
//! page as SQL integers.

use scalelite_shared::recordings::{Direction, Page, SortField, SortKey};

/// ` ORDER BY` the sort keys, each field as `column` names it; a field a recording may lack gets `NULLS LAST`
/// (only those: an explicit `NULLS` on the others would keep SQLite from reading an index in order).
pub(crate) fn order_by(keys: &[SortKey], column: impl Fn(SortField) -> &'static str) -> String {
    let keys: Vec<String> = keys
        .iter()
        .map(|key| {
            let direction = match key.direction {
                Direction::Ascending => "ASC",
                Direction::Descending => "DESC",
            };
            let nulls = if key.field.optional() { " NULLS LAST" } else { "" };
            format!("{} {direction}{nulls}", column(key.field))
        })
        .collect();
    format!(" ORDER BY {}", keys.join(", "))
}

/// The page's offset and limit as SQL integers (counts past `i64::MAX` are all of them).
pub(crate) fn page_bounds(page: &Page) -> (i64, Option<i64>) {
    let count = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    (count(page.offset), page.limit.map(count))
}

#[cfg(test)]
mod tests {
    use super::*;
    use scalelite_shared::recordings::NEWEST_FIRST;

    #[test]
    fn newest_first_in_sql() {
        let column = |field| match field {
            SortField::StartTime => "start",
            SortField::RecordId => "id",
        };
        assert_eq!(order_by(NEWEST_FIRST, column), " ORDER BY start DESC NULLS LAST, id ASC");
        assert_eq!(page_bounds(&Page { offset: u64::MAX, limit: Some(3) }), (i64::MAX, Some(3)));
    }
}
