//! The files that run the binary as a service: the systemd units in infra/systemd (checked by
//! `systemd-analyze verify` against this build, and their commands against its CLI) and the Compose file in
//! infra/compose (validated by `docker-compose config`; its environment names settings the program reads, and
//! nginx gets every variable of the kubernetes/ template it serves). A missing tool skips its test.

#[path = "../../tests/integration/src/skip.rs"]
mod skip;

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use scalelite_shared::config::Config;
use serde_yaml_ng::Value;

const INSTALLED_BINARY: &str = "/usr/local/bin/scalelite";

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path)
}

fn installed(tool: &str) -> bool {
    Command::new(tool).arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok_and(|s| s.success())
}

/// The unit files, by name.
fn units() -> BTreeMap<String, String> {
    let dir = repo("infra/systemd");
    let units: BTreeMap<String, String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "service" || e == "timer"))
        .map(|path| (path.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read_to_string(&path).unwrap()))
        .collect();
    assert!(units.contains_key("scalelite.service"), "{units:?}");
    units
}

/// The lines of a unit's `[Service]` section from `User=` on: the account, environment and sandbox every unit shares.
fn sandbox(unit: &str) -> Vec<&str> {
    let service = unit.split("\n[").find(|section| section.starts_with("Service]")).expect("a [Service] section");
    service.lines().skip_while(|line| !line.starts_with("User=")).filter(|line| !line.is_empty()).collect()
}

#[test]
fn systemd_units_pass_systemd_analyze_verify() {
    if !installed("systemd-analyze") {
        skip::skip("systemd-analyze is not installed (apt-get install systemd) to verify infra/systemd");
        return;
    }
    // verify checks that ExecStart's binary exists: the units are checked as installed over this build.
    let dir = tempfile::tempdir().unwrap();
    let paths: Vec<PathBuf> = units()
        .iter()
        .map(|(name, text)| {
            let path = dir.path().join(name);
            std::fs::write(&path, text.replace(INSTALLED_BINARY, env!("CARGO_BIN_EXE_scalelite"))).unwrap();
            path
        })
        .collect();
    let output = Command::new("systemd-analyze").arg("verify").args(&paths).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success() && stderr.trim().is_empty(), "systemd-analyze verify:\n{stderr}");
}

#[test]
fn systemd_units_run_commands_of_this_binary_in_one_sandbox() {
    let units = units();
    let serve_sandbox = sandbox(&units["scalelite.service"]);
    assert!(
        serve_sandbox.contains(&"ProtectSystem=strict")
            && serve_sandbox.contains(&"EnvironmentFile=/etc/scalelite/env")
    );
    for (name, text) in &units {
        if let Some(service) = name.strip_suffix(".timer") {
            assert!(units.contains_key(&format!("{service}.service")), "{name} starts a unit that is not there");
            continue;
        }
        assert_eq!(sandbox(text), serve_sandbox, "{name} runs in another sandbox than scalelite.service");
        let exec = text.lines().find_map(|line| line.strip_prefix("ExecStart=")).expect("ExecStart");
        let mut words = exec.split_whitespace();
        assert_eq!(words.next(), Some(INSTALLED_BINARY), "{name}");
        let help = Command::new(env!("CARGO_BIN_EXE_scalelite")).args(words).arg("--help").output().unwrap();
        assert!(help.status.success(), "{name}: {exec} is no command of this binary");
    }
}

fn compose() -> Value {
    serde_yaml_ng::from_str(&std::fs::read_to_string(repo("infra/compose/compose.yaml")).unwrap()).unwrap()
}

/// A service's environment in the Compose file, as written (before interpolation).
fn environment(compose: &Value, service: &str) -> BTreeMap<String, String> {
    let map = compose["services"][service]["environment"].as_mapping().expect("an environment mapping");
    map.iter()
        .map(|(key, value)| (key.as_str().unwrap().to_owned(), value.as_str().expect("string values").to_owned()))
        .collect()
}

#[test]
fn compose_file_validates() {
    if !installed("docker-compose") {
        skip::skip("docker-compose is not installed (apt-get install --no-install-recommends docker-compose)");
        return;
    }
    // Every variable of env.example filled in, as an operator's .env would be.
    let example = std::fs::read_to_string(repo("infra/compose/env.example")).unwrap();
    let filled: String = example
        .lines()
        .filter_map(|line| line.strip_suffix('=').filter(|_| !line.starts_with('#')))
        .map(|name| format!("{name}=filled-{name}\n"))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let env_file = dir.path().join(".env");
    std::fs::write(&env_file, filled).unwrap();
    let file = repo("infra/compose/compose.yaml");
    let validate = |env_file: &Path| {
        Command::new("docker-compose")
            .arg("-f")
            .arg(&file)
            .arg("--env-file")
            .arg(env_file)
            .arg("config")
            .output()
            .unwrap()
    };
    let output = validate(&env_file);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "docker-compose config:\n{stderr}");
    let resolved: Value = serde_yaml_ng::from_slice(&output.stdout).unwrap();
    let database = resolved["services"]["scalelite"]["environment"]["DATABASE_URL"].as_str().unwrap();
    assert!(database.contains(":filled-POSTGRES_PASSWORD@postgres:"), "{database}");

    std::fs::write(&env_file, "").unwrap();
    assert!(!validate(&env_file).status.success(), "the secrets are required");
}

#[test]
fn compose_environment_names_settings_the_program_reads() {
    let compose = compose();
    let env = environment(&compose, "scalelite");
    let asked = RefCell::new(BTreeSet::new());
    let config = Config::from_lookup(|name| {
        asked.borrow_mut().insert(name.to_owned());
        env.get(name).cloned()
    })
    .expect("the Compose environment is a valid configuration");
    let unread: Vec<&String> = env.keys().filter(|name| !asked.borrow().contains(*name)).collect();
    assert!(unread.is_empty(), "the program reads no {unread:?}");
    assert!(config.uses_redis() && config.database_url.is_some() && !config.secrets.is_empty());
    assert_eq!(compose["services"]["scalelite"]["entrypoint"][0].as_str(), Some("scalelite"));
    assert_eq!(compose["services"]["scalelite"]["command"][0].as_str(), Some("serve"));

    // nginx: the kubernetes/ template, with each of its variables pointing at the load balancer's port.
    let nginx = environment(&compose, "nginx");
    let template = compose["services"]["nginx"]["volumes"]
        .as_sequence()
        .unwrap()
        .iter()
        .find_map(|volume| volume.as_str()?.split(':').next()?.strip_prefix("../../").map(repo))
        .expect("the nginx template mounted from the repository");
    let template = std::fs::read_to_string(&template).unwrap_or_else(|e| panic!("{}: {e}", template.display()));
    let variables: BTreeSet<&str> =
        template.split("${").skip(1).filter_map(|rest| rest.split_once('}').map(|(name, _)| name)).collect();
    assert!(!variables.is_empty());
    for variable in variables {
        assert_eq!(nginx.get(variable), Some(&format!("http://scalelite:{}", config.port)), "nginx's {variable}");
    }
}
