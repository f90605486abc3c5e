//! Importing recordings: one transaction of upserts by recordID, metadata key and format name, one statement a
//! table for a whole batch, so that concurrent imports of the same recording wait for each other instead of
//! failing.

use std::collections::HashMap;

use scalelite_shared::model::Recording;
use scalelite_shared::recordings::{as_asked, collapsed};
use scalelite_shared::store::{RecordingQuery, StoreError, StoreResult};
use sqlx::{PgConnection, PgPool};

use super::backend;
use super::rows::{begin_writing_children, write_children};
use super::select;

/// Upserts `recordings` in one transaction, one statement a table for the whole batch, and returns each as
/// stored.
pub(super) async fn import(pool: &PgPool, recordings: &[Recording]) -> StoreResult<Vec<Recording>> {
    if recordings.is_empty() {
        return Ok(Vec::new());
    }
    // One row a recordID (a row may change only once a statement), in recordID order, so that two batches lock
    // their rows in the same order and never wait for each other in a circle.
    let batch = collapsed(recordings);
    let mut tx = begin_writing_children(pool).await?;
    let ids = upsert_recordings(&mut tx, &batch).await?;
    upsert_metadata(&mut tx, &batch, &ids).await?;
    let format_ids = upsert_formats(&mut tx, &batch, &ids).await?;
    replace_thumbnails(&mut tx, &batch, &ids, &format_ids).await?;
    let record_ids = batch.iter().map(|r| r.record_id.clone()).collect();
    let stored = select::written(&mut tx, &RecordingQuery { record_ids, ..RecordingQuery::default() }).await?;
    write_children(&mut tx, &stored).await?;
    tx.commit().await.map_err(backend)?;
    as_asked(recordings, stored)
        .map_err(|record_id| StoreError::Backend(format!("recording {record_id} vanished on import")))
}

/// Each recording's columns, its row id by recordID; a recording whose publication was changed by hand keeps
/// `published` and `state`.
async fn upsert_recordings(conn: &mut PgConnection, batch: &[Recording]) -> StoreResult<HashMap<String, i64>> {
    let column = |value: fn(&Recording) -> Option<&str>| batch.iter().map(value).collect::<Vec<_>>();
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "INSERT INTO recordings (record_id, meeting_id, name, published, participants, state, starttime, \
         endtime, protected) \
         SELECT r, m, n, p, c, s, TIMESTAMP 'epoch' + b * INTERVAL '1 millisecond', \
         TIMESTAMP 'epoch' + e * INTERVAL '1 millisecond', x \
         FROM unnest($1::text[], $2::text[], $3::text[], $4::bool[], $5::int4[], $6::text[], $7::int8[], \
         $8::int8[], $9::bool[]) AS t(r, m, n, p, c, s, b, e, x) \
         ON CONFLICT (record_id) DO UPDATE SET meeting_id = EXCLUDED.meeting_id, name = EXCLUDED.name, \
         participants = EXCLUDED.participants, starttime = EXCLUDED.starttime, endtime = EXCLUDED.endtime, \
         protected = EXCLUDED.protected, \
         published = CASE WHEN recordings.publish_updated THEN recordings.published ELSE EXCLUDED.published END, \
         state = CASE WHEN recordings.publish_updated THEN recordings.state ELSE EXCLUDED.state END \
         RETURNING record_id, id",
    )
    .bind(column(|r| Some(r.record_id.as_str())))
    .bind(column(|r| Some(r.meeting_id.as_str())))
    .bind(column(|r| r.name.as_deref()))
    .bind(batch.iter().map(|r| r.published).collect::<Vec<_>>())
    .bind(batch.iter().map(|r| r.participants).collect::<Vec<_>>())
    .bind(column(|r| r.state.as_deref()))
    .bind(batch.iter().map(|r| r.start_time_ms).collect::<Vec<_>>())
    .bind(batch.iter().map(|r| r.end_time_ms).collect::<Vec<_>>())
    .bind(batch.iter().map(|r| r.protected).collect::<Vec<_>>())
    .fetch_all(&mut *conn)
    .await
    .map_err(backend)?;
    Ok(rows.into_iter().collect())
}

