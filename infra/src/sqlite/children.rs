//! Each recording's children (metadata, playback formats, thumbnails) as the one JSON document its row keeps in
//! `recordings.children`: rebuilt from the child rows (the `recording_children` view) in the transaction that
//! changes them, and read with the row by getRecordings, so a page of recordings costs no lookup per child row.

use std::collections::BTreeMap;

use scalelite_shared::model::{PlaybackFormat, Recording, Thumbnail};
use scalelite_shared::store::{StoreError, StoreResult};
use serde::Deserialize;
use sqlx::SqliteConnection;

use super::backend;
use crate::recording_rows::RecordingRow;

/// Rebuilds the documents of recordings `ids` from their child rows, in one statement.
pub(super) async fn rebuild(conn: &mut SqliteConnection, ids: &[i64]) -> StoreResult<()> {
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

/// A recording's children as its document holds them (the view's field names).
#[derive(Deserialize)]
pub(super) struct Children {
    metadata: BTreeMap<String, String>,
    formats: Vec<FormatDocument>,
}

#[derive(Deserialize)]
struct FormatDocument {
    format: String,
    url: String,
    length: Option<i32>,
    processing_time: Option<i32>,
    thumbnails: Vec<ThumbnailDocument>,
}

#[derive(Deserialize)]
struct ThumbnailDocument {
    url: String,
    width: Option<i32>,
    height: Option<i32>,
    alt: Option<String>,
    sequence: i32,
}

impl Children {
    /// The children a document holds; `None` when it cannot be read.
    pub(super) fn parse(document: &str) -> Option<Self> {
        serde_json::from_str(document).ok()
    }

    /// The recording of `row` with these children.
    pub(super) fn with(self, row: RecordingRow) -> Recording {
        let formats = self
            .formats
            .into_iter()
            .map(|f| PlaybackFormat {
                format: f.format,
                url: f.url,
                length: f.length,
                processing_time: f.processing_time,
                thumbnails: f
                    .thumbnails
                    .into_iter()
                    .map(|t| Thumbnail {
                        url: t.url,
                        width: t.width,
                        height: t.height,
                        alt: t.alt,
                        sequence: t.sequence,
                    })
                    .collect(),
            })
            .collect();
        row.into_recording(self.metadata, formats)
    }
}
