//! The refusals answered in JSON (the admin API, the jobs, uploads, FreeSWITCH's dial plan): one kind each,
//! with the status and body upstream Scalelite answers and a stable key that `/metrics` counts it by.

use crate::admin::add_server::InvalidServer;
use crate::admin::answers::{Message, RefusalBody};
use crate::reject::Store;
use http::StatusCode;
use scalelite_shared::api::BodyError;

/// One kind of JSON refusal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// A body that is not JSON, or not of the shape the action reads.
    InvalidBody,
    /// A tenant action while tenancy is off.
    MultitenancyDisabled,
    /// An upload while recordings are off.
    RecordingsDisabled,
    /// A store that failed.
    StoreFailed(Store),
    /// `getServers` with no server configured.
    NoServers,
    /// No server with this id.
    ServerNotFound(String),
    /// A server with this id exists already.
    ServerExists(String),
    /// A new server without a usable URL and secret: why.
    InvalidServer(InvalidServer),
    /// A state `updateServer` does not know.
    InvalidState(String),
    /// A load multiplier that is not a non-zero number.
    InvalidLoadMultiplier,
    /// A limit (`max_meetings`, `max_participants`) that is not a whole number from 0 up, or `null`: its name.
    InvalidLimit(&'static str),
    /// `panicServer` could not end every meeting of this server.
    PanicIncomplete(String),
    /// No placed meeting with this meetingID.
    MeetingNotFound(String),
    /// No tenant with this id.
    TenantNotFound(String),
    /// A tenant with that name exists already.
    TenantExists,
    /// `addTenant` without a name and secrets.
    MissingTenantFields,
    /// A tenant name that is not a host label.
    InvalidTenantName,
    /// LRS settings that are neither basic credentials nor a Keycloak login.
    InvalidLrs,
    /// `addTenantSetting` without a tenant, a parameter name and a value.
    MissingSettingFields,
    /// No tenant setting with this id.
    TenantSettingNotFound(String),
    /// Another replica holds the poll's lease.
    PollRunning,
    /// Another replica holds the import's lease.
    ImportRunning,
    /// An upload without a valid bearer token: why.
    InvalidToken(String),
    /// An upload from a disabled server.
    ServerDisabled,
    /// An upload to a load balancer that imports in place.
    ImportsInPlace,
    /// An upload token whose recordID is not a safe file name.
    UnsafeRecordId,
    /// An upload that is not sent as a tar.
    NotATar,
    /// An upload whose tar is refused: why.
    TarRefused(String),
    /// A body that ended before it was whole.
    Body(BodyError),
    /// An upload with an empty body.
    EmptyBody,
    /// An upload whose body is not the one its token hashes.
    HashMismatch,
    /// An upload the spool could not take.
    NotQueued,
    /// FreeSWITCH without the right Basic credentials; the realm of the challenge.
    AccessDenied { realm: String },
}

