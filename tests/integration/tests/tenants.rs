//! Multitenancy through HTTP: tenants found by the first label of the host, their own secrets, their meetings
//! and recordings kept apart, their parameter settings, the admin API's tenant and tenant setting actions, and
//! the main domain still served with the load-balancer secrets.

use std::sync::Arc;

use scalelite_integration_tests::recording_files::{Fixture, write_tar};
use scalelite_integration_tests::{Answer, Harness, SECRET};
use scalelite_shared::bbb::checksum::{Algorithm, sign};
use scalelite_shared::model::TenantSetting;
use serde_json::json;

async fn call_as(harness: &Harness, host: &str, secret: &str, call: &str, query: &str) -> Answer {
    let url = harness.url_with(Algorithm::Sha256, secret, call, query);
    harness.fetch(harness.client.get(url).header("host", host)).await
}

/// Adds a tenant through the admin API; returns its id.
async fn add_tenant(harness: &Harness, name: &str, secrets: &str) -> String {
    let added = harness.admin("addTenant", "", Some(json!({ "tenant": { "name": name, "secrets": secrets } }))).await;
    assert_eq!(added.status, 201, "{}", added.body);
    added.json()["tenant"]["id"].as_str().unwrap().to_owned()
}

fn sent(harness: &Harness, meeting_id: &str, name: &str) -> Option<String> {
    let meeting = harness.fleet().servers.iter().find_map(|s| s.meeting(meeting_id))?;
    meeting.create_params.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone())
}

#[tokio::test]
async fn tenants_are_kept_apart_and_the_main_domain_still_works() {
    let harness = Harness::with_env(1, &[("MULTITENANCY_ENABLED", "true")]).await;
    let school = add_tenant(&harness, "school", "s1:s2").await;
    add_tenant(&harness, "uni", "u1").await;

    // The tenant's own secrets, on its host; the load-balancer secret is not the tenant's.
    let created = call_as(&harness, "school.lb.example", "s2", "create", "meetingID=room&name=Room").await;
    assert_eq!(created.returncode().as_deref(), Some("SUCCESS"), "{}", created.body);
    assert_eq!(sent(&harness, "room", "meta_tenant-id"), Some(school.clone()));
    assert_eq!(sent(&harness, "room", "meta_tenant-name").as_deref(), Some("school"));
    let lb_secret = call_as(&harness, "school.lb.example", SECRET, "getMeetingInfo", "meetingID=room").await;
    assert_eq!(lb_secret.message_key().as_deref(), Some("checksumError"));

    // Another tenant neither sees nor takes the meeting.
    let other = call_as(&harness, "uni.lb.example", "u1", "getMeetingInfo", "meetingID=room").await;
    assert_eq!(other.message_key().as_deref(), Some("notFound"));
    let join = call_as(&harness, "uni.lb.example", "u1", "join", "meetingID=room&fullName=x").await;
    assert_eq!(join.message_key().as_deref(), Some("notFound"));
    let taken = call_as(&harness, "uni.lb.example", "u1", "create", "meetingID=room&name=Room").await;
    assert_eq!(taken.message_key().as_deref(), Some("internalError"), "{}", taken.body);
    let end = call_as(&harness, "uni.lb.example", "u1", "end", "meetingID=room").await;
    assert_eq!(end.message_key().as_deref(), Some("notFound"));
    let chat = call_as(&harness, "uni.lb.example", "u1", "sendChatMessage", "meetingID=room&message=hi").await;
    assert_eq!(chat.message_key().as_deref(), Some("notFound"));

    // The owner does; so does the main domain, with the load-balancer secret.
    let own = call_as(&harness, "school.lb.example:443", "s1", "join", "meetingID=room&fullName=x").await;
    assert_eq!(own.status, 302, "{}", own.body);
    let main = call_as(&harness, "lb.example", SECRET, "getMeetingInfo", "meetingID=room").await;
    assert_eq!(main.returncode().as_deref(), Some("SUCCESS"), "{}", main.body);
    let unknown = call_as(&harness, "nobody.lb.example", SECRET, "isMeetingRunning", "meetingID=room").await;
    assert_eq!(unknown.returncode().as_deref(), Some("SUCCESS"), "an unknown label is the main domain");

    // getMeetings: each tenant its own meetings; the main domain those of no tenant.
    call_as(&harness, "lb.example", SECRET, "create", "meetingID=plain&name=Plain").await;
    let listed = call_as(&harness, "school.lb.example", "s1", "getMeetings", "").await;
    assert!(listed.body.contains("<meetingID>room</meetingID>") && !listed.body.contains("plain"), "{}", listed.body);
    let main_list = call_as(&harness, "lb.example", SECRET, "getMeetings", "").await;
    assert!(main_list.body.contains("plain") && !main_list.body.contains("<meetingID>room</meetingID>"));
}

