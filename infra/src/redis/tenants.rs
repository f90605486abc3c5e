//! Tenants and their settings in upstream's Redis layout: `tenants` (set of ids), `tenant:<id>` (name,
//! `:`-separated secrets, the LRS fields `lrs_endpoint`, `lrs_username`, `lrs_password`, `kc_token_url`,
//! `kc_client_id`, `kc_client_secret`, `kc_username`, `kc_password`, and scalelite-rs's limits `max_meetings` and
//! `max_participants`, each only when set, so upstream's tenants read as having none), `tenant_name:<name>` (its
//! `id`), `tenant_settings:<tenant id>` (set of setting ids) and `tenant_setting:<id>` (param, value, override,
//! tenant_id).

use std::collections::HashMap;

use async_trait::async_trait;
use redis::AsyncCommands;
use scalelite_shared::model::{Lrs, Tenant, TenantSetting};
use scalelite_shared::store::{StoreError, StoreResult, TenantStore};

use super::{RedisStore, backend};

fn tenant_of(id: &str, fields: HashMap<String, String>) -> Option<Tenant> {
    let name = fields.get("name")?.clone();
    let secrets = fields.get("secrets").map(String::as_str).unwrap_or_default();
    let lrs = Lrs::from_fields(|field| fields.get(field).map(String::as_str));
    let limit = |field: &str| fields.get(field).and_then(|max| max.parse().ok()).filter(|max| *max > 0);
    Some(Tenant {
        lrs,
        max_meetings: limit("max_meetings"),
        max_participants: limit("max_participants"),
        ..Tenant::new(id, name, Tenant::parse_secrets(secrets))
    })
}

/// Queues the writes of a tenant's hash: name, secrets, and the LRS fields and limits it has; the others are
/// removed.
fn write_tenant(pipe: &mut redis::Pipeline, key: &str, tenant: &Tenant) {
    let mut set = vec![("name", tenant.name.clone()), ("secrets", tenant.stored_secrets())];
    let mut cleared = Vec::new();
    for (field, value) in Lrs::fields(tenant.lrs.as_ref()) {
        match value {
            Some(value) => set.push((field, value.to_owned())),
            None => cleared.push(field),
        }
    }
    for (field, limit) in [("max_meetings", tenant.max_meetings), ("max_participants", tenant.max_participants)] {
        match limit {
            Some(max) => set.push((field, max.to_string())),
            None => cleared.push(field),
        }
    }
    pipe.hset_multiple(key, &set);
    if !cleared.is_empty() {
        pipe.hdel(key, cleared);
    }
}

impl RedisStore {
    /// Claims `name` for tenant `id`; false when another tenant has it.
    async fn claim_name(&self, name: &str, id: &str) -> StoreResult<bool> {
        let key = self.keys.tenant_name(name);
        let claimed: bool = self.conn().hset_nx(&key, "id", id).await.map_err(backend)?;
        if claimed {
            return Ok(true);
        }
        let holder: Option<String> = self.conn().hget(&key, "id").await.map_err(backend)?;
        Ok(holder.as_deref() == Some(id))
    }

    async fn setting(&self, id: &str) -> StoreResult<Option<TenantSetting>> {
        let fields: HashMap<String, String> =
            self.conn().hgetall(self.keys.tenant_setting(id)).await.map_err(backend)?;
        Ok(fields.get("param").map(|param| TenantSetting {
            id: id.to_owned(),
            tenant_id: fields.get("tenant_id").cloned().unwrap_or_default(),
            param: param.clone(),
            value: fields.get("value").cloned().unwrap_or_default(),
            override_: fields.get("override").is_some_and(|o| o == "true"),
        }))
    }
}

#[async_trait]
impl TenantStore for RedisStore {
    async fn tenants(&self) -> StoreResult<Vec<Tenant>> {
        let ids: Vec<String> = self.conn().smembers(self.keys.tenants()).await.map_err(backend)?;
        let mut tenants = Vec::with_capacity(ids.len());
        for id in ids {
            tenants.extend(self.tenant(&id).await?);
        }
        tenants.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(tenants)
    }

    async fn tenant(&self, id: &str) -> StoreResult<Option<Tenant>> {
        let fields: HashMap<String, String> = self.conn().hgetall(self.keys.tenant(id)).await.map_err(backend)?;
        Ok(tenant_of(id, fields))
    }

