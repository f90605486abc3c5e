//! The nginx configurations of kubernetes/ in front of the local runtime: recording files and text tracks sent
//! by nginx after the API's X-Accel-Redirect answer or its auth_request check, the API passed through, the
//! internal and job paths closed. Runs the Debian nginx (`apt-get install nginx-light`); skipped without it.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use scalelite_integration_tests::Harness;
use scalelite_integration_tests::recording_files::{Fixture, write_tar};
use scalelite_integration_tests::skip::skip;

const VARIABLES: &[&str] = &[
    "SCALELITE_API_URL",
    "SCALELITE_RECORDING_RESOURCE_URL",
    "SCALELITE_RECORDING_TOKEN_LINK_URL",
    "SCALELITE_RECORDING_AUTHORIZE_URL",
    "SCALELITE_RECORDING_CAPTIONS_URL",
];

/// nginx as one process (`master_process off`), so killing it leaves no workers behind.
struct Nginx(Child);

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts nginx on `template` (relative to kubernetes/), with the API at `api` and the share at `share`.
fn start_nginx(template: &str, api: &str, share: &Path, work: &Path) -> (Nginx, String) {
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../kubernetes").join(template);
    let mut server = std::fs::read_to_string(path).unwrap();
    for name in VARIABLES {
        server = server.replace(&format!("${{{name}}}"), api);
    }
    let server = server
        .replace("listen 8080;", &format!("listen 127.0.0.1:{port};"))
        .replace("/var/bigbluebutton", &share.display().to_string());
    let work_dir = work.display();
    let temp_paths: String = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"]
        .iter()
        .map(|kind| format!("{kind}_temp_path {work_dir}/{kind};\n"))
        .collect();
    let conf = format!(
        "master_process off;\nuser root root;\npid {work_dir}/nginx.pid;\nerror_log {work_dir}/error.log;\nevents {{}}\n\
         http {{\naccess_log off;\n{temp_paths}{server}\n}}\n"
    );
    std::fs::write(work.join("nginx.conf"), conf).unwrap();
    let nginx = Command::new("nginx")
        .args(["-p", &work_dir.to_string(), "-c", "nginx.conf", "-g", "daemon off;"])
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .map(Nginx)
        .expect("nginx starts");
    for _ in 0..200 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return (nginx, format!("http://127.0.0.1:{port}"));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("nginx did not listen on {port}: {}", std::fs::read_to_string(work.join("error.log")).unwrap_or_default());
}

fn nginx_installed() -> bool {
    Command::new("nginx").arg("-v").stderr(Stdio::null()).status().is_ok_and(|s| s.success())
}

#[tokio::test]
async fn nginx_sends_recording_files_the_api_allows() {
    if !nginx_installed() {
        skip("no nginx (apt-get install nginx-light) to run the kubernetes/ nginx configurations");
        return;
    }
    let harness = Harness::start(0).await;
    write_tar(&harness.path("recordings/spool/n.tar"), &[Fixture::new("n-1", "m")]);
    harness.import().await;
    let share = harness.path("recordings");
    std::fs::create_dir_all(share.join("playback/presentation/2.3")).unwrap();
    std::fs::write(share.join("playback/presentation/2.3/index.html"), "player").unwrap();
    std::fs::create_dir_all(share.join("captions/n-1")).unwrap();
    std::fs::write(share.join("captions/n-1/captions_en.vtt"), "WEBVTT").unwrap();

    let harness = &harness;
    for template in
        ["base/nginx/recordings.conf.template", "components/nginx-auth-request/recordings-auth-request.conf.template"]
    {
        let work = tempfile::tempdir().unwrap();
        let (_nginx, base) = start_nginx(template, &harness.running.base_url(), &share, work.path());
        let get = |path: &str| {
            let url = format!("{base}{path}");
            async move { harness.get_url(&url).await }
        };

        let file = get("/presentation/n-1/index.html").await;
        assert_eq!((file.status.as_u16(), file.body.as_str()), (200, "<html>playback</html>"), "{template}");
        assert!(!file.headers.contains_key("x-accel-redirect"), "{template}: the header stays inside nginx");
        let unknown = get("/presentation/none/index.html").await.status.as_u16();
        assert!(unknown == 404 || unknown == 403, "{template}: unknown recording answered {unknown}");
        assert_eq!(get("/static-resource/presentation/n-1/index.html").await.status, 404, "{template}: internal");
        assert_eq!(get("/scalelite/jobs/poll").await.status, 404, "{template}: jobs are not public");
        let index = get("/bigbluebutton/api").await;
        assert_eq!(index.returncode().as_deref(), Some("SUCCESS"), "{template}: {}", index.body);
        let dial_plan = harness.fetch(harness.client.post(format!("{base}/fsapi"))).await;
        assert_eq!(dial_plan.status, 401, "{template}: /fsapi reaches the API, which asks for the fsapi password");
        let player = get("/playback/presentation/2.3/n-1").await;
        assert_eq!((player.status.as_u16(), player.body.as_str()), (200, "player"), "{template}");
        let captions = get("/captions/n-1/captions_en.vtt").await;
        assert_eq!((captions.status.as_u16(), captions.body.as_str()), (200, "WEBVTT"), "{template}");
        assert_eq!(get("/static-captions/n-1/captions_en.vtt").await.status, 404, "{template}: internal");
    }
}

