//! Recordings through HTTP: spool tars and in-place metadata.xml imported by the import job, then
//! getRecordings, publishRecordings, updateRecordings and deleteRecordings against the files and the index.

use scalelite_integration_tests::recording_files::{Fixture, write_hostile_tar, write_tar};
use scalelite_integration_tests::{Answer, Harness};

fn count(answer: &Answer, element: &str) -> usize {
    answer.body.matches(&format!("<{element}>")).count()
}

fn record_ids(answer: &Answer) -> Vec<String> {
    answer.body.split("<recordID>").skip(1).map(|part| part.split("</recordID>").next().unwrap().to_owned()).collect()
}

async fn spool_with_three_recordings(harness: &Harness) {
    let spool = harness.path("recordings/spool");
    write_tar(
        &spool.join("r1.tar"),
        &[
            Fixture::new("r1-100", "m1").meta("bbb-origin", "greenlight"),
            Fixture::new("r1-100", "m1").format("video").meta("bbb-origin", "greenlight"),
        ],
    );
    write_tar(
        &spool.join("r2.tar"),
        &[Fixture::new("r2-200", "m2").start(1_700_000_500_000).meta("bbb-origin", "moodle")],
    );
    let mut hidden = Fixture::new("r3-300", "m1").start(1_600_000_000_000);
    hidden.published = false;
    write_tar(&spool.join("r3.tar"), &[hidden]);
}

#[tokio::test]
async fn spool_tars_are_imported_and_listed() {
    let harness = Harness::start(1).await;
    spool_with_three_recordings(&harness).await;
    let report = harness.import().await;
    assert_eq!((report["imported"].as_u64(), report["failed"].as_u64()), (Some(4), Some(0)), "{report}");
    assert!(harness.path("recordings/published/presentation/r1-100/index.html").is_file());
    assert!(harness.path("recordings/published/video/r1-100/metadata.xml").is_file());
    assert!(harness.path("recordings/unpublished/presentation/r3-300/index.html").is_file());
    assert!(!harness.path("recordings/spool/r1.tar").exists(), "imported tars are removed");
    assert_eq!(harness.import().await["imported"], 0, "a second pass finds nothing new");

    let all = harness.call("getRecordings", "").await;
    assert_eq!(all.returncode().as_deref(), Some("SUCCESS"), "{}", all.body);
    assert_eq!(record_ids(&all), ["r2-200", "r1-100", "r3-300"], "newest first");
    let base = harness.running.base_url();
    assert!(all.body.contains(&format!("<url>{base}/playback/presentation/2.3/r1-100</url>")), "{}", all.body);
    assert!(all.body.contains("<length>3</length>"));
    assert!(all.body.contains(&format!("{base}/presentation/r1-100/thumb-1.png</image>")));
    assert!(all.body.contains("<internalMeetingID>r1-100</internalMeetingID>"));
    assert!(!all.body.contains("<protected>"), "protected is shown only when protection is on");

    let by_meeting = harness.call("getRecordings", "meetingID=m1").await;
    assert_eq!(record_ids(&by_meeting), ["r1-100", "r3-300"]);
    assert_eq!(count(&by_meeting, "format"), 3, "two formats of r1 and one of r3");
    assert_eq!(record_ids(&harness.call("getRecordings", "recordID=r2").await), ["r2-200"], "prefix match");
    assert_eq!(record_ids(&harness.call("getRecordings", "recordID=R2").await), Vec::<String>::new(), "case matters");
    assert_eq!(record_ids(&harness.call("getRecordings", "state=unpublished").await), ["r3-300"]);
    assert_eq!(record_ids(&harness.call("getRecordings", "meta_bbb-origin=moodle,nothing").await), ["r2-200"]);
    assert_eq!(record_ids(&harness.call("getRecordings", "offset=1&limit=1").await), ["r1-100"], "BBB's paging");
    let none = harness.call("getRecordings", "meetingID=unknown").await;
    assert_eq!(none.message_key().as_deref(), Some("noRecordings"));
    assert!(none.body.contains("<recordings/>"));
}

