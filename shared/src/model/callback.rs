//! The front-end's callback URLs remembered for one meeting, taken from its create call.

/// Where a front-end asked to be told about a meeting; `None` where it asked nothing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CallbackData {
    /// Told (with a signed JWT) when a recording of the meeting has been imported.
    pub recording_ready_url: Option<String>,
    /// Receives the meeting's analytics, forwarded from the BBB server.
    pub analytics_callback_url: Option<String>,
    /// Told when the meeting ends (`meta_endCallbackUrl`).
    pub end_callback_url: Option<String>,
}

impl CallbackData {
    /// True when no URL is set.
    pub fn is_empty(&self) -> bool {
        self.recording_ready_url.is_none() && self.analytics_callback_url.is_none() && self.end_callback_url.is_none()
    }
}
