//! Health: `/` and `/health_check` as upstream (plain text, always 200), and the Kubernetes probes:
//! `/healthz` (alive: the process serves) and `/readyz` (ready: the store answers, else 503).

use http::StatusCode;
use scalelite_shared::api::{ApiRequest, ApiResponse};

use crate::Ctx;
use crate::registry::Outcome;

pub async fn run(ctx: &Ctx, _req: ApiRequest) -> Outcome {
    Ok(match ctx.store.ping().await {
        Ok(()) => ApiResponse::text(StatusCode::OK, "success"),
        Err(error) => ApiResponse::text(StatusCode::OK, format!("Health Check Failure: {error}")),
    })
}

/// Liveness: the process answers.
pub async fn live(_ctx: &Ctx, _req: ApiRequest) -> Outcome {
    Ok(ApiResponse::text(StatusCode::OK, "OK"))
}

/// Readiness: the store answers.
pub async fn ready(ctx: &Ctx, _req: ApiRequest) -> Outcome {
    Ok(match ctx.store.ping().await {
        Ok(()) => ApiResponse::text(StatusCode::OK, "OK"),
        Err(error) => {
            tracing::warn!(%error, "not ready: the store does not answer");
            ApiResponse::text(StatusCode::SERVICE_UNAVAILABLE, "store unavailable")
        }
    })
}
