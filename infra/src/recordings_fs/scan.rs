//! Finding import work: spool tars that are complete, and `<format>/<recordID>/metadata.xml` files in a tree.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// A metadata.xml found in a `<format>/<recordID>/` directory.
#[derive(Clone, Debug, PartialEq)]
pub struct FoundMetadata {
    pub path: PathBuf,
    /// The directory names it sits in.
    pub format: String,
    pub record_id: String,
    pub modified_ms: i64,
    pub size: i64,
}

fn modified_ms(metadata: &fs::Metadata) -> i64 {
    metadata
        .modified()
        .ok()
        .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// True when the file has not changed for `settle`: a writer that is still at it would change it.
fn settled(metadata: &fs::Metadata, settle: Duration) -> bool {
    metadata.modified().ok().and_then(|t| t.elapsed().ok()).is_some_and(|age| age >= settle)
}

/// The `*.tar` files of the spool directory that have settled, oldest name first, and how many are
/// still being written. Hidden files (rsync's temporary names) are never taken.
pub fn spool_tars(spool: &Path, settle: Duration) -> io::Result<(Vec<PathBuf>, usize)> {
    let mut ready = Vec::new();
    let mut pending = 0;
    let entries = match fs::read_dir(spool) {
        Ok(entries) => entries,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok((ready, pending)),
        Err(error) => return Err(error),
    };
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || !name.ends_with(".tar") {
            continue;
        }
        let metadata = entry.metadata()?;
        if !metadata.is_file() {
            continue;
        }
        if settled(&metadata, settle) {
            ready.push(entry.path());
        } else {
            pending += 1;
        }
    }
    ready.sort();
    Ok((ready, pending))
}

/// Every `<format>/<recordID>/metadata.xml` under `tree` (missing tree: none).
pub fn metadata_files(tree: &Path) -> io::Result<Vec<FoundMetadata>> {
    let mut found = Vec::new();
    let formats = match fs::read_dir(tree) {
        Ok(formats) => formats,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(found),
        Err(error) => return Err(error),
    };
    for format in formats {
        let format = format?;
        if !format.file_type()?.is_dir() {
            continue;
        }
        for recording in fs::read_dir(format.path())? {
            let recording = recording?;
            let path = recording.path().join("metadata.xml");
            let Ok(metadata) = fs::symlink_metadata(&path) else { continue };
            if !metadata.is_file() {
                continue;
            }
            found.push(FoundMetadata {
                format: format.file_name().to_string_lossy().into_owned(),
                record_id: recording.file_name().to_string_lossy().into_owned(),
                modified_ms: modified_ms(&metadata),
                size: i64::try_from(metadata.len()).unwrap_or(i64::MAX),
                path,
            });
        }
    }
    found.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(found)
}

/// True when a metadata.xml has not changed for `settle`.
pub fn metadata_settled(found: &FoundMetadata, settle: Duration) -> bool {
    fs::metadata(&found.path).is_ok_and(|m| settled(&m, settle))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_settled_tars_and_metadata() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["b.tar", "a.tar", ".a.tar.XyZ", "notes.txt"] {
            fs::write(dir.path().join(name), "x").unwrap();
        }
        let (ready, pending) = spool_tars(dir.path(), Duration::ZERO).unwrap();
        assert_eq!(ready, [dir.path().join("a.tar"), dir.path().join("b.tar")]);
        assert_eq!(pending, 0);
        let (ready, pending) = spool_tars(dir.path(), Duration::from_secs(3600)).unwrap();
        assert_eq!((ready.len(), pending), (0, 2), "fresh files wait");
        assert_eq!(spool_tars(&dir.path().join("missing"), Duration::ZERO).unwrap().0.len(), 0);

        fs::create_dir_all(dir.path().join("tree/presentation/r1")).unwrap();
        fs::create_dir_all(dir.path().join("tree/video/r2")).unwrap();
        fs::write(dir.path().join("tree/presentation/r1/metadata.xml"), "<recording/>").unwrap();
        let found = metadata_files(&dir.path().join("tree")).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].format.as_str(), found[0].record_id.as_str(), found[0].size), ("presentation", "r1", 12));
    }
}
