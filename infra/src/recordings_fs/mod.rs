//! Recording files: reading metadata.xml, unpacking spool tars safely, the spool, the
//! published/unpublished trees and the captions directory behind the recording files port.

mod captions;
mod disk;
pub mod extract;
mod layout;
pub mod metadata;
#[cfg(test)]
mod properties;
pub mod scan;
mod spool;

pub use disk::DiskFiles;
pub use extract::{ExtractError, ExtractLimits, entries_under, extract};
pub use metadata::{MetadataError, parse_metadata, safe_name};
pub use scan::{FoundMetadata, metadata_files, metadata_settled};
