//! The one list of functions. Each entry declares what the function is (its methods and paths, how callers
//! authenticate, its body limit, the feature it needs, how it answers, whether it is public, internal or a
//! probe); [`call`] applies that policy and hands the handler checked input. Adding a BBB verb is one handler
//! file and one line here (then `scalelite-function manifests` regenerates the deployments).

use std::borrow::Cow;
use std::time::Instant;

use futures::future::BoxFuture;
use http::{Method, StatusCode};
use scalelite_shared::api::{ApiRequest, ApiResponse};
use scalelite_shared::bbb::error::ApiError;
use scalelite_shared::bbb::params::Params;
use scalelite_shared::config::Config;
use serde_json::Value;

use crate::admin::described::Described;
use crate::input::FromCall;
use crate::playback::verify::Route;
use crate::refusal::Refusal;
use crate::reject::{Answers, Reject, Store};
use crate::request::Verified::{EndOf, Nothing, Playback, Upload};
use crate::request::{Accepts, Call, authorize, authorize_api, request_params};
use crate::{Ctx, admin, api, callbacks, fsapi, jobs, playback, recordings};

/// What every handler returns.
pub type Outcome = Result<ApiResponse, Reject>;

/// A handler as the registry stores it.
pub type Handler = for<'a> fn(&'a Ctx, Call) -> BoxFuture<'a, Outcome>;

/// Where BBB's API lives; a BBB function's path is this plus its name.
pub const BBB_API: &str = "/bigbluebutton/api/";

/// How a function's callers prove who they are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Auth {
    /// The BBB checksum over the call name (a tenant's secrets on its host, else the load balancer's), with
    /// the POST bodies the call accepts.
    Bbb(Accepts),
    /// The checksum with the load-balancer secrets only, over `signed_as`; JSON bodies (admin API, jobs).
    Admin { signed_as: &'static str },
    /// A BBB server's upload token (a JWT signed with its own secret), checked before the body is read.
    UploadToken,
    /// HTTP Basic as user `fsapi` with `FSAPI_PASSWORD` (FreeSWITCH's mod_xml_curl); none when that is empty.
    /// The handler gets the query and a form body.
    FreeSwitch,
    /// `?token=` equal to `STATUS_PAGE_TOKEN`, or the admin checksum over `status`; else the 401 page.
    StatusPage,
    /// The token create put in the end-of-meeting URL, made for its `meetingID`; the handler gets the meeting.
    /// Anything else is answered 200 and ignored, as BBB expects.
    EndToken,
    /// A bearer JWT signed with one of the servers' secrets (BBB's analytics); anything else is answered 204
    /// and ignored.
    ServerSigned,
    /// A playback route: the path names a published recording the caller may read (its cookie, its token).
    Playback(Route),
    /// Nothing the registry checks: probes, the API root, metrics.
    Open,
}

/// What a function answers while the feature it needs is off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Off {
    /// BBB `notFound` (recordings), before the checksum, as upstream.
    NotFound,
    /// An empty recordings list, before the checksum, as upstream's getRecordings.
    NoRecordings,
    /// The playback 404 page.
    Page,
    /// 403 with no body (nginx's `auth_request`).
    Forbidden,
    /// 409 JSON, after authentication (uploads).
    Conflict,
    /// 412 `{"message": "Multitenancy is disabled"}`, after the checksum, as upstream's tenant actions.
    Precondition,
    /// BBB's `noMeetings`, before the checksum.
    NoMeetings,
}

/// A feature a function needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Feature {
    /// Recordings (off with `RECORDING_DISABLED`).
    Recordings(Off),
    /// Tenants (`MULTITENANCY_ENABLED`).
    Multitenancy(Off),
    /// The list of every meeting (off with `GET_MEETINGS_API_DISABLED`).
    MeetingList(Off),
}

/// Who may reach a function in a deployment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exposure {
    /// Routed from the public host.
    Public,
    /// Deployed, but kept off the public routes (metrics, jobs).
    Internal,
    /// Answered by every deployed function (liveness and readiness).
    Probe,
}

/// Where a function is served.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Paths {
    /// `/bigbluebutton/api/<name>`.
    Bbb,
    /// Exact paths, or prefixes written `/prefix/*` (anything below `/prefix/`).
    At(&'static [&'static str]),
}

