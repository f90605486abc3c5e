//! The recordings index in the embedded store: upserts from metadata.xml, publication and edits, each one write
//! transaction that also rebuilds the children document (`recordings.children`, from the `recording_children`
//! view) of each recording whose child rows it changed; queries in [`select`](super::select).

use async_trait::async_trait;
use scalelite_shared::model::Recording;
use scalelite_shared::recordings::{self, as_asked};
use scalelite_shared::store::{RecordingEdits, RecordingIndex, RecordingQuery, ServerStore, StoreError, StoreResult};
use sqlx::SqliteConnection;

use super::{SqliteStore, backend, select};

/// Rebuilds the documents of recordings `ids` from their child rows, in one statement.
async fn rebuild_children(conn: &mut SqliteConnection, ids: &[i64]) -> StoreResult<()> {
    sqlx::query(
        "UPDATE recordings SET children = (SELECT document FROM recording_children WHERE recording_id = recordings.id) \
         WHERE id IN (SELECT value FROM json_each(?1))",
    )
    .bind(serde_json::to_string(ids).map_err(|e| StoreError::Backend(e.to_string()))?)
    .execute(conn)
    .await
    .map(|_| ())
    .map_err(backend)
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

/// Upserts `recording` (see the port) and returns its row id; its children's document is left to the caller.
async fn import(conn: &mut SqliteConnection, recording: &Recording) -> StoreResult<i64> {
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
    Ok(id)
}

async fn set_published(conn: &mut SqliteConnection, record_id: &str, published: bool) -> StoreResult<()> {
    sqlx::query("UPDATE recordings SET published = ?1, state = ?2, publish_updated = 1 WHERE record_id = ?3")
        .bind(published)
        .bind(Recording::state_for(published))
        .bind(record_id)
        .execute(conn)
        .await
        .map(|_| ())
        .map_err(backend)
}

async fn update(conn: &mut SqliteConnection, record_ids: &[String], edits: &RecordingEdits) -> StoreResult<bool> {
    let mut changed = false;
    let mut edited = Vec::new();
    for record_id in record_ids {
        let Some(id): Option<i64> = sqlx::query_scalar("SELECT id FROM recordings WHERE record_id = ?")
            .bind(record_id)
            .fetch_optional(&mut *conn)
            .await
            .map_err(backend)?
        else {
            continue;
        };
        let mut metadata_changed = false;
        for (key, value) in &edits.metadata {
            metadata_changed |= match value {
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
        if metadata_changed {
            edited.push(id);
        }
        changed |= metadata_changed;
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
    if !edited.is_empty() {
        rebuild_children(conn, &edited).await?;
    }
    Ok(changed)
}

async fn delete(conn: &mut SqliteConnection, record_id: &str) -> StoreResult<()> {
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
    rebuild_children(conn, &[id]).await
}

#[async_trait]
impl RecordingIndex for SqliteStore {
    async fn import_recordings(&self, recordings: &[Recording]) -> StoreResult<Vec<Recording>> {
        if recordings.is_empty() {
            return Ok(Vec::new());
        }
        let mut tx = self.write().await?;
        let mut ids = Vec::with_capacity(recordings.len());
        for recording in recordings {
            ids.push(import(tx.conn(), recording).await?);
        }
        rebuild_children(tx.conn(), &ids).await?;
        tx.commit().await?;
        let record_ids = recordings.iter().map(|r| r.record_id.clone()).collect();
        let stored = self.recordings(&RecordingQuery { record_ids, ..RecordingQuery::default() }).await?;
        as_asked(recordings, stored)
            .map_err(|record_id| StoreError::Backend(format!("recording {record_id} vanished after import")))
    }

    async fn recordings(&self, query: &RecordingQuery) -> StoreResult<Vec<Recording>> {
        let Some(plan) = recordings::plan(query) else { return Ok(Vec::new()) };
        self.reader.long_read(move |conn| select::matching(conn, &plan)).await
    }

    async fn set_published(&self, record_id: &str, published: bool) -> StoreResult<()> {
        let mut tx = self.write().await?;
        set_published(tx.conn(), record_id, published).await?;
        tx.commit().await
    }

    async fn update_recordings(&self, record_ids: &[String], edits: &RecordingEdits) -> StoreResult<bool> {
        let mut tx = self.write().await?;
        let changed = update(tx.conn(), record_ids, edits).await?;
        tx.commit().await?;
        Ok(changed)
    }

    async fn delete_recording(&self, record_id: &str) -> StoreResult<()> {
        let mut tx = self.write().await?;
        delete(tx.conn(), record_id).await?;
        tx.commit().await
    }

    async fn ping(&self) -> StoreResult<()> {
        ServerStore::ping(self).await
    }
}
