//! Rows of upstream's recording tables and their assembly into `Recording`s: one query per child table for
//! a whole page of recordings.

use std::collections::HashMap;

use scalelite_shared::model::{PlaybackFormat, Recording, Thumbnail};
use scalelite_shared::store::StoreResult;
use sqlx::PgConnection;

use super::backend;

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

#[derive(sqlx::FromRow)]
pub(super) struct RecordingRow {
    pub id: i64,
    record_id: String,
    meeting_id: String,
    name: Option<String>,
    published: bool,
    participants: Option<i32>,
    state: Option<String>,
    start_time_ms: Option<i64>,
    end_time_ms: Option<i64>,
    protected: bool,
    publish_updated: bool,
}

#[derive(sqlx::FromRow)]
struct MetadataRow {
    recording_id: i64,
    key: String,
    value: String,
}

#[derive(sqlx::FromRow)]
struct FormatRow {
    id: i64,
    recording_id: i64,
    format: String,
    url: String,
    length: Option<i32>,
    processing_time: Option<i32>,
}

#[derive(sqlx::FromRow)]
struct ThumbnailRow {
    playback_format_id: i64,
    url: String,
    width: Option<i32>,
    height: Option<i32>,
    alt: Option<String>,
    sequence: i32,
}

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

    let mut thumbs_by_format: HashMap<i64, Vec<Thumbnail>> = HashMap::new();
    for t in thumbnails {
        thumbs_by_format.entry(t.playback_format_id).or_default().push(Thumbnail {
            url: t.url,
            width: t.width,
            height: t.height,
            alt: t.alt,
            sequence: t.sequence,
        });
    }
    let mut formats_by_recording: HashMap<i64, Vec<PlaybackFormat>> = HashMap::new();
    for f in formats {
        formats_by_recording.entry(f.recording_id).or_default().push(PlaybackFormat {
            thumbnails: thumbs_by_format.remove(&f.id).unwrap_or_default(),
            format: f.format,
            url: f.url,
            length: f.length,
            processing_time: f.processing_time,
        });
    }
    let mut metadata_by_recording: HashMap<i64, Vec<(String, String)>> = HashMap::new();
    for m in metadata {
        metadata_by_recording.entry(m.recording_id).or_default().push((m.key, m.value));
    }
    Ok(rows
        .into_iter()
        .map(|r| Recording {
            metadata: metadata_by_recording.remove(&r.id).unwrap_or_default().into_iter().collect(),
            formats: formats_by_recording.remove(&r.id).unwrap_or_default(),
            record_id: r.record_id,
            meeting_id: r.meeting_id,
            name: r.name,
            published: r.published,
            participants: r.participants,
            state: r.state,
            start_time_ms: r.start_time_ms,
            end_time_ms: r.end_time_ms,
            protected: r.protected,
            publish_updated: r.publish_updated,
        })
        .collect())
}
