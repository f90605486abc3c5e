//! The recording files port: the published and unpublished trees that playback serves, and the spool the
//! importer reads: on disk (a local directory or an NFS share) or in an S3 bucket.

use std::io;
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use bytes::Bytes;

/// How a browser is sent one file of a published recording.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Delivery {
    /// nginx sends it from the published tree (`X-Accel-Redirect`).
    FromTree,
    /// A redirect to this time-limited signed URL of the object.
    SignedUrl(String),
}

/// Where a recording's files are kept and moved.
#[async_trait]
pub trait RecordingFiles: Send + Sync {
    /// Puts an unpacked format directory in the published or unpublished tree, replacing an earlier copy.
    async fn place(&self, unpacked: &Path, format: &str, record_id: &str, published: bool) -> io::Result<()>;
    /// Moves a recording's formats into the published or the unpublished tree.
    async fn set_published(&self, record_id: &str, formats: &[String], published: bool) -> io::Result<()>;
    /// Removes a recording's files from both trees.
    async fn delete(&self, record_id: &str) -> io::Result<()>;
    /// How a browser gets `file` (a decoded path below `<format>/<recordID>/`) of a published recording.
    async fn deliver(&self, format: &str, record_id: &str, file: &str) -> io::Result<Delivery>;
    /// Queues an uploaded tar for the import pass, atomically; its place in the spool.
    async fn enqueue(&self, record_id: &str, tar: Bytes) -> io::Result<PathBuf>;
    /// Sets a spool tar that cannot be imported aside, with its reason, so it is never retried.
    async fn set_aside(&self, tar: &Path, reason: &str) -> io::Result<()>;
}
