//! `POST /scalelite/recordings/upload` through HTTP: a BBB server's signed tar lands in the spool and
//! imports; every refusal answers its status and leaves nothing in the spool; bodies past the upload limit
//! get 413 while the upload route still takes bodies larger than `MAX_BODY_BYTES`.

use jsonwebtoken::{Algorithm, EncodingKey, Header, encode, get_current_timestamp};
use reqwest::StatusCode;
use scalelite_integration_tests::recording_files::{Fixture, tar_bytes};
use scalelite_integration_tests::{Answer, Harness};
use serde_json::json;
use sha2::{Digest, Sha256};

/// A refused upload: what it tries, its Authorization header, content type and body, and the status it gets.
type Refusal = (&'static str, Option<Vec<u8>>, &'static str, Vec<u8>, StatusCode);

fn sha256_hex(body: &[u8]) -> String {
    hex::encode(Sha256::digest(body))
}

/// An upload token of `server` for `record_id` over `body`, living `lifetime` seconds (negative: expired).
fn token(server: &str, secret: &str, record_id: &str, body: &[u8], lifetime: i64) -> String {
    let exp = get_current_timestamp().saturating_add_signed(lifetime);
    let claims = json!({"sub": server, "record_id": record_id, "sha256": sha256_hex(body), "exp": exp});
    encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(secret.as_bytes())).expect("token")
}

/// A token of the first simulated server, valid for ten minutes.
fn good_token(harness: &Harness, record_id: &str, body: &[u8]) -> String {
    token("demo-0", harness.sim(0).secret(), record_id, body, 600)
}

async fn upload(harness: &Harness, authorization: Option<&[u8]>, content_type: &str, body: Vec<u8>) -> Answer {
    let url = format!("{}/scalelite/recordings/upload", harness.running.base_url());
    let mut request = harness.client.post(url).header("content-type", content_type).body(body);
    if let Some(value) = authorization {
        request = request.header("authorization", reqwest::header::HeaderValue::from_bytes(value).expect("header"));
    }
    harness.fetch(request).await
}

fn bearer(token: &str) -> Vec<u8> {
    format!("Bearer {token}").into_bytes()
}

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
    let answer = upload(&harness, Some(&bearer(&good_token(&harness, "up-1", &tar))), "application/x-tar", tar).await;
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
    let answer = upload(&harness, Some(&bearer(&good_token(&harness, "up-3", &tar))), "application/x-tar", tar).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    std::fs::remove_file(harness.path("recordings/spool/up-3.tar")).expect("queued tar");

    let big = vec![0u8; 100_000];
    let answer = upload(&harness, Some(&bearer(&good_token(&harness, "up-4", &big))), "application/x-tar", big).await;
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
    let answer = upload(&harness, Some(&bearer(&good_token(&harness, "up-5", &tar))), "application/x-tar", tar).await;
    assert_eq!(answer.status, StatusCode::CONFLICT, "{}", answer.body);
    assert_eq!(spool_names(&harness), Vec::<String>::new(), "nothing waits where no pass looks");

    let disabled = Harness::with_env(1, &[("RECORDING_DISABLED", "true")]).await;
    let tar = tar_bytes(&[Fixture::new("up-6", "m-up")]);
    let answer = upload(&disabled, Some(&bearer(&good_token(&disabled, "up-6", &tar))), "application/x-tar", tar).await;
    assert_eq!(answer.status, StatusCode::CONFLICT, "recordings disabled: {}", answer.body);
    assert_eq!(spool_names(&disabled), Vec::<String>::new());
}
