//! The operator commands through the `scalelite` binary, against the embedded store and a simulated server.

use std::path::Path;
use std::process::{Command, Output};

use bbb_simulator::Fleet;

fn scalelite(db: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_scalelite"))
        .args(args)
        .env("SQLITE_PATH", db)
        .env("LOADBALANCER_SECRET", "cli-secret")
        .env("RUST_LOG", "error")
        .output()
        .expect("the binary runs")
}

fn stdout(output: &Output) -> String {
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn servers_status_and_meetings() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cli.db");
    let fleet = Fleet::start(1).await.unwrap();
    let sim = &fleet.servers[0];

    let added = stdout(&scalelite(&db, &["servers", "add", &sim.url(), sim.secret(), "--tag", "gpu"]));
    let id = added.lines().find_map(|l| l.strip_prefix("id: ")).expect("the new id").to_owned();
    let listed = stdout(&scalelite(&db, &["servers"]));
    assert!(listed.contains(&id) && listed.contains("disabled") && listed.contains("tag: gpu"), "{listed}");

    stdout(&scalelite(&db, &["servers", "enable", &id]));
    let polled = stdout(&scalelite(&db, &["poll"]));
    assert!(polled.contains("\"online\": true"), "{polled}");
    let status = stdout(&scalelite(&db, &["status"]));
    assert!(status.contains("HOSTNAME") && status.contains("127.0.0.1") && status.contains("enabled"), "{status}");
    assert!(status.lines().next().is_some_and(|header| header.trim_end().ends_with("ID")), "{status}");
    assert!(status.contains(&id), "the server's id: {status}");
    let json: serde_json::Value = serde_json::from_str(&stdout(&scalelite(&db, &["status", "--json"]))).unwrap();
    assert_eq!(json[0]["status"], "online");
    assert_eq!(json[0]["load"], 0.0);

    // A meeting placed through the API, on the same store file.
    let env: std::collections::HashMap<&str, String> = [
        ("LOADBALANCER_SECRET", "cli-secret".to_owned()),
        ("SQLITE_PATH", db.display().to_string()),
        ("POLL_INTERVAL", "3600".to_owned()),
    ]
    .into();
    let config = scalelite_shared::config::Config::from_lookup(|k| env.get(k).cloned()).unwrap();
    let options = scalelite_cli::Options { bind: "127.0.0.1:0".parse().unwrap(), demo_servers: 0 };
    let running = scalelite_cli::start(config, options).await.unwrap();
    let query = "meetingID=cli-room&name=Room&meta_server-tag=gpu";
    let checksum = scalelite_shared::bbb::checksum::sign(
        scalelite_shared::bbb::checksum::Algorithm::Sha1,
        "create",
        query,
        "cli-secret",
    );
    let body = reqwest::get(format!("{}/bigbluebutton/api/create?{query}&checksum={checksum}", running.base_url()))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(body.contains("SUCCESS"), "{body}");
    drop(running);

    assert!(stdout(&scalelite(&db, &["meetings"])).contains("cli-room"));
    let refused = scalelite(&db, &["servers", "remove", &id]);
    assert!(!refused.status.success(), "a server with meetings is not removed without --force");
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--force"));

    stdout(&scalelite(&db, &["meetings", "end", "cli-room", "--yes"]));
    assert!(sim.meeting("cli-room").is_none(), "ended on the server");
    stdout(&scalelite(&db, &["servers", "remove", &id]));
    assert!(stdout(&scalelite(&db, &["servers"])).contains("No servers are configured"));
}