#[tokio::test]
async fn publish_update_and_delete_act_on_files_and_index() {
    let harness = Harness::start(1).await;
    spool_with_three_recordings(&harness).await;
    harness.import().await;

    let published = harness.call("publishRecordings", "recordID=r1-100&publish=false").await;
    assert_eq!(published.field("published").as_deref(), Some("false"), "{}", published.body);
    assert!(harness.path("recordings/unpublished/presentation/r1-100/index.html").is_file());
    assert!(harness.path("recordings/unpublished/video/r1-100/index.html").is_file());
    assert!(!harness.path("recordings/published/presentation/r1-100").exists());
    let listed = harness.call("getRecordings", "recordID=r1-100").await;
    assert_eq!(listed.field("published").as_deref(), Some("false"));
    assert_eq!(listed.field("state").as_deref(), Some("unpublished"));

    // A re-import of the same recording keeps the operator's choice.
    write_tar(&harness.path("recordings/spool/again.tar"), &[Fixture::new("r1-100", "m1")]);
    assert_eq!(harness.import().await["imported"], 1);
    assert_eq!(harness.call("getRecordings", "recordID=r1-100").await.field("published").as_deref(), Some("false"));
    assert!(harness.path("recordings/unpublished/presentation/r1-100/index.html").is_file());

    let updated =
        harness.call("updateRecordings", "recordID=r1-100,r2-200&meta_Course=Maths%20%3C1%3E&meta_bbb-origin=").await;
    assert_eq!(updated.field("updated").as_deref(), Some("true"), "{}", updated.body);
    let listed = harness.call("getRecordings", "recordID=r1-100,r2-200").await;
    assert_eq!(listed.body.matches("<course>Maths &lt;1&gt;</course>").count(), 2, "{}", listed.body);
    assert!(!listed.body.contains("bbb-origin"));
    let partly_unknown = harness.call("updateRecordings", "recordID=r1-100,nope&meta_x=y").await;
    assert_eq!(partly_unknown.field("updated").as_deref(), Some("false"), "nothing changes when one id is unknown");
    assert!(!harness.call("getRecordings", "recordID=r1-100").await.body.contains("<x>"));

    let deleted = harness.call("deleteRecordings", "recordID=r1-100").await;
    assert_eq!(deleted.field("deleted").as_deref(), Some("true"), "{}", deleted.body);
    assert!(!harness.path("recordings/unpublished/presentation/r1-100").exists());
    assert!(!harness.path("recordings/unpublished/video/r1-100").exists());
    assert_eq!(record_ids(&harness.call("getRecordings", "").await), ["r2-200", "r3-300"]);
    let gone = harness.call("getRecordings", "state=deleted").await;
    assert_eq!(record_ids(&gone), ["r1-100"]);
    assert_eq!(count(&gone, "format"), 0);
}

#[tokio::test]
async fn recording_calls_answer_documented_errors() {
    let harness = Harness::start(1).await;
    spool_with_three_recordings(&harness).await;
    harness.import().await;
    let key = |answer: Answer| answer.message_key();
    assert_eq!(key(harness.call("publishRecordings", "publish=true").await).as_deref(), Some("missingParamRecordID"));
    assert_eq!(key(harness.call("publishRecordings", "recordID=r1-100").await).as_deref(), Some("missingParamPublish"));
    assert_eq!(key(harness.call("publishRecordings", "recordID=nope&publish=true").await).as_deref(), Some("notFound"));
    assert_eq!(key(harness.call("deleteRecordings", "recordID=nope").await).as_deref(), Some("notFound"));
    assert_eq!(key(harness.call("updateRecordings", "").await).as_deref(), Some("missingParamRecordID"));
    let post =
        harness.fetch(harness.client.post(harness.url("publishRecordings", "recordID=r1-100&publish=true"))).await;
    assert_eq!(post.message_key().as_deref(), Some("unsupportedRequest"), "publish is GET only");
    let forged =
        harness.get_url(&harness.url("deleteRecordings", "recordID=r1-100").replace("checksum=", "checksum=0")).await;
    assert_eq!(forged.message_key().as_deref(), Some("checksumError"));
    assert!(harness.path("recordings/published/presentation/r1-100").exists(), "a forged call changes nothing");
}

#[tokio::test]
async fn hostile_tars_are_set_aside_and_good_ones_still_import() {
    let harness = Harness::start(1).await;
    let spool = harness.path("recordings/spool");
    write_hostile_tar(&spool.join("a-escape.tar"), "../../escaped", tar::EntryType::Regular, None);
    write_hostile_tar(
        &spool.join("b-link.tar"),
        "presentation/r9/metadata.xml",
        tar::EntryType::Symlink,
        Some("/etc/passwd"),
    );
    std::fs::write(spool.join("c-garbage.tar"), b"\x00\xffnot a tar at all").unwrap();
    write_tar(&spool.join("d-good.tar"), &[Fixture::new("good-1", "m<&>\"1\"")]);
    std::fs::write(spool.join("e-nometa.tar"), tar::Builder::new(Vec::new()).into_inner().unwrap()).unwrap();

    let report = harness.import().await;
    assert_eq!((report["imported"].as_u64(), report["failed"].as_u64()), (Some(1), Some(4)), "{report}");
    assert!(!harness.path("escaped").exists() && !harness.path("recordings/escaped").exists());
    for name in ["a-escape.tar", "b-link.tar", "c-garbage.tar", "e-nometa.tar"] {
        assert!(spool.join("failed").join(name).is_file(), "{name} set aside");
        let reason = std::fs::read_to_string(spool.join("failed").join(format!("{name}.reason"))).unwrap();
        assert!(!reason.trim().is_empty(), "{name} has its reason");
    }
    assert_eq!(harness.import().await["failed"], 0, "set-aside tars are not retried");

    let listed = harness.call("getRecordings", "").await;
    assert!(listed.body.contains("<meetingID>m&lt;&amp;&gt;&quot;1&quot;</meetingID>"), "{}", listed.body);
}

