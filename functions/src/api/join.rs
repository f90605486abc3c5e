//! `join` (GET only): a 302 to the meeting's server with a freshly signed join URL.

use scalelite_shared::api::{ApiRequest, ApiResponse};
use scalelite_shared::bbb::error::ApiError;
use scalelite_shared::store::JoinTarget;

use super::{forwarded, store_failure, target};
use crate::Ctx;
use crate::registry::Outcome;
use crate::request::{Accepts, authorize, meeting_id};

pub async fn run(ctx: &Ctx, req: ApiRequest) -> Outcome {
    let params = authorize(ctx, &req, "join", Accepts::Form)?;
    let id = meeting_id(&params)?;
    let server = match ctx.store.join_meeting(id).await.map_err(store_failure)? {
        JoinTarget::Server(server) => server,
        JoinTarget::NoMeeting => return Err(ApiError::MeetingNotFound),
        JoinTarget::Unavailable => return Err(ApiError::ServerUnavailable),
    };
    let config = &ctx.config;
    let forward =
        forwarded(&params, &config.join_exclude_params, &config.default_join_params, &config.override_join_params);
    Ok(ApiResponse::redirect(&ctx.bbb.signed_url(target(&server), "join", &forward.encode())))
}