/// One function: a BBB verb, an admin action, a playback route, a probe or a job.
#[derive(Clone, Copy)]
pub struct Function {
    pub name: &'static str,
    pub methods: &'static [Method],
    pub paths: Paths,
    pub auth: Auth,
    /// How its answers, and so its refusals, look.
    pub answers: Answers,
    pub needs: Option<Feature>,
    pub exposure: Exposure,
    /// Takes bodies up to `RECORDING_UPLOAD_MAX_BYTES` instead of `MAX_BODY_BYTES`.
    pub large_body: bool,
    /// Kept running (never scaled to zero) where the platform can.
    pub warm: bool,
    /// The stores it needs to answer: a pod serving only this function is ready when these answer.
    pub stores: &'static [Store],
    /// How an admin action's OpenAPI operation describes it (`runtime::openapi`).
    pub described: Option<&'static Described>,
    pub handler: Handler,
}

const fn function(
    name: &'static str,
    methods: &'static [Method],
    paths: Paths,
    auth: Auth,
    answers: Answers,
    handler: Handler,
) -> Function {
    Function {
        name,
        methods,
        paths,
        auth,
        answers,
        needs: None,
        exposure: Exposure::Public,
        large_body: false,
        warm: false,
        stores: MEETINGS,
        described: None,
        handler,
    }
}

/// A BBB call at `/bigbluebutton/api/<name>`, signed over its name, answering XML.
const fn bbb(name: &'static str, methods: &'static [Method], accepts: Accepts, handler: Handler) -> Function {
    function(name, methods, Paths::Bbb, Auth::Bbb(accepts), Answers::Xml, handler)
}

/// An admin action at `path`, signed over its name, answering JSON.
const fn admin(
    name: &'static str,
    methods: &'static [Method],
    paths: &'static [&'static str],
    handler: Handler,
) -> Function {
    function(name, methods, Paths::At(paths), Auth::Admin { signed_as: name }, Answers::Json, handler)
}

/// A function at paths of its own that the registry lets anyone call, unless `.auth` names what it checks.
const fn open(
    name: &'static str,
    methods: &'static [Method],
    paths: &'static [&'static str],
    answers: Answers,
    handler: Handler,
) -> Function {
    function(name, methods, Paths::At(paths), Auth::Open, answers, handler)
}

impl Function {
    const fn needs(self, feature: Feature) -> Self {
        Self { needs: Some(feature), ..self }
    }

    const fn internal(self) -> Self {
        Self { exposure: Exposure::Internal, ..self }
    }

    const fn probe(self) -> Self {
        Self { exposure: Exposure::Probe, ..self }
    }

    const fn warm(self) -> Self {
        Self { warm: true, ..self }
    }

    const fn answers(self, answers: Answers) -> Self {
        Self { answers, ..self }
    }

    const fn signed_as(self, signed_as: &'static str) -> Self {
        Self { auth: Auth::Admin { signed_as }, ..self }
    }

    const fn uses(self, stores: &'static [Store]) -> Self {
        Self { stores, ..self }
    }

    const fn auth(self, auth: Auth) -> Self {
        Self { auth, ..self }
    }

    const fn described(self, described: &'static Described) -> Self {
        Self { described: Some(described), ..self }
    }

    const fn upload(self) -> Self {
        Self { auth: Auth::UploadToken, large_body: true, ..self }
    }

    /// Its paths as written (`/bigbluebutton/api/<name>` for a BBB call).
    pub fn paths(&self) -> Vec<String> {
        match self.paths {
            Paths::Bbb => vec![format!("{BBB_API}{}", self.name)],
            Paths::At(paths) => paths.iter().map(|p| (*p).to_owned()).collect(),
        }
    }

    /// The largest request body this function takes.
    pub fn body_limit(&self, config: &Config) -> usize {
        if self.large_body { config.recordings.upload_max_bytes } else { config.max_body_bytes }
    }

    /// True when `path` is one of the function's exact paths.
    pub fn serves_exactly(&self, path: &str) -> bool {
        match self.paths {
            Paths::Bbb => path.strip_prefix(BBB_API) == Some(self.name),
            Paths::At(paths) => paths.contains(&path),
        }
    }

    /// True when `path` lies below one of the function's `/prefix/*` paths.
    pub fn serves_below(&self, path: &str) -> bool {
        let Paths::At(paths) = self.paths else { return false };
        paths
            .iter()
            .filter_map(|p| p.strip_suffix('*'))
            .any(|prefix| path.strip_prefix(prefix).is_some_and(|rest| !rest.is_empty()))
    }

