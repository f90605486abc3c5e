//! An upload's tar checked while it streams in: each piece is handed to a blocking walk over the entries as
//! they come, so the check holds neither the whole tar in memory nor reads it a second time.

use std::io::{self, BufReader};

use bytes::Bytes;
use futures::SinkExt;
use futures::channel::mpsc;
use scalelite_infra::recordings_fs::{ExtractError, entries_under};
use tokio::task::JoinHandle;
use tokio_util::io::{StreamReader, SyncIoBridge};

/// Pieces passed on ahead of the walk.
const AHEAD: usize = 4;

/// The walk's read buffer (tar reads 512-byte blocks).
const READ_BUFFER: usize = 64 * 1024;

/// A walk over an upload's entries, fed piece by piece.
pub struct TarCheck {
    /// Where pieces go; `None` once the walk has ended and takes no more.
    pieces: Option<mpsc::Sender<io::Result<Bytes>>>,
    /// The walk, until its verdict is taken.
    walk: Option<JoinHandle<Result<(), ExtractError>>>,
}

impl TarCheck {
    /// Starts checking that every entry lies under `<format>/<record_id>/`.
    pub fn start(record_id: &str) -> Self {
        let (pieces, arriving) = mpsc::channel(AHEAD);
        let reader = SyncIoBridge::new(StreamReader::new(arriving));
        let record_id = record_id.to_owned();
        let walk = tokio::task::spawn_blocking(move || {
            entries_under(BufReader::with_capacity(READ_BUFFER, reader), &record_id)
        });
        Self { pieces: Some(pieces), walk: Some(walk) }
    }

    /// Hands on the next piece; the refusal as soon as the walk has refused the tar.
    pub async fn feed(&mut self, piece: Bytes) -> Result<(), ExtractError> {
        let Some(pieces) = &mut self.pieces else { return Ok(()) };
        if pieces.send(Ok(piece)).await.is_err() {
            // The walk stopped reading: it refused the tar, or reached its end (what follows is padding).
            self.pieces = None;
            return self.verdict().await;
        }
        Ok(())
    }

    /// The verdict once the whole tar has been handed on.
    pub async fn finish(mut self) -> Result<(), ExtractError> {
        self.pieces = None;
        self.verdict().await
    }

    async fn verdict(&mut self) -> Result<(), ExtractError> {
        match self.walk.take() {
            Some(walk) => walk.await.map_err(|e| ExtractError::Io(io::Error::other(e)))?,
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn tar_of(paths: &[&str]) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        for path in paths {
            let mut header = tar::Header::new_gnu();
            header.set_size(3000);
            header.set_mode(0o644);
            builder.append_data(&mut header, path, &[b'x'; 3000][..]).unwrap();
        }
        builder.into_inner().unwrap()
    }

    async fn check_in_pieces(tar: &[u8], piece: usize) -> Result<(), ExtractError> {
        let mut check = TarCheck::start("rec-a");
        for chunk in tar.chunks(piece) {
            check.feed(Bytes::copy_from_slice(chunk)).await?;
        }
        check.finish().await
    }

    #[tokio::test]
    async fn walks_tars_in_pieces_of_any_size() {
        let own = tar_of(&["presentation/rec-a/metadata.xml", "presentation/rec-a/slides/1.svg"]);
        let mut gzipped = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gzipped.write_all(&own).unwrap();
        let gzipped = gzipped.finish().unwrap();
        for piece in [1, 7, 512, 100_000] {
            assert!(check_in_pieces(&own, piece).await.is_ok(), "plain, pieces of {piece}");
            assert!(check_in_pieces(&gzipped, piece).await.is_ok(), "gzip, pieces of {piece}");
        }
    }

    #[tokio::test]
    async fn refuses_other_recordings_and_cut_archives() {
        let other = tar_of(&["presentation/rec-a/metadata.xml", "presentation/rec-b/metadata.xml"]);
        assert!(matches!(check_in_pieces(&other, 512).await, Err(ExtractError::OtherRecording(_))));
        let own = tar_of(&["presentation/rec-a/metadata.xml"]);
        assert!(check_in_pieces(&own[..1500], 512).await.is_err(), "cut inside an entry");
    }

    #[tokio::test]
    async fn a_refusal_comes_before_the_rest_is_fed() {
        let mut tar = tar_of(&["presentation/rec-b/metadata.xml"]);
        tar.extend(vec![0u8; 10_000_000]);
        let mut check = TarCheck::start("rec-a");
        let mut fed = 0;
        let mut refused = false;
        for chunk in tar.chunks(4096) {
            if check.feed(Bytes::copy_from_slice(chunk)).await.is_err() {
                refused = true;
                break;
            }
            fed += chunk.len();
        }
        assert!(refused && fed < 1_000_000, "refused after {fed} bytes");
    }
}
