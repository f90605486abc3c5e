//! `panicServer`: forgets and ends every meeting of a server, then disables it (unless `keep_state`).

use http::StatusCode;
use scalelite_shared::api::ApiRequest;
use scalelite_shared::model::{ServerState, ServerUpdate};
use serde_json::{Value, json};

use super::{error, id_of, input, reply, server_not_found};
use crate::Ctx;
use crate::api::store_failure;
use crate::jobs::release::end_meetings;
use crate::registry::Outcome;

pub async fn run(ctx: &Ctx, req: ApiRequest) -> Outcome {
    let input = match input(ctx, &req, "panicServer")? {
        Ok(input) => input,
        Err(response) => return Ok(response),
    };
    let id = id_of(&input.body).unwrap_or_default();
    let keep_state = matches!(input.body.get("keep_state"), Some(Value::Bool(true)))
        || input.body.get("keep_state").and_then(Value::as_str) == Some("true");
    let Some(server) = ctx.store.server(&id).await.map_err(store_failure)? else {
        return Ok(server_not_found(&id));
    };
    let mut meetings = Vec::new();
    for meeting in ctx.store.meetings_on(&id).await.map_err(store_failure)? {
        if let Some(meeting) = ctx.store.delete_meeting(&meeting.id).await.map_err(store_failure)? {
            meetings.push(meeting);
        }
    }
    let all_ended = end_meetings(ctx, &server, &meetings).await;
    if !keep_state {
        let update = ServerUpdate { state: Some(ServerState::Disabled), ..ServerUpdate::default() };
        ctx.store.update_server(&id, &update).await.map_err(store_failure)?;
    }
    Ok(if all_ended {
        reply(
            StatusCode::OK,
            &json!({ "success": format!("Server id={id} has been disabled and the meetings have been destroyed") }),
        )
    } else {
        error(StatusCode::BAD_REQUEST, &format!("Couldn't disable server id={id}"))
    })
}