#[test]
fn bad_input_exits_non_zero() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cli.db");
    for args in [
        &["servers", "add", "ftp://x", "s"][..],
        &["servers", "add", "https://x/bigbluebutton/api", ""],
        &["servers", "enable", "missing"],
        &["servers", "update", "missing", "--load-multiplier", "0"],
        &["meetings", "end", "missing", "--yes"],
        &["servers", "frobnicate"],
    ] {
        let output = scalelite(&db, args);
        assert!(!output.status.success(), "{args:?} should fail");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn panic_and_disable_end_meetings() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cli.db");
    let fleet = Fleet::start(1).await.unwrap();
    let sim = &fleet.servers[0];
    let added = stdout(&scalelite(&db, &["servers", "add", &sim.url(), sim.secret()]));
    let id = added.lines().find_map(|l| l.strip_prefix("id: ")).unwrap().to_owned();
    stdout(&scalelite(&db, &["servers", "cordon", &id]));
    let json: serde_json::Value = serde_json::from_str(&stdout(&scalelite(&db, &["status", "--json"]))).unwrap();
    assert_eq!(json[0]["state"], "cordoned");
    stdout(&scalelite(&db, &["servers", "update", &id, "--load-multiplier", "2.5", "--tag", "x"]));
    assert!(stdout(&scalelite(&db, &["servers"])).contains("load multiplier: 2.5"));
    stdout(&scalelite(&db, &["servers", "disable", &id]));
    let json: serde_json::Value = serde_json::from_str(&stdout(&scalelite(&db, &["status", "--json"]))).unwrap();
    assert_eq!(json[0]["state"], "disabled");
    stdout(&scalelite(&db, &["servers", "panic", &id, "--keep-state"]));
}

#[test]
fn job_poll_every_keeps_polling_until_for_ends() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cli.db");
    let output = stdout(&scalelite(&db, &["job", "poll", "--every", "100ms", "--for", "450ms"]));
    let passes = output.lines().filter(|line| line.starts_with('[')).count();
    assert!((3..=5).contains(&passes), "{passes} passes: {output}");
    assert!(!scalelite(&db, &["job", "poll", "--for", "1s"]).status.success(), "--for needs --every");
}

#[tokio::test(flavor = "multi_thread")]
async fn servers_sync_and_yaml() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cli.db");
    let fleet = Fleet::start(3).await.unwrap();
    let file = dir.path().join("servers.yml");
    let entry = |i: usize, extra: &str| {
        let sim = &fleet.servers[i];
        format!("  sim{i}:\n    url: {}\n    secret: {}\n{extra}", sim.url(), sim.secret())
    };
    std::fs::write(
        &file,
        format!("servers:\n{}{}", entry(0, "    tag: gpu\n"), entry(1, "    enabled: false\n    load_multiplier: 2\n")),
    )
    .unwrap();
    let file = file.to_str().unwrap();

    let dry = stdout(&scalelite(&db, &["servers", "sync", file, "--dry-run"]));
    assert!(dry.contains("would add server sim0"), "{dry}");
    assert!(stdout(&scalelite(&db, &["servers"])).contains("No servers are configured"), "a dry run changes nothing");

    stdout(&scalelite(&db, &["servers", "sync", file]));
    let json: serde_json::Value = serde_json::from_str(&stdout(&scalelite(&db, &["status", "--json"]))).unwrap();
    assert_eq!(
        (json[0]["id"].clone(), json[0]["state"].clone(), json[0]["tag"].clone()),
        ("sim0".into(), "enabled".into(), "gpu".into())
    );
    assert_eq!(json[1]["state"], "cordoned");
    assert!(stdout(&scalelite(&db, &["servers", "sync", file])).is_empty(), "a second sync changes nothing");

    let dumped = stdout(&scalelite(&db, &["servers", "yaml"]));
    assert!(
        dumped.contains("sim1:") && dumped.contains("load_multiplier: 2.0") && dumped.contains("enabled: false"),
        "{dumped}"
    );
    let verbose = stdout(&scalelite(&db, &["servers", "yaml", "--verbose"]));
    assert!(verbose.contains("load: -1.0") && verbose.contains("online: false"), "{verbose}");
    let again = dir.path().join("again.yml");
    std::fs::write(&again, &verbose).unwrap();
    assert!(
        stdout(&scalelite(&db, &["servers", "sync", again.to_str().unwrap()])).is_empty(),
        "the verbose dump syncs back unchanged"
    );

    // sim1 leaves the file: without meetings it is removed; in keep mode it stays.
    std::fs::write(file, format!("servers:\n{}", entry(0, "    tag: gpu\n"))).unwrap();
    let kept = stdout(&scalelite(&db, &["servers", "sync", file, "--mode", "keep"]));
    assert!(kept.contains("keep server sim1"), "{kept}");
    let removed = stdout(&scalelite(&db, &["servers", "sync", file]));
    assert!(removed.contains("remove server sim1"), "{removed}");
    assert!(!stdout(&scalelite(&db, &["servers"])).contains("sim1"));

    for bad in [
        "servers:\n  x:\n    secret: s\n    colour: red\n",
        "servers:\n  x:\n    url: https://x/bigbluebutton/api\n",
        "servers:\n  'bad id':\n    secret: s\n",
        "servers:\n  x:\n    secret: s\n    load_multiplier: 0\n",
        "servers: [",
    ] {
        std::fs::write(file, bad).unwrap();
        let output = scalelite(&db, &["servers", "sync", file]);
        assert!(!output.status.success(), "{bad:?} should be refused");
    }
    assert_eq!(stdout(&scalelite(&db, &["servers"])).matches("id: ").count(), 1, "a refused file changes nothing");
}

