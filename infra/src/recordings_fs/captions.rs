//! BBB's text tracks on disk: `<captions>/<recordID>/captions.json` lists a recording's tracks, and uploads
//! wait in `<captions>/inbox/` for BBB's caption processing.

use std::io;
use std::path::PathBuf;

use bytes::Bytes;

/// The captions directory (`RECORDING_CAPTIONS_DIR`).
#[derive(Clone, Debug)]
pub struct CaptionsDir {
    pub dir: PathBuf,
}

impl CaptionsDir {
    /// The `captions.json` of a recording, `None` when there is none.
    pub async fn listing(&self, record_id: &str) -> io::Result<Option<Bytes>> {
        match tokio::fs::read(self.dir.join(record_id).join("captions.json")).await {
            Ok(bytes) => Ok(Some(bytes.into())),
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// Writes the track, then its description under a hidden name renamed into place once complete.
    pub async fn queue(&self, stem: &str, track: Bytes, description: Bytes) -> io::Result<()> {
        let inbox = self.dir.join("inbox");
        tokio::fs::create_dir_all(&inbox).await?;
        tokio::fs::write(inbox.join(format!("{stem}-track.txt")), track).await?;
        let partial = inbox.join(format!(".{stem}-track.json"));
        tokio::fs::write(&partial, description).await?;
        tokio::fs::rename(&partial, inbox.join(format!("{stem}-track.json"))).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn queued_tracks_land_in_the_inbox_and_listings_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let captions = CaptionsDir { dir: dir.path().to_owned() };
        assert_eq!(captions.listing("r-1").await.unwrap(), None);
        captions.queue("r-1-abc", Bytes::from_static(b"WEBVTT"), Bytes::from_static(b"{}")).await.unwrap();
        let mut names: Vec<String> = std::fs::read_dir(dir.path().join("inbox"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["r-1-abc-track.json", "r-1-abc-track.txt"]);

        std::fs::create_dir_all(dir.path().join("r-1")).unwrap();
        std::fs::write(dir.path().join("r-1/captions.json"), "[]").unwrap();
        assert_eq!(captions.listing("r-1").await.unwrap().as_deref(), Some(&b"[]"[..]));
    }
}
