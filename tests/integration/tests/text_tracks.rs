//! BBB's text-track calls through HTTP: tracks listed from the shared captions directory, uploads written
//! to its inbox, and the track files handed to nginx.

use scalelite_integration_tests::Harness;
use scalelite_integration_tests::recording_files::{Fixture, write_tar};

async fn harness_with_recording(vars: &[(&str, &str)]) -> Harness {
    let harness = Harness::with_env(1, vars).await;
    write_tar(&harness.path("recordings/spool/t.tar"), &[Fixture::new("t-1", "m")]);
    harness.import().await;
    harness
}

fn response(answer: &scalelite_integration_tests::Answer) -> serde_json::Value {
    answer.json()["response"].clone()
}

#[tokio::test]
async fn tracks_are_listed_from_the_captions_directory() {
    let harness = harness_with_recording(&[]).await;
    let missing = harness.call("getRecordingTextTracks", "recordID=t-1").await;
    assert_eq!(response(&missing)["messageKey"], "noCaptionsFound", "{}", missing.body);
    assert_eq!(response(&harness.call("getRecordingTextTracks", "recordID=nope").await)["messageKey"], "noRecordings");
    assert_eq!(response(&harness.call("getRecordingTextTracks", "").await)["messageKey"], "missingParamRecordID");
    let forged = harness
        .get_url(&harness.url("getRecordingTextTracks", "recordID=t-1").replace("checksum=", "checksum=1"))
        .await;
    assert_eq!(forged.message_key().as_deref(), Some("checksumError"), "a checksum failure stays XML");

    let dir = harness.path("recordings/captions/t-1");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("captions.json"),
        r#"[{"kind":"subtitles","label":"English","lang":"en-US","source":"upload"}]"#,
    )
    .unwrap();
    let listed = harness.call("getRecordingTextTracks", "recordID=t-1").await;
    let body = response(&listed);
    assert_eq!(body["returncode"], "SUCCESS", "{}", listed.body);
    let href = format!("{}/captions/t-1/subtitles_en-US.vtt", harness.running.base_url());
    assert_eq!(body["tracks"][0]["href"], href.as_str());
    assert_eq!(body["tracks"][0]["label"], "English");

    let served = harness.get_url(&href).await;
    assert_eq!(served.status, 200);
    assert_eq!(served.headers["x-accel-redirect"], "/static-captions/t-1/subtitles_en-US.vtt");
    assert_eq!(harness.get_url(&format!("{}/captions/nope/x.vtt", harness.running.base_url())).await.status, 404);
}

#[tokio::test]
async fn uploads_land_in_the_inbox() {
    let harness = harness_with_recording(&[]).await;
    let upload = |query: &str, file: Option<&'static str>| {
        let url = harness.url("putRecordingTextTrack", query);
        let mut form = reqwest::multipart::Form::new();
        if let Some(text) = file {
            form = form.part(
                "file",
                reqwest::multipart::Part::text(text).file_name("track.vtt").mime_str("text/vtt").unwrap(),
            );
        }
        harness.fetch(harness.client.post(url).multipart(form))
    };
    let done = upload(
        "recordID=t-1&kind=subtitles&lang=pt-BR&label=Portugu%C3%AAs",
        Some("WEBVTT\n\n00:00.000 --> 00:01.000\nOlá\n"),
    )
    .await;
    assert_eq!(response(&done)["messageKey"], "upload_text_track_success", "{}", done.body);
    assert_eq!(response(&done)["recordId"], "t-1");
    let inbox = harness.path("recordings/captions/inbox");
    let mut names: Vec<String> =
        std::fs::read_dir(&inbox).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(names[0].starts_with("t-1-") && names[0].ends_with("-track.json"), "{names:?}");
    let description: serde_json::Value =
        serde_json::from_slice(&std::fs::read(inbox.join(&names[0])).unwrap()).unwrap();
    assert_eq!((description["lang"].as_str(), description["label"].as_str()), (Some("pt-BR"), Some("Português")));
    let track = std::fs::read_to_string(inbox.join(description["temp_filename"].as_str().unwrap())).unwrap();
    assert!(track.contains("Olá"));

    let key = |answer: scalelite_integration_tests::Answer| response(&answer)["messageKey"].clone();
    assert_eq!(key(upload("recordID=t-1&kind=karaoke&lang=en", Some("x")).await), "invalidKind");
    assert_eq!(key(upload("recordID=t-1&kind=captions&lang=../../x", Some("x")).await), "invalidLang");
    assert_eq!(key(upload("recordID=t-1&kind=captions&lang=en", None).await), "empty_uploaded_text_track");
    assert_eq!(key(upload("recordID=nope&kind=captions&lang=en", Some("x")).await), "noRecordings");
    assert_eq!(std::fs::read_dir(&inbox).unwrap().count(), 2, "refused uploads write nothing");
}
