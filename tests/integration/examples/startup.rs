//! Start-up time of a function process: spawns `scalelite-function` (path in the first argument) with the
//! environment it was given (a fresh `SQLITE_PATH` each run unless `STARTUP_STORE=kept`), times process start to the first answered `GET /healthz`, `runs` times, then
//! reports the median, the maximum and the idle resident memory of the last process.
//! Usage: startup BINARY [runs] (tests/bench/startup.sh sets the environment).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use scalelite_integration_tests::process::status_kb;

fn answered(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else { return false };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
    if stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").is_err() {
        return false;
    }
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).is_ok() && head.starts_with(b"HTTP/1.1 200")
}

fn start(binary: &str) -> (Child, Duration) {
    let port: u16 = std::env::var("PORT").expect("PORT").parse().unwrap();
    // A fresh store each time, as a new pod starts with; `STARTUP_STORE=kept` starts on the store the first run
    // made, as a function restarting beside its volume does.
    let kept = std::env::var("STARTUP_STORE").is_ok_and(|s| s == "kept");
    if !kept && let Ok(db) = std::env::var("SQLITE_PATH") {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{db}{suffix}"));
        }
    }
    let started = Instant::now();
    let mut child = Command::new(binary).stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("spawn");
    while !answered(port) {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("{binary} exited with {status} before answering");
        }
        assert!(started.elapsed() < Duration::from_secs(10), "no answer within 10 s");
        std::thread::sleep(Duration::from_micros(200));
    }
    (child, started.elapsed())
}

fn main() {
    let mut args = std::env::args().skip(1);
    let binary = args.next().expect("usage: startup BINARY [runs]");
    let runs: usize = args.next().map_or(20, |r| r.parse().expect("runs"));
    let mut times = Vec::with_capacity(runs);
    for run in 0..runs {
        let (mut child, elapsed) = start(&binary);
        times.push(elapsed);
        if run + 1 == runs {
            std::thread::sleep(Duration::from_secs(1));
            println!("idle RSS after the first answer: {} kB", status_kb(child.id(), "VmRSS:"));
        }
        child.kill().unwrap();
        child.wait().unwrap();
    }
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "runs: {runs}, median: {:.1} ms, min: {:.1} ms, max: {:.1} ms",
        ms(times[runs / 2]),
        ms(times[0]),
        ms(times[runs - 1])
    );
}
