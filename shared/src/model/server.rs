//! A BBB server of the pool, its state and its last polled figures.

/// Whether a server takes new meetings (enabled), only keeps its running ones (cordoned), or neither (disabled).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ServerState {
    Enabled,
    Cordoned,
    Disabled,
}

impl ServerState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Enabled => "enabled",
            Self::Cordoned => "cordoned",
            Self::Disabled => "disabled",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "enabled" => Some(Self::Enabled),
            "cordoned" => Some(Self::Cordoned),
            "disabled" => Some(Self::Disabled),
            _ => None,
        }
    }
}

/// What the last successful poll counted on a server.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ServerStats {
    pub meetings: u64,
    pub users: u64,
    pub largest_meeting: u64,
    pub videos: u64,
}

/// A BBB server in the pool.
#[derive(Clone, Debug, PartialEq)]
pub struct Server {
    pub id: String,
    /// API base URL, e.g. `https://bbb1.example.org/bigbluebutton/api`.
    pub url: String,
    pub secret: String,
    pub tag: Option<String>,
    pub state: ServerState,
    /// Participants times `load_multiplier`, plus reservations; `None` until a poll has measured it.
    pub load: Option<f64>,
    pub load_multiplier: f64,
    pub online: bool,
    pub stats: ServerStats,
    pub bbb_version: Option<String>,
    pub healthy_counter: u32,
    pub unhealthy_counter: u32,
    /// Meetings the last poll found running here while placed on another server (split across two).
    pub split_meetings: Vec<String>,
    /// The most meetings placed here at once; `None`: no limit.
    pub max_meetings: Option<u64>,
    /// The most participants (as the last poll counted them) with which it still takes a new meeting.
    pub max_participants: Option<u64>,
}

impl Server {
    /// A new server: disabled and offline until enabled and polled, as upstream adds them.
    pub fn new(id: impl Into<String>, url: impl Into<String>, secret: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            url: url.into(),
            secret: secret.into(),
            tag: None,
            state: ServerState::Disabled,
            load: None,
            load_multiplier: 1.0,
            online: false,
            stats: ServerStats::default(),
            bbb_version: None,
            healthy_counter: 0,
            unhealthy_counter: 0,
            split_meetings: Vec::new(),
            max_meetings: None,
            max_participants: None,
        }
    }

    /// The multiplier as upstream writes its decimals: `1.0`, `2.5`.
    pub fn load_multiplier_text(&self) -> String {
        let value = self.load_multiplier;
        if value.fract() == 0.0 { format!("{value:.1}") } else { value.to_string() }
    }

    /// The host of its URL (no scheme, port or path), as `scalelite status` and the status page show it.
    pub fn host(&self) -> &str {
        let rest = self.url.split_once("://").map_or(self.url.as_str(), |(_, rest)| rest);
        rest.split(['/', ':']).next().unwrap_or(rest)
    }
}

/// A change to a server; `None` fields stay as they are.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ServerUpdate {
    pub url: Option<String>,
    pub secret: Option<String>,
    pub load_multiplier: Option<f64>,
    /// `Some(None)` removes the tag.
    pub tag: Option<Option<String>>,
    pub state: Option<ServerState>,
    /// `Some(None)` removes the limit.
    pub max_meetings: Option<Option<u64>>,
    /// `Some(None)` removes the limit.
    pub max_participants: Option<Option<u64>>,
}

impl ServerUpdate {
    /// Applies the change to `server`; entering `disabled` forgets its load, as upstream drops a disabled
    /// server's load.
    pub fn apply(&self, server: &mut Server) {
        if let Some(url) = &self.url {
            url.clone_into(&mut server.url);
        }
        if let Some(secret) = &self.secret {
            secret.clone_into(&mut server.secret);
        }
        if let Some(multiplier) = self.load_multiplier {
            server.load_multiplier = multiplier;
        }
        if let Some(tag) = &self.tag {
            server.tag.clone_from(tag);
        }
        if let Some(max) = self.max_meetings {
            server.max_meetings = max;
        }
        if let Some(max) = self.max_participants {
            server.max_participants = max;
        }
        if let Some(state) = self.state {
            server.state = state;
            if state == ServerState::Disabled {
                server.load = None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multipliers_read_like_upstream_decimals() {
        let mut server = Server::new("a", "u", "s");
        assert_eq!(server.load_multiplier_text(), "1.0");
        server.load_multiplier = 2.5;
        assert_eq!(server.load_multiplier_text(), "2.5");
    }

    #[test]
    fn host_is_the_url_without_scheme_port_and_path() {
        assert_eq!(Server::new("a", "https://bbb1.example.org:8443/bigbluebutton/api", "s").host(), "bbb1.example.org");
        assert_eq!(Server::new("a", "bbb2/api", "s").host(), "bbb2");
    }

    #[test]
    fn disabling_forgets_the_load() {
        let mut server = Server::new("a", "u", "s");
        server.load = Some(3.0);
        ServerUpdate { state: Some(ServerState::Cordoned), ..ServerUpdate::default() }.apply(&mut server);
        assert_eq!(server.load, Some(3.0));
        ServerUpdate { state: Some(ServerState::Disabled), tag: Some(Some("t".into())), ..ServerUpdate::default() }
            .apply(&mut server);
        assert_eq!((server.load, server.tag.as_deref()), (None, Some("t")));
    }
}
