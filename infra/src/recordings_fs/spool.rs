//! The spool: an uploaded tar is written there as it arrives under a hidden `.part` name, synced, then
//! renamed to `<recordID>.tar`, so the import pass never sees half a tar and an upload that fails leaves
//! nothing; a tar that cannot be imported is set aside in `failed/` with its reason.

use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use bytes::Bytes;
use scalelite_shared::store::{SpoolWriter, SpooledTar};
use tokio::io::AsyncWriteExt;

/// An upload being written into the spool directory; its `.part` file is removed unless it is committed.
pub struct SpoolFile {
    file: tokio::fs::File,
    /// The `.part` file, until it is renamed into place.
    part: Option<PathBuf>,
    target: PathBuf,
}

impl SpoolFile {
    /// Opens a new `.part` file for `<spool>/<record_id>.tar`; `record_id` must already be a safe file name.
    pub async fn create(spool: &Path, record_id: &str) -> io::Result<Self> {
        tokio::fs::create_dir_all(spool).await?;
        let part = spool.join(format!(".{record_id}.tar.{}.part", uuid::Uuid::new_v4()));
        let file = tokio::fs::File::options().write(true).create_new(true).open(&part).await?;
        Ok(Self { file, part: Some(part), target: spool.join(format!("{record_id}.tar")) })
    }
}

#[async_trait]
impl SpoolWriter for SpoolFile {
    async fn write(&mut self, piece: Bytes) -> io::Result<()> {
        self.file.write_all(&piece).await
    }

    async fn commit(mut self: Box<Self>) -> io::Result<SpooledTar> {
        self.file.sync_all().await?;
        let part = self.part.clone().unwrap_or_default();
        tokio::fs::rename(&part, &self.target).await?;
        self.part = None;
        // The rename itself survives a crash once the directory is synced.
        let spool = self.target.parent().map(Path::to_owned).unwrap_or_default();
        tokio::task::spawn_blocking(move || File::open(spool)?.sync_all()).await.map_err(io::Error::other)??;
        Ok(SpooledTar::File(self.target.clone()))
    }

    async fn abort(self: Box<Self>) {}
}

impl Drop for SpoolFile {
    fn drop(&mut self) {
        if let Some(part) = self.part.take() {
            let _ = fs::remove_file(part);
        }
    }
}

/// Sets a failed tar aside as `<spool>/failed/<name>` with `<name>.reason` beside it.
pub fn set_aside(tar: &Path, reason: &str) -> io::Result<()> {
    let spool = tar.parent().unwrap_or(Path::new("."));
    let failed = spool.join("failed");
    fs::create_dir_all(&failed)?;
    let name = tar.file_name().unwrap_or_default();
    fs::write(failed.join(format!("{}.reason", name.to_string_lossy())), format!("{reason}\n"))?;
    fs::rename(tar, failed.join(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn enqueue(spool: &Path, record_id: &str, pieces: &[&[u8]]) -> io::Result<SpooledTar> {
        let mut writer = Box::new(SpoolFile::create(spool, record_id).await?);
        for piece in pieces {
            writer.write(Bytes::copy_from_slice(piece)).await?;
        }
        writer.commit().await
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<_> =
            fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        names.sort();
        names
    }

    #[tokio::test]
    async fn lands_whole_and_leaves_no_part() {
        let dir = tempfile::tempdir().unwrap();
        let spool = dir.path().join("spool");
        let queued = enqueue(&spool, "r-1", &[b"fir", b"st"]).await.unwrap();
        assert_eq!(queued, SpooledTar::File(spool.join("r-1.tar")));
        enqueue(&spool, "r-1", &[b"second"]).await.unwrap();
        assert_eq!(fs::read(spool.join("r-1.tar")).unwrap(), b"second");
        assert_eq!(names(&spool), ["r-1.tar"]);
    }

    #[tokio::test]
    async fn pieces_reach_the_disk_before_the_end_and_a_dropped_upload_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let spool = dir.path().join("spool");
        let mut writer = SpoolFile::create(&spool, "r-3").await.unwrap();
        writer.write(Bytes::from(vec![7u8; 100_000])).await.unwrap();
        writer.file.flush().await.unwrap();
        let part = writer.part.clone().unwrap();
        assert_eq!(fs::metadata(&part).unwrap().len(), 100_000, "written as it arrives, not held");
        drop(writer);
        assert_eq!(names(&spool), Vec::<String>::new());
    }

    #[tokio::test]
    async fn a_failed_commit_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let spool = dir.path().join("spool");
        fs::create_dir_all(spool.join("r-2.tar")).unwrap();
        fs::write(spool.join("r-2.tar").join("inside"), b"x").unwrap();
        assert!(enqueue(&spool, "r-2", &[b"data"]).await.is_err(), "a directory in the way");
        assert_eq!(names(&spool), ["r-2.tar"], "no .part file left");
    }
}
