//! Tenants and their settings in the embedded store.

use async_trait::async_trait;
use scalelite_shared::model::{Tenant, TenantSetting};
use scalelite_shared::store::{StoreError, StoreResult, TenantStore};

use super::{SqliteStore, backend};

#[derive(sqlx::FromRow)]
struct TenantRow {
    id: String,
    name: String,
    secrets: String,
}

impl From<TenantRow> for Tenant {
    fn from(row: TenantRow) -> Self {
        Tenant { id: row.id, name: row.name, secrets: Tenant::parse_secrets(&row.secrets) }
    }
}

#[derive(sqlx::FromRow)]
struct SettingRow {
    id: String,
    tenant_id: String,
    param: String,
    value: String,
    is_override: bool,
}

fn name_taken(error: sqlx::Error, name: &str) -> StoreError {
    match &error {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict(format!("tenant name {name}")),
        _ => backend(error),
    }
}

#[async_trait]
impl TenantStore for SqliteStore {
    async fn tenants(&self) -> StoreResult<Vec<Tenant>> {
        let rows: Vec<TenantRow> = sqlx::query_as("SELECT id, name, secrets FROM tenants ORDER BY name")
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?;
        Ok(rows.into_iter().map(Tenant::from).collect())
    }

    async fn tenant(&self, id: &str) -> StoreResult<Option<Tenant>> {
        let row: Option<TenantRow> = sqlx::query_as("SELECT id, name, secrets FROM tenants WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        Ok(row.map(Tenant::from))
    }

    async fn tenant_by_name(&self, name: &str) -> StoreResult<Option<Tenant>> {
        let row: Option<TenantRow> = sqlx::query_as("SELECT id, name, secrets FROM tenants WHERE name = ?")
            .bind(name)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        Ok(row.map(Tenant::from))
    }

    async fn add_tenant(&self, tenant: &Tenant) -> StoreResult<()> {
        sqlx::query("INSERT INTO tenants (id, name, secrets) VALUES (?, ?, ?)")
            .bind(&tenant.id)
            .bind(&tenant.name)
            .bind(tenant.stored_secrets())
            .execute(&self.pool)
            .await
            .map(|_| ())
            .map_err(|e| name_taken(e, &tenant.name))
    }

    async fn update_tenant(&self, tenant: &Tenant) -> StoreResult<Option<Tenant>> {
        let done = sqlx::query("UPDATE tenants SET name = ?, secrets = ? WHERE id = ?")
            .bind(&tenant.name)
            .bind(tenant.stored_secrets())
            .bind(&tenant.id)
            .execute(&self.pool)
            .await
            .map_err(|e| name_taken(e, &tenant.name))?;
        Ok((done.rows_affected() > 0).then(|| tenant.clone()))
    }

    async fn delete_tenant(&self, id: &str) -> StoreResult<bool> {
        let mut tx = self.write().await?;
        sqlx::query("DELETE FROM tenant_settings WHERE tenant_id = ?")
            .bind(id)
            .execute(tx.conn())
            .await
            .map_err(backend)?;
        let done =
            sqlx::query("DELETE FROM tenants WHERE id = ?").bind(id).execute(tx.conn()).await.map_err(backend)?;
        tx.commit().await?;
        Ok(done.rows_affected() > 0)
    }

    async fn tenant_settings(&self, tenant_id: Option<&str>) -> StoreResult<Vec<TenantSetting>> {
        let rows: Vec<SettingRow> = sqlx::query_as(
            "SELECT id, tenant_id, param, value, is_override FROM tenant_settings \
             WHERE ?1 IS NULL OR tenant_id = ?1 ORDER BY tenant_id, param, id",
        )
        .bind(tenant_id)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        Ok(rows
            .into_iter()
            .map(|r| TenantSetting {
                id: r.id,
                tenant_id: r.tenant_id,
                param: r.param,
                value: r.value,
                override_: r.is_override,
            })
            .collect())
    }

    async fn add_tenant_setting(&self, setting: &TenantSetting) -> StoreResult<()> {
        sqlx::query("INSERT INTO tenant_settings (id, tenant_id, param, value, is_override) VALUES (?, ?, ?, ?, ?)")
            .bind(&setting.id)
            .bind(&setting.tenant_id)
            .bind(&setting.param)
            .bind(&setting.value)
            .bind(setting.override_)
            .execute(&self.pool)
            .await
            .map(|_| ())
            .map_err(backend)
    }

    async fn delete_tenant_setting(&self, id: &str) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM tenant_settings WHERE id = ?")
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(done.rows_affected() > 0)
    }
}
