//! Rows of the recordings index as both SQL stores read them (the same columns, so one set of row types), and
//! their assembly into `Recording`s: metadata by key, formats by name, thumbnails by sequence.

use std::collections::{BTreeMap, HashMap};

use scalelite_shared::model::{PlaybackFormat, Recording, Thumbnail};
use scalelite_shared::store::ImportMark;

#[derive(sqlx::FromRow)]
pub(crate) struct RecordingRow {
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
pub(crate) struct MetadataRow {
    recording_id: i64,
    key: String,
    value: String,
}

#[derive(sqlx::FromRow)]
pub(crate) struct FormatRow {
    pub id: i64,
    recording_id: i64,
    format: String,
    url: String,
    length: Option<i32>,
    processing_time: Option<i32>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct ThumbnailRow {
    playback_format_id: i64,
    url: String,
    width: Option<i32>,
    height: Option<i32>,
    alt: Option<String>,
    sequence: i32,
}

impl RecordingRow {
    /// The recording of this row with its metadata and formats.
    pub(crate) fn into_recording(self, metadata: BTreeMap<String, String>, formats: Vec<PlaybackFormat>) -> Recording {
        Recording {
            metadata,
            formats,
            record_id: self.record_id,
            meeting_id: self.meeting_id,
            name: self.name,
            published: self.published,
            participants: self.participants,
            state: self.state,
            start_time_ms: self.start_time_ms,
            end_time_ms: self.end_time_ms,
            protected: self.protected,
            publish_updated: self.publish_updated,
        }
    }
}

// The embedded store reads these rows on rusqlite, selecting the columns in the order of each struct.

impl RecordingRow {
    pub(crate) fn read(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: row.get(0)?,
            record_id: row.get(1)?,
            meeting_id: row.get(2)?,
            name: row.get(3)?,
            published: row.get(4)?,
            participants: row.get(5)?,
            state: row.get(6)?,
            start_time_ms: row.get(7)?,
            end_time_ms: row.get(8)?,
            protected: row.get(9)?,
            publish_updated: row.get(10)?,
        })
    }
}

impl MetadataRow {
    pub(crate) fn read(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self { recording_id: row.get(0)?, key: row.get(1)?, value: row.get(2)? })
    }
}

impl FormatRow {
    pub(crate) fn read(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: row.get(0)?,
            recording_id: row.get(1)?,
            format: row.get(2)?,
            url: row.get(3)?,
            length: row.get(4)?,
            processing_time: row.get(5)?,
        })
    }
}

impl ThumbnailRow {
    pub(crate) fn read(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            playback_format_id: row.get(0)?,
            url: row.get(1)?,
            width: row.get(2)?,
            height: row.get(3)?,
            alt: row.get(4)?,
            sequence: row.get(5)?,
        })
    }
}

/// The recordings of `rows`, in their order, with their child rows (formats ordered by name, thumbnails by
/// sequence, as fetched).
pub(crate) fn assemble(
    rows: Vec<RecordingRow>,
    metadata: Vec<MetadataRow>,
    formats: Vec<FormatRow>,
    thumbnails: Vec<ThumbnailRow>,
) -> Vec<Recording> {
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
    rows.into_iter()
        .map(|r| {
            let metadata = metadata_by_recording.remove(&r.id).unwrap_or_default().into_iter().collect();
            let formats = formats_by_recording.remove(&r.id).unwrap_or_default();
            r.into_recording(metadata, formats)
        })
        .collect()
}

/// One row of the importer's ledger.
#[derive(sqlx::FromRow)]
pub(crate) struct MarkRow {
    source: String,
    modified_ms: i64,
    size: i64,
    failure: Option<String>,
}

/// The ledger by source path.
pub(crate) fn marks(rows: Vec<MarkRow>) -> HashMap<String, ImportMark> {
    rows.into_iter()
        .map(|r| (r.source, ImportMark { modified_ms: r.modified_ms, size: r.size, failure: r.failure }))
        .collect()
}
