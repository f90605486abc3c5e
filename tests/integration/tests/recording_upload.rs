//! `POST /scalelite/recordings/upload` through HTTP: a BBB server's signed tar lands in the spool and
//! imports; every refusal answers its status and leaves nothing in the spool; bodies past the upload limit
//! get 413 while the upload route still takes bodies larger than `MAX_BODY_BYTES`; a chunked upload is
//! written to the spool as it arrives, and one that stops, breaks off or runs past the limit leaves nothing.

use reqwest::StatusCode;
use scalelite_integration_tests::Harness;
use scalelite_integration_tests::recording_files::{Fixture, tar_bytes};
use scalelite_integration_tests::uploads::{MIB, StreamedUpload, bearer, good_token, token, upload};
use scalelite_integration_tests::wait::eventually;
use serde_json::json;

/// How long a test waits for the spool to show what the server did.
const WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// A refused upload: what it tries, its Authorization header, content type and body, and the status it gets.
type Refusal = (&'static str, Option<Vec<u8>>, &'static str, Vec<u8>, StatusCode);

/// Every name in the spool, hidden ones included.
fn spool_names(harness: &Harness) -> Vec<String> {
    match std::fs::read_dir(harness.path("recordings/spool")) {
        Ok(entries) => entries.map(|e| e.expect("entry").file_name().to_string_lossy().into_owned()).collect(),
        Err(_) => Vec::new(),
    }
}

#[tokio::test]
async fn a_signed_upload_is_queued_and_imported() {
    let harness = Harness::start(1).await;
    let tar = tar_bytes(&[Fixture::new("up-1", "m-up"), Fixture::new("up-1", "m-up").format("video")]);
    let answer = upload(&harness, Some(&good_token(&harness, "up-1", &tar)), "application/x-tar", tar).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    assert_eq!(answer.json(), json!({"record_id": "up-1", "queued": true}));
    assert_eq!(spool_names(&harness), ["up-1.tar"], "one whole tar and no .part file");

    let report = harness.import().await;
    assert_eq!((report["imported"].as_u64(), report["failed"].as_u64()), (Some(2), Some(0)), "{report}");
    assert!(harness.path("recordings/published/video/up-1/index.html").is_file());
    let listed = harness.call("getRecordings", "meetingID=m-up").await;
    assert_eq!(listed.field("recordID").as_deref(), Some("up-1"), "{}", listed.body);
    assert_eq!(listed.body.matches("<format>").count(), 2);
}