impl Refusal {
    /// The stable key `/metrics` counts this refusal by.
    pub fn key(&self) -> &'static str {
        match self {
            Refusal::InvalidBody => "invalidBody",
            Refusal::MultitenancyDisabled => "multitenancyDisabled",
            Refusal::RecordingsDisabled => "recordingsDisabled",
            Refusal::StoreFailed(_) => "internalError",
            Refusal::NoServers => "noServers",
            Refusal::ServerNotFound(_) => "serverNotFound",
            Refusal::ServerExists(_) => "serverExists",
            Refusal::InvalidServer(_) => "invalidServer",
            Refusal::InvalidState(_) => "invalidState",
            Refusal::InvalidLoadMultiplier => "invalidLoadMultiplier",
            Refusal::InvalidLimit(_) => "invalidLimit",
            Refusal::PanicIncomplete(_) => "panicIncomplete",
            Refusal::MeetingNotFound(_) => "meetingNotFound",
            Refusal::TenantNotFound(_) => "tenantNotFound",
            Refusal::TenantExists => "tenantExists",
            Refusal::MissingTenantFields => "missingTenantFields",
            Refusal::InvalidTenantName => "invalidTenantName",
            Refusal::InvalidLrs => "invalidLrs",
            Refusal::MissingSettingFields => "missingSettingFields",
            Refusal::TenantSettingNotFound(_) => "tenantSettingNotFound",
            Refusal::PollRunning => "pollRunning",
            Refusal::ImportRunning => "importRunning",
            Refusal::InvalidToken(_) => "invalidToken",
            Refusal::ServerDisabled => "serverDisabled",
            Refusal::ImportsInPlace => "importsInPlace",
            Refusal::UnsafeRecordId => "unsafeRecordId",
            Refusal::NotATar => "notATar",
            Refusal::TarRefused(_) => "tarRefused",
            Refusal::Body(BodyError::TooLarge) => "bodyTooLarge",
            Refusal::Body(BodyError::Stalled) => "bodyStalled",
            Refusal::Body(BodyError::Broken) => "bodyBroken",
            Refusal::EmptyBody => "emptyBody",
            Refusal::HashMismatch => "hashMismatch",
            Refusal::NotQueued => "notQueued",
            Refusal::AccessDenied { .. } => "accessDenied",
        }
    }

    /// The HTTP status it is answered with.
    pub fn status(&self) -> StatusCode {
        match self {
            Refusal::InvalidBody
            | Refusal::ServerExists(_)
            | Refusal::InvalidServer(_)
            | Refusal::InvalidState(_)
            | Refusal::InvalidLoadMultiplier
            | Refusal::InvalidLimit(_)
            | Refusal::PanicIncomplete(_)
            | Refusal::MissingTenantFields
            | Refusal::InvalidTenantName
            | Refusal::InvalidLrs
            | Refusal::MissingSettingFields
            | Refusal::UnsafeRecordId
            | Refusal::TarRefused(_)
            | Refusal::EmptyBody
            | Refusal::HashMismatch => StatusCode::BAD_REQUEST,
            Refusal::InvalidToken(_) | Refusal::AccessDenied { .. } => StatusCode::UNAUTHORIZED,
            Refusal::ServerDisabled => StatusCode::FORBIDDEN,
            Refusal::NoServers
            | Refusal::ServerNotFound(_)
            | Refusal::MeetingNotFound(_)
            | Refusal::TenantNotFound(_)
            | Refusal::TenantSettingNotFound(_) => StatusCode::NOT_FOUND,
            Refusal::RecordingsDisabled | Refusal::PollRunning | Refusal::ImportRunning | Refusal::ImportsInPlace => {
                StatusCode::CONFLICT
            }
            Refusal::MultitenancyDisabled => StatusCode::PRECONDITION_FAILED,
            Refusal::TenantExists => StatusCode::UNPROCESSABLE_ENTITY,
            Refusal::NotATar => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Refusal::Body(error) => error.status(),
            // An outage is not the caller's fault, and may pass: 503, as readiness answers.
            Refusal::StoreFailed(_) => StatusCode::SERVICE_UNAVAILABLE,
            Refusal::NotQueued => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The `WWW-Authenticate` challenge of a 401.
    pub fn challenge(&self) -> Option<String> {
        match self {
            Refusal::InvalidToken(_) => Some("Bearer".to_owned()),
            Refusal::AccessDenied { realm } => Some(format!("Basic realm=\"{realm}\"")),
            _ => None,
        }
    }

    /// The JSON body: `{"message": …}` where upstream answers so, else `{"error": …}`.
    pub fn body(&self) -> RefusalBody {
        let message = self.message();
        if matches!(self, Refusal::MultitenancyDisabled | Refusal::MissingTenantFields) {
            RefusalBody::Message(Message { message })
        } else {
            RefusalBody::Error { error: message }
        }
    }

    fn message(&self) -> String {
        match self {
            Refusal::InvalidBody => "The request body is not valid JSON".to_owned(),
            Refusal::MultitenancyDisabled => "Multitenancy is disabled".to_owned(),
            Refusal::RecordingsDisabled => "recordings are disabled on this load balancer".to_owned(),
            Refusal::StoreFailed(store) => store.unavailable(),
            Refusal::NoServers => "No servers are configured".to_owned(),
            Refusal::ServerNotFound(id) => format!("Couldn't find server with id={id}"),
            Refusal::ServerExists(id) => format!("Server id={id} already exists"),
            Refusal::InvalidServer(why) => why.to_string(),
            Refusal::InvalidState(state) => format!("Invalid state parameter: {state}"),
            Refusal::InvalidLoadMultiplier => "Load-multiplier must be a non-zero number".to_owned(),
            Refusal::InvalidLimit(name) => format!("{name} must be a whole number (0 or null: no limit)"),
            Refusal::PanicIncomplete(id) => format!("Couldn't disable server id={id}"),
            Refusal::MeetingNotFound(id) => format!("Couldn't find meeting with meetingID={id}"),
            Refusal::TenantNotFound(id) => format!("Couldn't find Tenant with id={id}"),
            Refusal::TenantExists => "A tenant with that name exists".to_owned(),
            Refusal::MissingTenantFields => "Error: both name and secrets are required to create a Tenant".to_owned(),
            Refusal::InvalidTenantName => "A tenant name is a host label: letters, digits and '-'".to_owned(),
            Refusal::InvalidLrs => "LRS settings are lrs_endpoint with either lrs_username and lrs_password, or \
                                    kc_token_url, kc_client_id, kc_client_secret, kc_username and kc_password"
                .to_owned(),
            Refusal::MissingSettingFields => {
                "tenant_id, param and value are required to create a TenantSetting".to_owned()
            }
            Refusal::TenantSettingNotFound(id) => format!("Couldn't find TenantSetting with id={id}"),
            Refusal::PollRunning => "another replica is polling".to_owned(),
            Refusal::ImportRunning => "another replica is importing".to_owned(),
            Refusal::InvalidToken(why) | Refusal::TarRefused(why) => why.clone(),
            Refusal::ServerDisabled => "the server is disabled".to_owned(),
            Refusal::ImportsInPlace => "this load balancer imports in place; it takes no uploads".to_owned(),
            Refusal::UnsafeRecordId => "record_id must be a name of [A-Za-z0-9._-] not starting with .".to_owned(),
            Refusal::NotATar => "send the tar as application/x-tar".to_owned(),
            Refusal::Body(error) => error.to_string(),
            Refusal::EmptyBody => "the request body is empty".to_owned(),
            Refusal::HashMismatch => "the body does not match the token's sha256".to_owned(),
            Refusal::NotQueued => "the recording could not be queued".to_owned(),
            Refusal::AccessDenied { .. } => "HTTP Basic: Access denied.".to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn answers_as_upstream() {
        let missing = Refusal::ServerNotFound("bbb-1".into());
        assert_eq!((missing.status(), missing.key()), (StatusCode::NOT_FOUND, "serverNotFound"));
        let body = |refusal: &Refusal| serde_json::to_value(refusal.body()).unwrap();
        assert_eq!(body(&missing), json!({ "error": "Couldn't find server with id=bbb-1" }));
        assert_eq!(body(&Refusal::MultitenancyDisabled), json!({ "message": "Multitenancy is disabled" }));
        let denied = Refusal::AccessDenied { realm: "lb".into() };
        assert_eq!(denied.challenge().as_deref(), Some("Basic realm=\"lb\""));
        assert_eq!(Refusal::Body(BodyError::TooLarge).status(), StatusCode::PAYLOAD_TOO_LARGE);
    }
}
