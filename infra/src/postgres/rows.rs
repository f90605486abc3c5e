//! Reading upstream's recording tables: the recording columns every select reads, one query per child table for
//! the recordings of a page without a children document, and the writing of those documents.

use scalelite_shared::model::Recording;
use scalelite_shared::store::{StoreError, StoreResult};
use sqlx::{PgConnection, PgPool, Postgres, Transaction};

use super::backend;
use crate::recording_children::Children;
pub(super) use crate::recording_rows::RecordingRow;
use crate::recording_rows::{FormatRow, MetadataRow, ThumbnailRow, assemble as assemble_rows};

/// The columns of `recordings` (as `r`) every select reads, times as epoch milliseconds (stored as UTC).
macro_rules! recording_columns {
    () => {
        "r.id, COALESCE(r.record_id, '') AS record_id, \
     COALESCE(r.meeting_id, '') AS meeting_id, r.name, r.published, r.participants, r.state, \
     floor(extract(epoch FROM r.starttime) * 1000)::bigint AS start_time_ms, \
     floor(extract(epoch FROM r.endtime) * 1000)::bigint AS end_time_ms, r.protected, r.publish_updated"
    };
}
pub(super) use recording_columns;

/// The recordings of `rows`, in their order, with metadata, formats (by name) and thumbnails (by sequence).
pub(super) async fn assemble(conn: &mut PgConnection, rows: Vec<RecordingRow>) -> StoreResult<Vec<Recording>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let metadata: Vec<MetadataRow> = sqlx::query_as(
        "SELECT recording_id, key, COALESCE(value, '') AS value FROM metadata \
         WHERE recording_id = ANY($1) AND key IS NOT NULL",
    )
    .bind(&ids)
    .fetch_all(&mut *conn)
    .await
    .map_err(backend)?;
    let formats: Vec<FormatRow> = sqlx::query_as(
        "SELECT id, recording_id, COALESCE(format, '') AS format, COALESCE(url, '') AS url, length, \
         processing_time FROM playback_formats WHERE recording_id = ANY($1) ORDER BY recording_id, format, id",
    )
    .bind(&ids)
    .fetch_all(&mut *conn)
    .await
    .map_err(backend)?;
    let format_ids: Vec<i64> = formats.iter().map(|f| f.id).collect();
    let thumbnails: Vec<ThumbnailRow> = sqlx::query_as(
        "SELECT playback_format_id, COALESCE(url, '') AS url, width, height, alt, \
         COALESCE(sequence, 0) AS sequence FROM thumbnails WHERE playback_format_id = ANY($1) \
         ORDER BY playback_format_id, sequence, id",
    )
    .bind(&format_ids)
    .fetch_all(&mut *conn)
    .await
    .map_err(backend)?;

    Ok(assemble_rows(rows, metadata, formats, thumbnails))
}

/// Begins a transaction that writes the documents of the recordings whose children it changes, so the triggers
/// that forget documents for other writers stand aside in it (migration 0007). It reads those recordings back
/// with [`select::written`](super::select::written) and then must [`write_children`]. The setting is sent with
/// `BEGIN`, in the same round trip, and ends with the transaction (committed or rolled back). `SET LOCAL` of a
/// placeholder setting has no way to fail but the connection's own; should it fail after `BEGIN`, the
/// connection would go back to the pool inside that failed transaction, and its next use would fail until the
/// pool closes it.
pub(super) async fn begin_writing_children(pool: &PgPool) -> StoreResult<Transaction<'static, Postgres>> {
    pool.begin_with("BEGIN; SET LOCAL scalelite_rs.writes_children = on").await.map_err(backend)
}

/// Writes the children documents of `recordings`, each as read in this transaction after its child rows changed
/// (the caller holds their row locks).
pub(super) async fn write_children(conn: &mut PgConnection, recordings: &[Recording]) -> StoreResult<()> {
    let mut record_ids = Vec::with_capacity(recordings.len());
    let mut documents = Vec::with_capacity(recordings.len());
    for recording in recordings {
        record_ids.push(recording.record_id.as_str());
        documents.push(Children::document(recording).map_err(|e| StoreError::Backend(e.to_string()))?);
    }
    sqlx::query(
        "INSERT INTO scalelite_rs_recording_children (recording_id, document) \
         SELECT r.id, d.document FROM unnest($1::text[], $2::text[]) AS d (record_id, document) \
         JOIN recordings r ON r.record_id = d.record_id \
         ON CONFLICT (recording_id) DO UPDATE SET document = EXCLUDED.document",
    )
    .bind(record_ids)
    .bind(documents)
    .execute(conn)
    .await
    .map(|_| ())
    .map_err(backend)
}