#[tokio::test]
async fn settings_layer_around_the_configured_parameters() {
    let harness = Harness::with_env(
        1,
        &[
            ("MULTITENANCY_ENABLED", "true"),
            ("DEFAULT_CREATE_PARAMS", "welcome=lb"),
            ("OVERRIDE_CREATE_PARAMS", "record=true"),
        ],
    )
    .await;
    let id = add_tenant(&harness, "school", "s1").await;
    let tenants = Arc::clone(&harness.running.ctx.tenants);
    for (param, value, override_) in
        [("welcome", "school", false), ("logo", "school.png", false), ("record", "false", true)]
    {
        let setting = TenantSetting {
            id: format!("{param}-setting"),
            tenant_id: id.clone(),
            param: param.into(),
            value: value.into(),
            override_,
        };
        tenants.add_tenant_setting(&setting).await.unwrap();
    }
    call_as(&harness, "school.lb.example", "s1", "create", "meetingID=m&name=M&record=maybe").await;
    assert_eq!(sent(&harness, "m", "welcome").as_deref(), Some("lb"), "configured defaults sit above the tenant's");
    assert_eq!(sent(&harness, "m", "logo").as_deref(), Some("school.png"));
    assert_eq!(sent(&harness, "m", "record").as_deref(), Some("false"), "the tenant's override wins");
}

#[tokio::test]
async fn recordings_belong_to_their_tenant() {
    let harness = Harness::with_env(1, &[("MULTITENANCY_ENABLED", "true")]).await;
    let school = add_tenant(&harness, "school", "s1").await;
    let spool = harness.path("recordings/spool");
    write_tar(&spool.join("a.tar"), &[Fixture::new("rec-a", "room").meta("tenant-id", &school)]);
    write_tar(&spool.join("b.tar"), &[Fixture::new("rec-b", "room")]);
    harness.import().await;

    let own = call_as(&harness, "school.lb.example", "s1", "getRecordings", "").await;
    assert!(own.body.contains("rec-a") && !own.body.contains("rec-b"), "{}", own.body);
    let foreign = call_as(&harness, "school.lb.example", "s1", "deleteRecordings", "recordID=rec-b").await;
    assert_eq!(foreign.message_key().as_deref(), Some("notFound"));
    let main = call_as(&harness, "lb.example", SECRET, "getRecordings", "").await;
    assert!(main.body.contains("rec-a") && main.body.contains("rec-b"), "the main domain sees every recording");
}

#[tokio::test]
async fn the_admin_api_manages_tenants() {
    let off = Harness::start(1).await;
    let refused = off.admin("getTenants", "", None).await;
    assert_eq!((refused.status.as_u16(), refused.json()["message"].as_str()), (412, Some("Multitenancy is disabled")));

    let harness = Harness::with_env(1, &[("MULTITENANCY_ENABLED", "true")]).await;
    assert_eq!(harness.admin("getTenants", "", None).await.json()["message"], "No tenants exist");
    let missing = harness.admin("addTenant", "", Some(json!({ "tenant": { "name": "x" } }))).await;
    assert_eq!(missing.status, 400);
    let bad_name =
        harness.admin("addTenant", "", Some(json!({ "tenant": { "name": "a.b<c>", "secrets": "s" } }))).await;
    assert_eq!(bad_name.status, 400);
    let id = add_tenant(&harness, "School", "s1").await;
    let twice = harness.admin("addTenant", "", Some(json!({ "tenant": { "name": "school", "secrets": "s" } }))).await;
    assert_eq!(twice.status, 422, "names are unique");

    let info = harness.admin("getTenantInfo", &format!("id={id}"), None).await.json();
    assert_eq!((info["name"].as_str(), info["secrets"].as_str()), (Some("school"), Some("s1")));
    let renamed = harness
        .admin("updateTenant", "", Some(json!({ "id": id, "tenant": { "name": "college", "secrets": "c1:c2" } })))
        .await;
    assert_eq!(renamed.status, 200, "{}", renamed.body);
    let created = call_as(&harness, "college.lb.example", "c2", "create", "meetingID=m&name=M").await;
    assert_eq!(created.returncode().as_deref(), Some("SUCCESS"), "the new name and secrets work at once");
    let old_host = call_as(&harness, "school.lb.example", "s1", "getMeetingInfo", "meetingID=m").await;
    assert_eq!(old_host.message_key().as_deref(), Some("checksumError"), "the old name is the main domain now");
    assert_eq!(harness.admin("getTenants", "", None).await.json().as_array().map(Vec::len), Some(1));

    let deleted = harness.admin("deleteTenant", "", Some(json!({ "id": id }))).await;
    assert_eq!(deleted.status, 200);
    assert_eq!(harness.admin("deleteTenant", "", Some(json!({ "id": id }))).await.status, 404);
    assert_eq!(harness.admin("getTenantInfo", &format!("id={id}"), None).await.status, 404);
}

