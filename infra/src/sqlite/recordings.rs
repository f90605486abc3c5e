//! The recordings index in the embedded store: upserts from metadata.xml, getRecordings queries, edits.

use std::collections::HashMap;

use scalelite_shared::model::Recording;
use scalelite_shared::store::{ImportMark, RecordingEdits, RecordingQuery, StoreResult};
use sqlx::{QueryBuilder, Sqlite, SqliteConnection, SqlitePool};

use super::backend;
use crate::recording_rows::{
    FormatRow, MarkRow, MetadataRow, RecordingRow, ThumbnailRow, assemble, marks as marks_by_source,
};

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

/// The WHERE clause of `query`, on `recordings r`.
fn push_filter(builder: &mut QueryBuilder<Sqlite>, query: &RecordingQuery) {
    builder.push(" WHERE 1 = 1");
    if !query.record_ids.is_empty() {
        push_list(builder, "r.record_id", &query.record_ids);
    }
    if !query.record_id_prefixes.is_empty() {
        builder.push(" AND (");
        for (i, prefix) in query.record_id_prefixes.iter().enumerate() {
            if i > 0 {
                builder.push(" OR ");
            }
            // A range on the binary-ordered unique index: every id starting with the prefix sorts between the
            // prefix and the prefix followed by the highest code point (LIKE would ignore ASCII case here).
            builder.push("(r.record_id >= ").push_bind(prefix.clone());
            builder.push(" AND r.record_id < ").push_bind(format!("{prefix}\u{10FFFF}")).push(")");
        }
        builder.push(")");
    }
    if !query.meeting_ids.is_empty() {
        push_list(builder, "r.meeting_id", &query.meeting_ids);
    }
    if let Some(states) = query.states.as_ref().filter(|s| !s.is_empty()) {
        push_list(builder, "r.state", states);
    }
    // Metadata filters look up the (key, value) index first, then the recordings it names.
    if !query.meta.is_empty() {
        builder.push(" AND r.id IN (SELECT m.recording_id FROM metadata m WHERE ");
        for (i, (key, values)) in query.meta.iter().enumerate() {
            builder.push(if i == 0 { "(m.key = " } else { " OR (m.key = " }).push_bind(key.clone());
            push_list(builder, "m.value", values);
            builder.push(")");
        }
        builder.push(")");
    }
    if let Some(tenant) = &query.tenant_id {
        builder.push(" AND r.id IN (SELECT t.recording_id FROM metadata t WHERE t.key = 'tenant-id' AND t.value = ");
        builder.push_bind(tenant.clone()).push(")");
    }
}

async fn rows(pool: &SqlitePool, query: &RecordingQuery) -> StoreResult<Vec<RecordingRow>> {
    let mut builder = QueryBuilder::new(
        "SELECT r.id, r.record_id, r.meeting_id, r.name, r.published, r.participants, r.state, \
         r.starttime_ms AS start_time_ms, r.endtime_ms AS end_time_ms, r.protected, r.publish_updated \
         FROM recordings r",
    );
    push_filter(&mut builder, query);
    builder.push(" ORDER BY r.starttime_ms DESC, r.record_id LIMIT ");
    builder.push_bind(query.limit.map_or(-1, |l| i64::try_from(l).unwrap_or(i64::MAX)));
    builder.push(" OFFSET ").push_bind(i64::try_from(query.offset).unwrap_or(i64::MAX));
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

/// Recordings matching `query`, newest first, with metadata, formats and thumbnails (child rows fetched for
/// `CHUNK` recordings per statement).
pub(crate) async fn find(pool: &SqlitePool, query: &RecordingQuery) -> StoreResult<Vec<Recording>> {
    let rows = rows(pool, query).await?;
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

async fn set_metadata(conn: &mut SqliteConnection, id: i64, key: &str, value: &str) -> StoreResult<bool> {
    let done = sqlx::query(
        "INSERT INTO metadata (recording_id, key, value) VALUES (?1, ?2, ?3) \
         ON CONFLICT (recording_id, key) DO UPDATE SET value = excluded.value WHERE metadata.value IS NOT excluded.value",
    )
    .bind(id)
    .bind(key)
    .bind(value)
    .execute(conn)
    .await
    .map_err(backend)?;
    Ok(done.rows_affected() > 0)
}

/// Upserts `recording` (see the port); returns its row id.
pub(crate) async fn import(conn: &mut SqliteConnection, recording: &Recording) -> StoreResult<()> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO recordings (record_id, meeting_id, name, published, participants, state, starttime_ms, \
         endtime_ms, protected) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) \
         ON CONFLICT (record_id) DO UPDATE SET meeting_id = excluded.meeting_id, name = excluded.name, \
         published = CASE WHEN recordings.publish_updated THEN recordings.published ELSE excluded.published END, \
         state = CASE WHEN recordings.publish_updated THEN recordings.state ELSE excluded.state END, \
         participants = excluded.participants, starttime_ms = excluded.starttime_ms, \
         endtime_ms = excluded.endtime_ms, protected = excluded.protected RETURNING id",
    )
    .bind(&recording.record_id)
    .bind(&recording.meeting_id)
    .bind(&recording.name)
    .bind(recording.published)
    .bind(recording.participants)
    .bind(&recording.state)
    .bind(recording.start_time_ms)
    .bind(recording.end_time_ms)
    .bind(recording.protected)
    .fetch_one(&mut *conn)
    .await
    .map_err(backend)?;
    for (key, value) in &recording.metadata {
        set_metadata(conn, id, key, value).await?;
    }
    for format in &recording.formats {
        let format_id: i64 = sqlx::query_scalar(
            "INSERT INTO playback_formats (recording_id, format, url, length, processing_time) \
             VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (recording_id, format) DO UPDATE SET url = excluded.url, \
             length = excluded.length, processing_time = excluded.processing_time RETURNING id",
        )
        .bind(id)
        .bind(&format.format)
        .bind(&format.url)
        .bind(format.length)
        .bind(format.processing_time)
        .fetch_one(&mut *conn)
        .await
        .map_err(backend)?;
        sqlx::query("DELETE FROM thumbnails WHERE playback_format_id = ?")
            .bind(format_id)
            .execute(&mut *conn)
            .await
            .map_err(backend)?;
        for thumbnail in &format.thumbnails {
            sqlx::query(
                "INSERT INTO thumbnails (playback_format_id, width, height, alt, url, sequence) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )
            .bind(format_id)
            .bind(thumbnail.width)
            .bind(thumbnail.height)
            .bind(&thumbnail.alt)
            .bind(&thumbnail.url)
            .bind(thumbnail.sequence)
            .execute(&mut *conn)
            .await
            .map_err(backend)?;
        }
    }
    Ok(())
}