#[test]
fn recordings_import_with_progress_and_job_import() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cli.db");
    let packed = dir.path().join("packed/presentation/rec-1");
    std::fs::create_dir_all(&packed).unwrap();
    std::fs::write(
        packed.join("metadata.xml"),
        "<recording><id>rec-1</id><state>published</state><published>true</published>\
         <meta><meetingId>m1</meetingId><meetingName>Room</meetingName></meta>\
         <playback><format>presentation</format><link>https://b/playback/presentation/2.3/rec-1</link></playback>\
         </recording>",
    )
    .unwrap();
    let spool = dir.path().join("spool");
    std::fs::create_dir_all(&spool).unwrap();
    let tarred = Command::new("tar")
        .args(["-cf", &spool.join("rec-1.tar").display().to_string(), "-C"])
        .arg(dir.path().join("packed"))
        .arg("presentation")
        .status()
        .expect("tar runs");
    assert!(tarred.success());

    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_scalelite"))
            .args(args)
            .env("SQLITE_PATH", &db)
            .env("LOADBALANCER_SECRET", "cli-secret")
            .env("RUST_LOG", "error")
            .env("RECORDING_SPOOL_DIR", &spool)
            .env("RECORDING_WORK_DIR", dir.path().join("work"))
            .env("RECORDING_PUBLISH_DIR", dir.path().join("published"))
            .env("RECORDING_UNPUBLISH_DIR", dir.path().join("unpublished"))
            .env("RECORDING_IMPORT_SETTLE", "0")
            .output()
            .expect("the binary runs")
    };
    let imported: serde_json::Value = serde_json::from_str(&stdout(&run(&["recordings", "import"]))).unwrap();
    assert_eq!(imported["imported"], 1, "{imported}");
    assert!(dir.path().join("published/presentation/rec-1/metadata.xml").is_file());
    let again: serde_json::Value = serde_json::from_str(&stdout(&run(&["job", "import"]))).unwrap();
    assert_eq!((again["imported"].as_u64(), again["failed"].as_u64()), (Some(0), Some(0)));
}

/// `scalelite` with multitenancy on, as upstream's tenant tasks need it.
fn tenancy(db: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_scalelite"))
        .args(args)
        .env("SQLITE_PATH", db)
        .env("LOADBALANCER_SECRET", "cli-secret")
        .env("MULTITENANCY_ENABLED", "true")
        .env("RUST_LOG", "error")
        .output()
        .expect("the binary runs")
}