    /// What it answers now because a feature it needs is off: `Some` before authentication when `early`,
    /// after it otherwise.
    fn off(&self, config: &Config, early: bool) -> Option<Outcome> {
        let off = match self.needs? {
            Feature::Recordings(off) if config.recordings.disabled => off,
            Feature::Multitenancy(off) if !config.multitenancy => off,
            Feature::MeetingList(off) if config.get_meetings_api_disabled => off,
            _ => return None,
        };
        let before_auth =
            matches!(off, Off::NotFound | Off::NoRecordings | Off::NoMeetings | Off::Page | Off::Forbidden);
        if before_auth != early {
            return None;
        }
        Some(match off {
            Off::NotFound => Err(ApiError::RecordingsNotFound.into()),
            Off::NoRecordings => Ok(api::get_recordings::none()),
            Off::NoMeetings => Ok(api::get_meetings::none()),
            Off::Page => Err(Reject::NotFound),
            Off::Forbidden => Ok(ApiResponse::text(StatusCode::FORBIDDEN, "")),
            Off::Conflict => Err(Refusal::RecordingsDisabled.into()),
            Off::Precondition => Err(Refusal::MultitenancyDisabled.into()),
        })
    }

    /// Authenticates the request as the policy says and gathers what the handler is handed.
    async fn check(&self, ctx: &Ctx, req: ApiRequest) -> Result<Call, Reject> {
        Ok(match self.auth {
            Auth::Bbb(accepts) => {
                let caller = authorize_api(ctx, &req, self.name, accepts).await?;
                Call { params: caller.params, tenant: caller.tenant, body: Value::Null, verified: Nothing, req }
            }
            Auth::Admin { signed_as } => {
                let params = authorize(ctx, &req, signed_as, Accepts::Json)?;
                let body = if req.body.is_empty() {
                    Value::Null
                } else {
                    serde_json::from_slice(&req.body).map_err(|_| Refusal::InvalidBody)?
                };
                Call { params, tenant: None, body, verified: Nothing, req }
            }
            Auth::UploadToken => {
                let claims = recordings::upload::authenticate(ctx, &req.headers).await?;
                Call { params: Params::default(), tenant: None, body: Value::Null, verified: Upload(claims), req }
            }
            Auth::FreeSwitch => {
                fsapi::authenticate(&ctx.config, &req)?;
                Call { params: request_params(&req), tenant: None, body: Value::Null, verified: Nothing, req }
            }
            Auth::StatusPage => {
                if !admin::status_page::allowed(ctx, &req) {
                    return Err(Reject::StatusPageLocked);
                }
                Call { params: Params::default(), tenant: None, body: Value::Null, verified: Nothing, req }
            }
            Auth::EndToken => {
                let params = Params::parse(req.raw_query.as_bytes());
                let meeting_id = callbacks::end_token::verified_meeting(&ctx.config.secrets, &params)?;
                Call { params, tenant: None, body: Value::Null, verified: EndOf(meeting_id), req }
            }
            Auth::ServerSigned => {
                callbacks::tokens::check_server_signed(ctx, &req).await?;
                Call { params: Params::default(), tenant: None, body: Value::Null, verified: Nothing, req }
            }
            Auth::Playback(route) => {
                let readable = playback::verify::verify(ctx, &req, route).await?;
                Call { params: Params::default(), tenant: None, body: Value::Null, verified: Playback(readable), req }
            }
            Auth::Open => {
                let params = Params::parse(req.raw_query.as_bytes());
                Call { params, tenant: None, body: Value::Null, verified: Nothing, req }
            }
        })
    }

    /// The policy, then the handler.
    async fn run(&'static self, ctx: &Ctx, req: ApiRequest) -> Outcome {
        if !self.methods.contains(&req.method) {
            return Err(ApiError::UnsupportedRequest.into());
        }
        if let Some(answer) = self.off(&ctx.config, true) {
            return answer;
        }
        let call = self.check(ctx, req).await?;
        if let Some(answer) = self.off(&ctx.config, false) {
            return answer;
        }
        (self.handler)(ctx, call).await
    }
}

/// A handler as the registry stores it: its input drawn from the checked call, then the handler.
macro_rules! handler {
    ($run:path) => {{
        fn boxed(ctx: &Ctx, call: Call) -> BoxFuture<'_, Outcome> {
            Box::pin(async move { $run(ctx, FromCall::from_call(call)?).await })
        }
        boxed as Handler
    }};
}

const MEETINGS: &[Store] = &[Store::Meetings];
const RECORDINGS: &[Store] = &[Store::Recordings];
const BOTH: &[Store] = &[Store::Meetings, Store::Recordings];
const NONE: &[Store] = &[];

const GET: &[Method] = &[Method::GET];
const POST: &[Method] = &[Method::POST];
const GET_POST: &[Method] = &[Method::GET, Method::POST];