/// The row id of `recording`, as [`upsert_recordings`] answered.
fn id_of(ids: &HashMap<String, i64>, recording: &Recording) -> StoreResult<i64> {
    ids.get(&recording.record_id)
        .copied()
        .ok_or_else(|| StoreError::Backend(format!("recording {} was not written", recording.record_id)))
}

/// Every metadata key the batch names; keys it does not name stay.
async fn upsert_metadata(conn: &mut PgConnection, batch: &[Recording], ids: &HashMap<String, i64>) -> StoreResult<()> {
    let (mut owners, mut keys, mut values) = (Vec::new(), Vec::new(), Vec::new());
    for recording in batch {
        let id = id_of(ids, recording)?;
        for (key, value) in &recording.metadata {
            owners.push(id);
            keys.push(key.as_str());
            values.push(value.as_str());
        }
    }
    if owners.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO metadata (recording_id, key, value) SELECT * FROM unnest($1::int8[], $2::text[], $3::text[]) \
         ON CONFLICT (recording_id, key) DO UPDATE SET value = EXCLUDED.value",
    )
    .bind(&owners)
    .bind(&keys)
    .bind(&values)
    .execute(&mut *conn)
    .await
    .map_err(backend)?;
    Ok(())
}

/// Every playback format the batch names, by name; the row id of each by (recording id, format).
async fn upsert_formats(
    conn: &mut PgConnection,
    batch: &[Recording],
    ids: &HashMap<String, i64>,
) -> StoreResult<HashMap<(i64, String), i64>> {
    let (mut owners, mut names, mut urls, mut lengths, mut times) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for recording in batch {
        let id = id_of(ids, recording)?;
        for format in &recording.formats {
            owners.push(id);
            names.push(format.format.as_str());
            urls.push(format.url.as_str());
            lengths.push(format.length);
            times.push(format.processing_time);
        }
    }
    let rows: Vec<(i64, String, i64)> = sqlx::query_as(
        "INSERT INTO playback_formats (recording_id, format, url, length, processing_time) \
         SELECT * FROM unnest($1::int8[], $2::text[], $3::text[], $4::int4[], $5::int4[]) \
         ON CONFLICT (recording_id, format) DO UPDATE SET url = EXCLUDED.url, length = EXCLUDED.length, \
         processing_time = EXCLUDED.processing_time RETURNING recording_id, format, id",
    )
    .bind(&owners)
    .bind(&names)
    .bind(&urls)
    .bind(&lengths)
    .bind(&times)
    .fetch_all(&mut *conn)
    .await
    .map_err(backend)?;
    Ok(rows.into_iter().map(|(recording_id, format, id)| ((recording_id, format), id)).collect())
}

/// The thumbnails of every format the batch names, replaced by the batch's.
async fn replace_thumbnails(
    conn: &mut PgConnection,
    batch: &[Recording],
    ids: &HashMap<String, i64>,
    format_ids: &HashMap<(i64, String), i64>,
) -> StoreResult<()> {
    let all: Vec<i64> = format_ids.values().copied().collect();
    sqlx::query("DELETE FROM thumbnails WHERE playback_format_id = ANY($1::int8[])")
        .bind(&all)
        .execute(&mut *conn)
        .await
        .map_err(backend)?;
    let (mut owners, mut widths, mut heights, mut alts, mut urls, mut sequences) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for recording in batch {
        let id = id_of(ids, recording)?;
        for format in &recording.formats {
            let format_id = format_ids.get(&(id, format.format.clone())).copied().ok_or_else(|| {
                StoreError::Backend(format!("format {} of {} was not written", format.format, recording.record_id))
            })?;
            for thumbnail in &format.thumbnails {
                owners.push(format_id);
                widths.push(thumbnail.width);
                heights.push(thumbnail.height);
                alts.push(thumbnail.alt.as_deref());
                urls.push(thumbnail.url.as_str());
                sequences.push(thumbnail.sequence);
            }
        }
    }
    if owners.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO thumbnails (playback_format_id, width, height, alt, url, sequence) \
         SELECT * FROM unnest($1::int8[], $2::int4[], $3::int4[], $4::text[], $5::text[], $6::int4[])",
    )
    .bind(&owners)
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