#[test]
fn tenants_and_their_settings() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cli.db");
    let added = stdout(&tenancy(&db, &["tenants", "add", "School", "s1:s2"]));
    let id = added.lines().find_map(|l| l.strip_prefix("id: ")).expect("the new id").to_owned();
    let listed = stdout(&tenancy(&db, &["tenants"]));
    assert!(listed.contains(&id) && listed.contains("school") && listed.contains("s1:s2"), "{listed}");
    assert!(!tenancy(&db, &["tenants", "add", "school", "x"]).status.success(), "names are unique");
    assert!(!tenancy(&db, &["tenants", "add", "a.b", "x"]).status.success(), "a name is a host label");
    assert!(!tenancy(&db, &["tenants", "add", "empty", ":"]).status.success(), "a tenant needs a secret");

    let setting = stdout(&tenancy(&db, &["tenant-settings", "add", &id, "record", "false", "--override"]));
    let setting_id = setting.lines().find_map(|l| l.strip_prefix("id: ")).expect("the setting id").to_owned();
    let settings = stdout(&tenancy(&db, &["tenant-settings"]));
    assert!(settings.contains("record") && settings.contains("true"), "{settings}");
    assert!(!tenancy(&db, &["tenant-settings", "add", "nope", "a", "b"]).status.success(), "unknown tenant");
    stdout(&tenancy(&db, &["tenant-settings", "remove", &setting_id]));

    stdout(&tenancy(&db, &[&format!("tenants:update_lrs_basic[{id},https://lrs.example,u,p]")]));
    assert!(stdout(&tenancy(&db, &["tenants"])).contains("\tlrs_endpoint: https://lrs.example\n\tlrs_username: u"));
    let keycloak = format!("tenants:update_lrs_kc[{id},https://lrs.example,https://kc.example/token,c,cs,u,p]");
    stdout(&tenancy(&db, &[&keycloak]));
    assert!(stdout(&tenancy(&db, &["tenants"])).contains("\tkc_token_url: https://kc.example/token"));
    assert!(!tenancy(&db, &["tenants", "lrs-basic", &id, "https://lrs", " ", "p"]).status.success(), "no blanks");
    stdout(&tenancy(&db, &["tenants", "lrs-remove", &id]));
    assert!(!stdout(&tenancy(&db, &["tenants"])).contains("lrs.example"));

    stdout(&tenancy(&db, &["tenants", "update", &id, "--name", "college"]));
    assert!(stdout(&tenancy(&db, &["tenants"])).contains("college"));
    stdout(&tenancy(&db, &["tenants", "remove", &id, "--yes"]));
    assert!(!stdout(&tenancy(&db, &["tenants"])).contains("college"));
}

/// Upstream's tenant task names answer as upstream's tasks do: output, stderr lines and exit codes.
#[test]
fn tenant_tasks_answer_as_upstream() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cli.db");
    let added = stdout(&tenancy(&db, &["tenants:add[school,s1:s2]"]));
    let id = added.strip_prefix("OK\nNew Tenant id: ").expect("upstream's answer").trim().to_owned();
    let listed = stdout(&tenancy(&db, &["tenants"]));
    assert_eq!(listed, format!("id: {id}\n\tname: school\n\tsecrets: s1:s2\nTotal number of tenants: 1\n"));

    assert_eq!(
        stdout(&tenancy(&db, &[&format!("tenants:update[{id},,s3]")])),
        format!("OK\nUpdated Tenant id: {id}\n")
    );
    let lrs = stdout(&tenancy(&db, &[&format!("tenants:update_lrs_basic[{id},https://lrs,u,p]")]));
    assert_eq!(lrs, format!("OK\nUpdated Tenant id: {id}\n"));

    let refusals: [(&str, &str); 5] = [
        ("tenants:add[school]", "Error: both name and secrets are required to create a Tenant"),
        (&format!("tenants:update[{id}]"), "Error: id and either name or secrets are required to update a Tenant"),
        (
            "tenants:update_lrs_basic[x,https://lrs,u]",
            "Error: id, LRS_ENDPOINT, LRS_USERNAME, LRS_PASSWORD are required",
        ),
        ("tenants:remove[nobody]", "Tenant with id nobody does not exist in the system. Exiting..."),
        ("tenants:update[nobody,name]", "Tenant with id nobody does not exist in the system. Exiting..."),
    ];
    for (task, line) in refusals {
        let refused = tenancy(&db, &[task]);
        assert_eq!(refused.status.code(), Some(1), "{task}");
        assert!(String::from_utf8_lossy(&refused.stderr).starts_with(line), "{task}: {refused:?}");
    }

    assert_eq!(stdout(&tenancy(&db, &[&format!("tenants:remove[{id}]")])), "Tenant was successfully deleted.\n");
    assert_eq!(stdout(&tenancy(&db, &["tenants"])), "Total number of tenants: 0\n");

    let server = stdout(&scalelite(&db, &["servers", "add", "https://bbb.example.org/bigbluebutton/api", "s"]));
    let server = server.lines().find_map(|l| l.strip_prefix("id: ")).expect("the server id").to_owned();
    let zero = stdout(&scalelite(&db, &[&format!("servers:update[{server},,0]")]));
    assert_eq!(zero, "WARNING! Load-multiplier was not readable or 0, so it is now 1\nOK\n");
    assert!(stdout(&scalelite(&db, &["servers"])).contains("load multiplier: 1"), "upstream sets 1");

    let off = scalelite(&db, &["tenants"]);
    assert_eq!(off.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&off.stderr).trim(), "Multitenancy is disabled, task can not be completed");
}