#[tokio::test]
async fn a_record_id_another_meeting_holds_is_refused_across_passes_and_within_one() {
    let harness = Harness::start(1).await;
    let spool = harness.path("recordings/spool");
    write_tar(&spool.join("a.tar"), &[Fixture::new("held-1", "owner").meta("who", "owner")]);
    assert_eq!(harness.import().await["imported"], 1);

    // The next pass gathers these into one batch: one takes a held recordID, two others name the same new one
    // for two meetings, a fourth is a second format of the held recording from its own meeting.
    write_tar(&spool.join("b-thief.tar"), &[Fixture::new("held-1", "thief").meta("who", "thief")]);
    write_tar(&spool.join("c-first.tar"), &[Fixture::new("new-2", "first")]);
    write_tar(&spool.join("d-second.tar"), &[Fixture::new("new-2", "second")]);
    write_tar(&spool.join("e-video.tar"), &[Fixture::new("held-1", "owner").format("video").meta("who", "owner")]);
    let report = harness.import().await;
    assert_eq!((report["imported"].as_u64(), report["failed"].as_u64()), (Some(2), Some(2)), "{report}");
    let thief = std::fs::read_to_string(spool.join("failed/b-thief.tar.reason")).unwrap();
    assert!(thief.contains("owner"), "the reason names the meeting holding it: {thief}");

    let held = harness.call("getRecordings", "recordID=held-1").await;
    assert_eq!(count(&held, "recording"), 1);
    assert!(held.body.contains("<meetingID>owner</meetingID>") && held.body.contains("<who>owner</who>"));
    assert_eq!(count(&held, "format"), 2, "the owner's second format joined it: {}", held.body);
    let new = harness.call("getRecordings", "recordID=new-2").await;
    assert_eq!(count(&new, "recording"), 1, "{}", new.body);
    let loser = if new.body.contains("<meetingID>first</meetingID>") { "d-second.tar" } else { "c-first.tar" };
    assert!(spool.join("failed").join(loser).is_file(), "the meeting that came second in the batch is refused");
}

#[tokio::test]
async fn two_tars_of_one_recording_in_one_pass_leave_the_files_the_index_shows() {
    let harness = Harness::start(1).await;
    let spool = harness.path("recordings/spool");
    for (tar, name) in [("a.tar", "First copy"), ("b.tar", "Second copy")] {
        let mut fixture = Fixture::new("same-1", "m1");
        fixture.name = name.to_owned();
        write_tar(&spool.join(tar), &[fixture]);
    }
    let report = harness.import().await;
    assert_eq!((report["imported"].as_u64(), report["failed"].as_u64()), (Some(2), Some(0)), "{report}");
    assert!(!spool.join("a.tar").exists() && !spool.join("b.tar").exists(), "both tars are done with");

    let listed = harness.call("getRecordings", "recordID=same-1").await;
    assert_eq!(count(&listed, "recording"), 1, "{}", listed.body);
    let name = listed.body.split("<name>").nth(1).and_then(|rest| rest.split("</name>").next()).unwrap().to_owned();
    let placed =
        std::fs::read_to_string(harness.path("recordings/published/presentation/same-1/metadata.xml")).unwrap();
    assert!(placed.contains(&format!("name=\"{name}\"")), "the files are the copy the index shows ({name}): {placed}");
}

