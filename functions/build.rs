//! Links the binaries (`scalelite-function`, and `scalelite`, whose package builds with this script too) with
//! packed relative relocations (`-z pack-relative-relocs`, DT_RELR). A position-independent Rust binary carries
//! tens of thousands of relative relocations; as RELA entries they are most of a megabyte that the dynamic
//! loader reads at every start, and as RELR a few kilobytes: a function starts sooner and holds less.
//!
//! Only glibc 2.36 and later can load such a binary, so it is linked so only for the machine that builds it
//! (the target is the host) when that machine's glibc is new enough, and never through another linker (a
//! `CARGO_TARGET_<TRIPLE>_LINKER`, as cargo-lambda sets for its zig linker, building for Lambda's older glibc).

use std::env;
use std::process::Command;

/// The glibc that packed relative relocations need.
const RELR_GLIBC: (u32, u32) = (2, 36);

/// The host's glibc version, as `getconf` gives it (`glibc 2.36`).
fn host_glibc() -> Option<(u32, u32)> {
    let output = Command::new("getconf").arg("GNU_LIBC_VERSION").output().ok()?;
    let text = String::from_utf8(output.stdout).ok()?;
    let (major, minor) = text.trim().strip_prefix("glibc ")?.split_once('.')?;
    let minor = minor.split('.').next()?;
    Some((major.parse().ok()?, minor.parse().ok()?))
}

fn main() {
    let target = env::var("TARGET").unwrap_or_default();
    let linker = format!("CARGO_TARGET_{}_LINKER", target.to_uppercase().replace(['-', '.'], "_"));
    println!("cargo:rerun-if-env-changed={linker}");
    println!("cargo:rerun-if-env-changed=RUSTC_LINKER");
    let native = env::var("HOST").is_ok_and(|host| host == target);
    let gnu_linux = env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux")
        && env::var("CARGO_CFG_TARGET_ENV").as_deref() == Ok("gnu");
    let own_linker = env::var_os(&linker).is_none() && env::var_os("RUSTC_LINKER").is_none();
    if native && gnu_linux && own_linker && host_glibc().is_some_and(|version| version >= RELR_GLIBC) {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
}
