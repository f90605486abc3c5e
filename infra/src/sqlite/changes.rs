//! The embedded store's change counter: a small file beside the database (`<file>-changes`) that every process
//! opening the database shares. Each write transaction moves it on once it has committed, so a reader that noted
//! the counter before it read may keep what it read for as long as the counter stays where it was.
//!
//! The file holds the counter and its complement (16 bytes), so a read that overlaps a write shows as
//! unreadable rather than as an older value. Writers take the file's lock to move it on; readers read it with one
//! positional read, without a lock.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// The counter shared by the processes that open one database file.
pub(crate) struct Changes {
    file: File,
}

/// Where the counter of the database at `db` is kept.
pub(crate) fn path_of(db: &Path) -> PathBuf {
    super::beside(db, "-changes")
}

fn encode(value: u64) -> [u8; 16] {
    let mut bytes = [0; 16];
    bytes[..8].copy_from_slice(&value.to_le_bytes());
    bytes[8..].copy_from_slice(&(!value).to_le_bytes());
    bytes
}

fn decode(bytes: &[u8; 16]) -> Option<u64> {
    let value = u64::from_le_bytes(bytes[..8].try_into().ok()?);
    let complement = u64::from_le_bytes(bytes[8..].try_into().ok()?);
    (value == !complement).then_some(value)
}

/// A value no reader can have noted before: where the file held nothing readable.
fn fresh_value() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(1, |since| since.as_nanos() as u64)
}

impl Changes {
    /// Opens (creating if needed) the counter of the database at `db`.
    pub fn open(db: &Path) -> io::Result<Self> {
        let file = OpenOptions::new().read(true).write(true).create(true).truncate(false).open(path_of(db))?;
        let changes = Self { file };
        if changes.current().is_none() {
            changes.bump()?;
        }
        Ok(changes)
    }

    /// The counter now; `None` when it cannot be read (then nothing read may be kept).
    pub fn current(&self) -> Option<u64> {
        let mut bytes = [0; 16];
        self.file.read_exact_at(&mut bytes, 0).ok()?;
        decode(&bytes)
    }

    /// Moves the counter on, after a write transaction committed.
    pub fn bump(&self) -> io::Result<()> {
        self.file.lock()?;
        let next = self.current().map_or_else(fresh_value, |value| value.wrapping_add(1));
        let written = self.file.write_all_at(&encode(next), 0);
        self.file.unlock()?;
        written
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_handle_sees_every_bump() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("store.db");
        let (one, other) = (Changes::open(&db).unwrap(), Changes::open(&db).unwrap());
        let start = one.current().expect("readable");
        assert_eq!(other.current(), Some(start), "a second handle keeps the counter");
        other.bump().unwrap();
        assert_eq!(one.current(), Some(start.wrapping_add(1)));
        one.bump().unwrap();
        assert_eq!(other.current(), Some(start.wrapping_add(2)));
    }

    #[test]
    fn an_unreadable_counter_is_none_until_the_next_bump() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("store.db");
        let changes = Changes::open(&db).unwrap();
        let before = changes.current().unwrap();
        std::fs::write(path_of(&db), [7u8; 16]).unwrap();
        assert_eq!(changes.current(), None, "a torn or foreign value is not a counter");
        std::fs::write(path_of(&db), [1u8; 3]).unwrap();
        assert_eq!(changes.current(), None, "a short file is not a counter");
        changes.bump().unwrap();
        let after = changes.current().expect("readable again");
        assert_ne!(after, before);
        assert!(Changes::open(&db).is_ok());
    }
}
