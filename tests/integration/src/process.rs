//! A process's figures as Linux reports them in `/proc`, for the benchmarks.

/// A `kB` figure of process `pid`'s `/proc/<pid>/status` (`VmRSS:` resident now, `VmHWM:` its peak); 0 when
/// it cannot be read.
pub fn status_kb(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let line = status.lines().find(|line| line.starts_with(field)).unwrap_or_default();
    line.split_whitespace().nth(1).and_then(|kb| kb.parse().ok()).unwrap_or(0)
}
