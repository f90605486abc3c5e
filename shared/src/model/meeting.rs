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
    /// When it was placed on its server (with `server_id`, it names the placement).
    pub created_at_ms: i64,
    pub expires_at_ms: i64,
    /// When the latest create for it was sent to BBB.
    pub create_sent_at_ms: i64,
    /// When BBB answered that create with SUCCESS; `None` while it is on its way. A poll ends a meeting its
    /// server does not report only once BBB must know it (see `balance::poll`).
    pub confirmed_at_ms: Option<i64>,
    /// Participants the last poll saw in it, plus the joins counted since (the next poll counts again).
    pub participants: u64,
}

impl Meeting {
    /// The same placement: same meeting on the same server, placed at the same moment.
    pub fn is_same_placement(&self, other: &Meeting) -> bool {
        self.id == other.id && self.server_id == other.server_id && self.created_at_ms == other.created_at_ms
    }
}