#[tokio::test]
async fn in_place_volume_is_indexed_once_and_again_when_changed() {
    let harness = Harness::with_env(1, &[("RECORDING_IMPORT_MODE", "in-place")]).await;
    let published = harness.path("recordings/published");
    Fixture::new("p1-1", "m1").write_dir(&published);
    Fixture::new("p1-1", "m1").format("podcast").write_dir(&published);
    Fixture::new("p2-2", "m2").write_dir(&harness.path("recordings/unpublished"));
    let broken = published.join("presentation/p3-3");
    std::fs::create_dir_all(&broken).unwrap();
    std::fs::write(broken.join("metadata.xml"), "<recording><id>p3-3</id>").unwrap();

    let first = harness.import().await;
    assert_eq!((first["imported"].as_u64(), first["failed"].as_u64()), (Some(3), Some(1)), "{first}");
    let second = harness.import().await;
    assert_eq!(
        (second["imported"].as_u64(), second["failed"].as_u64(), second["unchanged"].as_u64()),
        (Some(0), Some(0), Some(4))
    );
    assert!(published.join("presentation/p1-1/index.html").is_file(), "files stay where they are");

    let listed = harness.call("getRecordings", "").await;
    assert_eq!(record_ids(&listed), ["p1-1", "p2-2"]);
    assert_eq!(harness.call("getRecordings", "recordID=p2-2").await.field("published").as_deref(), Some("false"));

    Fixture::new("p3-3", "m3").write_dir(&published);
    let fixed = harness.import().await;
    assert_eq!(fixed["imported"], 1, "a changed file is read again: {fixed}");
    assert_eq!(record_ids(&harness.call("getRecordings", "meetingID=m3").await), ["p3-3"]);
}

#[tokio::test]
async fn settings_disable_filter_and_protect() {
    let disabled = Harness::with_env(1, &[("RECORDING_DISABLED", "true")]).await;
    let url = format!("{}/bigbluebutton/api/getRecordings", disabled.running.base_url());
    assert_eq!(disabled.get_url(&url).await.message_key().as_deref(), Some("noRecordings"), "no checksum needed");
    assert_eq!(
        disabled.call("publishRecordings", "recordID=a&publish=true").await.message_key().as_deref(),
        Some("notFound")
    );

    let filtered = Harness::with_env(1, &[("GET_RECORDINGS_API_FILTERED", "true")]).await;
    assert_eq!(filtered.call("getRecordings", "").await.message_key().as_deref(), Some("missingParameters"));

    let protected = Harness::with_env(1, &[("PROTECTED_RECORDINGS_ENABLED", "true")]).await;
    write_tar(&protected.path("recordings/spool/p.tar"), &[Fixture::new("p-1", "m")]);
    protected.import().await;
    let listed = protected.call("getRecordings", "").await;
    assert_eq!(listed.field("protected").as_deref(), Some("true"), "{}", listed.body);
    let url = listed.field("url").unwrap();
    let prefix = format!("{}/recording/p-1/presentation?token=", protected.running.base_url());
    assert!(url.starts_with(&prefix), "{url}");
    assert_eq!(url.len(), prefix.len() + 64);
    assert!(!listed.body.contains("<preview>"), "no previews for protected recordings");
    let again = protected.call("getRecordings", "").await.field("url").unwrap();
    assert_ne!(url, again, "a new token on every call");
}

