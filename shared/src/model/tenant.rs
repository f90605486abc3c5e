//! Tenants: front-end customers sharing the pool, each with its own secrets, found by the first label of
//! the host name they call, their Learning Record Store, their limits, and their default and override create/join
//! parameters.

use super::Lrs;

/// A tenant, keyed by a UUID.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tenant {
    pub id: String,
    /// The host label it is reached at (`<name>.<URL_HOST>`).
    pub name: String,
    /// Its API secrets (stored `:`-separated, as upstream).
    pub secrets: Vec<String>,
    /// Where BBB sends the xAPI statements of this tenant's meetings, if anywhere.
    pub lrs: Option<Lrs>,
    /// The most meetings of this tenant placed at once; `None`: no limit.
    pub max_meetings: Option<u64>,
    /// The most participants in this tenant's meetings together; `None`: no limit.
    pub max_participants: Option<u64>,
}

impl Tenant {
    /// A tenant with no LRS and no limits.
    pub fn new(id: impl Into<String>, name: impl Into<String>, secrets: Vec<String>) -> Self {
        Self { id: id.into(), name: name.into(), secrets, lrs: None, max_meetings: None, max_participants: None }
    }

    /// Secrets from their stored (and typed) form: `:`-separated, blanks dropped.
    pub fn parse_secrets(list: &str) -> Vec<String> {
        list.split(':').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
    }

    /// The secrets in their stored form.
    pub fn stored_secrets(&self) -> String {
        self.secrets.join(":")
    }

    /// True for names usable as a host label: 1 to 63 lower-case letters, digits and `-`.
    pub fn valid_name(name: &str) -> bool {
        (1..=63).contains(&name.len())
            && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    }
}

/// One create or join parameter a tenant sets below (`override_ = false`) or above the client's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TenantSetting {
    pub id: String,
    pub tenant_id: String,
    pub param: String,
    pub value: String,
    pub override_: bool,
}
