//! getRecordings' query: the filters a `RecordingQuery` sets, each as a condition with its binds.

use scalelite_shared::model::Recording;
use scalelite_shared::store::{RecordingQuery, StoreResult};
use sqlx::{PgConnection, Postgres, QueryBuilder};

use super::backend;
use super::rows::{RecordingRow, assemble, recording_columns};

/// `AND <filter>` for each filter the query sets; filters it leaves empty are not in the statement at all, so
/// each one present becomes an index lookup (a semi-join) rather than a check of every row.
fn push_filters(builder: &mut QueryBuilder<Postgres>, query: &RecordingQuery) {
    if !query.record_ids.is_empty() {
        builder.push(" AND r.record_id = ANY(").push_bind(query.record_ids.clone()).push(")");
    }
    if !query.record_id_prefixes.is_empty() {
        // Byte ranges on the "C"-collated index: every id with the prefix sorts between the prefix and the
        // prefix followed by the highest code point.
        builder.push(" AND (FALSE");
        for prefix in &query.record_id_prefixes {
            builder.push(" OR (r.record_id COLLATE \"C\" >= ").push_bind(prefix.clone());
            builder.push(" AND r.record_id COLLATE \"C\" < ").push_bind(format!("{prefix}\u{10FFFF}")).push(")");
        }
        builder.push(")");
    }
    if !query.meeting_ids.is_empty() {
        builder.push(" AND r.meeting_id = ANY(").push_bind(query.meeting_ids.clone()).push(")");
    }
    if let Some(states) = query.states.as_ref().filter(|s| !s.is_empty()) {
        builder.push(" AND r.state = ANY(").push_bind(states.clone()).push(")");
    }
    if !query.meta.is_empty() {
        let (keys, values): (Vec<String>, Vec<String>) = query
            .meta
            .iter()
            .flat_map(|(key, values)| values.iter().map(move |value| (key.clone(), value.clone())))
            .unzip();
        builder.push(" AND r.id IN (SELECT m.recording_id FROM metadata m JOIN unnest(").push_bind(keys);
        builder.push("::text[], ").push_bind(values);
        builder.push("::text[]) AS f(key, value) ON m.key = f.key AND m.value = f.value)");
    }
    if let Some(tenant) = &query.tenant_id {
        builder.push(" AND r.id IN (SELECT t.recording_id FROM metadata t WHERE t.key = 'tenant-id' AND t.value = ");
        builder.push_bind(tenant.clone()).push(")");
    }
}

/// The recordings `query` selects, newest first.
pub(super) async fn matching(conn: &mut PgConnection, query: &RecordingQuery) -> StoreResult<Vec<Recording>> {
    let mut builder = QueryBuilder::new(concat!("SELECT ", recording_columns!(), " FROM recordings r WHERE TRUE"));
    push_filters(&mut builder, query);
    builder.push(" ORDER BY r.starttime DESC, r.record_id OFFSET ");
    builder.push_bind(i64::try_from(query.offset).unwrap_or(i64::MAX));
    builder.push(" LIMIT ").push_bind(query.limit.map(|l| i64::try_from(l).unwrap_or(i64::MAX)));
    let rows: Vec<RecordingRow> = builder.build_query_as().fetch_all(&mut *conn).await.map_err(backend)?;
    assemble(conn, rows).await
}

/// One recording by recordID, as stored.
pub(super) async fn one(conn: &mut PgConnection, record_id: &str) -> StoreResult<Option<Recording>> {
    let rows: Vec<RecordingRow> =
        sqlx::query_as(concat!("SELECT ", recording_columns!(), " FROM recordings r WHERE r.record_id = $1"))
            .bind(record_id)
            .fetch_all(&mut *conn)
            .await
            .map_err(backend)?;
    Ok(assemble(conn, rows).await?.pop())
}
