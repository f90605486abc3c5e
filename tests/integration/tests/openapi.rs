//! The admin API against its OpenAPI document (`functions/openapi.json`, generated from the registry): every
//! admin action is called for real, in success and refusal, and each answer's status, content type and body must
//! be ones its operation documents. Answers are held to the document strictly (no field it does not name), and
//! the bodies sent must fit the documented request bodies.

use std::collections::BTreeSet;

use reqwest::Method;
use scalelite_functions::runtime::openapi::{admin_actions, document};
use scalelite_integration_tests::{Answer, Harness, SECRET};
use scalelite_shared::bbb::checksum::{Algorithm, sign};
use serde_json::{Value, json};

/// The document, and the calls made against it.
struct Contract {
    document: Value,
    /// The components with every object closed (`additionalProperties: false`), to hold answers to.
    closed: Value,
    /// (action, status) of every answer checked.
    seen: BTreeSet<(String, u16)>,
}

/// Closes every object schema below `schema`: a field the document does not name fails validation. (An answer
/// type must not use `allOf`, which closing would break.)
fn close(schema: &mut Value) {
    match schema {
        Value::Object(object) => {
            if object.get("properties").is_some_and(Value::is_object) {
                object.entry("additionalProperties").or_insert(Value::Bool(false));
            }
            object.values_mut().for_each(close);
        }
        Value::Array(items) => items.iter_mut().for_each(close),
        _ => {}
    }
}

impl Contract {
    fn new() -> Self {
        let document = serde_json::to_value(document()).expect("the document is JSON");
        let mut closed = document["components"].clone();
        close(&mut closed);
        Self { document, closed, seen: BTreeSet::new() }
    }

    fn operation(&self, action: &str, method: &Method) -> &Value {
        let operation = &self.document["paths"][format!("/scalelite/api/{action}")][method.as_str().to_lowercase()];
        assert!(operation.is_object(), "the document has no {method} operation for {action}");
        operation
    }

    /// Panics unless `instance` fits `schema`, whose references point into `components`.
    fn validate(schema: &Value, components: &Value, instance: &Value, what: &str) {
        let mut root = schema.clone();
        root["components"] = components.clone();
        root["$schema"] = json!("https://json-schema.org/draft/2020-12/schema");
        let validator = jsonschema::draft202012::new(&root).unwrap_or_else(|e| panic!("{what}: bad schema: {e}"));
        let errors: Vec<String> =
            validator.iter_errors(instance).map(|e| format!("{e} at {}", e.instance_path())).collect();
        assert!(errors.is_empty(), "{what} does not fit the document:\n{}\n{instance:#}", errors.join("\n"));
    }

    /// Checks a body about to be sent against the operation's request body.
    fn check_request(&self, action: &str, body: &Value) {
        let schema = &self.operation(action, &Method::POST)["requestBody"]["content"]["application/json"]["schema"];
        assert!(schema.is_object(), "{action}: the document takes no JSON body");
        Self::validate(schema, &self.document["components"], body, &format!("the body sent to {action}"));
    }

    /// Checks an answer against the operation's responses: its status, its content type and its body.
    fn check_answer(&mut self, action: &str, method: &Method, answer: &Answer) {
        let status = answer.status.as_u16();
        let response = &self.operation(action, method)["responses"][status.to_string()];
        assert!(response.is_object(), "{action} answered {status}, which the document does not name: {}", answer.body);
        let content_type = answer.headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default();
        let media = content_type.split(';').next().unwrap_or_default().trim();
        let content = &response["content"][media];
        assert!(content.is_object(), "{action} answered {status} as {media}, which the document does not name");
        if media == "application/json" {
            let body: Value = serde_json::from_str(&answer.body).expect("a JSON answer");
            Self::validate(&content["schema"], &self.closed, &body, &format!("{action}'s {status} answer"));
        }
        self.seen.insert((action.to_owned(), status));
    }

    /// Calls `action` (POST with a body, else GET), expects `status`, checks the exchange; returns the answer.
    async fn call(&mut self, harness: &Harness, action: &str, query: &str, body: Option<Value>, status: u16) -> Value {
        if let Some(body) = &body {
            self.check_request(action, body);
        }
        let method = if body.is_some() { Method::POST } else { Method::GET };
        let answer = harness.admin(action, query, body).await;
        assert_eq!(answer.status.as_u16(), status, "{action}?{query}: {}", answer.body);
        self.check_answer(action, &method, &answer);
        answer.json()
    }