use Accepts::{Form, FormOrXml, Xml};
use Answers::{BbbJson, Page};
use Feature::{MeetingList, Multitenancy, Recordings};

/// Every function this build serves.
#[rustfmt::skip]
pub static FUNCTIONS: &[Function] = &[
    open("index", GET_POST, &["/bigbluebutton/api", "/bigbluebutton/api/"], Answers::Xml, handler!(api::index::run)).uses(NONE),
    bbb("create", GET_POST, FormOrXml, handler!(api::create::run)).warm(),
    bbb("join", GET, Form, handler!(api::join::run)).warm(),
    bbb("end", GET_POST, Form, handler!(api::end::run)),
    bbb("isMeetingRunning", GET_POST, Form, handler!(api::is_meeting_running::run)),
    bbb("getMeetingInfo", GET_POST, Form, handler!(api::get_meeting_info::run)),
    bbb("getMeetings", GET_POST, Form, handler!(api::get_meetings::run)).needs(MeetingList(Off::NoMeetings)),
    bbb("insertDocument", POST, Xml, handler!(api::insert_document::run)),
    bbb("sendChatMessage", GET, Form, handler!(api::send_chat_message::run)),
    bbb("getRecordings", GET_POST, Form, handler!(api::get_recordings::run)).needs(Recordings(Off::NoRecordings)).uses(RECORDINGS),
    bbb("publishRecordings", GET, Form, handler!(api::publish_recordings::run)).needs(Recordings(Off::NotFound)).uses(RECORDINGS),
    bbb("updateRecordings", GET_POST, Form, handler!(api::update_recordings::run)).needs(Recordings(Off::NotFound)).uses(RECORDINGS),
    bbb("deleteRecordings", GET, Form, handler!(api::delete_recordings::run)).needs(Recordings(Off::NotFound)).uses(RECORDINGS),
    bbb("getRecordingTextTracks", GET_POST, Form, handler!(api::get_recording_text_tracks::run)).answers(BbbJson).uses(RECORDINGS),
    bbb("putRecordingTextTrack", POST, Form, handler!(api::put_recording_text_track::run)).answers(BbbJson).uses(RECORDINGS),
    open("recordingTokenLink", GET, &["/recording/*"], Page, handler!(playback::token_link::run)).auth(Auth::Playback(Route::TokenLink)).needs(Recordings(Off::Page)).uses(RECORDINGS),
    open("recordingResource", GET, &["/presentation/*", "/video/*", "/screenshare/*", "/podcast/*", "/notes/*", "/capture/*"], Page, handler!(playback::resource::run)).auth(Auth::Playback(Route::Resource)).needs(Recordings(Off::Page)).uses(RECORDINGS),
    open("recordingCaptions", GET, &["/captions/*"], Page, handler!(playback::captions::run)).auth(Auth::Playback(Route::Captions)).needs(Recordings(Off::Page)).uses(RECORDINGS),
    open("recordingAuthorize", GET, &["/scalelite/recordings/authorize"], Page, handler!(playback::authorize::run)).auth(Auth::Playback(Route::AuthRequest)).needs(Recordings(Off::Forbidden)).uses(RECORDINGS),
    open("analyticsCallback", POST, &["/bigbluebutton/api/analytics_callback"], Answers::Xml, handler!(api::analytics_callback::run)).auth(Auth::ServerSigned).uses(BOTH),
    open("endCallback", GET_POST, &["/bigbluebutton/api/end_callback"], Answers::Xml, handler!(api::end_callback::run)).auth(Auth::EndToken).uses(BOTH),
    open("health", GET_POST, &["/", "/health_check"], Answers::Xml, handler!(api::health::run)).uses(NONE),
    open("live", GET, &["/healthz", "/_/health"], Answers::Xml, handler!(api::health::live)).probe().uses(NONE),
    open("ready", GET, &["/readyz", "/_/ready"], Answers::Xml, handler!(api::health::ready)).probe().uses(NONE),
    open("metrics", GET, &["/metrics"], Answers::Xml, handler!(api::metrics::run)).internal(),
    admin("getServers", GET, &["/scalelite/api/getServers"], handler!(admin::get_servers::run)).described(&admin::get_servers::DOC),
    admin("getServerInfo", GET, &["/scalelite/api/getServerInfo"], handler!(admin::get_server_info::run)).described(&admin::get_server_info::DOC),
    admin("addServer", POST, &["/scalelite/api/addServer"], handler!(admin::add_server::run)).described(&admin::add_server::DOC),
    admin("updateServer", POST, &["/scalelite/api/updateServer"], handler!(admin::update_server::run)).described(&admin::update_server::DOC),
    admin("deleteServer", POST, &["/scalelite/api/deleteServer"], handler!(admin::delete_server::run)).described(&admin::delete_server::DOC),
    admin("panicServer", POST, &["/scalelite/api/panicServer"], handler!(admin::panic_server::run)).described(&admin::panic_server::DOC),
    admin("getPlacedMeeting", GET, &["/scalelite/api/getPlacedMeeting"], handler!(admin::get_placed_meeting::run)).described(&admin::get_placed_meeting::DOC),
    admin("getPlacedMeetings", GET, &["/scalelite/api/getPlacedMeetings"], handler!(admin::get_placed_meetings::run)).described(&admin::get_placed_meetings::DOC),
    admin("getTenants", GET, &["/scalelite/api/getTenants"], handler!(admin::get_tenants::run)).needs(Multitenancy(Off::Precondition)).described(&admin::get_tenants::DOC),
    admin("getTenantInfo", GET, &["/scalelite/api/getTenantInfo"], handler!(admin::get_tenant_info::run)).needs(Multitenancy(Off::Precondition)).described(&admin::get_tenant_info::DOC),
    admin("addTenant", POST, &["/scalelite/api/addTenant"], handler!(admin::add_tenant::run)).needs(Multitenancy(Off::Precondition)).described(&admin::add_tenant::DOC),
    admin("updateTenant", POST, &["/scalelite/api/updateTenant"], handler!(admin::update_tenant::run)).needs(Multitenancy(Off::Precondition)).described(&admin::update_tenant::DOC),
    admin("deleteTenant", POST, &["/scalelite/api/deleteTenant"], handler!(admin::delete_tenant::run)).needs(Multitenancy(Off::Precondition)).described(&admin::delete_tenant::DOC),
    admin("getTenantSettings", GET, &["/scalelite/api/getTenantSettings"], handler!(admin::get_tenant_settings::run)).needs(Multitenancy(Off::Precondition)).described(&admin::get_tenant_settings::DOC),
    admin("addTenantSetting", POST, &["/scalelite/api/addTenantSetting"], handler!(admin::add_tenant_setting::run)).needs(Multitenancy(Off::Precondition)).described(&admin::add_tenant_setting::DOC),
    admin("deleteTenantSetting", POST, &["/scalelite/api/deleteTenantSetting"], handler!(admin::delete_tenant_setting::run)).needs(Multitenancy(Off::Precondition)).described(&admin::delete_tenant_setting::DOC),
    open("status", GET, &["/scalelite/status"], Answers::Xml, handler!(admin::status_page::run)).auth(Auth::StatusPage),
    admin("poll", POST, &["/scalelite/jobs/poll"], handler!(jobs::poll::run)).internal(),
    admin("importRecordings", POST, &["/scalelite/jobs/import"], handler!(jobs::import_recordings::run)).signed_as("import").internal().uses(BOTH),
    function("fsapi", POST, Paths::At(&["/fsapi"]), Auth::FreeSwitch, Answers::Json, handler!(fsapi::run)),
    admin("uploadRecording", POST, &["/scalelite/recordings/upload"], handler!(recordings::upload::run)).upload().needs(Recordings(Off::Conflict)),
];

