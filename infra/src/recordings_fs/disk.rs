//! The recording files port on disk: the published and unpublished trees, the spool and the captions
//! directory, each change of a tree run on the blocking pool.

use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use async_trait::async_trait;
use scalelite_shared::config::RecordingConfig;
use scalelite_shared::store::{Delivery, RecordingFiles, SpoolWriter, SpooledTar};

use bytes::Bytes;

use super::captions::CaptionsDir;
use super::layout::Layout;
use super::scan::spool_tars;
use super::spool::{self, SpoolFile};

/// Recording files in local directories or on a shared volume.
#[derive(Clone, Debug)]
pub struct DiskFiles {
    layout: Layout,
    spool_dir: PathBuf,
    captions: CaptionsDir,
}

impl DiskFiles {
    /// The trees, the spool and the captions directory the configuration names.
    pub fn from_config(config: &RecordingConfig) -> Self {
        Self {
            layout: Layout::from_config(config),
            spool_dir: config.spool_dir.clone(),
            captions: CaptionsDir { dir: config.captions_dir.clone() },
        }
    }
}

/// The file of a tar in the spool directory; an object is not this store's.
fn spool_file(tar: &SpooledTar) -> io::Result<&Path> {
    match tar {
        SpooledTar::File(path) => Ok(path),
        SpooledTar::Object(key) => Err(io::Error::other(format!("{key} is not in the spool directory"))),
    }
}

async fn blocking<T: Send + 'static>(work: impl FnOnce() -> io::Result<T> + Send + 'static) -> io::Result<T> {
    tokio::task::spawn_blocking(work).await.map_err(io::Error::other)?
}

#[async_trait]
impl RecordingFiles for DiskFiles {
    async fn place(&self, unpacked: &Path, format: &str, record_id: &str, published: bool) -> io::Result<()> {
        let (layout, unpacked, format, record_id) =
            (self.layout.clone(), unpacked.to_owned(), format.to_owned(), record_id.to_owned());
        blocking(move || layout.place(&unpacked, &format, &record_id, published)).await
    }

    async fn set_published(&self, record_id: &str, formats: &[String], published: bool) -> io::Result<()> {
        let (layout, record_id, formats) = (self.layout.clone(), record_id.to_owned(), formats.to_vec());
        blocking(move || formats.iter().try_for_each(|format| layout.set_published(format, &record_id, published)))
            .await
    }

    async fn delete(&self, record_id: &str) -> io::Result<()> {
        let (layout, record_id) = (self.layout.clone(), record_id.to_owned());
        blocking(move || layout.delete(&record_id)).await
    }

    async fn deliver(&self, _format: &str, _record_id: &str, _file: &str) -> io::Result<Delivery> {
        Ok(Delivery::FromTree)
    }

    async fn receive(&self, record_id: &str) -> io::Result<Box<dyn SpoolWriter>> {
        Ok(Box::new(SpoolFile::create(&self.spool_dir, record_id).await?))
    }

    async fn spooled(&self, settle: Duration) -> io::Result<(Vec<SpooledTar>, usize)> {
        let spool_dir = self.spool_dir.clone();
        let (files, pending) = blocking(move || spool_tars(&spool_dir, settle)).await?;
        Ok((files.into_iter().map(SpooledTar::File).collect(), pending))
    }

    async fn fetch(&self, tar: &SpooledTar, _work: &Path) -> io::Result<PathBuf> {
        Ok(spool_file(tar)?.to_owned())
    }

    async fn dequeue(&self, tar: &SpooledTar) -> io::Result<()> {
        tokio::fs::remove_file(spool_file(tar)?).await
    }

    async fn set_aside(&self, tar: &SpooledTar, reason: &str) -> io::Result<()> {
        let (tar, reason) = (spool_file(tar)?.to_owned(), reason.to_owned());
        blocking(move || spool::set_aside(&tar, &reason)).await
    }

    async fn text_tracks(&self, record_id: &str) -> io::Result<Option<Bytes>> {
        self.captions.listing(record_id).await
    }

    async fn queue_text_track(&self, stem: &str, track: Bytes, description: Bytes) -> io::Result<()> {
        self.captions.queue(stem, track, description).await
    }

    async fn deliver_text_track(&self, _record_id: &str, _file: &str) -> io::Result<Delivery> {
        Ok(Delivery::FromTree)
    }
}
