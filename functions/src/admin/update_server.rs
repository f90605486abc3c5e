//! `updateServer`: state (enable, cordon, disable), load multiplier, secret, tag and limits.

use http::StatusCode;
use scalelite_shared::model::{ServerState, ServerUpdate};

use super::answers::ServerObject;
use super::bodies::{Body, Multiplier, UpdateServer};
use super::described::{Answer, Described, schema};
use super::{reply, server_not_found};
use crate::Ctx;
use crate::refusal::Refusal;
use crate::registry::Outcome;
use crate::reject::{Reject, Store};

fn state(action: &str) -> Option<ServerState> {
    match action {
        "enable" => Some(ServerState::Enabled),
        "cordon" => Some(ServerState::Cordoned),
        "disable" => Some(ServerState::Disabled),
        _ => None,
    }
}

/// How the OpenAPI document describes it.
pub const DOC: Described = Described {
    summary: "Changes a server's state (`enable`, `cordon`, `disable`), load multiplier, secret, tag or limits.",
    query: &[],
    body: Some(schema::<UpdateServer>),
    answers: &[
        Answer::success(StatusCode::OK, "The server as changed.", schema::<ServerObject>),
        Answer::refused(
            StatusCode::BAD_REQUEST,
            "An unknown state, a load multiplier that is not a non-zero number, or a limit that is not a whole number.",
        ),
        Answer::refused(StatusCode::NOT_FOUND, "No server has this id."),
    ],
};

pub async fn run(ctx: &Ctx, Body(UpdateServer { id, server: fields }): Body<UpdateServer>) -> Outcome {
    let id = id.unwrap_or_default();
    let mut update = ServerUpdate::default();
    if let Some(action) = fields.state {
        match state(&action) {
            Some(state) => update.state = Some(state),
            None => return Err(Refusal::InvalidState(action).into()),
        }
    }
    match fields.load_multiplier {
        Multiplier::Valid(multiplier) => update.load_multiplier = Some(multiplier),
        Multiplier::Invalid => return Err(Refusal::InvalidLoadMultiplier.into()),
        Multiplier::Absent => {}
    }
    update.max_meetings = fields.max_meetings.change("max_meetings")?;
    update.max_participants = fields.max_participants.change("max_participants")?;
    update.secret = fields.secret.filter(|s| !s.is_empty());
    update.tag = fields.tag.map(|tag| (!tag.is_empty()).then_some(tag));
    match ctx.servers.update_server(&id, &update).await.map_err(Reject::store(Store::Servers))? {
        Some(server) => Ok(reply(StatusCode::OK, &ServerObject::of(&server))),
        None => Err(server_not_found(&id)),
    }
}
