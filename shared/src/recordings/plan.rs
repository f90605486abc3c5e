//! The query planner: a [`RecordingQuery`] becomes the conditions (most selective first), the order and the
//! page every store runs. What a query means (empty lists, how `meta_` filters OR together, the tenant, the
//! order, the page) is decided here and nowhere else.

use super::condition::Condition;
use super::order::{self, NEWEST_FIRST, SortKey};
use super::page::Page;
use super::prefix::Prefix;
use crate::model::{Recording, TENANT_ID_KEY};
use crate::store::RecordingQuery;

/// A query as every store runs it: the recordings that meet every condition, in `order`, then `page` of them.
#[derive(Clone, Debug, PartialEq)]
pub struct QueryPlan {
    /// AND-ed, the most selective first: a store that reads by one index reads by the first it can.
    pub conditions: Vec<Condition>,
    pub order: &'static [SortKey],
    pub page: Page,
}

impl QueryPlan {
    /// Whether `recording` meets every condition.
    pub fn matches(&self, recording: &Recording) -> bool {
        self.conditions.iter().all(|condition| condition.matches(recording))
    }

    /// The answer out of `read`, recordings read in any order that include every one the plan selects.
    pub fn answer(&self, mut read: Vec<Recording>) -> Vec<Recording> {
        read.retain(|recording| self.matches(recording));
        read.sort_by(|a, b| order::compare(self.order, a, b));
        self.page.of(read)
    }
}

/// Plans `query`. An empty list does not filter (`states: Some(vec![])` is every state, like `None`); the
/// `meta_` filters are one condition, met by any of their `(key, value)` pairs, AND-ed with the tenant's
/// `tenant-id` pair. `None` when no recording can match (a `limit` of 0, `meta_` filters without a value),
/// so no store is asked.
pub fn plan(query: &RecordingQuery) -> Option<QueryPlan> {
    if query.limit == Some(0) {
        return None;
    }
    let mut conditions = Vec::new();
    if !query.record_ids.is_empty() {
        conditions.push(Condition::RecordIdIn(distinct(query.record_ids.iter().cloned())));
    }
    if !query.meeting_ids.is_empty() {
        conditions.push(Condition::MeetingIdIn(distinct(query.meeting_ids.iter().cloned())));
    }
    if !query.record_id_prefixes.is_empty() {
        conditions.push(Condition::RecordIdStartsWith(distinct(query.record_id_prefixes.iter().map(Prefix::new))));
    }
    if !query.meta.is_empty() {
        let pairs = query.meta.iter().flat_map(|(key, values)| values.iter().map(|value| (key.clone(), value.clone())));
        let pairs = distinct(pairs);
        if pairs.is_empty() {
            return None;
        }
        conditions.push(Condition::MetadataAnyOf(pairs));
    }
    if let Some(tenant) = &query.tenant_id {
        conditions.push(Condition::MetadataAnyOf(vec![(TENANT_ID_KEY.to_owned(), tenant.clone())]));
    }
    if let Some(states) = query.states.as_ref().filter(|states| !states.is_empty()) {
        conditions.push(Condition::StateIn(distinct(states.iter().cloned())));
    }
    Some(QueryPlan { conditions, order: NEWEST_FIRST, page: Page { offset: query.offset, limit: query.limit } })
}

