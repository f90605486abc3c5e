//! Recording files: reading metadata.xml, unpacking spool tars safely, and the published/unpublished trees.

pub mod extract;
pub mod layout;
pub mod metadata;
pub mod scan;

pub use extract::{ExtractError, ExtractLimits, extract};
pub use layout::Layout;
pub use metadata::{MetadataError, parse_metadata, safe_name};
pub use scan::{FoundMetadata, metadata_files, metadata_settled, spool_tars};
