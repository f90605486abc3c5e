//! Recording files in an S3 bucket (moto), through HTTP: a spool tar imports into `published/...` objects with
//! their content types, getRecordings lists it, publishRecordings moves the objects between the trees,
//! deleteRecordings removes them, and playback redirects to signed URLs that the server honours until they
//! expire (and refuses once tampered with), for open and protected recordings. An upload streams into the
//! bucket's spool as a multipart upload while it arrives and imports from there; a refused one leaves nothing.
//! Text tracks are uploaded into the bucket's `captions/inbox/`, listed from its `captions/<recordID>/` and
//! played from signed URLs.
#![cfg(feature = "s3")]

use scalelite_integration_tests::recording_files::{Fixture, tar_bytes, write_atomically};
use scalelite_integration_tests::s3::TestBucket;
use std::time::Duration;

use scalelite_integration_tests::uploads::{MIB, StreamedUpload, bearer, good_token, token};
use scalelite_integration_tests::wait::eventually;
use scalelite_integration_tests::{Answer, Harness};

/// A tar of `record_id` (presentation and podcast), with a PDF and an OGG beside the usual files.
fn recording_tar(record_id: &str) -> Vec<u8> {
    let fixtures = [Fixture::new(record_id, "m-s3"), Fixture::new(record_id, "m-s3").format("podcast")];
    let mut archive = tar::Builder::new(Vec::new());
    let mut plain = tar::Archive::new(std::io::Cursor::new(tar_bytes(&fixtures)));
    for entry in plain.entries().unwrap() {
        let mut entry = entry.unwrap();
        let header = entry.header().clone();
        archive.append(&header, &mut entry).unwrap();
    }
    for (path, data) in [("presentation/{id}/presentation/deck.pdf", "%PDF"), ("podcast/{id}/audio/audio.ogg", "OggS")]
    {
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        archive.append_data(&mut header, path.replace("{id}", record_id), data.as_bytes()).unwrap();
    }
    archive.into_inner().unwrap()
}

/// The tar of `record_id` copied into the spool directory.
fn spool_tar(harness: &Harness, record_id: &str) {
    write_atomically(&harness.path(&format!("recordings/spool/{record_id}.tar")), &recording_tar(record_id));
}

async fn start(bucket: &TestBucket, extra: &[(&str, &str)]) -> Harness {
    let env = bucket.env();
    let mut vars: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    vars.extend_from_slice(extra);
    Harness::with_env(1, &vars).await
}

fn keys_of(record_id: &str, tree: &str) -> Vec<String> {
    let mut keys: Vec<String> = [
        "podcast/{id}/audio/audio.ogg",
        "podcast/{id}/index.html",
        "podcast/{id}/metadata.xml",
        "presentation/{id}/index.html",
        "presentation/{id}/metadata.xml",
        "presentation/{id}/presentation/deck.pdf",
    ]
    .iter()
    .map(|k| format!("{tree}/{}", k.replace("{id}", record_id)))
    .collect();
    keys.sort();
    keys
}

