//! The recording files port: the published and unpublished trees that playback serves, the spool the
//! importer reads, and BBB's text tracks: on disk (a local directory or an NFS share) or in an S3 bucket.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

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

/// A tar waiting in the spool for the import pass.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SpooledTar {
    /// A file in the spool directory (uploaded, or copied there by a BBB server).
    File(PathBuf),
    /// An object under the bucket's `spool/` prefix (uploaded).
    Object(String),
}

impl fmt::Display for SpooledTar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SpooledTar::File(path) => write!(f, "{}", path.display()),
            SpooledTar::Object(key) => write!(f, "s3 object {key}"),
        }
    }
}

/// An uploaded tar on its way into the spool, written piece by piece as it arrives: the import pass sees it
/// only once committed, and nothing of it is left when it is aborted or dropped.
#[async_trait]
pub trait SpoolWriter: Send {
    /// Adds the next piece.
    async fn write(&mut self, piece: Bytes) -> io::Result<()>;
    /// Queues the tar whole, replacing an earlier upload of the same recording; where it waits.
    async fn commit(self: Box<Self>) -> io::Result<SpooledTar>;
    /// Throws away what was written.
    async fn abort(self: Box<Self>);
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
    /// Starts receiving an uploaded tar of `record_id` (a safe file name) for the spool.
    async fn receive(&self, record_id: &str) -> io::Result<Box<dyn SpoolWriter>>;
    /// The spooled tars ready to import (complete and unchanged for `settle`), in name order, and how many
    /// are still being written.
    async fn spooled(&self, settle: Duration) -> io::Result<(Vec<SpooledTar>, usize)>;
    /// A local file of the tar to unpack: the spool file itself, or the object downloaded into `work`.
    async fn fetch(&self, tar: &SpooledTar, work: &Path) -> io::Result<PathBuf>;
    /// Removes an imported tar from the spool.
    async fn dequeue(&self, tar: &SpooledTar) -> io::Result<()>;
    /// Sets a spool tar that cannot be imported aside, with its reason, so it is never retried.
    async fn set_aside(&self, tar: &SpooledTar, reason: &str) -> io::Result<()>;
    /// A recording's list of text tracks (BBB's `captions.json`), `None` when it has none.
    async fn text_tracks(&self, record_id: &str) -> io::Result<Option<Bytes>>;
    /// Queues an uploaded text track for BBB's caption processing: `inbox/<stem>-track.txt`, then its
    /// description `inbox/<stem>-track.json`, which appears only once whole.
    async fn queue_text_track(&self, stem: &str, track: Bytes, description: Bytes) -> io::Result<()>;
    /// How a browser gets `file` (a plain file name) of a recording's text tracks.
    async fn deliver_text_track(&self, record_id: &str, file: &str) -> io::Result<Delivery>;
}