    /// A signed POST of `body` as it is, of `content_type`.
    async fn post_raw(&mut self, harness: &Harness, action: &str, content_type: &str, body: &str) -> Answer {
        let checksum = sign(Algorithm::Sha256, action, "", SECRET);
        let url = format!("{}/scalelite/api/{action}?checksum={checksum}", harness.running.base_url());
        let request = harness.client.post(url).header("content-type", content_type).body(body.to_owned());
        let answer = harness.fetch(request).await;
        self.check_answer(action, &Method::POST, &answer);
        answer
    }

    /// The status of an operation's success: its first 2xx.
    fn success(&self, action: &str, method: &Method) -> u16 {
        let responses = self.operation(action, method)["responses"].as_object().expect("responses");
        let codes = responses.keys().filter_map(|code| code.parse::<u16>().ok());
        codes
            .filter(|code| (201..300).contains(code) || (*code == 200 && self.has_json(action, method)))
            .min()
            .unwrap_or(0)
    }

    fn has_json(&self, action: &str, method: &Method) -> bool {
        self.operation(action, method)["responses"]["200"]["content"]["application/json"].is_object()
    }
}

fn id(answer: &Value) -> String {
    answer["id"].as_str().expect("an id").to_owned()
}

async fn servers_and_meetings(contract: &mut Contract, harness: &Harness) {
    let servers = contract.call(harness, "getServers", "", None, 200).await;
    let first = id(&servers[0]);
    contract.call(harness, "getServerInfo", &format!("id={first}"), None, 200).await;
    contract.call(harness, "getServerInfo", "id=nowhere", None, 404).await;

    let server = json!({ "url": "https://bbb9.example.org/bigbluebutton/api", "secret": "s9", "load_multiplier": "2" });
    let added = id(&contract.call(harness, "addServer", "", Some(json!({ "server": server })), 201).await);
    let bad = json!({ "server": { "url": "ftp://bbb9.example.org", "secret": "s9" } });
    contract.call(harness, "addServer", "", Some(bad), 400).await;
    let not_json = contract.post_raw(harness, "addServer", "application/json", "{").await;
    assert_eq!(not_json.status, 400, "{}", not_json.body);

    let update = |server: Value| Some(json!({ "id": added, "server": server }));
    contract.call(harness, "updateServer", "", update(json!({ "state": "cordon", "load_multiplier": 3 })), 200).await;
    contract.call(harness, "updateServer", "", update(json!({ "state": "sideways" })), 400).await;
    contract.call(harness, "updateServer", "", Some(json!({ "id": "nowhere", "server": { "tag": "t" } })), 404).await;
    contract.call(harness, "panicServer", "", Some(json!({ "id": added, "keep_state": true })), 200).await;
    contract.call(harness, "panicServer", "", Some(json!({ "id": "nowhere" })), 404).await;
    contract.call(harness, "deleteServer", "", Some(json!({ "id": added })), 200).await;
    contract.call(harness, "deleteServer", "", Some(json!({ "id": added })), 404).await;

    harness.create("openapi-room").await;
    contract.call(harness, "getPlacedMeeting", "meetingID=openapi-room", None, 200).await;
    contract.call(harness, "getPlacedMeeting", "meetingID=nowhere", None, 404).await;
    let page = contract.call(harness, "getPlacedMeetings", "limit=1", None, 200).await;
    assert_eq!(page["meetings"].as_array().map(Vec::len), Some(1), "{page}");
    contract.call(harness, "getPlacedMeetings", "server_id=nowhere", None, 404).await;
}