#[tokio::test]
async fn import_publish_and_delete_act_on_objects() {
    let Some(bucket) = TestBucket::create("import").await else { return };
    let harness = start(&bucket, &[]).await;
    spool_tar(&harness, "s3-1");
    let report = harness.import().await;
    assert_eq!((report["imported"].as_u64(), report["failed"].as_u64()), (Some(2), Some(0)), "{report}");
    assert_eq!(bucket.keys().await, keys_of("s3-1", "published"));
    assert!(!harness.path("recordings/published").exists(), "nothing on disk");
    for (file, content_type, disposition) in [
        ("presentation/s3-1/metadata.xml", "text/xml", None),
        ("presentation/s3-1/index.html", "text/html", None),
        ("presentation/s3-1/presentation/deck.pdf", "application/pdf", Some("attachment")),
        ("podcast/s3-1/audio/audio.ogg", "audio/ogg", Some("attachment")),
    ] {
        let headers = bucket.headers(&format!("published/{file}")).await;
        assert_eq!(headers, (Some(content_type.into()), disposition.map(str::to_owned)), "{file}");
    }

    let listed = harness.call("getRecordings", "meetingID=m-s3").await;
    assert_eq!(listed.field("recordID").as_deref(), Some("s3-1"), "{}", listed.body);
    assert!(listed.body.contains("/playback/presentation/2.3/s3-1</url>"), "{}", listed.body);

    let unpublished = harness.call("publishRecordings", "recordID=s3-1&publish=false").await;
    assert_eq!(unpublished.field("published").as_deref(), Some("false"), "{}", unpublished.body);
    assert_eq!(bucket.keys().await, keys_of("s3-1", "unpublished"));
    let base = harness.running.base_url();
    assert_eq!(harness.get_url(&format!("{base}/presentation/s3-1/index.html")).await.status, 404);
    let (again, kept) = (harness.call("publishRecordings", "recordID=s3-1&publish=true").await, bucket.keys().await);
    assert_eq!(again.returncode().as_deref(), Some("SUCCESS"), "{}", again.body);
    assert_eq!(kept, keys_of("s3-1", "published"));
    let (type_after_move, _) = bucket.headers("published/presentation/s3-1/index.html").await;
    assert_eq!(type_after_move.as_deref(), Some("text/html"), "a move keeps the content type");

    spool_tar(&harness, "s3-2");
    harness.import().await;
    let deleted = harness.call("deleteRecordings", "recordID=s3-1").await;
    assert_eq!(deleted.field("deleted").as_deref(), Some("true"), "{}", deleted.body);
    assert_eq!(bucket.keys().await, keys_of("s3-2", "published"), "only the other recording is left");
}

/// The signed URL a resource request is sent to.
fn signed_location(answer: &Answer) -> String {
    assert_eq!(answer.status, 307, "{}", answer.body);
    assert_eq!(answer.headers["cache-control"], "no-store");
    answer.location().expect("a Location")
}

