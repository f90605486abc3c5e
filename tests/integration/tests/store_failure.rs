//! A store that fails: every handler answers its documented error, and readiness says not ready.

use std::sync::Arc;

use async_trait::async_trait;
use http::Method;
use scalelite_functions::Ctx;
use scalelite_functions::runtime::app::{App, Mode};
use scalelite_infra::Stores;
use scalelite_infra::recordings_fs::DiskFiles;
use scalelite_shared::api::ApiRequest;
use scalelite_shared::bbb::checksum::{Algorithm, sign};
use scalelite_shared::config::Config;
use std::collections::HashMap;

use scalelite_shared::balance::load::LoadRules;
use scalelite_shared::balance::tenant::TenantUsage;
use scalelite_shared::model::{CallbackData, Meeting, Recording, Server, ServerUpdate, Tenant, TenantSetting};
use scalelite_shared::store::{
    CallbackStore, ImportLedger, ImportMark, JoinTarget, LeaseStore, MeetingStore, PlaceError, Placed, Placement,
    PollOutcome, PollReport, RecordingEdits, RecordingIndex, RecordingQuery, ServerStore, StoreError, StoreResult,
    TenantStore, TokenStore,
};

/// Every call fails as an unreachable backend does.
struct BrokenStore;

fn down<T>() -> StoreResult<T> {
    Err(StoreError::Backend("connection refused".into()))
}

#[async_trait]
impl ServerStore for BrokenStore {
    async fn servers(&self) -> StoreResult<Vec<Server>> {
        down()
    }
    async fn server(&self, _: &str) -> StoreResult<Option<Server>> {
        down()
    }
    async fn add_server(&self, _: &Server) -> StoreResult<()> {
        down()
    }
    async fn update_server(&self, _: &str, _: &ServerUpdate) -> StoreResult<Option<Server>> {
        down()
    }
    async fn delete_server(&self, _: &str) -> StoreResult<bool> {
        down()
    }
    async fn ping(&self) -> StoreResult<()> {
        down()
    }
}

#[async_trait]
impl MeetingStore for BrokenStore {
    async fn now_ms(&self) -> StoreResult<i64> {
        down()
    }
    async fn meeting(&self, _: &str, _: i64) -> StoreResult<Option<Meeting>> {
        down()
    }
    async fn meetings_on(&self, _: &str, _: i64) -> StoreResult<Vec<Meeting>> {
        down()
    }
    async fn tenant_usage(&self, _: &str, _: i64) -> StoreResult<TenantUsage> {
        down()
    }
    async fn meeting_by_voice_bridge(&self, _: &str, _: i64) -> StoreResult<Option<Meeting>> {
        down()
    }
    async fn place_meeting(&self, _: &Placement) -> Result<Placed, PlaceError> {
        Err(down::<()>().unwrap_err().into())
    }
    async fn confirm_meeting(&self, _: &Meeting, _: i64) -> StoreResult<()> {
        down()
    }
    async fn delete_meeting(&self, _: &str, _: &LoadRules, _: i64) -> StoreResult<Option<Meeting>> {
        down()
    }
    async fn join_meeting(&self, _: &str, _: i64) -> StoreResult<JoinTarget> {
        down()
    }
    async fn record_poll(&self, _: &str, _: &PollReport) -> StoreResult<PollOutcome> {
        down()
    }
    async fn record_polls(&self, reports: &[(String, PollReport)]) -> Vec<StoreResult<PollOutcome>> {
        reports.iter().map(|_| down()).collect()
    }
}

#[async_trait]
impl LeaseStore for BrokenStore {
    async fn acquire_lease(&self, _: &str, _: &str, _: i64) -> StoreResult<bool> {
        down()
    }
    async fn release_lease(&self, _: &str, _: &str) -> StoreResult<()> {
        down()
    }
}

#[async_trait]
impl TokenStore for BrokenStore {
    async fn put_token(&self, _: &str, _: &str, _: i64) -> StoreResult<()> {
        down()
    }
    async fn take_token(&self, _: &str) -> StoreResult<Option<String>> {
        down()
    }
}

#[async_trait]
impl TenantStore for BrokenStore {
    async fn tenants(&self) -> StoreResult<Vec<Tenant>> {
        down()
    }
    async fn tenant(&self, _: &str) -> StoreResult<Option<Tenant>> {
        down()
    }
    async fn tenant_by_name(&self, _: &str) -> StoreResult<Option<Tenant>> {
        down()
    }
    async fn add_tenant(&self, _: &Tenant) -> StoreResult<()> {
        down()
    }
    async fn update_tenant(&self, _: &Tenant) -> StoreResult<Option<Tenant>> {
        down()
    }
    async fn delete_tenant(&self, _: &str) -> StoreResult<bool> {
        down()
    }
    async fn tenant_settings(&self, _: Option<&str>) -> StoreResult<Vec<TenantSetting>> {
        down()
    }
    async fn add_tenant_setting(&self, _: &TenantSetting) -> StoreResult<()> {
        down()
    }
    async fn delete_tenant_setting(&self, _: &str) -> StoreResult<bool> {
        down()
    }
}

#[async_trait]
impl RecordingIndex for BrokenStore {
    async fn import_recordings(&self, _: &[Recording]) -> StoreResult<Vec<Recording>> {
        down()
    }
    async fn recordings(&self, _: &RecordingQuery) -> StoreResult<Vec<Recording>> {
        down()
    }
    async fn set_published(&self, _: &str, _: bool) -> StoreResult<()> {
        down()
    }
    async fn update_recordings(&self, _: &[String], _: &RecordingEdits) -> StoreResult<bool> {
        down()
    }
    async fn delete_recording(&self, _: &str) -> StoreResult<()> {
        down()
    }
    async fn ping(&self) -> StoreResult<()> {
        down()
    }
}

