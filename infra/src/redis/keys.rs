//! Upstream Scalelite's Redis key layout, under a namespace (`REDIS_NAMESPACE`, default `scalelite`).

/// Builds the keys of one namespace.
#[derive(Clone, Debug)]
pub(crate) struct Keys {
    pub ns: String,
}

impl Keys {
    fn key(&self, name: &str) -> String {
        format!("{}:{name}", self.ns)
    }

    pub fn servers(&self) -> String {
        self.key("servers")
    }

    pub fn server(&self, id: &str) -> String {
        self.key(&format!("server:{id}"))
    }

    /// Upstream keeps the health counters in a hash named by the bare server id.
    pub fn health(&self, id: &str) -> String {
        self.key(id)
    }

    pub fn server_load(&self) -> String {
        self.key("server_load")
    }

    pub fn cordoned_server_load(&self) -> String {
        self.key("cordoned_server_load")
    }

    pub fn server_enabled(&self) -> String {
        self.key("server_enabled")
    }

    pub fn meetings(&self) -> String {
        self.key("meetings")
    }

    /// Voice bridge number -> meetingID, as upstream keeps it.
    pub fn voice_bridges(&self) -> String {
        self.key("voice_bridges")
    }

    /// scalelite-rs's own change counter of a server: every placement, removal, poll and setting change on it
    /// moves it on (joins do not), so a plan commits only if its server is as it was read.
    pub fn server_version(&self, id: &str) -> String {
        self.key(&format!("server_version:{id}"))
    }

    /// scalelite-rs's own list (JSON) of meetings a server runs while they are placed on another.
    pub fn split_meetings(&self, id: &str) -> String {
        self.key(&format!("split_meetings:{id}"))
    }

    pub fn meeting(&self, id: &str) -> String {
        self.key(&format!("meeting:{id}"))
    }

    /// scalelite-rs's own job leases.
    pub fn lease(&self, name: &str) -> String {
        self.key(&format!("lease:{name}"))
    }

    /// scalelite-rs's own index of the meetings it placed on a server (upstream has none; it ignores it).
    pub fn server_meetings(&self, id: &str) -> String {
        self.key(&format!("server_meetings:{id}"))
    }

    /// scalelite-rs's own index of a tenant's meetings (an expired one stays until its meeting is forgotten).
    pub fn tenant_meetings(&self, tenant_id: &str) -> String {
        self.key(&format!("tenant_meetings:{tenant_id}"))
    }

    /// scalelite-rs's own change counter of a tenant's meetings: every meeting of it written or forgotten moves
    /// it on, so a placement under the tenant's meeting limit commits only while the tenant is as it was read.
    pub fn tenant_version(&self, tenant_id: &str) -> String {
        self.key(&format!("tenant_version:{tenant_id}"))
    }

    /// A protected recording's single-use token, as upstream names it.
    pub fn token(&self, token: &str) -> String {
        self.key(&format!("protector_token_{token}"))
    }

    pub fn tenants(&self) -> String {
        self.key("tenants")
    }

    pub fn tenant(&self, id: &str) -> String {
        self.key(&format!("tenant:{id}"))
    }

    /// Upstream's name index: a hash whose `id` field names the tenant.
    pub fn tenant_name(&self, name: &str) -> String {
        self.key(&format!("tenant_name:{name}"))
    }

    /// The set of a tenant's setting ids.
    pub fn tenant_settings(&self, tenant_id: &str) -> String {
        self.key(&format!("tenant_settings:{tenant_id}"))
    }

    pub fn tenant_setting(&self, id: &str) -> String {
        self.key(&format!("tenant_setting:{id}"))
    }
}
