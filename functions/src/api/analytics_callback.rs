//! `POST analytics_callback` (no checksum; the registry checks its token against the servers' secrets): a BBB
//! server's analytics, forwarded to the URL the front-end gave at create. Always 204: failures are only
//! logged.

use http::StatusCode;
use http::header::{AUTHORIZATION, CONTENT_TYPE, USER_AGENT};
use jsonwebtoken::Algorithm;
use scalelite_shared::api::{ApiRequest, ApiResponse};
use scalelite_shared::store::StoreError;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::Ctx;
use crate::callbacks::{each_secret, secrets_of, tokens};
use crate::registry::Outcome;
use crate::reject::Reject;
use crate::request::Call;
use crate::tenancy::tenant_of;

/// How long the token sent on to the front-end is valid.
const TOKEN_LIFETIME_SECS: u64 = 24 * 60 * 60;

#[derive(Serialize)]
struct Expiry {
    exp: u64,
}

/// Why analytics were not forwarded.
#[derive(Debug, thiserror::Error)]
enum NotForwarded {
    #[error("the body is not a JSON object: {0}")]
    NotAnObject(serde_json::Error),
    #[error("no meeting_id")]
    NoMeetingId,
    #[error("cannot read callbacks: {0}")]
    Callbacks(StoreError),
    #[error("no analytics URL for the meeting")]
    NoUrl,
    #[error("cannot read the tenant: {}", .0.outcome())]
    Tenant(Reject),
    #[error("{0}")]
    Encoding(serde_json::Error),
}

async fn forward(ctx: &Ctx, req: &ApiRequest) -> Result<(), NotForwarded> {
    let mut body: Map<String, Value> = serde_json::from_slice(&req.body).map_err(NotForwarded::NotAnObject)?;
    let meeting_id = body.get("meeting_id").and_then(Value::as_str).ok_or(NotForwarded::NoMeetingId)?.to_owned();
    let callbacks = ctx.kept_callbacks.find(&*ctx.callbacks, &meeting_id).await.map_err(NotForwarded::Callbacks)?;
    let url = callbacks.and_then(|c| c.analytics_callback_url).ok_or(NotForwarded::NoUrl)?;
    // A tenant's meetings were given the tenant's host for this callback.
    let tenant = tenant_of(ctx, req).await.map_err(NotForwarded::Tenant)?;
    let customer = tenant.as_ref().map_or("scalelite", |t| t.name.as_str());
    body.insert("customer".into(), Value::String(customer.to_owned()));
    let payload = serde_json::to_vec(&body).map_err(NotForwarded::Encoding)?;
    let expiry = Expiry { exp: jsonwebtoken::get_current_timestamp() + TOKEN_LIFETIME_SECS };
    let request = |secret: &str| {
        let token = tokens::sign(Algorithm::HS512, &expiry, secret)?;
        Some(
            ctx.http
                .get()
                .post(&url)
                .header(CONTENT_TYPE, "application/json")
                .header(USER_AGENT, "BigBlueButton Analytics Callback")
                .header(AUTHORIZATION, format!("Bearer {token}"))
                .body(payload.clone()),
        )
    };
    let secrets = secrets_of(ctx, tenant.as_ref());
    each_secret(&secrets, "analytics", &url, request, |status| status.is_success()).await;
    Ok(())
}

pub async fn run(ctx: &Ctx, Call { req, .. }: Call) -> Outcome {
    if let Err(reason) = forward(ctx, &req).await {
        tracing::info!(%reason, "analytics callback not forwarded");
    }
    Ok(ApiResponse::empty(StatusCode::NO_CONTENT))
}
