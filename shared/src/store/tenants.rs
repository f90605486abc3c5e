//! The tenants port: tenants and their settings (upstream keeps them in Redis).

use async_trait::async_trait;

use super::StoreResult;
use crate::model::{Tenant, TenantSetting};

/// Tenants and their parameter settings.
#[async_trait]
pub trait TenantStore: Send + Sync {
    async fn tenants(&self) -> StoreResult<Vec<Tenant>>;
    async fn tenant(&self, id: &str) -> StoreResult<Option<Tenant>>;
    async fn tenant_by_name(&self, name: &str) -> StoreResult<Option<Tenant>>;
    /// Adds a tenant; `Conflict` if its name is taken.
    async fn add_tenant(&self, tenant: &Tenant) -> StoreResult<()>;
    /// Replaces a tenant's name and secrets; `None` if it does not exist, `Conflict` if the new name is taken.
    async fn update_tenant(&self, tenant: &Tenant) -> StoreResult<Option<Tenant>>;
    /// Removes a tenant and its settings; false if it did not exist.
    async fn delete_tenant(&self, id: &str) -> StoreResult<bool>;
    /// The settings of one tenant, or of every tenant with `None`.
    async fn tenant_settings(&self, tenant_id: Option<&str>) -> StoreResult<Vec<TenantSetting>>;
    async fn add_tenant_setting(&self, setting: &TenantSetting) -> StoreResult<()>;
    /// Removes a setting; false if it did not exist.
    async fn delete_tenant_setting(&self, id: &str) -> StoreResult<bool>;
}