#[tokio::test]
async fn refusals_answer_their_status_and_leave_nothing() {
    let harness = Harness::start(2).await;
    let disabled = harness.admin("updateServer", "", Some(json!({"id": "demo-1", "server": {"state": "disable"}})));
    assert_eq!(disabled.await.status, StatusCode::OK);
    let tar = tar_bytes(&[Fixture::new("up-2", "m-up")]);
    let secret = harness.sim(0).secret().to_owned();
    let signed = |server: &str, secret: &str, record_id: &str, body: &[u8], lifetime: i64| {
        bearer(&token(server, secret, record_id, body, lifetime))
    };
    let mut junk_header = b"Bearer ".to_vec();
    junk_header.extend((0x80..=0xff).cycle().take(300));
    let cases: Vec<Refusal> = vec![
        ("no Authorization", None, "application/x-tar", tar.clone(), StatusCode::UNAUTHORIZED),
        (
            "Basic scheme",
            Some(b"Basic ZGVtbzpzZWNyZXQ=".to_vec()),
            "application/x-tar",
            tar.clone(),
            StatusCode::UNAUTHORIZED,
        ),
        ("garbage token", Some(bearer("not.a.jwt")), "application/x-tar", tar.clone(), StatusCode::UNAUTHORIZED),
        ("binary header", Some(junk_header), "application/x-tar", tar.clone(), StatusCode::UNAUTHORIZED),
        ("huge header", Some(bearer(&"A".repeat(60_000))), "application/x-tar", tar.clone(), StatusCode::UNAUTHORIZED),
        (
            "wrong secret",
            Some(signed("demo-0", "guess", "up-2", &tar, 600)),
            "application/x-tar",
            tar.clone(),
            StatusCode::UNAUTHORIZED,
        ),
        (
            "another server's secret",
            Some(signed("demo-0", harness.sim(1).secret(), "up-2", &tar, 600)),
            "application/x-tar",
            tar.clone(),
            StatusCode::UNAUTHORIZED,
        ),
        (
            "unknown server",
            Some(signed("nope", &secret, "up-2", &tar, 600)),
            "application/x-tar",
            tar.clone(),
            StatusCode::UNAUTHORIZED,
        ),
        (
            "expired",
            Some(signed("demo-0", &secret, "up-2", &tar, -600)),
            "application/x-tar",
            tar.clone(),
            StatusCode::UNAUTHORIZED,
        ),
        (
            "lives too long",
            Some(signed("demo-0", &secret, "up-2", &tar, 86_400)),
            "application/x-tar",
            tar.clone(),
            StatusCode::UNAUTHORIZED,
        ),
        (
            "disabled server",
            Some(signed("demo-1", harness.sim(1).secret(), "up-2", &tar, 600)),
            "application/x-tar",
            tar.clone(),
            StatusCode::FORBIDDEN,
        ),
        (
            "path in recordID",
            Some(signed("demo-0", &secret, "../up-2", &tar, 600)),
            "application/x-tar",
            tar.clone(),
            StatusCode::BAD_REQUEST,
        ),
        (
            "hidden recordID",
            Some(signed("demo-0", &secret, ".up-2", &tar, 600)),
            "application/x-tar",
            tar.clone(),
            StatusCode::BAD_REQUEST,
        ),
        (
            "hash mismatch",
            Some(signed("demo-0", &secret, "up-2", b"other", 600)),
            "application/x-tar",
            tar.clone(),
            StatusCode::BAD_REQUEST,
        ),
        (
            "binary junk body",
            Some(signed("demo-0", &secret, "up-2", &tar, 600)),
            "application/octet-stream",
            vec![0xff; 4096],
            StatusCode::BAD_REQUEST,
        ),
        (
            "empty body",
            Some(signed("demo-0", &secret, "up-2", b"", 600)),
            "application/x-tar",
            Vec::new(),
            StatusCode::BAD_REQUEST,
        ),
        (
            "not a tar type",
            Some(signed("demo-0", &secret, "up-2", &tar, 600)),
            "text/plain",
            tar.clone(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
    ];
    for (case, authorization, content_type, body, status) in cases {
        let answer = upload(&harness, authorization.as_deref(), content_type, body).await;
        assert_eq!(answer.status, status, "{case}: {}", answer.body);
        assert!(answer.json()["error"].is_string(), "{case}: a JSON error, not {}", answer.body);
        assert_eq!(spool_names(&harness), Vec::<String>::new(), "{case} leaves nothing in the spool");
    }
    let get = harness.get_url(&format!("{}/scalelite/recordings/upload", harness.running.base_url())).await;
    assert_eq!(get.message_key().as_deref(), Some("unsupportedRequest"), "POST only");
    assert_eq!(harness.import().await["imported"], 0);
}

#[tokio::test]
async fn uploads_have_their_own_body_limit() {
    let harness = Harness::with_env(1, &[("MAX_BODY_BYTES", "1024"), ("RECORDING_UPLOAD_MAX_BYTES", "65536")]).await;
    let tar = tar_bytes(&[Fixture::new("up-3", "m-up")]);
    assert!(tar.len() > 1024, "the tar is larger than MAX_BODY_BYTES");
    let answer = upload(&harness, Some(&good_token(&harness, "up-3", &tar)), "application/x-tar", tar).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    std::fs::remove_file(harness.path("recordings/spool/up-3.tar")).expect("queued tar");

    let big = vec![0u8; 100_000];
    let answer = upload(&harness, Some(&good_token(&harness, "up-4", &big)), "application/x-tar", big).await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", answer.body);
    assert!(answer.json()["error"].is_string(), "{}", answer.body);
    assert_eq!(spool_names(&harness), Vec::<String>::new());
    let unsigned = upload(&harness, None, "application/x-tar", vec![0u8; 100_000]).await;
    assert_eq!(unsigned.status, StatusCode::UNAUTHORIZED, "refused by its headers, before its body is taken");

    let other = harness.admin("addServer", "", Some(json!({"server": {"url": "x".repeat(2000), "secret": "s"}}))).await;
    assert_eq!(other.status, StatusCode::PAYLOAD_TOO_LARGE, "other calls keep MAX_BODY_BYTES");
}

#[tokio::test]
async fn uploads_are_refused_when_importing_in_place() {
    let harness = Harness::with_env(1, &[("RECORDING_IMPORT_MODE", "in-place")]).await;
    let tar = tar_bytes(&[Fixture::new("up-5", "m-up")]);
    let answer = upload(&harness, Some(&good_token(&harness, "up-5", &tar)), "application/x-tar", tar).await;
    assert_eq!(answer.status, StatusCode::CONFLICT, "{}", answer.body);
    assert_eq!(spool_names(&harness), Vec::<String>::new(), "nothing waits where no pass looks");

    let disabled = Harness::with_env(1, &[("RECORDING_DISABLED", "true")]).await;
    let tar = tar_bytes(&[Fixture::new("up-6", "m-up")]);
    let answer = upload(&disabled, Some(&good_token(&disabled, "up-6", &tar)), "application/x-tar", tar).await;
    assert_eq!(answer.status, StatusCode::CONFLICT, "recordings disabled: {}", answer.body);
    assert_eq!(spool_names(&disabled), Vec::<String>::new());
}

/// Every name in the spool that is not hidden, and the size of its `.part` file while an upload is written.
fn part_size(harness: &Harness) -> u64 {
    let names = spool_names(harness);
    let part = names.iter().find(|name| name.ends_with(".part"));
    part.map_or(0, |name| std::fs::metadata(harness.path(&format!("recordings/spool/{name}"))).map_or(0, |m| m.len()))
}

/// A tar of `record_id` followed by `padding` zero bytes (after the end of the archive, as tar pads).
fn padded_tar(record_id: &str, padding: usize) -> Vec<u8> {
    let mut body = tar_bytes(&[Fixture::new(record_id, "m-up")]);
    body.resize(body.len() + padding, 0);
    body
}

#[tokio::test]
async fn a_chunked_upload_is_written_to_the_spool_as_it_arrives() {
    let harness = Harness::start(1).await;
    let body = padded_tar("up-7", 6 * MIB);
    let (head, tail) = body.split_at(3 * MIB);
    let mut upload = StreamedUpload::start(&harness, &good_token(&harness, "up-7", &body));
    upload.send_all(head, 256 * 1024).await;
    eventually("the first 3 MiB on disk", WAIT, async || part_size(&harness) >= 3 * MIB as u64).await;
    assert_eq!(spool_names(&harness).iter().filter(|n| n.ends_with(".tar")).count(), 0, "not queued before its end");
    upload.send_all(tail, 256 * 1024).await;
    let (status, answer) = upload.finish().await.expect("an answer");
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    assert_eq!(spool_names(&harness), ["up-7.tar"]);
    assert_eq!(std::fs::read(harness.path("recordings/spool/up-7.tar")).unwrap(), body, "queued byte for byte");
    assert_eq!(harness.import().await["imported"], 1);
}

#[tokio::test]
async fn chunked_uploads_that_stop_break_off_or_run_long_leave_nothing() {
    let vars = [("HTTP_BODY_TIMEOUT", "0.5"), ("RECORDING_UPLOAD_MAX_BYTES", &(2 * MIB).to_string())];
    let harness = Harness::with_env(1, &vars).await;
    let body = padded_tar("up-8", MIB);

    // It pauses past HTTP_BODY_TIMEOUT: 408, while the client still holds the body open.
    let mut stalled = StreamedUpload::start(&harness, &good_token(&harness, "up-8", &body));
    stalled.send(&body[..MIB / 2]).await;
    let (status, answer) = stalled.answer_before_the_end().await.expect("an answer");
    assert_eq!(status, StatusCode::REQUEST_TIMEOUT, "{answer}");
    assert_eq!(spool_names(&harness), Vec::<String>::new());

    // Its client goes away mid-body.
    let mut vanishing = StreamedUpload::start(&harness, &good_token(&harness, "up-8", &body));
    vanishing.send(&body[..MIB / 2]).await;
    eventually("the first piece on disk", WAIT, async || part_size(&harness) > 0).await;
    vanishing.vanish();
    eventually("the broken upload removed", WAIT, async || spool_names(&harness).is_empty()).await;

    // It runs past RECORDING_UPLOAD_MAX_BYTES with no Content-Length to refuse it by: 413 as soon as the limit
    // is passed.
    let long = padded_tar("up-9", 3 * MIB);
    let mut overlong = StreamedUpload::start(&harness, &good_token(&harness, "up-9", &long));
    for piece in long.chunks(64 * 1024) {
        if !overlong.offer(piece).await {
            break;
        }
    }
    let (status, answer) = overlong.finish().await.expect("an answer");
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{answer}");
    assert_eq!(spool_names(&harness), Vec::<String>::new());

    // And the next upload is taken.
    let answer = upload(&harness, Some(&good_token(&harness, "up-8", &body)), "application/x-tar", body).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
}
