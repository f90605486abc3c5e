//! `/` and `/health_check`: plain-text `success` when the store answers.

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