#[tokio::test]
async fn protected_playback_takes_the_token_then_the_cookie() {
    let harness = Harness::with_env(1, &[("PROTECTED_RECORDINGS_ENABLED", "true"), ("SECRET_KEY_BASE", "k")]).await;
    write_tar(
        &harness.path("recordings/spool/p.tar"),
        &[Fixture::new("p-1", "m"), Fixture::new("p-1", "m").format("podcast")],
    );
    harness.import().await;
    let base = harness.running.base_url();
    let link_of = |answer: &Answer, format: &str| {
        let needle = format!("/recording/p-1/{format}?token=");
        answer
            .body
            .split("<url>")
            .skip(1)
            .map(|u| u.split("</url>").next().unwrap().to_owned())
            .find(|u| u.contains(&needle))
    };
    let listed = harness.call("getRecordings", "").await;
    let link = link_of(&listed, "presentation").expect("presentation token link");
    assert!(link_of(&listed, "podcast").is_some(), "{}", listed.body);

    let resource = format!("{base}/presentation/p-1/slides/1.png");
    assert_eq!(harness.get_url(&resource).await.status, 404, "no cookie, no file");
    let wrong_format = link.replace("/presentation?", "/podcast?");
    assert_eq!(harness.get_url(&wrong_format).await.status, 404, "a token opens its own format only");
    let opened = harness.get_url(&link).await;
    assert_eq!(opened.status, 404, "the token was used up by the wrong-format attempt");

    let link = link_of(&harness.call("getRecordings", "").await, "presentation").unwrap();
    let opened = harness.get_url(&link).await;
    assert_eq!(opened.status, 307, "{}", opened.body);
    assert_eq!(opened.location().as_deref(), Some("/playback/presentation/2.3/p-1"));
    let set_cookie = opened.headers["set-cookie"].to_str().unwrap().to_owned();
    assert!(set_cookie.starts_with("recording_presentation_p-1="), "{set_cookie}");
    assert!(set_cookie.contains("Path=/presentation/p-1") && set_cookie.contains("HttpOnly"), "{set_cookie}");
    assert!(set_cookie.ends_with("SameSite=None"), "{set_cookie}");
    assert_eq!(harness.get_url(&link).await.status, 404, "a token works once");
    let old_chrome =
        "Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/65.0.3325.181 Safari/537.36";
    let another = link_of(&harness.call("getRecordings", "").await, "presentation").unwrap();
    let opened_old = harness.fetch(harness.client.get(&another).header("user-agent", old_chrome)).await;
    let old_cookie = opened_old.headers["set-cookie"].to_str().unwrap();
    assert!(!old_cookie.contains("SameSite"), "browsers that mishandle SameSite=None get none: {old_cookie}");

    let cookie = set_cookie.split(';').next().unwrap().to_owned();
    let served = harness.fetch(harness.client.get(&resource).header("cookie", &cookie)).await;
    assert_eq!(served.status, 200);
    assert_eq!(served.headers["x-accel-redirect"], "/static-resource/presentation/p-1/slides/1.png");
    assert!(!served.headers.contains_key("content-disposition"));
    let forged = format!(
        "recording_presentation_p-1={}",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIvcHJlc2VudGF0aW9uL3AtMSIsImV4cCI6OTk5OTk5OTk5OX0.c2lnbmF0dXJl"
    );
    assert_eq!(harness.fetch(harness.client.get(&resource).header("cookie", forged)).await.status, 404);

    let authorize = format!("{base}/scalelite/recordings/authorize");
    let check_path = |path: &'static str, cookie: Option<&str>| {
        let mut request = harness.client.get(&authorize).header("x-original-uri", path);
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        harness.fetch(request)
    };
    assert_eq!(check_path("/presentation/p-1/slides/1.png", Some(&cookie)).await.status, 204);
    assert_eq!(check_path("/presentation/p-1/slides/1.png", None).await.status, 403);
    for climbing in ["/presentation/p-1/../../etc/passwd", "/presentation/p-1/%2E%2E/x", "/presentation/p-1/.."] {
        assert_eq!(check_path(climbing, Some(&cookie)).await.status, 403, "{climbing}");
    }

    // Unprotected: files are open, and downloads are offered as attachments.
    harness.call("updateRecordings", "recordID=p-1&protect=false").await;
    let podcast = harness.get_url(&format!("{base}/podcast/p-1/audio.ogg")).await;
    assert_eq!(podcast.status, 200);
    assert_eq!(podcast.headers["content-disposition"], "attachment");
    assert_eq!(harness.get_url(&format!("{base}/recording/p-1/presentation")).await.status, 307);
    harness.call("publishRecordings", "recordID=p-1&publish=false").await;
    assert_eq!(harness.get_url(&format!("{base}/podcast/p-1/audio.ogg")).await.status, 404, "unpublished is hidden");
    assert_eq!(harness.get_url(&format!("{base}/recording/unknown/presentation")).await.status, 404);
}

#[tokio::test]
async fn the_local_runtime_imports_a_tar_as_soon_as_it_lands() {
    let dir = tempfile::tempdir().unwrap();
    let spool = dir.path().join("spool");
    std::fs::create_dir_all(&spool).unwrap();
    let spool_var = spool.display().to_string();
    let harness =
        Harness::with_env(1, &[("RECORDING_IMPORT_WATCH", "true"), ("RECORDING_SPOOL_DIR", &spool_var)]).await;
    write_tar(&spool.join("w.tar"), &[Fixture::new("w-1", "m")]);
    let mut listed = Vec::new();
    for _ in 0..100 {
        listed = record_ids(&harness.call("getRecordings", "").await);
        if !listed.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(listed, ["w-1"], "the watcher imported the tar without waiting for the hourly timer");
}

/// A metadata key with no value is kept and answered as an element with empty CDATA, as upstream does, whether
/// metadata.xml wrote it `<key/>` or `<key></key>` (integrations test for the node).
#[tokio::test]
async fn empty_metadata_values_are_kept() {
    let harness = Harness::start(0).await;
    write_tar(&harness.path("recordings/spool/e.tar"), &[Fixture::new("e-1", "m").meta("emptykey", "")]);
    harness.import().await;
    let listed = harness.call("getRecordings", "recordID=e-1").await;
    assert!(listed.body.contains("<emptykey><![CDATA[]]></emptykey>"), "{}", listed.body);
}
