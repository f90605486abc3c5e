//! The admin API (`/scalelite/api/*`): JSON in and out, the load-balancer secrets' checksum as for BBB calls.

pub mod add_server;
pub mod add_tenant;
pub mod add_tenant_setting;
pub mod answers;
pub mod bodies;
pub mod delete_server;
pub mod delete_tenant;
pub mod delete_tenant_setting;
pub mod described;
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
use serde::Serialize;

use crate::refusal::Refusal;
use crate::reject::Reject;

/// A JSON answer (its types hold strings, numbers and flags only, so serialising cannot fail).
pub(crate) fn reply(status: StatusCode, value: &impl Serialize) -> ApiResponse {
    ApiResponse::json(status, serde_json::to_vec(value).unwrap_or_default())
}

pub(crate) fn server_not_found(id: &str) -> Reject {
    Refusal::ServerNotFound(id.to_owned()).into()
}
