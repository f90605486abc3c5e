//! A tenant's limits through HTTP: set with addTenant and updateTenant (and refused when not a whole number),
//! shown by getTenantInfo and getTenants only where set; a create past the meeting limit refused with
//! `maxMeetingsReached`, a running meeting's create not; a join past the participant limit (polled participants
//! plus the joins since) refused with `maxParticipantsReached`; limits and usage on `/scalelite/status` and
//! `/metrics`.

use reqwest::StatusCode;
use scalelite_integration_tests::{Answer, Harness, SECRET};
use scalelite_shared::bbb::checksum::{Algorithm, sign};
use serde_json::{Value, json};

/// `call` on tenant `name`'s host, signed with its secret.
async fn call_as(harness: &Harness, name: &str, call: &str, query: &str) -> Answer {
    let url = harness.url_with(Algorithm::Sha256, &format!("{name}-secret"), call, query);
    harness.fetch(harness.client.get(url).header("host", format!("{name}.lb.example"))).await
}

async fn create_as(harness: &Harness, name: &str, meeting_id: &str) -> Answer {
    call_as(harness, name, "create", &format!("meetingID={meeting_id}&name=Room")).await
}

/// A harness serving tenants.
async fn harness() -> Harness {
    Harness::with_env(2, &[("MULTITENANCY_ENABLED", "true")]).await
}

/// Adds tenant `name` (secret `<name>-secret`) with `fields` beside its name and secret; returns its object.
async fn add_tenant(harness: &Harness, name: &str, fields: Value) -> Value {
    let mut tenant = json!({ "name": name, "secrets": format!("{name}-secret") });
    tenant.as_object_mut().unwrap().extend(fields.as_object().unwrap().clone());
    let added = harness.admin("addTenant", "", Some(json!({ "tenant": tenant }))).await;
    assert_eq!(added.status, StatusCode::CREATED, "{}", added.body);
    added.json()["tenant"].clone()
}

async fn tenant_info(harness: &Harness, id: &str) -> Value {
    let info = harness.admin("getTenantInfo", &format!("id={id}"), None).await;
    assert_eq!(info.status, StatusCode::OK, "{}", info.body);
    info.json()
}

#[tokio::test]
async fn limits_are_set_shown_and_removed() {
    let harness = harness().await;
    let school = add_tenant(&harness, "school", json!({ "max_meetings": 5, "max_participants": "100" })).await;
    assert_eq!((school["max_meetings"].clone(), school["max_participants"].clone()), (json!(5), json!(100)));
    let plain = add_tenant(&harness, "plain", json!({ "max_meetings": "" })).await;
    assert_eq!((plain.get("max_meetings"), plain.get("max_participants")), (None, None), "no limit, none shown");

    let id = school["id"].as_str().unwrap();
    let info = tenant_info(&harness, id).await;
    assert_eq!((info["max_meetings"].clone(), info["max_participants"].clone()), (json!(5), json!(100)));
    let listed = harness.admin("getTenants", "", None).await.json();
    let school_listed = listed.as_array().unwrap().iter().find(|t| t["name"] == "school").unwrap().clone();
    assert_eq!(school_listed["max_meetings"], json!(5), "{listed}");

    let update = |fields: Value| json!({ "id": id, "tenant": fields });
    let changed = harness.admin("updateTenant", "", Some(update(json!({ "max_meetings": 0 })))).await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    let info = tenant_info(&harness, id).await;
    assert_eq!((info.get("max_meetings"), info["max_participants"].clone()), (None, json!(100)), "0 removes it");
    harness.admin("updateTenant", "", Some(update(json!({ "max_participants": null })))).await;
    assert_eq!(tenant_info(&harness, id).await.get("max_participants"), None, "null removes it");

    for invalid in [json!(-1), json!(2.5), json!("many"), json!(true)] {
        let refused = harness.admin("updateTenant", "", Some(update(json!({ "max_meetings": invalid })))).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{invalid}: {}", refused.body);
        assert!(refused.body.contains("max_meetings must be a whole number"), "{}", refused.body);
    }
    let refused = harness
        .admin("addTenant", "", Some(json!({ "tenant": { "name": "x", "secrets": "x", "max_participants": -3 } })))
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.body);
}

