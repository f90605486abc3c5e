//! The spool: an uploaded tar is put there atomically (written and synced under a hidden `.part` name, then
//! renamed to `<recordID>.tar`, so the import pass never sees half a tar); a tar that cannot be imported is set
//! aside in `failed/` with its reason.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Writes `tar` to `<spool>/<record_id>.tar` (replacing an earlier upload of the same recording); returns
/// the path. `record_id` must already be a safe file name. Nothing is left behind when it fails.
pub fn enqueue(spool: &Path, record_id: &str, tar: &[u8]) -> io::Result<PathBuf> {
    fs::create_dir_all(spool)?;
    let part = spool.join(format!(".{record_id}.tar.{}.part", uuid::Uuid::new_v4()));
    let target = spool.join(format!("{record_id}.tar"));
    let written = write_synced(&part, tar).and_then(|()| fs::rename(&part, &target));
    if let Err(error) = written {
        let _ = fs::remove_file(&part);
        return Err(error);
    }
    // The rename itself survives a crash once the directory is synced.
    File::open(spool)?.sync_all()?;
    Ok(target)
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

fn write_synced(path: &Path, data: &[u8]) -> io::Result<()> {
    let mut file = File::options().write(true).create_new(true).open(path)?;
    file.write_all(data)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lands_whole_and_leaves_no_part() {
        let dir = tempfile::tempdir().unwrap();
        let spool = dir.path().join("spool");
        let path = enqueue(&spool, "r-1", b"first").unwrap();
        assert_eq!(path, spool.join("r-1.tar"));
        enqueue(&spool, "r-1", b"second").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"second");
        let names: Vec<_> = fs::read_dir(&spool).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, ["r-1.tar"]);
    }

    #[test]
    fn a_failed_write_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let spool = dir.path().join("spool");
        fs::create_dir_all(spool.join("r-2.tar")).unwrap();
        fs::write(spool.join("r-2.tar").join("inside"), b"x").unwrap();
        assert!(enqueue(&spool, "r-2", b"data").is_err(), "a directory in the way");
        let parts = fs::read_dir(&spool).unwrap().filter(|e| e.as_ref().unwrap().file_name() != "r-2.tar").count();
        assert_eq!(parts, 0);
    }
}