#[tokio::test]
async fn playback_redirects_to_signed_urls_that_expire() {
    let Some(bucket) = TestBucket::create("playback").await else { return };
    let settings = [("PROTECTED_RECORDINGS_ENABLED", "true"), ("SECRET_KEY_BASE", "k"), ("S3_URL_TIMEOUT", "3")];
    let harness = start(&bucket, &settings).await;
    spool_tar(&harness, "open-1");
    spool_tar(&harness, "prot-1");
    harness.import().await;
    harness.call("updateRecordings", "recordID=open-1&protect=false").await;
    let base = harness.running.base_url();

    let open = harness.get_url(&format!("{base}/presentation/open-1/index.html")).await;
    let url = signed_location(&open);
    assert!(url.starts_with(&format!("{}/{}/published/presentation/open-1/index.html?", bucket.endpoint, bucket.name)));
    let file = harness.get_url(&url).await;
    assert_eq!((file.status.as_u16(), file.body.as_str()), (200, "<html>playback</html>"));
    assert_eq!(file.headers["content-type"], "text/html");
    let signature = url.split("X-Amz-Signature=").nth(1).expect("a signature").to_owned();
    let flipped = if signature.starts_with('0') { "1" } else { "0" };
    let tampered = url.replace(&signature, &format!("{flipped}{}", &signature[1..]));
    assert_eq!(harness.get_url(&tampered).await.status, 403, "a tampered signature is refused");
    let other_file = url.replace("/index.html?", "/metadata.xml?");
    assert_eq!(harness.get_url(&other_file).await.status, 403, "a signature opens its own object only");
    let directory = harness.get_url(&format!("{base}/podcast/open-1")).await;
    assert!(signed_location(&directory).contains("/published/podcast/open-1/index.html?"));

    let resource = format!("{base}/presentation/prot-1/presentation/deck.pdf");
    assert_eq!(harness.get_url(&resource).await.status, 404, "no cookie, no URL");
    let listed = harness.call("getRecordings", "meetingID=m-s3").await;
    let link = listed
        .body
        .split("<url>")
        .filter_map(|u| u.split("</url>").next())
        .find(|u| u.contains("/recording/prot-1/presentation?token="))
        .expect("a token link")
        .to_owned();
    let opened = harness.get_url(&link).await;
    assert_eq!(opened.status, 307, "{}", opened.body);
    let cookie = opened.headers["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
    let protected = harness.fetch(harness.client.get(&resource).header("cookie", &cookie)).await;
    let protected_url = signed_location(&protected);
    let pdf = harness.get_url(&protected_url).await;
    assert_eq!((pdf.status.as_u16(), pdf.body.as_str()), (200, "%PDF"));
    assert_eq!(pdf.headers["content-disposition"], "attachment");

    tokio::time::sleep(std::time::Duration::from_secs(5)).await;
    assert_eq!(harness.get_url(&url).await.status, 403, "an expired URL is refused");
    assert_eq!(harness.get_url(&protected_url).await.status, 403, "an expired URL is refused");
}

/// The test key pair CloudFront URLs are signed and checked with (made for these tests, used nowhere else).
const CF_PRIVATE_KEY: &str = include_str!("../fixtures/cloudfront-test-key.pem");
const CF_PUBLIC_KEY: &str = include_str!("../fixtures/cloudfront-test-key.pub.pem");

/// Whether `signature` (CloudFront's base64) is the test key's RSA-SHA1 signature of the canned policy of
/// `url` until `expires`, checked with the public key.
fn cloudfront_signed(url: &str, expires: u64, signature: &str) -> bool {
    use base64::Engine;
    use rsa::pkcs8::DecodePublicKey;
    use rsa::signature::Verifier;
    let policy = format!(
        r#"{{"Statement":[{{"Resource":"{url}","Condition":{{"DateLessThan":{{"AWS:EpochTime":{expires}}}}}}}]}}"#
    );
    let standard: String = signature
        .chars()
        .map(|c| match c {
            '-' => '+',
            '_' => '=',
            '~' => '/',
            c => c,
        })
        .collect();
    let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(standard) else { return false };
    let Ok(signature) = rsa::pkcs1v15::Signature::try_from(bytes.as_slice()) else { return false };
    let key = rsa::RsaPublicKey::from_public_key_pem(CF_PUBLIC_KEY).expect("public key");
    rsa::pkcs1v15::VerifyingKey::<sha1::Sha1>::new(key).verify(policy.as_bytes(), &signature).is_ok()
}

#[tokio::test]
async fn cloudfront_urls_carry_a_canned_policy_signature() {
    use base64::Engine;
    let Some(bucket) = TestBucket::create("cloudfront").await else { return };
    let key_b64 = base64::engine::general_purpose::STANDARD.encode(CF_PRIVATE_KEY);
    let settings = [
        ("CLOUDFRONT_URL", "https://d111.cloudfront.example/"),
        ("CF_KEY_PAIR_ID", "K2TESTPAIR"),
        ("CF_PRIVATE_KEY_B64", key_b64.as_str()),
        ("S3_URL_TIMEOUT", "120"),
    ];
    let harness = start(&bucket, &settings).await;
    spool_tar(&harness, "cf-1");
    harness.import().await;
    let base = harness.running.base_url();
    let before = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let answer = harness.get_url(&format!("{base}/presentation/cf-1/presentation/deck.pdf")).await;
    let location = signed_location(&answer);
    let (resource, query) = location.split_once('?').expect("a query");
    assert_eq!(resource, "https://d111.cloudfront.example/published/presentation/cf-1/presentation/deck.pdf");
    let params: std::collections::HashMap<&str, &str> =
        query.split('&').filter_map(|pair| pair.split_once('=')).collect();
    assert_eq!(params["Key-Pair-Id"], "K2TESTPAIR");
    let expires: u64 = params["Expires"].parse().expect("Expires in seconds");
    assert!((before + 120..=before + 125).contains(&expires), "{expires} is S3_URL_TIMEOUT ahead");
    let signature = params["Signature"];
    assert!(!signature.contains(['+', '/', '=']), "CloudFront's base64: {signature}");
    assert!(cloudfront_signed(resource, expires, signature), "the signature checks with the public key");
    assert!(!cloudfront_signed(resource, expires + 1, signature), "a later expiry is not signed");
    let other = resource.replace("deck.pdf", "index.html");
    assert!(!cloudfront_signed(&other, expires, signature), "another file is not signed");

    assert_eq!(harness.get_url(&format!("{base}/presentation/nope/index.html")).await.status, 404);
}

#[tokio::test]
async fn uploads_stream_into_the_bucket_spool_and_import_from_it() {
    let Some(bucket) = TestBucket::create("upload").await else { return };
    let harness = start(&bucket, &[]).await;
    let mut body = recording_tar("s3-up");
    body.resize(body.len() + 20 * MIB, 0);

    // More than two parts: they go to the bucket while the rest is still arriving, and nothing is queued yet.
    let (head, tail) = body.split_at(12 * MIB);
    let mut upload = StreamedUpload::start(&harness, &good_token(&harness, "s3-up", &body));
    upload.send_all(head, MIB).await;
    let under_way = async || bucket.uploads_in_progress().await.iter().any(|key| key == "spool/s3-up.tar");
    eventually("a multipart upload of spool/s3-up.tar", Duration::from_secs(10), under_way).await;
    assert_eq!(bucket.keys().await, Vec::<String>::new(), "not visible before it is whole");
    upload.send_all(tail, MIB).await;
    let (status, answer) = upload.finish().await.expect("an answer");
    assert_eq!(status, 201, "{answer}");
    assert_eq!(bucket.keys().await, ["spool/s3-up.tar"]);
    assert!(bucket.object("spool/s3-up.tar").await == body, "queued byte for byte");
    assert_eq!(bucket.uploads_in_progress().await, Vec::<String>::new());
    assert!(!harness.path("recordings/spool").exists(), "no spool directory needed");

    let report = harness.import().await;
    assert_eq!((report["imported"].as_u64(), report["failed"].as_u64()), (Some(2), Some(0)), "{report}");
    assert_eq!(bucket.keys().await, keys_of("s3-up", "published"), "the spool object is gone");

    // A small upload goes up in one piece.
    let small = recording_tar("s3-small");
    let answer = StreamedUpload::whole(&harness, &good_token(&harness, "s3-small", &small), &small).await;
    assert_eq!(answer.expect("an answer").0, 201);
    assert!(bucket.keys().await.contains(&"spool/s3-small.tar".to_owned()));
}

#[tokio::test]
async fn refused_uploads_leave_nothing_in_the_bucket_and_failed_imports_are_set_aside() {
    let Some(bucket) = TestBucket::create("refused").await else { return };
    let harness = start(&bucket, &[]).await;
    let mut body = recording_tar("s3-no");
    body.resize(body.len() + 12 * MIB, 0);

    // The token's hash is of other bytes: the parts already sent are thrown away.
    let secret = harness.sim(0).secret().to_owned();
    let mismatched = bearer(&token("demo-0", &secret, "s3-no", b"other", 600));
    let (status, answer) = StreamedUpload::whole(&harness, &mismatched, &body).await.expect("an answer");
    assert_eq!(status, 400, "{answer}");
    assert_eq!(bucket.uploads_in_progress().await, Vec::<String>::new(), "the multipart upload is aborted");
    assert_eq!(bucket.keys().await, Vec::<String>::new());

    // A tar with no metadata.xml is taken (its entries are the recording's) but cannot be imported.
    let mut archive = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_size(4);
    header.set_mode(0o644);
    archive.append_data(&mut header, "presentation/s3-bad/index.html", &b"<p/>"[..]).unwrap();
    let bad = archive.into_inner().unwrap();
    let answer = StreamedUpload::whole(&harness, &good_token(&harness, "s3-bad", &bad), &bad).await;
    assert_eq!(answer.expect("an answer").0, 201);
    let report = harness.import().await;
    assert_eq!((report["imported"].as_u64(), report["failed"].as_u64()), (Some(0), Some(1)), "{report}");
    assert_eq!(bucket.keys().await, ["spool/failed/s3-bad.tar", "spool/failed/s3-bad.tar.reason"]);
    let reason = String::from_utf8(bucket.object("spool/failed/s3-bad.tar.reason").await).unwrap();
    assert!(reason.contains("metadata.xml"), "{reason}");
    assert_eq!(harness.import().await["failed"], 0, "a tar set aside is not retried");
}

#[tokio::test]
async fn text_tracks_are_put_listed_and_played_from_the_bucket() {
    let Some(bucket) = TestBucket::create("captions").await else { return };
    let harness = start(&bucket, &[]).await;
    spool_tar(&harness, "s3-cc");
    harness.import().await;
    let response = |answer: &Answer| answer.json()["response"].clone();

    let track = reqwest::multipart::Part::text("WEBVTT\n\n00:00.000 --> 00:01.000\nOlá\n");
    let form = reqwest::multipart::Form::new().part("file", track.file_name("track.vtt").mime_str("text/vtt").unwrap());
    let url = harness.url("putRecordingTextTrack", "recordID=s3-cc&kind=subtitles&lang=pt-BR&label=Portugu%C3%AAs");
    let done = harness.fetch(harness.client.post(url).multipart(form)).await;
    assert_eq!(response(&done)["messageKey"], "upload_text_track_success", "{}", done.body);
    let inbox: Vec<String> = bucket.keys().await.into_iter().filter(|key| key.starts_with("captions/inbox/")).collect();
    assert_eq!(inbox.len(), 2, "{inbox:?}");
    assert!(inbox[0].starts_with("captions/inbox/s3-cc-") && inbox[0].ends_with("-track.json"), "{inbox:?}");
    let description: serde_json::Value = serde_json::from_slice(&bucket.object(&inbox[0]).await).unwrap();
    assert_eq!((description["lang"].as_str(), description["label"].as_str()), (Some("pt-BR"), Some("Português")));
    let track_key = format!("captions/inbox/{}", description["temp_filename"].as_str().unwrap());
    assert_eq!(inbox[1], track_key);
    assert!(String::from_utf8(bucket.object(&track_key).await).unwrap().contains("Olá"));
    assert!(!harness.path("recordings/captions").exists(), "nothing on disk");

    let none = harness.call("getRecordingTextTracks", "recordID=s3-cc").await;
    assert_eq!(response(&none)["messageKey"], "noCaptionsFound", "{}", none.body);
    let listing = r#"[{"kind":"subtitles","label":"Português","lang":"pt-BR","source":"upload"}]"#;
    bucket.put("captions/s3-cc/captions.json", listing).await;
    bucket.put("captions/s3-cc/subtitles_pt-BR.vtt", "WEBVTT").await;
    let listed = harness.call("getRecordingTextTracks", "recordID=s3-cc").await;
    let tracks = response(&listed)["tracks"].clone();
    let href = format!("{}/captions/s3-cc/subtitles_pt-BR.vtt", harness.running.base_url());
    assert_eq!((tracks[0]["href"].as_str(), tracks[0]["label"].as_str()), (Some(href.as_str()), Some("Português")));

    let signed = signed_location(&harness.get_url(&href).await);
    assert!(signed.starts_with(&format!("{}/{}/captions/s3-cc/subtitles_pt-BR.vtt?", bucket.endpoint, bucket.name)));
    let file = harness.get_url(&signed).await;
    assert_eq!((file.status.as_u16(), file.body.as_str()), (200, "WEBVTT"));
    let base = harness.running.base_url();
    assert_eq!(harness.get_url(&format!("{base}/captions/nope/subtitles_pt-BR.vtt")).await.status, 404);
}
