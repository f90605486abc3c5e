//! `join` (GET only): a 302 to the meeting's server with a freshly signed join URL.

use scalelite_shared::api::{ApiRequest, ApiResponse};
use scalelite_shared::bbb::error::ApiError;

use scalelite_shared::model::Server;

use super::{forwarded, store_failure, target};
use crate::Ctx;
use crate::registry::Outcome;
use crate::request::{Accepts, authorize, meeting_id};

pub async fn run(ctx: &Ctx, req: ApiRequest) -> Outcome {
    let params = authorize(ctx, &req, "join", Accepts::Form)?;
    let id = meeting_id(&params)?;
    let meeting = ctx
        .store
        .meeting(id)
        .await
        .map_err(store_failure)?
        .ok_or(ApiError::MeetingNotFound)?;
    let server = ctx
        .store
        .server(&meeting.server_id)
        .await
        .map_err(store_failure)?;
    let server = server
        .filter(Server::accepts_joins)
        .ok_or(ApiError::ServerUnavailable)?;
    if let Err(error) = ctx.store.add_participant_load(&server.id).await {
        tracing::warn!(%error, server = %server.id, "could not count the join in the server's load");
    }
    let config = &ctx.config;
    let forward = forwarded(
        &params,
        &config.join_exclude_params,
        &config.default_join_params,
        &config.override_join_params,
    );
    Ok(ApiResponse::redirect(&ctx.bbb.signed_url(
        target(&server),
        "join",
        &forward.encode(),
    )))
}
