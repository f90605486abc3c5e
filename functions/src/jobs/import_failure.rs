//! Why a recording cannot be imported: the reason a spool tar is set aside with, or an in-place
//! metadata.xml is marked failed with.

use std::io;
use std::path::PathBuf;

use scalelite_infra::recordings_fs::{ExtractError, MetadataError};

/// One reason a tar or a metadata.xml is refused.
#[derive(Debug, thiserror::Error)]
pub enum ImportFailure {
    #[error("cannot read {path}: {source}")]
    Unreadable { path: PathBuf, source: io::Error },
    #[error(transparent)]
    Metadata(#[from] MetadataError),
    #[error("metadata.xml describes {format}/{record_id} but lies in {dir_format}/{dir_record_id}")]
    Misplaced { format: String, record_id: String, dir_format: String, dir_record_id: String },
    #[error("recording {record_id} belongs to meeting {owner}, not to {meeting_id}")]
    ClaimedByAnother { record_id: String, owner: String, meeting_id: String },
    #[error(transparent)]
    Extract(#[from] ExtractError),
    #[error(transparent)]
    Unpacked(io::Error),
    #[error("no <format>/<recordID>/metadata.xml in the archive")]
    Empty,
    #[error("cannot place {format}/{record_id}: {source}")]
    NotPlaced { format: String, record_id: String, source: io::Error },
}