pub(crate) async fn set_published(conn: &mut SqliteConnection, record_id: &str, published: bool) -> StoreResult<()> {
    sqlx::query("UPDATE recordings SET published = ?1, state = ?2, publish_updated = 1 WHERE record_id = ?3")
        .bind(published)
        .bind(Recording::state_for(published))
        .bind(record_id)
        .execute(conn)
        .await
        .map(|_| ())
        .map_err(backend)
}

pub(crate) async fn update(
    conn: &mut SqliteConnection,
    record_ids: &[String],
    edits: &RecordingEdits,
) -> StoreResult<bool> {
    let mut changed = false;
    for record_id in record_ids {
        let Some(id): Option<i64> = sqlx::query_scalar("SELECT id FROM recordings WHERE record_id = ?")
            .bind(record_id)
            .fetch_optional(&mut *conn)
            .await
            .map_err(backend)?
        else {
            continue;
        };
        for (key, value) in &edits.metadata {
            changed |= match value {
                Some(value) => set_metadata(conn, id, key, value).await?,
                None => {
                    let done = sqlx::query("DELETE FROM metadata WHERE recording_id = ? AND key = ?")
                        .bind(id)
                        .bind(key)
                        .execute(&mut *conn)
                        .await
                        .map_err(backend)?;
                    done.rows_affected() > 0
                }
            };
        }
        if let Some(protect) = edits.protect {
            let done = sqlx::query("UPDATE recordings SET protected = ?1 WHERE id = ?2 AND protected IS NOT ?1")
                .bind(protect)
                .bind(id)
                .execute(&mut *conn)
                .await
                .map_err(backend)?;
            changed |= done.rows_affected() > 0;
        }
    }
    Ok(changed)
}

pub(crate) async fn delete(conn: &mut SqliteConnection, record_id: &str) -> StoreResult<()> {
    let Some(id): Option<i64> = sqlx::query_scalar("SELECT id FROM recordings WHERE record_id = ?")
        .bind(record_id)
        .fetch_optional(&mut *conn)
        .await
        .map_err(backend)?
    else {
        return Ok(());
    };
    for sql in [
        "DELETE FROM thumbnails WHERE playback_format_id IN (SELECT id FROM playback_formats WHERE recording_id = ?)",
        "DELETE FROM playback_formats WHERE recording_id = ?",
        "DELETE FROM metadata WHERE recording_id = ?",
        "UPDATE recordings SET state = 'deleted' WHERE id = ?",
    ] {
        sqlx::query(sql).bind(id).execute(&mut *conn).await.map_err(backend)?;
    }
    Ok(())
}

pub(crate) async fn marks(pool: &SqlitePool) -> StoreResult<HashMap<String, ImportMark>> {
    let rows: Vec<MarkRow> = sqlx::query_as("SELECT source, modified_ms, size, failure FROM import_marks")
        .fetch_all(pool)
        .await
        .map_err(backend)?;
    Ok(marks_by_source(rows))
}

pub(crate) async fn mark(conn: &mut SqliteConnection, source: &str, mark: &ImportMark) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO import_marks (source, modified_ms, size, failure) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (source) \
         DO UPDATE SET modified_ms = excluded.modified_ms, size = excluded.size, failure = excluded.failure",
    )
    .bind(source)
    .bind(mark.modified_ms)
    .bind(mark.size)
    .bind(&mark.failure)
    .execute(conn)
    .await
    .map(|_| ())
    .map_err(backend)
}
