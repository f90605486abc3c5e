//! getRecordings on the embedded store: a query plan translated to SQLite, then the child rows of the page.

use scalelite_shared::model::Recording;
use scalelite_shared::recordings::{self, Condition, QueryPlan, SortField};
use scalelite_shared::store::{RecordingQuery, StoreResult};
use sqlx::{QueryBuilder, Sqlite, SqlitePool};

use super::backend;
use crate::recording_rows::{FormatRow, MetadataRow, RecordingRow, ThumbnailRow, assemble};
use crate::recording_sql::{order_by, page_bounds};

/// Child rows are fetched for this many recordings per statement.
const CHUNK: usize = 500;

fn push_list(builder: &mut QueryBuilder<Sqlite>, column: &str, values: &[String]) {
    builder.push(format_args!(" AND {column} IN ("));
    let mut separated = builder.separated(", ");
    for value in values {
        separated.push_bind(value.clone());
    }
    builder.push(")");
}

/// `AND <condition>` on `recordings r`.
fn push_condition(builder: &mut QueryBuilder<Sqlite>, condition: &Condition) {
    match condition {
        Condition::RecordIdIn(ids) => push_list(builder, "r.record_id", ids),
        Condition::MeetingIdIn(ids) => push_list(builder, "r.meeting_id", ids),
        Condition::StateIn(states) => push_list(builder, "r.state", states),
        Condition::RecordIdStartsWith(prefixes) => {
            // Ranges on the binary-ordered unique index (LIKE would ignore ASCII case here).
            builder.push(" AND (");
            for (i, prefix) in prefixes.iter().enumerate() {
                builder.push(if i == 0 { "(r.record_id >= " } else { " OR (r.record_id >= " });
                builder.push_bind(prefix.as_str().to_owned());
                if let Some(end) = prefix.upper_bound() {
                    builder.push(" AND r.record_id < ").push_bind(end);
                }
                builder.push(")");
            }
            builder.push(")");
        }
        Condition::MetadataAnyOf(pairs) => {
            // The (key, value) index first, then the recordings it names.
            builder.push(" AND r.id IN (SELECT m.recording_id FROM metadata m WHERE ");
            for (i, (key, value)) in pairs.iter().enumerate() {
                builder.push(if i == 0 { "(m.key = " } else { " OR (m.key = " }).push_bind(key.clone());
                builder.push(" AND m.value = ").push_bind(value.clone()).push(")");
            }
            builder.push(")");
        }
    }
}

async fn rows(pool: &SqlitePool, plan: &QueryPlan) -> StoreResult<Vec<RecordingRow>> {
    let mut builder = QueryBuilder::new(
        "SELECT r.id, r.record_id, r.meeting_id, r.name, r.published, r.participants, r.state, \
         r.starttime_ms AS start_time_ms, r.endtime_ms AS end_time_ms, r.protected, r.publish_updated \
         FROM recordings r WHERE 1 = 1",
    );
    for condition in &plan.conditions {
        push_condition(&mut builder, condition);
    }
    // Missing start times last is SQLite's own place for them in a descending order, so the
    // `recordings_by_start` index still reads the rows in order.
    builder.push(order_by(plan.order, |field| match field {
        SortField::StartTime => "r.starttime_ms",
        SortField::RecordId => "r.record_id",
    }));
    let (offset, limit) = page_bounds(&plan.page);
    builder.push(" LIMIT ").push_bind(limit.unwrap_or(-1)).push(" OFFSET ").push_bind(offset);
    builder.build_query_as::<RecordingRow>().fetch_all(pool).await.map_err(backend)
}

fn in_ids(sql: &'static str, ids: &[i64], tail: &'static str) -> QueryBuilder<Sqlite> {
    let mut builder = QueryBuilder::new(sql);
    builder.push(" IN (");
    let mut separated = builder.separated(", ");
    for id in ids {
        separated.push_bind(*id);
    }
    builder.push(")").push(tail);
    builder
}

/// The recordings `query` selects, as its plan orders and pages them, with metadata, formats and thumbnails
/// (child rows fetched for `CHUNK` recordings per statement).
pub(super) async fn matching(pool: &SqlitePool, query: &RecordingQuery) -> StoreResult<Vec<Recording>> {
    let Some(plan) = recordings::plan(query) else { return Ok(Vec::new()) };
    let rows = rows(pool, &plan).await?;
    let (mut metadata, mut formats, mut thumbnails) = (Vec::new(), Vec::new(), Vec::new());
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    for chunk in ids.chunks(CHUNK) {
        let found: Vec<MetadataRow> = in_ids(
            "SELECT recording_id, key, COALESCE(value, '') AS value FROM metadata WHERE recording_id",
            chunk,
            "",
        )
        .build_query_as()
        .fetch_all(pool)
        .await
        .map_err(backend)?;
        metadata.extend(found);
        let found: Vec<FormatRow> = in_ids(
            "SELECT id, recording_id, format, COALESCE(url, '') AS url, length, processing_time \
             FROM playback_formats WHERE recording_id",
            chunk,
            " ORDER BY recording_id, format",
        )
        .build_query_as()
        .fetch_all(pool)
        .await
        .map_err(backend)?;
        let format_ids: Vec<i64> = found.iter().map(|f| f.id).collect();
        formats.extend(found);
        for format_chunk in format_ids.chunks(CHUNK) {
            let found: Vec<ThumbnailRow> = in_ids(
                "SELECT playback_format_id, COALESCE(url, '') AS url, width, height, alt, \
                 COALESCE(sequence, 0) AS sequence FROM thumbnails WHERE playback_format_id",
                format_chunk,
                " ORDER BY playback_format_id, sequence, id",
            )
            .build_query_as()
            .fetch_all(pool)
            .await
            .map_err(backend)?;
            thumbnails.extend(found);
        }
    }
    Ok(assemble(rows, metadata, formats, thumbnails))
}
