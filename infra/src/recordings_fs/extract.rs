//! Unpacks a recording tar (plain or gzip) into a fresh directory, refusing anything that could write
//! outside it or fill the disk: absolute paths, `..`, links, devices, and archives past the size limits.

use std::fs::{self, File};
use std::io::{BufReader, Cursor, Read};
use std::path::{Component, Path, PathBuf};

use flate2::read::GzDecoder;
use tar::{Archive, EntryType};

/// The most a tar may unpack to.
#[derive(Clone, Copy, Debug)]
pub struct ExtractLimits {
    pub max_bytes: u64,
    pub max_entries: u64,
}

/// Why a tar was refused.
#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    #[error("cannot read the archive: {0}")]
    Io(#[from] std::io::Error),
    #[error("entry {0:?} leaves the recording directory")]
    UnsafePath(String),
    #[error("entry {path:?} is a {kind}, which recordings never contain")]
    UnsafeType { path: String, kind: String },
    #[error("entry {0:?} is cut short")]
    Truncated(String),
    #[error("the archive unpacks to more than {0} bytes")]
    TooLarge(u64),
    #[error("the archive has more than {0} entries")]
    TooManyEntries(u64),
    #[error("entry {0:?} is not under the recording the upload was signed for")]
    OtherRecording(String),
}

/// The entry's path below the destination, or an error if it is absolute or climbs out.
fn relative(path: &Path) -> Result<PathBuf, ExtractError> {
    let mut clean = PathBuf::new();
    for component in path.components() {
        match component {
            Component::Normal(part) => clean.push(part),
            Component::CurDir => {}
            Component::ParentDir | Component::RootDir | Component::Prefix(_) => {
                return Err(ExtractError::UnsafePath(path.display().to_string()));
            }
        }
    }
    Ok(clean)
}

/// The first bytes of a gzip stream.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// `reader` as a tar stream, decompressed when it starts with gzip's magic bytes (read whole, however the
/// reader hands them out).
fn decompressed<'a>(mut reader: impl Read + 'a) -> Result<Box<dyn Read + 'a>, ExtractError> {
    let mut head = Vec::with_capacity(GZIP_MAGIC.len());
    (&mut reader).take(GZIP_MAGIC.len() as u64).read_to_end(&mut head)?;
    let gzip = head == GZIP_MAGIC;
    let whole = Cursor::new(head).chain(reader);
    Ok(if gzip { Box::new(GzDecoder::new(whole)) } else { Box::new(whole) })
}

/// Opens `tar_path` as a tar stream.
fn open(tar_path: &Path) -> Result<Box<dyn Read>, ExtractError> {
    decompressed(BufReader::new(File::open(tar_path)?))
}

/// Checks, without unpacking, that every entry of an uploaded tar (plain or gzip, read from `tar` as it comes)
/// lies under `<format>/<record_id>/`, so a server can only send the recording its token names.
pub fn entries_under(tar: impl Read, record_id: &str) -> Result<(), ExtractError> {
    let reader = decompressed(tar)?;
    let mut archive = Archive::new(reader);
    for entry in archive.entries()? {
        let entry = entry?;
        let kind = entry.header().entry_type();
        if matches!(kind, EntryType::XGlobalHeader | EntryType::XHeader) {
            continue;
        }
        let path = entry.path()?.into_owned();
        let clean = relative(&path)?;
        let parts: Vec<_> = clean.components().map(Component::as_os_str).collect();
        match parts.as_slice() {
            [_format] if kind == EntryType::Directory => {}
            [_format, id, ..] if *id == record_id => {}
            _ => return Err(ExtractError::OtherRecording(path.display().to_string())),
        }
    }
    Ok(())
}

