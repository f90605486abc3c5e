//! A meeting placed on a server.

/// A meeting the load balancer has placed, keyed by the front-end's meetingID.
#[derive(Clone, Debug, PartialEq)]
pub struct Meeting {
    pub id: String,
    pub server_id: String,
    pub moderator_pw: String,
    pub voice_bridge: String,
    /// Empty when there is no tenant.
    pub tenant_id: String,
    /// Load reserved on the server when the meeting was placed; it fades as polls see real participants.
    pub reserved_load: f64,
    pub created_at_ms: i64,
    pub expires_at_ms: i64,
}
