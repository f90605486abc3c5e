//! The recording files port on disk: the published and unpublished trees and the spool, each change run on
//! the blocking pool.

use std::io;
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use bytes::Bytes;
use scalelite_shared::config::RecordingConfig;
use scalelite_shared::store::{Delivery, RecordingFiles};

use super::layout::Layout;
use super::spool;

/// Recording files in local directories or on a shared volume.
#[derive(Clone, Debug)]
pub struct DiskFiles {
    layout: Layout,
    spool_dir: PathBuf,
}

impl DiskFiles {
    /// The trees and the spool the configuration names.
    pub fn from_config(config: &RecordingConfig) -> Self {
        Self { layout: Layout::from_config(config), spool_dir: config.spool_dir.clone() }
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

    async fn enqueue(&self, record_id: &str, tar: Bytes) -> io::Result<PathBuf> {
        let (spool_dir, record_id) = (self.spool_dir.clone(), record_id.to_owned());
        blocking(move || spool::enqueue(&spool_dir, &record_id, &tar)).await
    }

    async fn set_aside(&self, tar: &Path, reason: &str) -> io::Result<()> {
        let (tar, reason) = (tar.to_owned(), reason.to_owned());
        blocking(move || spool::set_aside(&tar, &reason)).await
    }
}
