//! Tests that cannot run here (a service or tool is missing) say so: in CI (`CI` set) they fail; elsewhere
//! they print why and write a line to the skip ledger (`SCALELITE_SKIP_LEDGER`, set by `tests/run-all`), so
//! the final count reports them as skipped, not passed.

use std::io::Write;

/// Reports the running test as skipped because of `reason`; the caller then returns.
pub fn skip(reason: &str) {
    assert!(std::env::var_os("CI").is_none(), "{reason}, and CI needs it");
    let binary = std::env::current_exe().ok().and_then(|exe| exe.file_stem().map(|s| s.to_string_lossy().into_owned()));
    let binary =
        binary.as_deref().and_then(|stem| stem.rsplit_once('-')).map_or("tests", |(name, _hash)| name).to_owned();
    let test = format!("{binary}::{}", std::thread::current().name().unwrap_or("a test"));
    eprintln!("skipped: {test}: {reason}");
    if let Some(ledger) = std::env::var_os("SCALELITE_SKIP_LEDGER") {
        let line = format!("{test}\t{reason}\n");
        let written = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(ledger)
            .and_then(|mut file| file.write_all(line.as_bytes()));
        if let Err(error) = written {
            eprintln!("cannot write the skip ledger: {error}");
        }
    }
}
