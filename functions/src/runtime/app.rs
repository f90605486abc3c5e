//! Routing, once per request, for every runtime adapter (hyper, Lambda): which function answers a path, how
//! large a body it takes, and whether an upload is refused before its body is read.

use std::sync::Arc;

use scalelite_shared::api::{ApiRequest, ApiResponse};
use scalelite_shared::bbb::error::ApiError;

use crate::Ctx;
use crate::registry::{self, Auth, Exposure, Function};

/// Which functions a process serves.
#[derive(Clone, Copy)]
pub enum Mode {
    /// Every function, routed by path (the local runtime, an "all verbs" service).
    All,
    /// One function whatever the path, besides the probes (a per-verb Knative service, an OpenFaaS function,
    /// a Lambda).
    One(&'static Function),
}

/// How a request's body is taken (see [`App::body_policy`]).
pub struct BodyPolicy {
    pub limit: usize,
    pub streamed: bool,
}

/// A served application: the shared context and the functions it exposes.
pub struct App {
    pub ctx: Arc<Ctx>,
    pub mode: Mode,
}

impl App {
    /// The function that serves `path`: routed by path, or the deployment's one function (or a probe).
    pub fn route(&self, path: &str) -> Option<&'static Function> {
        match self.mode {
            Mode::All => registry::route(path),
            Mode::One(function) => {
                let mut probes = registry::FUNCTIONS.iter().filter(|f| f.exposure == Exposure::Probe);
                Some(probes.find(|probe| probe.serves_exactly(path)).unwrap_or(function))
            }
        }
    }

    /// Answers one request; a path no function serves is `unsupportedRequest`.
    pub async fn handle(&self, req: ApiRequest) -> ApiResponse {
        match self.route(&req.path) {
            Some(function) => registry::call(&self.ctx, function, req).await,
            None => ApiError::UnsupportedRequest.into(),
        }
    }

    /// The refusal of an upload whose token does not pass, answered before its (large) body is read.
    pub async fn refuse_before_body(&self, parts: &http::request::Parts) -> Option<ApiResponse> {
        let function = self.route(parts.uri.path())?;
        if function.auth != Auth::UploadToken || !function.methods.contains(&parts.method) {
            return None;
        }
        let refused = crate::recordings::upload::authenticate(&self.ctx, &parts.headers).await.err()?;
        Some(refused.respond(function.answers))
    }

    /// How a request's body is taken: its largest size, and whether the function reads it as it arrives (an
    /// upload) rather than gathered.
    pub fn body_policy(&self, parts: &http::request::Parts) -> BodyPolicy {
        let config = &self.ctx.config;
        match self.route(parts.uri.path()) {
            Some(function) => BodyPolicy {
                limit: function.body_limit(config),
                streamed: function.large_body && function.methods.contains(&parts.method),
            },
            None => BodyPolicy { limit: config.max_body_bytes, streamed: false },
        }
    }
}