/// Unpacks `tar_path` into `dest` (which must exist and be empty), within `limits`.
pub fn extract(tar_path: &Path, dest: &Path, limits: ExtractLimits) -> Result<(), ExtractError> {
    let mut archive = Archive::new(open(tar_path)?);
    let mut written: u64 = 0;
    let mut entries: u64 = 0;
    for entry in archive.entries()? {
        let mut entry = entry?;
        entries += 1;
        if entries > limits.max_entries {
            return Err(ExtractError::TooManyEntries(limits.max_entries));
        }
        let path = entry.path()?.into_owned();
        let kind = entry.header().entry_type();
        let target = dest.join(relative(&path)?);
        match kind {
            EntryType::Directory => fs::create_dir_all(&target)?,
            EntryType::Regular | EntryType::Continuous => {
                if let Some(parent) = target.parent() {
                    fs::create_dir_all(parent)?;
                }
                let declared = entry.size();
                let remaining = limits.max_bytes.saturating_sub(written);
                if declared > remaining {
                    return Err(ExtractError::TooLarge(limits.max_bytes));
                }
                let mut file = File::create(&target)?;
                let copied = std::io::copy(&mut (&mut entry).take(declared), &mut file)?;
                if copied < declared {
                    return Err(ExtractError::Truncated(path.display().to_string()));
                }
                written += copied;
            }
            // Extended headers describe the next entry; the tar reader applies them.
            EntryType::XGlobalHeader | EntryType::XHeader => {}
            other => {
                return Err(ExtractError::UnsafeType { path: path.display().to_string(), kind: format!("{other:?}") });
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use flate2::Compression;
    use flate2::write::GzEncoder;
    use tar::{Builder, Header};

    use super::*;

    const LIMITS: ExtractLimits = ExtractLimits { max_bytes: 1 << 20, max_entries: 100 };

    fn entries_tar(entries: &[(&str, EntryType)]) -> Vec<u8> {
        let mut builder = Builder::new(Vec::new());
        for (path, kind) in entries {
            let mut header = header(path, *kind, 0);
            header.set_cksum();
            builder.append(&header, std::io::empty()).unwrap();
        }
        builder.into_inner().unwrap()
    }

    #[test]
    fn an_upload_holds_only_its_own_recording() {
        let own = entries_tar(&[
            ("presentation/", EntryType::Directory),
            ("presentation/rec-a/", EntryType::Directory),
            ("presentation/rec-a/metadata.xml", EntryType::Regular),
            ("video/rec-a/video.mp4", EntryType::Regular),
        ]);
        assert!(entries_under(own.as_slice(), "rec-a").is_ok());
        let mut gzipped = GzEncoder::new(Vec::new(), Compression::fast());
        gzipped.write_all(&own).unwrap();
        assert!(entries_under(&gzipped.finish().unwrap()[..], "rec-a").is_ok());
        for hostile in [
            entries_tar(&[("presentation/rec-victim/metadata.xml", EntryType::Regular)]),
            entries_tar(&[("presentation/rec-a/x", EntryType::Regular), ("presentation/rec-b/x", EntryType::Regular)]),
            entries_tar(&[("metadata.xml", EntryType::Regular)]),
            entries_tar(&[("presentation/../rec-victim/x", EntryType::Regular)]),
        ] {
            assert!(entries_under(hostile.as_slice(), "rec-a").is_err());
        }
    }

    fn header(path: &str, kind: EntryType, size: u64) -> Header {
        let mut header = Header::new_gnu();
        // set_path refuses `..`; hostile archives write the name bytes directly.
        header.as_old_mut().name[..path.len()].copy_from_slice(path.as_bytes());
        header.set_entry_type(kind);
        header.set_size(size);
        header.set_mode(0o644);
        header.set_cksum();
        header
    }

    fn tar_of(entries: &[(&str, EntryType, &[u8])]) -> Vec<u8> {
        let mut builder = Builder::new(Vec::new());
        for (path, kind, data) in entries {
            let header = header(path, *kind, data.len() as u64);
            builder.append(&header, *data).unwrap();
        }
        builder.into_inner().unwrap()
    }

    fn run(bytes: &[u8]) -> (tempfile::TempDir, Result<(), ExtractError>) {
        let dir = tempfile::tempdir().unwrap();
        let tar = dir.path().join("r.tar");
        fs::write(&tar, bytes).unwrap();
        let dest = dir.path().join("out");
        fs::create_dir(&dest).unwrap();
        let result = extract(&tar, &dest, LIMITS);
        (dir, result)
    }

    #[test]
    fn unpacks_a_recording() {
        let (dir, result) = run(&tar_of(&[
            ("presentation/r1/", EntryType::Directory, b""),
            ("presentation/r1/metadata.xml", EntryType::Regular, b"<recording/>"),
        ]));
        result.unwrap();
        assert_eq!(fs::read(dir.path().join("out/presentation/r1/metadata.xml")).unwrap(), b"<recording/>");
    }

    #[test]
    fn refuses_escapes_and_links() {
        for path in ["../evil", "/etc/evil", "presentation/../../evil"] {
            let (dir, result) = run(&tar_of(&[(path, EntryType::Regular, b"x")]));
            assert!(matches!(result, Err(ExtractError::UnsafePath(_))), "{path}: {result:?}");
            assert!(!dir.path().join("evil").exists());
        }
        for kind in [EntryType::Symlink, EntryType::Link, EntryType::Char, EntryType::Fifo] {
            let (_dir, result) = run(&tar_of(&[("presentation/r1/x", kind, b"")]));
            assert!(matches!(result, Err(ExtractError::UnsafeType { .. })), "{kind:?}: {result:?}");
        }
    }

    #[test]
    fn refuses_a_decompression_bomb() {
        let big = vec![0u8; 2 << 20];
        let plain = tar_of(&[("presentation/r1/big", EntryType::Regular, &big)]);
        let mut gzip = GzEncoder::new(Vec::new(), Compression::best());
        gzip.write_all(&plain).unwrap();
        let packed = gzip.finish().unwrap();
        assert!(packed.len() < 20_000, "the bomb is small: {}", packed.len());
        let (_dir, result) = run(&packed);
        assert!(matches!(result, Err(ExtractError::TooLarge(_))), "{result:?}");
    }

    #[test]
    fn refuses_truncated_and_garbage_archives() {
        let whole = tar_of(&[("presentation/r1/metadata.xml", EntryType::Regular, &[b'x'; 2000])]);
        let (_dir, result) = run(&whole[..700]);
        assert!(result.is_err(), "a truncated tar fails");
        let (_dir, result) = run(&[0x1f, 0x8b, 1, 2, 3]);
        assert!(result.is_err(), "broken gzip fails");
    }
}
