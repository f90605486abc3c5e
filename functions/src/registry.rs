//! The one list of functions: name, methods, paths and handler. Adding a BBB verb is one file and one line here.

use std::time::Instant;

use futures::future::BoxFuture;
use http::Method;
use scalelite_shared::api::{ApiRequest, ApiResponse};
use scalelite_shared::bbb::error::ApiError;

use scalelite_shared::config::Config;

use crate::{Ctx, admin, api, jobs, playback, recordings};

/// What every handler returns; errors become the BBB XML error document.
pub type Outcome = Result<ApiResponse, ApiError>;

/// A handler as the registry stores it.
pub type Handler = for<'a> fn(&'a Ctx, ApiRequest) -> BoxFuture<'a, Outcome>;

/// One function: a BBB verb, an admin action or a job.
pub struct Function {
    pub name: &'static str,
    pub methods: &'static [Method],
    /// Exact paths, or prefixes written `/prefix/*` (anything below `/prefix/`).
    pub paths: &'static [&'static str],
    pub handler: Handler,
}

/// The function BBB servers upload recording tars to; it takes bodies up to `RECORDING_UPLOAD_MAX_BYTES`.
pub(crate) const UPLOAD_RECORDING: &str = "uploadRecording";

impl Function {
    /// The largest request body this function takes.
    pub fn body_limit(&self, config: &Config) -> usize {
        if self.name == UPLOAD_RECORDING { config.recordings.upload_max_bytes } else { config.max_body_bytes }
    }

    /// True when `path` is one of the function's exact paths.
    pub fn serves_exactly(&self, path: &str) -> bool {
        self.paths.contains(&path)
    }

    /// True when `path` lies below one of the function's `/prefix/*` paths.
    pub fn serves_below(&self, path: &str) -> bool {
        self.paths
            .iter()
            .filter_map(|p| p.strip_suffix('*'))
            .any(|prefix| path.strip_prefix(prefix).is_some_and(|rest| !rest.is_empty()))
    }
}

macro_rules! handler {
    ($run:path) => {{
        fn boxed(ctx: &Ctx, req: ApiRequest) -> BoxFuture<'_, Outcome> {
            Box::pin($run(ctx, req))
        }
        boxed as Handler
    }};
}

const GET: &[Method] = &[Method::GET];
const POST: &[Method] = &[Method::POST];
const GET_POST: &[Method] = &[Method::GET, Method::POST];

