//! Health: `/` and `/health_check` as upstream (plain text, always 200), and the Kubernetes probes:
//! `/healthz` (alive: the process serves) and `/readyz` (ready: the stores it serves with answer, else 503;
//! a pod serving one function waits only for that function's stores).

use http::StatusCode;
use scalelite_shared::api::ApiResponse;

use scalelite_shared::store::StoreError;

use crate::Ctx;
use crate::registry::Outcome;
use crate::reject::Store;
use crate::request::Call;

/// Both stores answer.
async fn stores_answer(ctx: &Ctx) -> Result<(), StoreError> {
    ctx.servers.ping().await?;
    ctx.recordings.ping().await
}

pub async fn run(ctx: &Ctx, _: Call) -> Outcome {
    Ok(match stores_answer(ctx).await {
        Ok(()) => ApiResponse::text(StatusCode::OK, "success"),
        Err(error) => ApiResponse::text(StatusCode::OK, format!("Health Check Failure: {error}")),
    })
}

/// Liveness: the process answers.
pub async fn live(_ctx: &Ctx, _: Call) -> Outcome {
    Ok(ApiResponse::text(StatusCode::OK, "OK"))
}

/// The stores this process serves with answer.
async fn serving_stores_answer(ctx: &Ctx) -> Result<(), StoreError> {
    for store in ctx.ready_on {
        match store {
            Store::Recordings => ctx.recordings.ping().await?,
            Store::Meetings | Store::Servers | Store::Tenants => ctx.servers.ping().await?,
        }
    }
    Ok(())
}

/// Readiness: the stores this process serves with answer.
pub async fn ready(ctx: &Ctx, _: Call) -> Outcome {
    Ok(match serving_stores_answer(ctx).await {
        Ok(()) => ApiResponse::text(StatusCode::OK, "OK"),
        Err(error) => {
            tracing::warn!(%error, "not ready: the store does not answer");
            ApiResponse::text(StatusCode::SERVICE_UNAVAILABLE, "store unavailable")
        }
    })
}