/// The items sorted, each once.
fn distinct<T: Ord>(items: impl Iterator<Item = T>) -> Vec<T> {
    let mut items: Vec<T> = items.collect();
    items.sort();
    items.dedup();
    items
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn query(change: impl FnOnce(&mut RecordingQuery)) -> RecordingQuery {
        let mut query = RecordingQuery::default();
        change(&mut query);
        query
    }

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|item| item.to_string()).collect()
    }

    #[test]
    fn an_empty_query_selects_everything_newest_first() {
        let plan = plan(&RecordingQuery::default()).unwrap();
        assert_eq!(plan, QueryPlan { conditions: vec![], order: NEWEST_FIRST, page: Page::default() });
        let no_states = plan.clone();
        assert_eq!(super::plan(&query(|q| q.states = Some(vec![]))), Some(no_states), "an empty list does not filter");
    }

    #[test]
    fn conditions_come_most_selective_first_each_list_once() {
        let plan = plan(&query(|q| {
            q.states = Some(strings(&["published", "unpublished", "published"]));
            q.tenant_id = Some("t1".into());
            q.meta = vec![("course".into(), strings(&["math", "art"])), ("teacher".into(), strings(&["ada"]))];
            q.record_id_prefixes = strings(&["b", "a"]);
            q.meeting_ids = strings(&["m2", "m1", "m2"]);
            q.record_ids = strings(&["r"]);
            q.offset = 3;
            q.limit = Some(10);
        }))
        .unwrap();
        let pair = |k: &str, v: &str| (k.to_owned(), v.to_owned());
        assert_eq!(
            plan.conditions,
            [
                Condition::RecordIdIn(strings(&["r"])),
                Condition::MeetingIdIn(strings(&["m1", "m2"])),
                Condition::RecordIdStartsWith(vec![Prefix::new("a"), Prefix::new("b")]),
                Condition::MetadataAnyOf(vec![pair("course", "art"), pair("course", "math"), pair("teacher", "ada")]),
                Condition::MetadataAnyOf(vec![pair("tenant-id", "t1")]),
                Condition::StateIn(strings(&["published", "unpublished"])),
            ]
        );
        assert_eq!(plan.page, Page { offset: 3, limit: Some(10) });
    }

    #[test]
    fn queries_that_match_nothing_ask_no_store() {
        assert_eq!(plan(&query(|q| q.limit = Some(0))), None);
        assert_eq!(plan(&query(|q| q.meta = vec![("course".into(), vec![])])), None);
        let one_key_without_values =
            query(|q| q.meta = vec![("x".into(), vec![]), ("course".into(), strings(&["math"]))]);
        assert!(plan(&one_key_without_values).is_some(), "a key without values drops out of the OR");
    }

    #[test]
    fn meta_filters_are_ored_and_the_tenant_anded() {
        let mut r = Recording { record_id: "abc-1".into(), state: Some("published".into()), ..Recording::default() };
        r.metadata.insert("course".into(), "math".into());
        r.metadata.insert("tenant-id".into(), "t1".into());
        let selects = |q: RecordingQuery| plan(&q).is_some_and(|plan| plan.matches(&r));
        assert!(selects(query(|q| q.meta = vec![("x".into(), vec![]), ("course".into(), strings(&["math"]))])));
        assert!(!selects(query(|q| q.meta = vec![("course".into(), vec![])])));
        assert!(!selects(query(|q| q.tenant_id = Some("t2".into()))));
        assert!(!selects(query(|q| {
            q.tenant_id = Some("t1".into());
            q.meta = vec![("teacher".into(), strings(&["ada"]))];
        })));
        assert!(selects(query(|q| q.record_id_prefixes = strings(&["x", "abc"]))));
        assert!(!selects(query(|q| q.record_id_prefixes = strings(&["ABC"]))), "prefixes are case-sensitive");
        assert!(!selects(query(|q| q.record_ids = strings(&["abc"]))), "recordIDs are exact");
        assert!(!selects(query(|q| q.states = Some(strings(&["deleted"])))));
        assert!(selects(query(|q| q.states = Some(strings(&["published", "deleted"])))));
    }

    /// A small index whose recordings share ids, meetings, times and metadata often.
    fn recordings() -> impl Strategy<Value = Vec<Recording>> {
        let recording = (
            prop::sample::select(vec!["a", "ab", "abc", "b", "B"]),
            0..4u8,
            prop::sample::select(vec!["m1", "m2"]),
            prop::option::of(0..3i64),
            prop::option::of(prop::sample::select(vec!["published", "unpublished", "deleted"])),
            prop::option::of(prop::sample::select(vec!["math", "art"])),
            prop::option::of(prop::sample::select(vec!["t1", "t2"])),
        )
            .prop_map(|(prefix, n, meeting, start, state, course, tenant)| {
                let mut r = Recording {
                    record_id: format!("{prefix}-{n}"),
                    meeting_id: meeting.into(),
                    start_time_ms: start,
                    state: state.map(str::to_owned),
                    ..Recording::default()
                };
                r.metadata.extend(course.map(|c| ("course".to_owned(), c.to_owned())));
                r.metadata.extend(tenant.map(|t| (TENANT_ID_KEY.to_owned(), t.to_owned())));
                r
            });
        prop::collection::vec(recording, 0..12).prop_map(|mut all| {
            all.sort_by(|a, b| a.record_id.cmp(&b.record_id));
            all.dedup_by(|a, b| a.record_id == b.record_id);
            all
        })
    }

    fn queries() -> impl Strategy<Value = RecordingQuery> {
        let some = |items: Vec<&'static str>| prop::collection::vec(prop::sample::select(items), 0..3);
        (
            some(vec!["a-1", "ab-2", "B-0"]),
            some(vec!["a", "ab", "B", "c"]),
            some(vec!["m1", "m3"]),
            prop::option::of(some(vec!["published", "deleted"])),
            prop::collection::vec(("course|teacher", some(vec!["math", "art"])), 0..3),
            prop::option::of(prop::sample::select(vec!["t1", "t2"])),
            0..4u64,
            prop::option::of(0..4u64),
        )
            .prop_map(|(ids, prefixes, meetings, states, meta, tenant, offset, limit)| {
                let owned = |items: Vec<&str>| items.into_iter().map(str::to_owned).collect::<Vec<_>>();
                RecordingQuery {
                    record_ids: owned(ids),
                    record_id_prefixes: owned(prefixes),
                    meeting_ids: owned(meetings),
                    states: states.map(owned),
                    meta: meta.into_iter().map(|(key, values)| (key, owned(values))).collect(),
                    tenant_id: tenant.map(str::to_owned),
                    offset,
                    limit,
                }
            })
    }

    proptest! {
        /// The answer is the page of the ordered matches, whatever order the store read them in.
        #[test]
        fn an_answer_is_the_page_of_the_ordered_matches(all in recordings(), query in queries(), turn in 0..12usize) {
            let Some(plan) = plan(&query) else {
                let meta_without_values = !query.meta.is_empty() && query.meta.iter().all(|(_, values)| values.is_empty());
                prop_assert!(query.limit == Some(0) || meta_without_values);
                return Ok(());
            };
            let mut read = all.clone();
            let turn = turn.min(read.len());
            read.rotate_left(turn);
            let answer = plan.answer(read);
            let whole = QueryPlan { page: Page::default(), ..plan.clone() }.answer(all.clone());
            prop_assert_eq!(&answer, &plan.page.of(whole.clone()));
            prop_assert!(whole.iter().all(|r| plan.matches(r)));
            prop_assert_eq!(whole.len(), all.iter().filter(|r| plan.matches(r)).count());
            prop_assert!(whole.windows(2).all(|w| order::compare(plan.order, &w[0], &w[1]).is_lt()));
        }
    }
}
