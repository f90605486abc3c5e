//! The recordings index in the embedded store: upserts from metadata.xml, publication and edits; queries in
//! [`select`](super::select).

use std::collections::HashMap;

use scalelite_shared::model::Recording;
use scalelite_shared::store::{ImportMark, RecordingEdits, StoreResult};
use sqlx::{SqliteConnection, SqlitePool};

use super::backend;
use crate::recording_rows::{MarkRow, marks as marks_by_source};

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
