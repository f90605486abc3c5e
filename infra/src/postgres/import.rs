//! Importing recordings: one transaction of upserts by recordID, metadata key and format name, so that
//! concurrent imports of the same recording wait for each other instead of failing.

use scalelite_shared::model::{PlaybackFormat, Recording};
use scalelite_shared::recordings::as_asked;
use scalelite_shared::store::{RecordingQuery, StoreError, StoreResult};
use sqlx::{PgConnection, PgPool};

use super::backend;
use super::select;

/// Upserts `recordings` in one transaction and returns each as stored.
pub(super) async fn import(pool: &PgPool, recordings: &[Recording]) -> StoreResult<Vec<Recording>> {
    // Rows locked in recordID order, so that two batches never wait for each other in a circle; the sort is
    // stable, so a recordID listed twice still merges in the order listed.
    let mut ordered: Vec<&Recording> = recordings.iter().collect();
    ordered.sort_by(|a, b| a.record_id.cmp(&b.record_id));
    let mut tx = pool.begin().await.map_err(backend)?;
    for recording in ordered {
        let id = upsert_recording(&mut tx, recording).await?;
        upsert_metadata(&mut tx, id, recording).await?;
        for format in &recording.formats {
            upsert_format(&mut tx, id, format).await?;
        }
    }
    let record_ids = recordings.iter().map(|r| r.record_id.clone()).collect();
    let stored = select::matching(&mut tx, &RecordingQuery { record_ids, ..RecordingQuery::default() }).await?;
    tx.commit().await.map_err(backend)?;
    as_asked(recordings, stored)
        .map_err(|record_id| StoreError::Backend(format!("recording {record_id} vanished on import")))
}

/// The recording's columns; a recording whose publication was changed by hand keeps `published` and `state`.
async fn upsert_recording(conn: &mut PgConnection, r: &Recording) -> StoreResult<i64> {
    sqlx::query_scalar(
        "INSERT INTO recordings (record_id, meeting_id, name, published, participants, state, starttime, \
         endtime, protected) VALUES ($1, $2, $3, $4, $5, $6, \
         TIMESTAMP 'epoch' + $7::bigint * INTERVAL '1 millisecond', \
         TIMESTAMP 'epoch' + $8::bigint * INTERVAL '1 millisecond', $9) \
         ON CONFLICT (record_id) DO UPDATE SET meeting_id = EXCLUDED.meeting_id, name = EXCLUDED.name, \
         participants = EXCLUDED.participants, starttime = EXCLUDED.starttime, endtime = EXCLUDED.endtime, \
         protected = EXCLUDED.protected, \
         published = CASE WHEN recordings.publish_updated THEN recordings.published ELSE EXCLUDED.published END, \
         state = CASE WHEN recordings.publish_updated THEN recordings.state ELSE EXCLUDED.state END \
         RETURNING id",
    )
    .bind(&r.record_id)
    .bind(&r.meeting_id)
    .bind(r.name.as_deref())
    .bind(r.published)
    .bind(r.participants)
    .bind(r.state.as_deref())
    .bind(r.start_time_ms)
    .bind(r.end_time_ms)
    .bind(r.protected)
    .fetch_one(&mut *conn)
    .await
    .map_err(backend)
}

/// Every metadata key of the recording, one by one; keys it does not name stay.
async fn upsert_metadata(conn: &mut PgConnection, id: i64, r: &Recording) -> StoreResult<()> {
    if r.metadata.is_empty() {
        return Ok(());
    }
    let keys: Vec<&str> = r.metadata.keys().map(String::as_str).collect();
    let values: Vec<&str> = r.metadata.values().map(String::as_str).collect();
    sqlx::query(
        "INSERT INTO metadata (recording_id, key, value) SELECT $1, k, v FROM unnest($2::text[], $3::text[]) \
         AS m(k, v) ON CONFLICT (recording_id, key) DO UPDATE SET value = EXCLUDED.value",
    )
    .bind(id)
    .bind(&keys)
    .bind(&values)
    .execute(&mut *conn)
    .await
    .map_err(backend)?;
    Ok(())
}

/// One playback format by name, its thumbnails replaced.
async fn upsert_format(conn: &mut PgConnection, id: i64, f: &PlaybackFormat) -> StoreResult<()> {
    let format_id: i64 = sqlx::query_scalar(
        "INSERT INTO playback_formats (recording_id, format, url, length, processing_time) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (recording_id, format) DO UPDATE SET url = EXCLUDED.url, \
         length = EXCLUDED.length, processing_time = EXCLUDED.processing_time RETURNING id",
    )
    .bind(id)
    .bind(&f.format)
    .bind(&f.url)
    .bind(f.length)
    .bind(f.processing_time)
    .fetch_one(&mut *conn)
    .await
    .map_err(backend)?;
    sqlx::query("DELETE FROM thumbnails WHERE playback_format_id = $1")
        .bind(format_id)
        .execute(&mut *conn)
        .await
        .map_err(backend)?;
    if f.thumbnails.is_empty() {
        return Ok(());
    }
    let widths: Vec<Option<i32>> = f.thumbnails.iter().map(|t| t.width).collect();
    let heights: Vec<Option<i32>> = f.thumbnails.iter().map(|t| t.height).collect();
    let alts: Vec<Option<&str>> = f.thumbnails.iter().map(|t| t.alt.as_deref()).collect();
    let urls: Vec<&str> = f.thumbnails.iter().map(|t| t.url.as_str()).collect();
    let sequences: Vec<i32> = f.thumbnails.iter().map(|t| t.sequence).collect();
    sqlx::query(
        "INSERT INTO thumbnails (playback_format_id, width, height, alt, url, sequence) \
         SELECT $1, w, h, a, u, s FROM unnest($2::int4[], $3::int4[], $4::text[], $5::text[], $6::int4[]) \
         AS t(w, h, a, u, s)",
    )
    .bind(format_id)
    .bind(&widths)
    .bind(&heights)
    .bind(&alts)
    .bind(&urls)
    .bind(&sequences)
    .execute(&mut *conn)
    .await
    .map_err(backend)?;
    Ok(())
}
