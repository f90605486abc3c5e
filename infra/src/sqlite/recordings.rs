//! The recordings index in the embedded store: upserts from metadata.xml, getRecordings queries, edits.

use std::collections::HashMap;

use scalelite_shared::model::{PlaybackFormat, Recording, Thumbnail};
use scalelite_shared::store::{ImportMark, RecordingEdits, RecordingQuery, StoreResult};
use sqlx::{QueryBuilder, Sqlite, SqliteConnection, SqlitePool};

use super::backend;

/// Child rows are fetched for this many recordings per statement.
const CHUNK: usize = 500;

#[derive(sqlx::FromRow)]
struct RecordingRow {
    id: i64,
    record_id: String,
    meeting_id: String,
    name: Option<String>,
    published: bool,
    participants: Option<i32>,
    state: Option<String>,
    starttime_ms: Option<i64>,
    endtime_ms: Option<i64>,
    protected: bool,
    publish_updated: bool,
}

#[derive(sqlx::FromRow)]
struct MetadataRow {
    recording_id: i64,
    key: String,
    value: Option<String>,
}

#[derive(sqlx::FromRow)]
struct FormatRow {
    id: i64,
    recording_id: i64,
    format: String,
    url: Option<String>,
    length: Option<i32>,
    processing_time: Option<i32>,
}

#[derive(sqlx::FromRow)]
struct ThumbnailRow {
    playback_format_id: i64,
    width: Option<i32>,
    height: Option<i32>,
    alt: Option<String>,
    url: Option<String>,
    sequence: Option<i32>,
}

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
        "SELECT r.id, r.record_id, r.meeting_id, r.name, r.published, r.participants, r.state, r.starttime_ms, \
         r.endtime_ms, r.protected, r.publish_updated FROM recordings r",
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

/// Recordings matching `query`, newest first, with metadata, formats and thumbnails.
pub(crate) async fn find(pool: &SqlitePool, query: &RecordingQuery) -> StoreResult<Vec<Recording>> {
    let rows = rows(pool, query).await?;
    let mut metadata: HashMap<i64, Vec<MetadataRow>> = HashMap::new();
    let mut formats: HashMap<i64, Vec<(i64, PlaybackFormat)>> = HashMap::new();
    let mut thumbnails: HashMap<i64, Vec<Thumbnail>> = HashMap::new();
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    for chunk in ids.chunks(CHUNK) {
        let found = in_ids("SELECT recording_id, key, value FROM metadata WHERE recording_id", chunk, "")
            .build_query_as::<MetadataRow>()
            .fetch_all(pool)
            .await
            .map_err(backend)?;
        for row in found {
            metadata.entry(row.recording_id).or_default().push(row);
        }
        let found = in_ids(
            "SELECT id, recording_id, format, url, length, processing_time FROM playback_formats WHERE recording_id",
            chunk,
            " ORDER BY format",
        )
        .build_query_as::<FormatRow>()
        .fetch_all(pool)
        .await
        .map_err(backend)?;
        let format_ids: Vec<i64> = found.iter().map(|f| f.id).collect();
        for row in found {
            let format = PlaybackFormat {
                format: row.format,
                url: row.url.unwrap_or_default(),
                length: row.length,
                processing_time: row.processing_time,
                thumbnails: Vec::new(),
            };
            formats.entry(row.recording_id).or_default().push((row.id, format));
        }
        for format_chunk in format_ids.chunks(CHUNK) {
            let found = in_ids(
                "SELECT playback_format_id, width, height, alt, url, sequence FROM thumbnails WHERE playback_format_id",
                format_chunk,
                " ORDER BY sequence",
            )
            .build_query_as::<ThumbnailRow>()
            .fetch_all(pool)
            .await
            .map_err(backend)?;
            for row in found {
                thumbnails.entry(row.playback_format_id).or_default().push(Thumbnail {
                    url: row.url.unwrap_or_default(),
                    width: row.width,
                    height: row.height,
                    alt: row.alt,
                    sequence: row.sequence.unwrap_or(0),
                });
            }
        }
    }
    Ok(rows
        .into_iter()
        .map(|row| Recording {
            metadata: metadata
                .remove(&row.id)
                .unwrap_or_default()
                .into_iter()
                .map(|m| (m.key, m.value.unwrap_or_default()))
                .collect(),
            formats: formats
                .remove(&row.id)
                .unwrap_or_default()
                .into_iter()
                .map(|(id, mut format)| {
                    format.thumbnails = thumbnails.remove(&id).unwrap_or_default();
                    format
                })
                .collect(),
            record_id: row.record_id,
            meeting_id: row.meeting_id,
            name: row.name,
            published: row.published,
            participants: row.participants,
            state: row.state,
            start_time_ms: row.starttime_ms,
            end_time_ms: row.endtime_ms,
            protected: row.protected,
            publish_updated: row.publish_updated,
        })
        .collect())
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

#[derive(sqlx::FromRow)]
struct MarkRow {
    source: String,
    modified_ms: i64,
    size: i64,
    failure: Option<String>,
}

pub(crate) async fn marks(pool: &SqlitePool) -> StoreResult<HashMap<String, ImportMark>> {
    let rows: Vec<MarkRow> = sqlx::query_as("SELECT source, modified_ms, size, failure FROM import_marks")
        .fetch_all(pool)
        .await
        .map_err(backend)?;
    Ok(rows
        .into_iter()
        .map(|r| (r.source, ImportMark { modified_ms: r.modified_ms, size: r.size, failure: r.failure }))
        .collect())
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
