//! The admin API (`/scalelite/api/*`): JSON in and out, the load-balancer secrets' checksum as for BBB calls.

pub mod add_server;
pub mod add_tenant;
pub mod add_tenant_setting;
pub mod bodies;
pub mod delete_server;
pub mod delete_tenant;
pub mod delete_tenant_setting;
pub mod get_placed_meeting;
pub mod get_placed_meetings;
pub mod get_server_info;
pub mod get_servers;
pub mod get_tenant_info;
pub mod get_tenant_settings;
pub mod get_tenants;
pub mod panic_server;
mod placed_meeting;
pub mod status_page;
mod status_template;
mod tenant_common;
pub mod update_server;
pub mod update_tenant;

use http::StatusCode;
use scalelite_shared::api::ApiResponse;
use scalelite_shared::model::Server;
use serde_json::{Value, json};

use crate::refusal::Refusal;
use crate::reject::Reject;

pub(crate) fn reply(status: StatusCode, value: &Value) -> ApiResponse {
    ApiResponse::json(status, value.to_string())
}

pub(crate) fn server_not_found(id: &str) -> Reject {
    Refusal::ServerNotFound(id.to_owned()).into()
}

/// The server object of the admin API, as upstream's; a server's limits only where it has them.
pub(crate) fn server_json(server: &Server) -> Value {
    let mut json = json!({
        "id": server.id,
        "url": server.url,
        "secret": server.secret,
        "tag": server.tag.clone().unwrap_or_default(),
        "bbb_version": server.bbb_version.clone().unwrap_or_default(),
        "state": server.state.as_str(),
        "load": server.load.map_or_else(|| json!("unavailable"), |load| json!(load)),
        "load_multiplier": server.load_multiplier_text(),
        "online": if server.online { "online" } else { "offline" },
    });
    for (name, limit) in [("max_meetings", server.max_meetings), ("max_participants", server.max_participants)] {
        if let Some(limit) = limit {
            json[name] = json!(limit);
        }
    }
    json
}