#[tokio::test]
async fn the_admin_api_manages_tenant_settings() {
    let off = Harness::start(1).await;
    for (action, body) in [("getTenantSettings", None), ("addTenantSetting", Some(json!({})))] {
        let refused = off.admin(action, "", body).await;
        assert_eq!((refused.status.as_u16(), refused.json()), (412, json!({ "message": "Multitenancy is disabled" })));
    }

    let harness = Harness::with_env(1, &[("MULTITENANCY_ENABLED", "true")]).await;
    assert_eq!(
        harness.admin("getTenantSettings", "", None).await.json(),
        json!({ "message": "No tenant settings exist" })
    );
    let school = add_tenant(&harness, "school", "s1").await;
    let add = |setting: serde_json::Value| harness.admin("addTenantSetting", "", Some(json!({ "setting": setting })));
    let missing = add(json!({ "tenant_id": school, "param": " " , "value": "x" })).await;
    assert_eq!((missing.status.as_u16(), missing.json()["error"].is_string()), (400, true));
    let nobody = add(json!({ "tenant_id": "nobody", "param": "welcome", "value": "x" })).await;
    assert_eq!(nobody.status, 404);

    let welcome = add(json!({ "tenant_id": school, "param": "welcome", "value": "Hello school" })).await;
    assert_eq!(welcome.status, 201, "{}", welcome.body);
    let welcome = welcome.json()["setting"].clone();
    assert_eq!(
        welcome,
        json!({ "id": welcome["id"], "tenant_id": school, "param": "welcome", "value": "Hello school", "override": false })
    );
    let record = add(json!({ "tenant_id": school, "param": "record", "value": false, "override": true })).await;
    let record = record.json()["setting"].clone();
    assert_eq!((&record["value"], &record["override"]), (&json!("false"), &json!(true)));

    let listed = harness.admin("getTenantSettings", &format!("tenant_id={school}"), None).await.json();
    assert_eq!(listed.as_array().map(Vec::len), Some(2), "{listed}");
    assert!(listed.as_array().unwrap().contains(&welcome));
    assert_eq!(harness.admin("getTenantSettings", "tenant_id=nobody", None).await.status, 404);

    // The settings take effect at once, around the client's parameters.
    call_as(&harness, "school.lb.example", "s1", "create", "meetingID=a&name=A&record=true").await;
    assert_eq!(sent(&harness, "a", "welcome").as_deref(), Some("Hello school"));
    assert_eq!(sent(&harness, "a", "record").as_deref(), Some("false"), "the override wins over the client");

    let deleted = harness.admin("deleteTenantSetting", "", Some(json!({ "id": record["id"] }))).await;
    assert_eq!(deleted.status, 200, "{}", deleted.body);
    let again = harness.admin("deleteTenantSetting", "", Some(json!({ "id": record["id"] }))).await;
    assert_eq!(again.status, 404);
    call_as(&harness, "school.lb.example", "s1", "create", "meetingID=b&name=B&record=true").await;
    assert_eq!(sent(&harness, "b", "record").as_deref(), Some("true"), "the removed override is gone");
    assert_eq!(harness.admin("getTenantSettings", "", None).await.json(), json!([welcome]));

    // The tenant's secret does not sign admin actions.
    let base = harness.running.base_url();
    let checksum = sign(Algorithm::Sha256, "getTenantSettings", "", "s1");
    let wrong = harness.get_url(&format!("{base}/scalelite/api/getTenantSettings?checksum={checksum}")).await;
    assert_eq!(wrong.message_key().as_deref(), Some("checksumError"));
}
