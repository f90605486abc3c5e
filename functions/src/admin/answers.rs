//! What the admin actions answer, as types: the handlers serialise these, and the OpenAPI document derives its
//! schemas from them, so the two cannot part.

use scalelite_shared::model::{Lrs, Server, Tenant, TenantSetting};
use serde::Serialize;
use utoipa::ToSchema;

/// A BBB server as the admin API shows it.
#[derive(Serialize, ToSchema)]
pub struct ServerObject {
    pub id: String,
    /// Its API URL, ending in `/bigbluebutton/api`.
    pub url: String,
    pub secret: String,
    /// Blank for none.
    pub tag: String,
    /// Blank until a poll has read it.
    pub bbb_version: String,
    /// `enabled`, `cordoned` or `disabled`.
    pub state: String,
    pub load: Load,
    /// The load multiplier as text (`1.0`, `2.5`).
    pub load_multiplier: String,
    pub online: Online,
    /// The most meetings it takes; only where it has such a limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_meetings: Option<u64>,
    /// The most participants its last poll may count while it takes new meetings; only where it has such a
    /// limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_participants: Option<u64>,
}

impl ServerObject {
    pub fn of(server: &Server) -> Self {
        Self {
            id: server.id.clone(),
            url: server.url.clone(),
            secret: server.secret.clone(),
            tag: server.tag.clone().unwrap_or_default(),
            bbb_version: server.bbb_version.clone().unwrap_or_default(),
            state: server.state.as_str().to_owned(),
            load: server.load.map_or(Load::Unavailable(Unavailable::Unavailable), Load::Reported),
            load_multiplier: server.load_multiplier_text(),
            online: if server.online { Online::Online } else { Online::Offline },
            max_meetings: server.max_meetings,
            max_participants: server.max_participants,
        }
    }
}

/// A server's load: its participants times its multiplier, or `"unavailable"` until a poll has read it.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum Load {
    Reported(f64),
    Unavailable(Unavailable),
}

/// The load of a server no poll has read yet.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Unavailable {
    Unavailable,
}

/// Whether the last polls reached the server.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Online {
    Online,
    Offline,
}

/// Every server (`getServers`).
#[derive(Serialize, ToSchema)]
pub struct Servers(pub Vec<ServerObject>);

/// A tenant: its id, name and `:`-separated secrets, the limits it has, then (from `getTenantInfo`, `addTenant`
/// and `updateTenant`) the Learning Record Store fields it has.
#[derive(Serialize, ToSchema)]
pub struct TenantObject {
    pub id: String,
    pub name: String,
    pub secrets: String,
    /// The most meetings it may have at once; only where it has such a limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_meetings: Option<u64>,
    /// The most participants its meetings may have together; only where it has such a limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_participants: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lrs_endpoint: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lrs_username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lrs_password: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kc_token_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kc_client_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kc_client_secret: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kc_username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kc_password: Option<String>,
}

impl TenantObject {
    /// A tenant as `getTenants` lists it: no LRS fields.
    pub fn summary(tenant: &Tenant) -> Self {
        Self::with_lrs(tenant, None)
    }

    /// A tenant whole, with the LRS fields it has.
    pub fn whole(tenant: &Tenant) -> Self {
        Self::with_lrs(tenant, tenant.lrs.as_ref())
    }

    fn with_lrs(tenant: &Tenant, lrs: Option<&Lrs>) -> Self {
        let [
            lrs_endpoint,
            lrs_username,
            lrs_password,
            kc_token_url,
            kc_client_id,
            kc_client_secret,
            kc_username,
            kc_password,
        ] = Lrs::fields(lrs).map(|(_, value)| value.map(str::to_owned));
        Self {
            id: tenant.id.clone(),
            name: tenant.name.clone(),
            secrets: tenant.stored_secrets(),
            max_meetings: tenant.max_meetings,
            max_participants: tenant.max_participants,
            lrs_endpoint,
            lrs_username,
            lrs_password,
            kc_token_url,
            kc_client_id,
            kc_client_secret,
            kc_username,
            kc_password,
        }
    }
}

/// `{"tenant": {...}}`: what `addTenant` and `updateTenant` answer.
#[derive(Serialize, ToSchema)]
pub struct TenantAnswer {
    pub tenant: TenantObject,
}

/// Every tenant (`getTenants`), or a message when there is none.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum Tenants {
    Listed(Vec<TenantObject>),
    None(Message),
}

/// A create or join parameter a tenant sets, with upstream's field names.
#[derive(Serialize, ToSchema)]
pub struct SettingObject {
    pub id: String,
    pub tenant_id: String,
    pub param: String,
    pub value: String,
    /// True: above the client's parameter; false: a default below it.
    #[serde(rename = "override")]
    pub override_: bool,
}

impl SettingObject {
    pub fn of(setting: &TenantSetting) -> Self {
        Self {
            id: setting.id.clone(),
            tenant_id: setting.tenant_id.clone(),
            param: setting.param.clone(),
            value: setting.value.clone(),
            override_: setting.override_,
        }
    }
}

/// `{"setting": {...}}`: what `addTenantSetting` answers.
#[derive(Serialize, ToSchema)]
pub struct SettingAnswer {
    pub setting: SettingObject,
}

/// The settings of one tenant or of all (`getTenantSettings`), or a message when there is none.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum TenantSettings {
    Listed(Vec<SettingObject>),
    None(Message),
}

/// A placed meeting: which server holds it, for which tenant, since when.
#[derive(Serialize, ToSchema)]
pub struct PlacedMeeting {
    pub meeting_id: String,
    pub voice_bridge: String,
    /// When it was placed, in milliseconds since the epoch (as BBB's `createTime`).
    pub created_at: i64,
    /// The last poll's count plus the joins since.
    pub participants: u64,
    /// `null` for a meeting of the main domain.
    pub tenant: Option<MeetingTenant>,
    /// `null` once the server is removed.
    pub server: Option<ServerObject>,
}

/// The tenant of a placed meeting.
#[derive(Serialize, ToSchema)]
pub struct MeetingTenant {
    pub id: String,
    /// `null` once the tenant is removed.
    pub name: Option<String>,
}

/// A page of placed meetings (`getPlacedMeetings`), ordered by meetingID.
#[derive(Serialize, ToSchema)]
pub struct PlacedMeetings {
    pub meetings: Vec<PlacedMeeting>,
    /// Every match, not only this page's.
    pub total: usize,
    pub offset: u64,
    /// `null` without a limit: every meeting after `offset`.
    pub limit: Option<u64>,
}

/// `{"success": ...}`: what a removal answers.
#[derive(Serialize, ToSchema)]
pub struct Success {
    pub success: String,
}

/// `{"message": ...}`: an empty listing, or one of the refusals upstream words so.
#[derive(Debug, PartialEq, Serialize, ToSchema)]
pub struct Message {
    pub message: String,
}

/// A refusal: `{"error": ...}`, or `{"message": ...}` where upstream answers so.
#[derive(Debug, PartialEq, Serialize, ToSchema)]
#[serde(untagged)]
pub enum RefusalBody {
    Error { error: String },
    Message(Message),
}
