//! Where recording files live: `<publish>/<format>/<recordID>` and `<unpublish>/<format>/<recordID>`, and the
//! moves that import, publish, unpublish and delete make between them.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use scalelite_shared::config::RecordingConfig;

/// The published and unpublished trees (`RECORDING_PUBLISH_DIR`, `RECORDING_UNPUBLISH_DIR`).
#[derive(Clone, Debug)]
pub struct Layout {
    pub publish_dir: PathBuf,
    pub unpublish_dir: PathBuf,
}

/// Moves a directory; across file systems (a work directory beside an NFS share) it copies, then removes.
fn move_dir(from: &Path, to: &Path) -> io::Result<()> {
    if let Some(parent) = to.parent() {
        fs::create_dir_all(parent)?;
    }
    match fs::rename(from, to) {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == io::ErrorKind::CrossesDevices => {
            copy_dir(from, to)?;
            fs::remove_dir_all(from)
        }
        Err(error) => Err(error),
    }
}

fn copy_dir(from: &Path, to: &Path) -> io::Result<()> {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        let target = to.join(entry.file_name());
        if kind.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else if kind.is_file() {
            fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

fn remove_if_present(path: &Path) -> io::Result<()> {
    match fs::remove_dir_all(path) {
        Err(error) if error.kind() != io::ErrorKind::NotFound => Err(error),
        _ => Ok(()),
    }
}

impl Layout {
    /// The trees the configuration names.
    pub fn from_config(config: &RecordingConfig) -> Self {
        Self { publish_dir: config.publish_dir.clone(), unpublish_dir: config.unpublish_dir.clone() }
    }

    fn tree(&self, published: bool) -> &Path {
        if published { &self.publish_dir } else { &self.unpublish_dir }
    }

    /// The directory of one format of a recording.
    pub fn format_dir(&self, published: bool, format: &str, record_id: &str) -> PathBuf {
        self.tree(published).join(format).join(record_id)
    }

    /// Puts an unpacked format directory in place, replacing any earlier copy in either tree.
    pub fn place(&self, unpacked: &Path, format: &str, record_id: &str, published: bool) -> io::Result<()> {
        remove_if_present(&self.format_dir(true, format, record_id))?;
        remove_if_present(&self.format_dir(false, format, record_id))?;
        move_dir(unpacked, &self.format_dir(published, format, record_id))
    }

    /// Moves one format of a recording into the published (or unpublished) tree. A copy already at the
    /// destination wins and the other is removed; an error when the files are in neither tree.
    pub fn set_published(&self, format: &str, record_id: &str, published: bool) -> io::Result<()> {
        let from = self.format_dir(!published, format, record_id);
        let to = self.format_dir(published, format, record_id);
        match (from.is_dir(), to.is_dir()) {
            (true, true) => fs::remove_dir_all(&from),
            (true, false) => move_dir(&from, &to),
            (false, true) => Ok(()),
            (false, false) => Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("no files for {format}/{record_id} in either tree"),
            )),
        }
    }

    /// Removes every format of a recording from both trees.
    pub fn delete(&self, record_id: &str) -> io::Result<()> {
        for tree in [&self.publish_dir, &self.unpublish_dir] {
            let Ok(formats) = fs::read_dir(tree) else { continue };
            for format in formats {
                remove_if_present(&format?.path().join(record_id))?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(dir: &Path) -> Layout {
        Layout { publish_dir: dir.join("published"), unpublish_dir: dir.join("unpublished") }
    }

    #[test]
    fn places_moves_and_deletes() {
        let dir = tempfile::tempdir().unwrap();
        let layout = layout(dir.path());
        let unpacked = dir.path().join("work/presentation/r1");
        fs::create_dir_all(&unpacked).unwrap();
        fs::write(unpacked.join("metadata.xml"), "m").unwrap();

        layout.place(&unpacked, "presentation", "r1", false).unwrap();
        assert!(layout.format_dir(false, "presentation", "r1").join("metadata.xml").is_file());
        layout.set_published("presentation", "r1", true).unwrap();
        assert!(layout.format_dir(true, "presentation", "r1").join("metadata.xml").is_file());
        assert!(!layout.format_dir(false, "presentation", "r1").exists());
        layout.set_published("presentation", "r1", true).unwrap();
        assert!(layout.set_published("video", "r1", true).is_err(), "no files anywhere is an error");

        layout.delete("r1").unwrap();
        assert!(!layout.format_dir(true, "presentation", "r1").exists());
    }
}