#[async_trait]
impl ImportLedger for BrokenStore {
    async fn import_marks(&self) -> StoreResult<HashMap<String, ImportMark>> {
        down()
    }
    async fn mark_import(&self, _: &str, _: &ImportMark) -> StoreResult<()> {
        down()
    }
}

#[async_trait]
impl CallbackStore for BrokenStore {
    async fn save_callbacks(&self, _: &str, _: &CallbackData) -> StoreResult<()> {
        down()
    }
    async fn callbacks(&self, _: &str) -> StoreResult<Option<CallbackData>> {
        down()
    }
}

fn app(mode: Mode) -> App {
    let config = Config::from_lookup(|name| (name == "LOADBALANCER_SECRET").then(|| "s".to_owned())).unwrap();
    let files = Arc::new(DiskFiles::from_config(&config.recordings));
    let stores = Stores::new(Arc::new(BrokenStore), Arc::new(BrokenStore), Arc::new(BrokenStore), files);
    App { ctx: Arc::new(Ctx::new(config, stores)), mode }
}

fn signed(path: &str, call: &str, query: &str) -> ApiRequest {
    let checksum = sign(Algorithm::Sha1, call, query, "s");
    let separator = if query.is_empty() { "" } else { "&" };
    ApiRequest::get(path, &format!("{query}{separator}checksum={checksum}"))
}

#[tokio::test]
async fn every_call_answers_its_documented_error() {
    let app = app(Mode::All);
    let calls = [
        ("create", "meetingID=a&name=a"),
        ("join", "meetingID=a&fullName=x"),
        ("end", "meetingID=a"),
        ("isMeetingRunning", "meetingID=a"),
        ("getMeetingInfo", "meetingID=a"),
        ("getMeetings", ""),
        ("getRecordings", "meetingID=a"),
        ("publishRecordings", "recordID=r&publish=true"),
        ("updateRecordings", "recordID=r&meta_a=b"),
        ("deleteRecordings", "recordID=r"),
    ];
    for (call, query) in calls {
        let answer = app.handle(signed(&format!("/bigbluebutton/api/{call}"), call, query)).await;
        let body = String::from_utf8_lossy(&answer.body).into_owned();
        assert_eq!(answer.status, 200, "{call}");
        assert!(body.contains("<messageKey>internalError</messageKey>"), "{call}: {body}");
        assert!(!body.contains("connection refused"), "{call}: store details stay in the logs");
    }
    // The JSON APIs answer 503 in JSON, naming the store that failed.
    let admin = app.handle(signed("/scalelite/api/getServers", "getServers", "")).await;
    assert_eq!(admin.status, 503);
    assert_eq!(String::from_utf8_lossy(&admin.body), r#"{"error":"Unable to access the server store."}"#);
    let mut poll = signed("/scalelite/jobs/poll", "poll", "");
    poll.method = Method::POST;
    let polled = app.handle(poll).await;
    assert_eq!((polled.status.as_u16(), String::from_utf8_lossy(&polled.body).contains("meeting store")), (503, true));
    let mut import = signed("/scalelite/jobs/import", "import", "");
    import.method = Method::POST;
    let imported = app.handle(import).await;
    assert_eq!(imported.status, 503);
    assert!(String::from_utf8_lossy(&imported.body).contains("recordings store"));
    // A dial plan cannot be looked up: a 503, so FreeSWITCH falls back to its own dial plan.
    let mut dial = ApiRequest::get("/fsapi", "section=dialplan&Caller-Destination-Number=1&variable_pin=123456789");
    dial.method = Method::POST;
    dial.headers.insert(http::header::AUTHORIZATION, http::HeaderValue::from_static("Basic ZnNhcGk6cw==")); // fsapi:s
    let dialled = app.handle(dial).await;
    assert_eq!(dialled.status, 503);
    assert_eq!(String::from_utf8_lossy(&dialled.body), r#"{"error":"Unable to access the meeting store."}"#);
    let recordings = app.handle(signed("/bigbluebutton/api/getRecordings", "getRecordings", "meetingID=a")).await;
    assert!(String::from_utf8_lossy(&recordings.body).contains("Unable to access the recordings store."));

    // Playback cannot tell whether a recording exists: 503, never the 404 page.
    for path in ["/presentation/r-1/index.html", "/captions/r-1/en.vtt", "/recording/r-1/presentation"] {
        let played = app.handle(ApiRequest::get(path, "")).await;
        assert_eq!(played.status, 503, "{path}");
        assert!(String::from_utf8_lossy(&played.body).contains("Recording Unavailable"), "{path}");
    }
    let mut authorize = ApiRequest::get("/scalelite/recordings/authorize", "");
    authorize.headers.insert("x-original-uri", http::HeaderValue::from_static("/presentation/r-1/index.html"));
    assert_eq!(app.handle(authorize).await.status, 503, "an error for nginx, not a refusal");

    let health = app.handle(ApiRequest::get("/health_check", "")).await;
    assert_eq!(health.status, 200);
    assert!(String::from_utf8_lossy(&health.body).starts_with("Health Check Failure"));
    assert_eq!(app.handle(ApiRequest::get("/readyz", "")).await.status, 503);
    assert_eq!(app.handle(ApiRequest::get("/healthz", "")).await.status, 200);
}

#[tokio::test]
async fn a_single_function_pod_reports_not_ready() {
    let app = app(Mode::One(scalelite_functions::registry::find("join").unwrap()));
    assert_eq!(app.handle(ApiRequest::get("/_/ready", "")).await.status, 503);
    assert_eq!(app.handle(ApiRequest::get("/_/health", "")).await.status, 200);
}