async fn tenants(contract: &mut Contract, harness: &Harness) {
    contract.call(harness, "getTenants", "", None, 200).await;
    contract.call(harness, "getTenantSettings", "", None, 200).await;
    let tenant = |fields: Value| Some(json!({ "tenant": fields }));
    let added =
        contract.call(harness, "addTenant", "", tenant(json!({ "name": "acme", "secrets": "a1:a2" })), 201).await;
    let acme = id(&added["tenant"]);
    let lrs = json!({ "name": "lrs", "secrets": "l1", "lrs_endpoint": "https://lrs.example.org/xapi",
                      "lrs_username": "u", "lrs_password": "p" });
    contract.call(harness, "addTenant", "", tenant(lrs), 201).await;
    let limited = json!({ "name": "limited", "secrets": "m1", "max_meetings": 5, "max_participants": "100" });
    contract.call(harness, "addTenant", "", tenant(limited), 201).await;
    contract.call(harness, "addTenant", "", tenant(json!({ "name": "acme", "secrets": "x" })), 422).await;
    contract
        .call(harness, "addTenant", "", tenant(json!({ "name": "bad", "secrets": "x", "max_meetings": -1 })), 400)
        .await;
    contract.call(harness, "addTenant", "", tenant(json!({})), 400).await;
    let listed = contract.call(harness, "getTenants", "", None, 200).await;
    assert_eq!(listed.as_array().map(Vec::len), Some(3), "{listed}");
    contract.call(harness, "getTenantInfo", &format!("id={acme}"), None, 200).await;
    contract.call(harness, "getTenantInfo", "id=nowhere", None, 404).await;

    let update = |id: &str, fields: Value| Some(json!({ "id": id, "tenant": fields }));
    contract.call(harness, "updateTenant", "", update(&acme, json!({ "secrets": "a3" })), 200).await;
    contract.call(harness, "updateTenant", "", update(&acme, json!({ "max_participants": 40 })), 200).await;
    contract.call(harness, "updateTenant", "", update(&acme, json!({ "max_meetings": "many" })), 400).await;
    contract.call(harness, "updateTenant", "", update(&acme, json!({ "name": "Not a label!" })), 400).await;
    contract.call(harness, "updateTenant", "", update("nowhere", json!({ "secrets": "a3" })), 404).await;

    let setting = |tenant_id: &str| {
        json!({ "setting": { "tenant_id": tenant_id, "param": "duration", "value": 60,
                                                         "override": true } })
    };
    let added = contract.call(harness, "addTenantSetting", "", Some(setting(&acme)), 201).await;
    let setting_id = id(&added["setting"]);
    contract.call(harness, "addTenantSetting", "", Some(json!({ "setting": {} })), 400).await;
    contract.call(harness, "addTenantSetting", "", Some(setting("nowhere")), 404).await;
    contract.call(harness, "getTenantSettings", &format!("tenant_id={acme}"), None, 200).await;
    contract.call(harness, "getTenantSettings", "tenant_id=nowhere", None, 404).await;
    contract.call(harness, "deleteTenantSetting", "", Some(json!({ "id": setting_id })), 200).await;
    contract.call(harness, "deleteTenantSetting", "", Some(json!({ "id": setting_id })), 404).await;

    let url = harness.url_with(Algorithm::Sha256, "a3", "create", "meetingID=acme-room&name=Room");
    let created = harness.fetch(harness.client.get(url).header("host", "acme.lb.example")).await;
    assert_eq!(created.returncode().as_deref(), Some("SUCCESS"), "{}", created.body);
    let placed = contract.call(harness, "getPlacedMeeting", "meetingID=acme-room", None, 200).await;
    assert_eq!(placed["tenant"]["name"], "acme", "{placed}");

    contract.call(harness, "deleteTenant", "", Some(json!({ "id": acme })), 200).await;
    contract.call(harness, "deleteTenant", "", Some(json!({ "id": acme })), 404).await;
}

/// A call with a wrong checksum is answered with BBB's XML error, which the document names.
async fn checksum_refused(contract: &mut Contract, harness: &Harness) {
    let url = format!("{}/scalelite/api/getServers?checksum={}", harness.running.base_url(), "0".repeat(64));
    let answer = harness.fetch(harness.client.get(url)).await;
    assert_eq!(answer.message_key().as_deref(), Some("checksumError"), "{}", answer.body);
    contract.check_answer("getServers", &Method::GET, &answer);
}

#[tokio::test]
async fn every_admin_answer_is_one_the_document_describes() {
    let mut contract = Contract::new();
    let harness = Harness::with_env(2, &[("MULTITENANCY_ENABLED", "true")]).await;
    servers_and_meetings(&mut contract, &harness).await;
    tenants(&mut contract, &harness).await;
    checksum_refused(&mut contract, &harness).await;

    // With no server, getServers answers 404; while multitenancy is off, every action that needs it answers 412.
    let off = Harness::start(0).await;
    contract.call(&off, "getServers", "", None, 404).await;
    for function in admin_actions().filter(|function| function.needs.is_some()) {
        let body = function.methods.contains(&Method::POST).then(|| json!({}));
        contract.call(&off, function.name, "", body, 412).await;
    }

    // Every admin action of the registry is in the document and was called, in success and in refusal.
    for function in admin_actions() {
        for method in function.methods {
            let success = contract.success(function.name, method);
            assert!(success > 0, "{}: the document names no success", function.name);
            let statuses: Vec<u16> =
                contract.seen.iter().filter(|(action, _)| action == function.name).map(|(_, status)| *status).collect();
            assert!(statuses.contains(&success), "{}: no call answered {success}", function.name);
            assert!(statuses.iter().any(|status| *status >= 400), "{}: no refusal was checked", function.name);
        }
    }
}