/// Every function this build serves.
pub static FUNCTIONS: &[Function] = &[
    Function {
        name: "index",
        methods: GET_POST,
        paths: &["/bigbluebutton/api", "/bigbluebutton/api/"],
        handler: handler!(api::index::run),
    },
    Function {
        name: "create",
        methods: GET_POST,
        paths: &["/bigbluebutton/api/create"],
        handler: handler!(api::create::run),
    },
    Function { name: "join", methods: GET, paths: &["/bigbluebutton/api/join"], handler: handler!(api::join::run) },
    Function { name: "end", methods: GET_POST, paths: &["/bigbluebutton/api/end"], handler: handler!(api::end::run) },
    Function {
        name: "isMeetingRunning",
        methods: GET_POST,
        paths: &["/bigbluebutton/api/isMeetingRunning"],
        handler: handler!(api::is_meeting_running::run),
    },
    Function {
        name: "getMeetingInfo",
        methods: GET_POST,
        paths: &["/bigbluebutton/api/getMeetingInfo"],
        handler: handler!(api::get_meeting_info::run),
    },
    Function {
        name: "getMeetings",
        methods: GET_POST,
        paths: &["/bigbluebutton/api/getMeetings"],
        handler: handler!(api::get_meetings::run),
    },
    Function {
        name: "insertDocument",
        methods: POST,
        paths: &["/bigbluebutton/api/insertDocument"],
        handler: handler!(api::insert_document::run),
    },
    Function {
        name: "getRecordings",
        methods: GET_POST,
        paths: &["/bigbluebutton/api/getRecordings"],
        handler: handler!(api::get_recordings::run),
    },
    Function {
        name: "publishRecordings",
        methods: GET,
        paths: &["/bigbluebutton/api/publishRecordings"],
        handler: handler!(api::publish_recordings::run),
    },
    Function {
        name: "updateRecordings",
        methods: GET_POST,
        paths: &["/bigbluebutton/api/updateRecordings"],
        handler: handler!(api::update_recordings::run),
    },
    Function {
        name: "deleteRecordings",
        methods: GET,
        paths: &["/bigbluebutton/api/deleteRecordings"],
        handler: handler!(api::delete_recordings::run),
    },
    Function {
        name: "getRecordingTextTracks",
        methods: GET_POST,
        paths: &["/bigbluebutton/api/getRecordingTextTracks"],
        handler: handler!(api::get_recording_text_tracks::run),
    },
    Function {
        name: "putRecordingTextTrack",
        methods: POST,
        paths: &["/bigbluebutton/api/putRecordingTextTrack"],
        handler: handler!(api::put_recording_text_track::run),
    },
    Function {
        name: "recordingTokenLink",
        methods: GET,
        paths: &["/recording/*"],
        handler: handler!(playback::token_link::run),
    },
    Function {
        name: "recordingResource",
        methods: GET,
        paths: &["/presentation/*", "/video/*", "/screenshare/*", "/podcast/*", "/notes/*", "/capture/*"],
        handler: handler!(playback::resource::run),
    },
    Function {
        name: "recordingCaptions",
        methods: GET,
        paths: &["/captions/*"],
        handler: handler!(playback::captions::run),
    },
    Function {
        name: "recordingAuthorize",
        methods: GET,
        paths: &["/scalelite/recordings/authorize"],
        handler: handler!(playback::authorize::run),
    },
    Function {
        name: "analyticsCallback",
        methods: POST,
        paths: &["/bigbluebutton/api/analytics_callback"],
        handler: handler!(api::analytics_callback::run),
    },
    Function {
        name: "endCallback",
        methods: GET_POST,
        paths: &["/bigbluebutton/api/end_callback"],
        handler: handler!(api::end_callback::run),
    },
    Function { name: "health", methods: GET_POST, paths: &["/", "/health_check"], handler: handler!(api::health::run) },
    Function { name: "live", methods: GET, paths: &["/healthz", "/_/health"], handler: handler!(api::health::live) },
    Function { name: "ready", methods: GET, paths: &["/readyz", "/_/ready"], handler: handler!(api::health::ready) },
    Function { name: "metrics", methods: GET, paths: &["/metrics"], handler: handler!(api::metrics::run) },
    Function {
        name: "getServers",
        methods: GET,
        paths: &["/scalelite/api/getServers"],
        handler: handler!(admin::get_servers::run),
    },
    Function {
        name: "getServerInfo",
        methods: GET,
        paths: &["/scalelite/api/getServerInfo"],
        handler: handler!(admin::get_server_info::run),
    },
    Function {
        name: "addServer",
        methods: POST,
        paths: &["/scalelite/api/addServer"],
        handler: handler!(admin::add_server::run),
    },
    Function {
        name: "updateServer",
        methods: POST,
        paths: &["/scalelite/api/updateServer"],
        handler: handler!(admin::update_server::run),
    },
    Function {
        name: "deleteServer",
        methods: POST,
        paths: &["/scalelite/api/deleteServer"],
        handler: handler!(admin::delete_server::run),
    },
    Function {
        name: "panicServer",
        methods: POST,
        paths: &["/scalelite/api/panicServer"],
        handler: handler!(admin::panic_server::run),
    },
    Function {
        name: "getTenants",
        methods: GET,
        paths: &["/scalelite/api/getTenants"],
        handler: handler!(admin::get_tenants::run),
    },
    Function {
        name: "getTenantInfo",
        methods: GET,
        paths: &["/scalelite/api/getTenantInfo"],
        handler: handler!(admin::get_tenant_info::run),
    },
    Function {
        name: "addTenant",
        methods: POST,
        paths: &["/scalelite/api/addTenant"],
        handler: handler!(admin::add_tenant::run),
    },
    Function {
        name: "updateTenant",
        methods: POST,
        paths: &["/scalelite/api/updateTenant"],
        handler: handler!(admin::update_tenant::run),
    },
    Function {
        name: "deleteTenant",
        methods: POST,
        paths: &["/scalelite/api/deleteTenant"],
        handler: handler!(admin::delete_tenant::run),
    },
    Function {
        name: "status",
        methods: GET,
        paths: &["/scalelite/status"],
        handler: handler!(admin::status_page::run),
    },
    Function { name: "poll", methods: POST, paths: &["/scalelite/jobs/poll"], handler: handler!(jobs::poll::run) },
    Function {
        name: "importRecordings",
        methods: POST,
        paths: &["/scalelite/jobs/import"],
        handler: handler!(jobs::import_recordings::run),
    },
    Function {
        name: UPLOAD_RECORDING,
        methods: POST,
        paths: &["/scalelite/recordings/upload"],
        handler: handler!(recordings::upload::run),
    },
];

/// The function called `name`.
pub fn find(name: &str) -> Option<&'static Function> {
    FUNCTIONS.iter().find(|f| f.name == name)
}

/// Runs `function` on `req`, or answers `unsupportedRequest` if it does not take the method.
pub async fn call(ctx: &Ctx, function: &'static Function, req: ApiRequest) -> ApiResponse {
    if !function.methods.contains(&req.method) {
        ctx.metrics.observe_request(function.name, ApiError::UnsupportedRequest.message_key(), 0.0);
        return ApiError::UnsupportedRequest.into();
    }
    let started = Instant::now();
    let (response, outcome) = match (function.handler)(ctx, req).await {
        Ok(response) if response.status.is_redirection() => (response, "redirect".to_owned()),
        Ok(response) => (response, "success".to_owned()),
        Err(error) => {
            tracing::info!(function = function.name, key = error.message_key(), "answered with an error");
            let key = error.message_key().to_owned();
            (error.into(), key)
        }
    };
    ctx.metrics.observe_request(function.name, &outcome, started.elapsed().as_secs_f64());
    response
}

/// The function serving `path`: an exact path first, then a prefix.
pub fn route(path: &str) -> Option<&'static Function> {
    FUNCTIONS.iter().find(|f| f.serves_exactly(path)).or_else(|| FUNCTIONS.iter().find(|f| f.serves_below(path)))
}
