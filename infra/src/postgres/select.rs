//! getRecordings' query: every filter of `RecordingQuery` as binds of one static statement.

use scalelite_shared::model::Recording;
use scalelite_shared::store::{RecordingQuery, StoreResult};
use sqlx::PgConnection;

use super::backend;
use super::rows::{RecordingRow, assemble, recording_columns};

/// Every filter is skipped when its bind is empty; connections plan each statement for its own binds
/// (`plan_cache_mode`), so the skipped ones cost nothing and the others use their indexes.
const SELECT: &str = concat!(
    "SELECT ",
    recording_columns!(),
    " FROM recordings r WHERE \
     (cardinality($1::text[]) = 0 OR r.record_id = ANY($1)) \
     AND (cardinality($2::text[]) = 0 OR r.id IN (SELECT p.id FROM unnest($2::text[]) AS f(prefix) \
          JOIN recordings p ON p.record_id COLLATE \"C\" >= f.prefix \
          AND p.record_id COLLATE \"C\" < f.prefix || chr(1114111))) \
     AND (cardinality($3::text[]) = 0 OR r.meeting_id = ANY($3)) \
     AND ($4::text[] IS NULL OR cardinality($4::text[]) = 0 OR r.state = ANY($4)) \
     AND (NOT $5::boolean OR r.id IN (SELECT m.recording_id FROM metadata m \
          JOIN unnest($6::text[], $7::text[]) AS f(key, value) ON m.key = f.key AND m.value = f.value)) \
     AND ($8::text IS NULL OR r.id IN (SELECT t.recording_id FROM metadata t \
          WHERE t.key = 'tenant-id' AND t.value = $8)) \
     ORDER BY r.starttime DESC, r.record_id \
     OFFSET $9 LIMIT $10"
);

/// The recordings `query` selects, newest first.
pub(super) async fn matching(conn: &mut PgConnection, query: &RecordingQuery) -> StoreResult<Vec<Recording>> {
    let (meta_keys, meta_values): (Vec<&str>, Vec<&str>) = query
        .meta
        .iter()
        .flat_map(|(key, values)| values.iter().map(move |value| (key.as_str(), value.as_str())))
        .unzip();
    let rows: Vec<RecordingRow> = sqlx::query_as(SELECT)
        .bind(&query.record_ids)
        .bind(&query.record_id_prefixes)
        .bind(&query.meeting_ids)
        .bind(&query.states)
        .bind(!query.meta.is_empty())
        .bind(&meta_keys)
        .bind(&meta_values)
        .bind(query.tenant_id.as_deref())
        .bind(i64::try_from(query.offset).unwrap_or(i64::MAX))
        .bind(query.limit.map(|l| i64::try_from(l).unwrap_or(i64::MAX)))
        .fetch_all(&mut *conn)
        .await
        .map_err(backend)?;
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