#[tokio::test]
async fn nginx_passes_token_links_and_cookies_of_protected_recordings() {
    if !nginx_installed() {
        skip("no nginx (apt-get install nginx-light) to run the kubernetes/ nginx configurations");
        return;
    }
    let harness = Harness::with_env(0, &[("PROTECTED_RECORDINGS_ENABLED", "true"), ("SECRET_KEY_BASE", "k")]).await;
    write_tar(&harness.path("recordings/spool/p.tar"), &[Fixture::new("p-1", "m")]);
    harness.import().await;
    let share = harness.path("recordings");
    let harness = &harness;
    for template in
        ["base/nginx/recordings.conf.template", "components/nginx-auth-request/recordings-auth-request.conf.template"]
    {
        let work = tempfile::tempdir().unwrap();
        let (_nginx, base) = start_nginx(template, &harness.running.base_url(), &share, work.path());
        let file = format!("{base}/presentation/p-1/index.html");
        let refused = harness.get_url(&file).await.status.as_u16();
        assert!(refused == 404 || refused == 403, "{template}: no cookie answered {refused}");

        let link = harness.call("getRecordings", "").await.field("url").unwrap();
        let path = link.strip_prefix(&harness.running.base_url()).unwrap();
        let opened = harness.get_url(&format!("{base}{path}")).await;
        assert_eq!(opened.status, 307, "{template}: {}", opened.body);
        let cookie = opened.headers["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
        let served = harness.fetch(harness.client.get(&file).header("cookie", cookie)).await;
        assert_eq!((served.status.as_u16(), served.body.as_str()), (200, "<html>playback</html>"), "{template}");
    }
}

/// An encoded slash never leads nginx from an allowed recording into another one, with either configuration:
/// from an open recording into a protected one, nor with one protected recording's cookie into another's.
#[tokio::test]
async fn nginx_refuses_encoded_slashes_into_other_recordings() {
    if !nginx_installed() {
        skip("no nginx (apt-get install nginx-light) to run the kubernetes/ nginx configurations");
        return;
    }
    let harness = Harness::with_env(0, &[("PROTECTED_RECORDINGS_ENABLED", "true"), ("SECRET_KEY_BASE", "k")]).await;
    let fixtures = [Fixture::new("open-1", "m1"), Fixture::new("sec-a", "m2"), Fixture::new("sec-b", "m3")];
    write_tar(&harness.path("recordings/spool/e.tar"), &fixtures);
    harness.import().await;
    let opened = harness.call("updateRecordings", "recordID=open-1&protect=false").await;
    assert_eq!(opened.returncode().as_deref(), Some("SUCCESS"));
    std::fs::write(harness.path("recordings/published/presentation/sec-b/secret.txt"), "secret").unwrap();
    let share = harness.path("recordings");
    let harness = &harness;
    for template in
        ["base/nginx/recordings.conf.template", "components/nginx-auth-request/recordings-auth-request.conf.template"]
    {
        let work = tempfile::tempdir().unwrap();
        let (_nginx, base) = start_nginx(template, &harness.running.base_url(), &share, work.path());
        let open = harness.get_url(&format!("{base}/presentation/open-1/index.html")).await;
        assert_eq!(open.status, 200, "{template}: the open recording is served");
        for trick in ["..%2fsec-b/secret.txt", "..%2Fsec-b/secret.txt", "%2e%2e%2fsec-b/secret.txt"] {
            let answer = harness.get_url(&format!("{base}/presentation/open-1/{trick}")).await;
            assert!(answer.body != "secret" && answer.status != 200, "{template}: {trick} answered {}", answer.status);
        }
        let link = harness.call("getRecordings", "recordID=sec-a").await.field("url").unwrap();
        let path = link.strip_prefix(&harness.running.base_url()).unwrap();
        let cookie_a = harness.get_url(&format!("{base}{path}")).await.headers["set-cookie"]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        let own = harness
            .fetch(harness.client.get(format!("{base}/presentation/sec-a/index.html")).header("cookie", &cookie_a))
            .await;
        assert_eq!(own.status, 200, "{template}: the cookie opens its own recording");
        let other = harness
            .fetch(
                harness
                    .client
                    .get(format!("{base}/presentation/sec-a/..%2fsec-b/secret.txt"))
                    .header("cookie", &cookie_a),
            )
            .await;
        assert!(other.body != "secret" && other.status != 200, "{template}: cookie A read B ({})", other.status);
    }
}
