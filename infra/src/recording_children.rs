//! Each recording's children (metadata, playback formats and thumbnails) as one JSON document that both SQL stores
//! keep beside its row, written again in the transaction that changes the child rows: getRecordings reads a page of
//! recordings with their documents instead of looking up each child row. A recording without a readable document
//! (indexed before, or changed by another writer) is read from its child rows. A view builds the same document in
//! SQL: `recording_children` on the embedded store, `scalelite_rs_recording_children_built` on PostgreSQL.

use std::collections::BTreeMap;

use scalelite_shared::model::{PlaybackFormat, Recording};
use serde::{Deserialize, Serialize};

use crate::recording_rows::RecordingRow;

/// A recording's children as its document holds them: the model's field names, which the views write too.
#[derive(Deserialize, Serialize)]
pub(crate) struct Children {
    metadata: BTreeMap<String, String>,
    formats: Vec<PlaybackFormat>,
}

impl Children {
    /// The document of `recording`'s children.
    pub(crate) fn document(recording: &Recording) -> serde_json::Result<String> {
        serde_json::to_string(&Self { metadata: recording.metadata.clone(), formats: recording.formats.clone() })
    }

    /// The children a document holds; `None` when it cannot be read.
    pub(crate) fn parse(document: &str) -> Option<Self> {
        serde_json::from_str(document).ok()
    }

    /// The recording of `row` with these children.
    pub(crate) fn with(self, row: RecordingRow) -> Recording {
        row.into_recording(self.metadata, self.formats)
    }
}

/// The recordings of `rows` read from their documents, in order, with a hole for each row without a readable
/// document; and those rows, in order, to be read from their child rows.
pub(crate) fn from_documents(rows: Vec<(RecordingRow, Option<String>)>) -> (Vec<Option<Recording>>, Vec<RecordingRow>) {
    let mut read = Vec::with_capacity(rows.len());
    let mut undocumented = Vec::new();
    for (row, document) in rows {
        let children = document.as_deref().and_then(|text| {
            let children = Children::parse(text);
            if children.is_none() {
                tracing::warn!(recording = row.id, bytes = text.len(), "unreadable children document");
            }
            children
        });
        match children {
            Some(children) => read.push(Some(children.with(row))),
            None => {
                undocumented.push(row);
                read.push(None);
            }
        }
    }
    (read, undocumented)
}

/// `read` with its holes filled, in order, by `from_child_rows` (the recordings of the rows it left out).
pub(crate) fn fill(read: Vec<Option<Recording>>, from_child_rows: Vec<Recording>) -> Vec<Recording> {
    let mut from_child_rows = from_child_rows.into_iter();
    read.into_iter().filter_map(|recording| recording.or_else(|| from_child_rows.next())).collect()
}