    async fn tenant_by_name(&self, name: &str) -> StoreResult<Option<Tenant>> {
        let id: Option<String> = self.conn().hget(self.keys.tenant_name(name), "id").await.map_err(backend)?;
        match id {
            Some(id) => self.tenant(&id).await,
            None => Ok(None),
        }
    }

    async fn add_tenant(&self, tenant: &Tenant) -> StoreResult<()> {
        if !self.claim_name(&tenant.name, &tenant.id).await? {
            return Err(StoreError::Conflict(format!("tenant name {}", tenant.name)));
        }
        let mut pipe = redis::pipe();
        write_tenant(pipe.atomic(), &self.keys.tenant(&tenant.id), tenant);
        pipe.sadd(self.keys.tenants(), &tenant.id);
        self.conn().write(&pipe).await.map_err(backend)
    }

    async fn update_tenant(&self, tenant: &Tenant) -> StoreResult<Option<Tenant>> {
        let Some(old) = self.tenant(&tenant.id).await? else { return Ok(None) };
        if old.name != tenant.name && !self.claim_name(&tenant.name, &tenant.id).await? {
            return Err(StoreError::Conflict(format!("tenant name {}", tenant.name)));
        }
        let mut pipe = redis::pipe();
        write_tenant(pipe.atomic(), &self.keys.tenant(&tenant.id), tenant);
        if old.name != tenant.name {
            pipe.del(self.keys.tenant_name(&old.name));
        }
        self.conn().write::<()>(&pipe).await.map_err(backend)?;
        Ok(Some(tenant.clone()))
    }

    async fn delete_tenant(&self, id: &str) -> StoreResult<bool> {
        let Some(tenant) = self.tenant(id).await? else { return Ok(false) };
        let settings: Vec<String> = self.conn().smembers(self.keys.tenant_settings(id)).await.map_err(backend)?;
        let mut pipe = redis::pipe();
        pipe.atomic()
            .del(self.keys.tenant(id))
            .del(self.keys.tenant_name(&tenant.name))
            .del(self.keys.tenant_settings(id))
            .srem(self.keys.tenants(), id);
        for setting in &settings {
            pipe.del(self.keys.tenant_setting(setting));
        }
        self.conn().write::<()>(&pipe).await.map_err(backend)?;
        Ok(true)
    }

    async fn tenant_settings(&self, tenant_id: Option<&str>) -> StoreResult<Vec<TenantSetting>> {
        let tenant_ids: Vec<String> = match tenant_id {
            Some(id) => vec![id.to_owned()],
            None => self.conn().smembers(self.keys.tenants()).await.map_err(backend)?,
        };
        let mut settings = Vec::new();
        for tenant in tenant_ids {
            let ids: Vec<String> = self.conn().smembers(self.keys.tenant_settings(&tenant)).await.map_err(backend)?;
            for id in ids {
                settings.extend(self.setting(&id).await?);
            }
        }
        settings.sort_by(|a, b| (&a.tenant_id, &a.param, &a.id).cmp(&(&b.tenant_id, &b.param, &b.id)));
        Ok(settings)
    }

    async fn add_tenant_setting(&self, setting: &TenantSetting) -> StoreResult<()> {
        let mut pipe = redis::pipe();
        pipe.atomic()
            .hset_multiple(
                self.keys.tenant_setting(&setting.id),
                &[
                    ("param", setting.param.clone()),
                    ("value", setting.value.clone()),
                    ("override", setting.override_.to_string()),
                    ("tenant_id", setting.tenant_id.clone()),
                ],
            )
            .sadd(self.keys.tenant_settings(&setting.tenant_id), &setting.id);
        self.conn().write(&pipe).await.map_err(backend)
    }

    async fn delete_tenant_setting(&self, id: &str) -> StoreResult<bool> {
        let Some(setting) = self.setting(id).await? else { return Ok(false) };
        let mut pipe = redis::pipe();
        pipe.atomic().del(self.keys.tenant_setting(id)).srem(self.keys.tenant_settings(&setting.tenant_id), id);
        self.conn().write::<()>(&pipe).await.map_err(backend)?;
        Ok(true)
    }
}
