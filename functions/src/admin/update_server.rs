//! `updateServer`: state (enable, cordon, disable), load multiplier, secret and tag.

use http::StatusCode;
use scalelite_shared::model::{ServerState, ServerUpdate};
use serde_json::Value;

use super::{id_of, load_multiplier, reply, server_json, server_not_found};
use crate::Ctx;
use crate::refusal::Refusal;
use crate::registry::Outcome;
use crate::reject::{Reject, Store};
use crate::request::Call;

fn state(action: &str) -> Option<ServerState> {
    match action {
        "enable" => Some(ServerState::Enabled),
        "cordon" => Some(ServerState::Cordoned),
        "disable" => Some(ServerState::Disabled),
        _ => None,
    }
}

pub async fn run(ctx: &Ctx, input: Call) -> Outcome {
    let id = id_of(&input.body).unwrap_or_default();
    let fields = input.body.get("server").cloned().unwrap_or(Value::Null);
    let mut update = ServerUpdate::default();
    if let Some(action) = fields.get("state").filter(|v| !v.is_null()) {
        let action = action.as_str().unwrap_or_default();
        match state(action) {
            Some(state) => update.state = Some(state),
            None => {
                return Err(Refusal::InvalidState(action.to_owned()).into());
            }
        }
    }
    match load_multiplier(fields.get("load_multiplier")) {
        Some(Some(multiplier)) => update.load_multiplier = Some(multiplier),
        Some(None) => {
            return Err(Refusal::InvalidLoadMultiplier.into());
        }
        None => {}
    }
    if let Some(secret) = fields.get("secret").and_then(Value::as_str).filter(|s| !s.is_empty()) {
        update.secret = Some(secret.to_owned());
    }
    if let Some(tag) = fields.get("tag").and_then(Value::as_str) {
        update.tag = Some((!tag.is_empty()).then(|| tag.to_owned()));
    }
    match ctx.servers.update_server(&id, &update).await.map_err(Reject::store(Store::Servers))? {
        Some(server) => Ok(reply(StatusCode::OK, &server_json(&server))),
        None => Err(server_not_found(&id)),
    }
}
