//! A recording in the index: what metadata.xml said, where it plays, and whether it is published.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The states a recording may be in; anything else in a metadata.xml is refused.
pub const RECORDING_STATES: &[&str] = &["processing", "processed", "published", "unpublished", "deleted"];

/// The metadata key that names the tenant a recording belongs to.
pub const TENANT_ID_KEY: &str = "tenant-id";

/// One recording, keyed by its recordID (BBB's internal meeting id).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Recording {
    pub record_id: String,
    /// The front-end's meetingID.
    pub meeting_id: String,
    pub name: Option<String>,
    pub published: bool,
    pub participants: Option<i32>,
    pub state: Option<String>,
    pub start_time_ms: Option<i64>,
    pub end_time_ms: Option<i64>,
    pub protected: bool,
    /// Set once publishRecordings changed `published`; a later import keeps that choice.
    pub publish_updated: bool,
    /// Metadata keys and values (`meta_*` of the create, less BBB's own keys).
    pub metadata: BTreeMap<String, String>,
    /// Playback formats, ordered by format name.
    pub formats: Vec<PlaybackFormat>,
}

impl Recording {
    /// The tenant the recording belongs to (`tenant-id` metadata), if any.
    pub fn tenant_id(&self) -> Option<&str> {
        self.metadata.get(TENANT_ID_KEY).map(String::as_str)
    }

    /// The state that goes with a published flag.
    pub fn state_for(published: bool) -> &'static str {
        if published { "published" } else { "unpublished" }
    }
}

/// One way to play a recording (presentation, video, podcast ...); serialized by its field names (the stores keep a
/// recording's formats as one document).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PlaybackFormat {
    pub format: String,
    /// Path and query of the playback link, without scheme and host.
    pub url: String,
    /// Minutes.
    pub length: Option<i32>,
    pub processing_time: Option<i32>,
    /// Ordered by sequence.
    pub thumbnails: Vec<Thumbnail>,
}

/// A preview image of a playback format.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Thumbnail {
    pub url: String,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub alt: Option<String>,
    pub sequence: i32,
}
