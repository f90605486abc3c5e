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

pub async fn run(ctx: &Ctx, _: Call) -> Outcome {
    Ok(match stores_answer(ctx, &[Store::Meetings, Store::Recordings]).await {
        Ok(()) => ApiResponse::text(StatusCode::OK, "success"),
        Err(error) => ApiResponse::text(StatusCode::OK, format!("Health Check Failure: {error}")),
    })
}

/// Liveness: the process answers.
pub async fn live(_ctx: &Ctx, _: Call) -> Outcome {
    Ok(ApiResponse::text(StatusCode::OK, "OK"))
}

/// The `stores` answer.
async fn stores_answer(ctx: &Ctx, stores: &[Store]) -> Result<(), StoreError> {
    for store in stores {
        match store {
            Store::Recordings => ctx.recordings.ping().await?,
            Store::Meetings | Store::Servers | Store::Tenants => ctx.servers.ping().await?,
        }
    }
    Ok(())
}

/// Readiness: the stores this process serves with answer.
pub async fn ready(ctx: &Ctx, _: Call) -> Outcome {
    Ok(match stores_answer(ctx, ctx.ready_on).await {
        Ok(()) => ApiResponse::text(StatusCode::OK, "OK"),
        Err(error) => {
            tracing::warn!(%error, "not ready: the store does not answer");
            ApiResponse::text(StatusCode::SERVICE_UNAVAILABLE, "store unavailable")
        }
    })
}