#[test]
fn sign_prints_urls_the_load_balancer_accepts() {
    let dir = tempfile::tempdir().unwrap();
    let join = stdout(&scalelite(&dir.path().join("s.db"), &["sign", "join", "meetingID=m&fullName=Ann"]));
    let checksum = scalelite_shared::bbb::checksum::sign(
        scalelite_shared::bbb::checksum::Algorithm::Sha256,
        "join",
        "meetingID=m&fullName=Ann",
        "cli-secret",
    );
    assert_eq!(
        join.trim(),
        format!("http://127.0.0.1:3000/bigbluebutton/api/join?meetingID=m&fullName=Ann&checksum={checksum}")
    );
    let servers = stdout(&scalelite(&dir.path().join("s.db"), &["sign", "getServers", "--base", "http://lb:8080/"]));
    assert!(servers.trim().starts_with("http://lb:8080/scalelite/api/getServers?checksum="), "{servers}");
    let import = stdout(&scalelite(&dir.path().join("s.db"), &["sign", "importRecordings"]));
    let signed_as_import = scalelite_shared::bbb::checksum::sign(
        scalelite_shared::bbb::checksum::Algorithm::Sha256,
        "import",
        "",
        "cli-secret",
    );
    assert!(import.trim().ends_with(&format!("/scalelite/jobs/import?checksum={signed_as_import}")), "{import}");
    assert!(!scalelite(&dir.path().join("s.db"), &["sign", "nope"]).status.success());
}

