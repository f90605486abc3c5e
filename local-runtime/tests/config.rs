//! `scalelite config` through the binary: secrets masked, and each problem `serve` would meet (no secret, a store
//! that does not answer, a refused store pairing, recording directories missing or not writable) one line and
//! exit 1; a good configuration, embedded or on Redis and PostgreSQL, exit 0.

#[path = "../../tests/integration/src/skip.rs"]
mod skip;

use std::collections::BTreeMap;
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

const RECORDING_DIRS: [(&str, &str); 5] = [
    ("RECORDING_SPOOL_DIR", "spool"),
    ("RECORDING_WORK_DIR", "work"),
    ("RECORDING_PUBLISH_DIR", "published"),
    ("RECORDING_UNPUBLISH_DIR", "unpublished"),
    ("RECORDING_CAPTIONS_DIR", "captions"),
];

/// A configuration with nothing wrong: a secret, the embedded store and the recording directories in `dir`.
fn good(dir: &Path) -> BTreeMap<&'static str, String> {
    let mut env = BTreeMap::from([
        ("LOADBALANCER_SECRET", "config-test-secret".to_owned()),
        ("SQLITE_PATH", dir.join("config.db").display().to_string()),
    ]);
    for (name, sub) in RECORDING_DIRS {
        std::fs::create_dir_all(dir.join(sub)).unwrap();
        env.insert(name, dir.join(sub).display().to_string());
    }
    env
}

/// `scalelite config` with exactly `env`: its exit code and what it printed.
fn config(env: &BTreeMap<&'static str, String>) -> (Option<i32>, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_scalelite"))
        .arg("config")
        .env_clear()
        .env("RUST_LOG", "error")
        .envs(env)
        .output()
        .expect("the binary runs");
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    (output.status.code(), text(&output.stdout), text(&output.stderr))
}

fn problems(stdout: &str) -> Vec<&str> {
    stdout.lines().filter_map(|line| line.strip_prefix("problem: ")).collect()
}

/// A local port nothing listens on.
fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[test]
fn a_good_embedded_configuration_passes() {
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = config(&good(dir.path()));
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(problems(&stdout).is_empty() && stdout.contains("No problems found."), "{stdout}");
    assert!(stdout.contains(&format!("the embedded store {}", dir.path().join("config.db").display())), "{stdout}");
}

#[test]
fn secrets_and_store_passwords_are_masked() {
    let dir = tempfile::tempdir().unwrap();
    let mut env = good(dir.path());
    env.insert("LOADBALANCER_SECRETS", "second-secret-value".into());
    env.insert("SECRET_KEY_BASE", "cookie-signing-key".into());
    env.insert("REDIS_URL", format!("redis://:redis-password@127.0.0.1:{}", closed_port()));
    env.insert("DATABASE_URL", format!("postgres://u:pg-password@127.0.0.1:{}/x", closed_port()));
    let (_, stdout, stderr) = config(&env);
    for secret in ["config-test-secret", "second-secret-value", "cookie-signing-key", "redis-password", "pg-password"] {
        assert!(!stdout.contains(secret) && !stderr.contains(secret), "{secret} shown:\n{stdout}{stderr}");
    }
    assert!(stdout.contains("redis://:********@127.0.0.1"), "{stdout}");
    assert!(stdout.contains("(2 secrets)"), "{stdout}");
}

#[test]
fn no_secret_is_a_problem() {
    let dir = tempfile::tempdir().unwrap();
    let mut env = good(dir.path());
    env.remove("LOADBALANCER_SECRET");
    let (code, stdout, stderr) = config(&env);
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    assert_eq!(problems(&stdout).len(), 1, "{stdout}");
    assert!(problems(&stdout)[0].starts_with("LOADBALANCER_SECRET is not set"), "{stdout}");
    assert_eq!(stderr.trim(), "error: 1 problem found");
}