#[tokio::test]
async fn a_create_past_the_meeting_limit_is_refused() {
    let harness = harness().await;
    let school = add_tenant(&harness, "school", json!({ "max_meetings": 2 })).await;
    add_tenant(&harness, "other", json!({})).await;
    for id in ["a", "b"] {
        assert_eq!(create_as(&harness, "school", id).await.returncode().as_deref(), Some("SUCCESS"));
    }
    let refused = create_as(&harness, "school", "c").await;
    assert_eq!((refused.status.as_u16(), refused.returncode().as_deref()), (200, Some("FAILED")), "{}", refused.body);
    assert_eq!(refused.message_key().as_deref(), Some("maxMeetingsReached"));
    assert_eq!(
        refused.field("message").as_deref(),
        Some("The number of meetings allowed for this tenant has been reached.")
    );
    assert_eq!(harness.holder("c"), None, "no server was asked");
    let again = create_as(&harness, "school", "a").await;
    assert_eq!(again.returncode().as_deref(), Some("SUCCESS"), "a running meeting: {}", again.body);
    assert_eq!(create_as(&harness, "other", "c").await.returncode().as_deref(), Some("SUCCESS"), "another tenant");

    let ended = call_as(&harness, "school", "end", "meetingID=a").await;
    assert_eq!(ended.returncode().as_deref(), Some("SUCCESS"), "{}", ended.body);
    harness.poll().await;
    assert_eq!(create_as(&harness, "school", "d").await.returncode().as_deref(), Some("SUCCESS"), "room again");
    let id = school["id"].as_str().unwrap();
    harness.admin("updateTenant", "", Some(json!({ "id": id, "tenant": { "max_meetings": 0 } }))).await;
    assert_eq!(create_as(&harness, "school", "e").await.returncode().as_deref(), Some("SUCCESS"), "no limit");
}

#[tokio::test]
async fn a_join_past_the_participant_limit_is_refused() {
    let harness = harness().await;
    let school = add_tenant(&harness, "school", json!({ "max_participants": 10 })).await;
    add_tenant(&harness, "other", json!({})).await;
    for (name, id) in [("school", "a"), ("school", "b"), ("other", "c")] {
        assert_eq!(create_as(&harness, name, id).await.returncode().as_deref(), Some("SUCCESS"));
    }
    let join = |name: &'static str, id: &'static str| {
        let harness = &harness;
        async move { call_as(harness, name, "join", &format!("meetingID={id}&fullName=x&role=VIEWER")).await }
    };
    for (id, count) in [("a", 5), ("b", 3), ("c", 50)] {
        assert!(harness.sim(harness.holder(id).unwrap()).set_participants(id, count));
    }
    harness.poll().await;
    for id in ["a", "b"] {
        assert_eq!(join("school", id).await.status, StatusCode::FOUND, "8 polled, then 9");
    }
    let refused = join("school", "a").await;
    assert_eq!((refused.status.as_u16(), refused.returncode().as_deref()), (200, Some("FAILED")), "{}", refused.body);
    assert_eq!(refused.message_key().as_deref(), Some("maxParticipantsReached"), "8 polled and 2 joined");
    assert_eq!(join("other", "c").await.status, StatusCode::FOUND, "another tenant");

    assert!(harness.sim(harness.holder("a").unwrap()).set_participants("a", 1));
    harness.poll().await;
    assert_eq!(join("school", "b").await.status, StatusCode::FOUND, "the poll counts 4 again");
    let id = school["id"].as_str().unwrap();
    harness.admin("updateTenant", "", Some(json!({ "id": id, "tenant": { "max_participants": 4 } }))).await;
    assert_eq!(join("school", "a").await.message_key().as_deref(), Some("maxParticipantsReached"));
}

#[tokio::test]
async fn status_and_metrics_show_limits_and_usage() {
    let harness = harness().await;
    let base = harness.running.base_url();
    let status = format!("{base}/scalelite/status?checksum={}", sign(Algorithm::Sha256, "status", "", SECRET));
    add_tenant(&harness, "plain", json!({})).await;
    let page = harness.get_url(&status).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(!page.body.contains("<h2>Tenants</h2>"), "no tenant has limits: no table");

    add_tenant(&harness, "school", json!({ "max_meetings": 3, "max_participants": 40 })).await;
    let update = json!({ "id": "demo-0", "server": { "max_meetings": 7, "max_participants": 90 } });
    assert_eq!(harness.admin("updateServer", "", Some(update)).await.status, StatusCode::OK);
    for id in ["a", "b"] {
        assert_eq!(create_as(&harness, "school", id).await.returncode().as_deref(), Some("SUCCESS"));
        assert!(harness.sim(harness.holder(id).unwrap()).set_participants(id, 6));
    }
    harness.poll().await;
    let page = harness.get_url(&status).await.body;
    assert!(page.contains("<div class=\"limits\">at most 7 meetings, 90 participants</div>"), "{page}");
    assert!(page.contains("<h2>Tenants</h2>"), "{page}");
    assert!(page.contains(">school</td><td class=\"num\">2 / 3</td><td class=\"num\">12 / 40</td>"), "{page}");
    assert!(page.contains(">plain</td><td class=\"num\">0</td><td class=\"num\">0</td>"), "{page}");

    let metrics = harness.get_url(&format!("{base}/metrics")).await.body;
    for line in [
        "scalelite_tenant_meetings{tenant=\"school\"} 2",
        "scalelite_tenant_participants{tenant=\"school\"} 12",
        "scalelite_tenant_max_meetings{tenant=\"school\"} 3",
        "scalelite_tenant_max_participants{tenant=\"school\"} 40",
        "scalelite_tenant_meetings{tenant=\"plain\"} 0",
    ] {
        assert!(metrics.lines().any(|l| l == line), "{line} missing:\n{metrics}");
    }
    assert!(!metrics.contains("scalelite_tenant_max_meetings{tenant=\"plain\"}"), "no limit, no gauge");
}