/// The function called `name`.
pub fn find(name: &str) -> Option<&'static Function> {
    FUNCTIONS.iter().find(|f| f.name == name)
}

/// The function serving `path`: an exact path first, then a prefix.
pub fn route(path: &str) -> Option<&'static Function> {
    FUNCTIONS.iter().find(|f| f.serves_exactly(path)).or_else(|| FUNCTIONS.iter().find(|f| f.serves_below(path)))
}

/// Runs `function` on `req` under its policy; a refusal is answered in the function's family and counted.
pub async fn call(ctx: &Ctx, function: &'static Function, req: ApiRequest) -> ApiResponse {
    let started = Instant::now();
    let (response, outcome) = match function.run(ctx, req).await {
        Ok(response) if response.status.is_redirection() => (response, Cow::Borrowed("redirect")),
        Ok(response) => (response, Cow::Borrowed("success")),
        Err(reject) => {
            let outcome = reject.outcome();
            tracing::info!(function = function.name, outcome, key = reject.key(), "answered with a refusal");
            ctx.metrics.observe_refusal(function.name, reject.key());
            (reject.respond(function.answers), Cow::Owned(outcome))
        }
    };
    ctx.metrics.observe_request(function.name, &outcome, started.elapsed().as_secs_f64());
    response
}