#[test]
fn a_store_that_does_not_answer_is_a_problem() {
    let dir = tempfile::tempdir().unwrap();
    let mut env = good(dir.path());
    let port = closed_port();
    env.insert("REDIS_URL", format!("redis://127.0.0.1:{port}"));
    env.insert("SINGLE_REPLICA", "true".into());
    let (code, stdout, stderr) = config(&env);
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    let problems = problems(&stdout);
    assert_eq!(problems.len(), 1, "{stdout}");
    assert!(problems[0].starts_with(&format!("Redis at 127.0.0.1:{port}")), "{stdout}");
    assert!(problems[0].contains("does not answer"), "{stdout}");
}

#[test]
fn a_store_pairing_serve_refuses_is_a_problem() {
    let dir = tempfile::tempdir().unwrap();
    let mut env = good(dir.path());
    env.insert("REDIS_URL", format!("redis://127.0.0.1:{}", closed_port()));
    let (code, stdout, _) = config(&env);
    assert_eq!(code, Some(1), "{stdout}");
    let problems = problems(&stdout);
    assert_eq!(problems.len(), 1, "{stdout}");
    assert!(
        problems[0].starts_with("the stores cannot be opened") && problems[0].contains("SINGLE_REPLICA"),
        "{stdout}"
    );
}

#[test]
fn missing_and_unwritable_directories_are_problems() {
    let dir = tempfile::tempdir().unwrap();
    let mut env = good(dir.path());
    env.insert("RECORDING_SPOOL_DIR", dir.path().join("nowhere").display().to_string());
    // Nobody, root included, creates files in /proc.
    env.insert("RECORDING_PUBLISH_DIR", "/proc".into());
    env.insert("RECORDING_CAPTIONS_DIR", dir.path().join("config.db").display().to_string());
    std::fs::write(dir.path().join("config.db"), "").unwrap();
    env.insert("SQLITE_PATH", dir.path().join("store.db").display().to_string());
    let (code, stdout, _) = config(&env);
    assert_eq!(code, Some(1), "{stdout}");
    let problems = problems(&stdout);
    assert_eq!(problems.len(), 3, "{stdout}");
    assert!(problems[0].starts_with("RECORDING_SPOOL_DIR") && problems[0].contains("missing"), "{stdout}");
    assert!(problems[1].starts_with("RECORDING_PUBLISH_DIR /proc: not writable"), "{stdout}");
    assert!(problems[2].starts_with("RECORDING_CAPTIONS_DIR") && problems[2].contains("not a directory"), "{stdout}");

    env.insert("RECORDING_DISABLED", "true".into());
    assert_eq!(config(&env).0, Some(0), "without recordings no directory is needed");
}

/// The service `variable` names (default `default`), when something listens at its host and port.
fn reachable(variable: &str, default: &str, port: u16) -> Option<String> {
    let url = std::env::var(variable).unwrap_or_else(|_| default.to_owned());
    let parsed = url::Url::parse(&url).ok()?;
    let address = (parsed.host_str()?.to_owned(), parsed.port().unwrap_or(port));
    let addresses = std::net::ToSocketAddrs::to_socket_addrs(&address).ok()?.collect::<Vec<_>>();
    addresses.iter().any(|a| TcpStream::connect_timeout(a, Duration::from_secs(1)).is_ok()).then_some(url)
}

#[test]
fn a_good_configuration_on_redis_and_postgresql_passes() {
    let redis = reachable("REDIS_URL", "redis://127.0.0.1:6379", 6379);
    let postgres = reachable("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test", 5432);
    let (Some(redis), Some(postgres)) = (redis, postgres) else {
        skip::skip("Redis or PostgreSQL is not reachable at REDIS_URL / DATABASE_URL (start them, or set those)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut env = good(dir.path());
    env.insert("REDIS_URL", redis);
    env.insert("REDIS_NAMESPACE", format!("config-test-{}", std::process::id()));
    env.insert("DATABASE_URL", postgres);
    let (code, stdout, stderr) = config(&env);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("Redis at ") && stdout.contains("PostgreSQL at "), "{stdout}");
    assert!(!dir.path().join("config.db").exists(), "no embedded store is opened beside Redis and PostgreSQL");
}