/// `serve --demo` keeps its state apart: nothing is written where it runs, and a second demo on the same
/// port fails to bind before it touches any store, leaving the first one working.
#[test]
fn the_demo_keeps_its_state_apart() {
    let dir = tempfile::tempdir().unwrap();
    let temporary = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let demo = || {
        Command::new(env!("CARGO_BIN_EXE_scalelite"))
            .args(["serve", "--demo", "--demo-servers", "1"])
            .current_dir(dir.path())
            .env("TMPDIR", temporary.path())
            .env_remove("SQLITE_PATH")
            .env("LOADBALANCER_SECRET", "cli-secret")
            .env("PORT", port.to_string())
            .env("RUST_LOG", "error")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let mut first = demo();
    let checksum = scalelite_shared::bbb::checksum::sign(
        scalelite_shared::bbb::checksum::Algorithm::Sha256,
        "getMeetings",
        "",
        "cli-secret",
    );
    let answered = || {
        use std::io::{Read, Write};
        let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) else { return false };
        let request = format!(
            "GET /bigbluebutton/api/getMeetings?checksum={checksum} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        );
        let mut answer = String::new();
        stream.write_all(request.as_bytes()).is_ok()
            && stream.read_to_string(&mut answer).is_ok()
            && answer.contains("<returncode>SUCCESS</returncode>")
    };
    let started = std::time::Instant::now();
    while !answered() && started.elapsed() < std::time::Duration::from_secs(30) {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(answered(), "the demo answers");
    let second = demo().wait_with_output().unwrap();
    assert!(!second.status.success(), "the port is taken");
    assert!(answered(), "the first demo still answers");
    assert_eq!(std::fs::read_dir(temporary.path()).unwrap().count(), 1, "its state, while it runs");
    // Stopped as a service manager stops it (SIGTERM), so its clean-up runs.
    let _ = Command::new("kill").args(["-TERM", &first.id().to_string()]).status();
    let _ = first.wait();
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(left.is_empty(), "the demo wrote {left:?} where it ran");
    let kept: Vec<_> = std::fs::read_dir(temporary.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(kept.is_empty(), "the demo's temporary state is gone once it stops: {kept:?}");
}

/// What an operator sees: one line per user error (whatever RUST_BACKTRACE says), the store named when it
/// holds nothing or cannot be opened, a message for no meetings, the usage for a bare command.
#[test]
fn user_errors_and_empty_stores_say_what_happened() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cli.db");
    let failed = Command::new(env!("CARGO_BIN_EXE_scalelite"))
        .args(["servers", "enable", "missing"])
        .env("SQLITE_PATH", &db)
        .env("LOADBALANCER_SECRET", "cli-secret")
        .env("RUST_BACKTRACE", "1")
        .env("RUST_LOG", "error")
        .output()
        .unwrap();
    assert!(!failed.status.success());
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(stderr.starts_with("error: ") && !stderr.contains("backtrace"), "{stderr}");

    let nowhere = dir.path().join("no/such/dir/cli.db");
    let unopened = scalelite(&nowhere, &["servers"]);
    assert!(!unopened.status.success());
    assert!(String::from_utf8_lossy(&unopened.stderr).contains(&nowhere.display().to_string()), "the path is named");

    let empty = scalelite(&db, &["servers"]);
    assert_eq!(stdout(&empty).trim(), "No servers are configured");
    assert!(String::from_utf8_lossy(&empty.stderr).contains(&db.display().to_string()), "the store is named");
    assert!(stdout(&scalelite(&db, &["meetings"])).starts_with("No meetings are placed"));

    let bare = Command::new(env!("CARGO_BIN_EXE_scalelite")).output().unwrap();
    assert!(bare.status.success(), "a bare `scalelite` succeeds");
    assert!(String::from_utf8_lossy(&bare.stdout).contains("Usage: scalelite [COMMAND]"), "it names itself scalelite");
    for shell in ["bash", "zsh", "fish"] {
        let script = Command::new(env!("CARGO_BIN_EXE_scalelite")).args(["completions", shell]).output().unwrap();
        let script = String::from_utf8_lossy(&script.stdout);
        assert!(script.contains("scalelite") && script.contains("servers"), "{shell}: {script}");
    }
    let version = Command::new(env!("CARGO_BIN_EXE_scalelite")).arg("--version").output().unwrap();
    assert!(String::from_utf8_lossy(&version.stdout).starts_with("scalelite "), "{version:?}");

    let unsigned = Command::new(env!("CARGO_BIN_EXE_scalelite"))
        .arg("serve")
        .env("SQLITE_PATH", &db)
        .env_remove("LOADBALANCER_SECRET")
        .env_remove("LOADBALANCER_SECRETS")
        .env("PORT", "0")
        .output()
        .unwrap();
    assert!(!unsigned.status.success(), "serve refuses to start without a secret");
    assert!(String::from_utf8_lossy(&unsigned.stderr).contains("LOADBALANCER_SECRET is not set"), "{unsigned:?}");

    let bare_host = stdout(&scalelite(&db, &["servers", "add", "https://bbb.example.org", "s3cret"]));
    let id = bare_host.lines().find_map(|l| l.strip_prefix("id: ")).expect("the new id").to_owned();
    let listed = stdout(&scalelite(&db, &["servers"]));
    assert!(listed.contains("https://bbb.example.org/bigbluebutton/api"), "the API path is added: {listed}");
    stdout(&scalelite(&db, &["servers", "remove", &id]));

    for words in [&["foo"][..], &["servers", "add", "https://bbb.example.org/bigbluebutton/api"][..]] {
        let refused = Command::new(env!("CARGO_BIN_EXE_scalelite")).args(words).output().unwrap();
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert_eq!(refused.status.code(), Some(2), "{words:?}");
        assert_eq!(stderr.lines().count(), 1, "one line for {words:?}: {stderr}");
        assert!(stderr.starts_with("error: ") && stderr.contains("scalelite --help"), "{stderr}");
    }
}

/// Logs go to stderr without colours when it is no terminal, so command output can be piped; a poll that
/// fails says why.
#[test]
fn logs_stay_off_stdout_and_name_the_cause() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cli.db");
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    stdout(&scalelite(&db, &["servers", "add", &format!("http://127.0.0.1:{closed}/bigbluebutton/api"), "s"]));
    let polled = Command::new(env!("CARGO_BIN_EXE_scalelite"))
        .args(["poll"])
        .env("SQLITE_PATH", &db)
        .env("LOADBALANCER_SECRET", "cli-secret")
        .env("RUST_LOG", "info")
        .output()
        .unwrap();
    assert!(polled.status.success());
    let report: serde_json::Value = serde_json::from_slice(&polled.stdout).expect("stdout is the JSON report alone");
    assert_eq!(report[0]["online"], serde_json::json!(false));
    let logs = String::from_utf8_lossy(&polled.stderr);
    assert!(!logs.contains('\u{1b}'), "no colours into a pipe: {logs:?}");
    assert!(logs.to_lowercase().contains("refused"), "the cause is given: {logs}");
}

/// Scripts written for upstream's rake tasks work unchanged, with its outputs where scripts read them.
#[test]
fn rake_task_names_work_as_commands() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cli.db");
    let added = stdout(&scalelite(&db, &["servers:add[https://bbb1.example/bigbluebutton/api,s3cret,2,gpu]"]));
    let mut lines = added.lines();
    assert_eq!(lines.next(), Some("OK"));
    let id = lines.next().and_then(|l| l.strip_prefix("id: ")).expect("id: <id>").to_owned();
    for task in [
        format!("servers:enable[{id}]"),
        format!("servers:cordon[{id}]"),
        format!("servers:loadMultiplier[{id},3]"),
        format!("servers:tag[{id},]"),
        format!("servers:update[{id},new-secret,,ssd]"),
        format!("servers:panic[{id},true,true]"),
    ] {
        assert_eq!(stdout(&scalelite(&db, &[&task])).trim(), "OK", "{task}");
    }
    let listed = stdout(&scalelite(&db, &["servers"]));
    assert!(listed.contains("secret: new-secret") && listed.contains("tag: ssd"), "{listed}");
    assert!(listed.contains("load multiplier: 3") && listed.contains("cordoned"), "{listed}");
    let yaml = stdout(&scalelite(&db, &["servers:yaml[true]"]));
    assert!(yaml.contains(&id) && yaml.contains("state: cordoned"), "{yaml}");
    let polled: serde_json::Value = serde_json::from_str(&stdout(&scalelite(&db, &["poll:all"]))).unwrap();
    assert_eq!(polled.as_array().map(Vec::len), Some(1));
    assert_eq!(stdout(&scalelite(&db, &[&format!("servers:remove[{id}]")])).trim(), "OK");
    assert!(stdout(&scalelite(&db, &["servers"])).starts_with("No servers are configured"));
}

#[test]
fn openapi_prints_the_committed_document() {
    let dir = tempfile::tempdir().unwrap();
    let printed = stdout(&scalelite(&dir.path().join("unused.db"), &["openapi"]));
    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("../functions/openapi.json");
    assert!(printed == std::fs::read_to_string(committed).unwrap(), "scalelite openapi: {printed:.200}");
}
