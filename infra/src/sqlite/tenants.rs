//! Tenants and their settings in the embedded store.

use async_trait::async_trait;
use scalelite_shared::model::{Lrs, Tenant, TenantSetting};
use scalelite_shared::store::{StoreError, StoreResult, TenantStore};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use super::{SqliteStore, backend};

/// `SELECT` of a tenant's columns (upstream's field names for the LRS settings), then `$rest`.
macro_rules! select_tenants {
    ($rest:literal) => {
        concat!(
            "SELECT id, name, secrets, lrs_endpoint, lrs_username, lrs_password, kc_token_url, kc_client_id, \
             kc_client_secret, kc_username, kc_password, max_meetings, max_participants FROM tenants ",
            $rest
        )
    };
}

fn tenant_of(row: &SqliteRow) -> Result<Tenant, sqlx::Error> {
    let secrets: String = row.try_get("secrets")?;
    Ok(Tenant {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        secrets: Tenant::parse_secrets(&secrets),
        lrs: Lrs::from_fields(|field| row.try_get::<Option<&str>, _>(field).ok().flatten()),
        max_meetings: limit(row.try_get("max_meetings")?),
        max_participants: limit(row.try_get("max_participants")?),
    })
}

/// A stored limit (`NULL`: none).
fn limit(stored: Option<i64>) -> Option<u64> {
    stored.and_then(|max| u64::try_from(max).ok())
}

async fn tenant_where(store: &SqliteStore, sql: &'static str, value: &str) -> StoreResult<Option<Tenant>> {
    let row = sqlx::query(sql).bind(value).fetch_optional(&store.pool).await.map_err(backend)?;
    row.as_ref().map(tenant_of).transpose().map_err(backend)
}

/// The tenant's name, secrets, LRS settings and limits written by `sql`, whose last placeholder is the id.
async fn write_tenant(store: &SqliteStore, sql: &'static str, tenant: &Tenant) -> StoreResult<u64> {
    let mut query = sqlx::query(sql).bind(&tenant.name).bind(tenant.stored_secrets());
    for (_, value) in Lrs::fields(tenant.lrs.as_ref()) {
        query = query.bind(value);
    }
    let stored = |max: Option<u64>| max.map(|max| i64::try_from(max).unwrap_or(i64::MAX));
    query = query.bind(stored(tenant.max_meetings)).bind(stored(tenant.max_participants));
    let done = query.bind(&tenant.id).execute(&store.pool).await.map_err(|e| name_taken(e, &tenant.name))?;
    Ok(done.rows_affected())
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
        let rows = sqlx::query(select_tenants!("ORDER BY name")).fetch_all(&self.pool).await.map_err(backend)?;
        rows.iter().map(tenant_of).collect::<Result<_, _>>().map_err(backend)
    }

    async fn tenant(&self, id: &str) -> StoreResult<Option<Tenant>> {
        tenant_where(self, select_tenants!("WHERE id = ?"), id).await
    }

    async fn tenant_by_name(&self, name: &str) -> StoreResult<Option<Tenant>> {
        tenant_where(self, select_tenants!("WHERE name = ?"), name).await
    }

    async fn add_tenant(&self, tenant: &Tenant) -> StoreResult<()> {
        let sql = "INSERT INTO tenants (name, secrets, lrs_endpoint, lrs_username, lrs_password, kc_token_url, \
                   kc_client_id, kc_client_secret, kc_username, kc_password, max_meetings, max_participants, id) \
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
        write_tenant(self, sql, tenant).await.map(|_| ())
    }

    async fn update_tenant(&self, tenant: &Tenant) -> StoreResult<Option<Tenant>> {
        let sql = "UPDATE tenants SET name = ?, secrets = ?, lrs_endpoint = ?, lrs_username = ?, lrs_password = ?, \
                   kc_token_url = ?, kc_client_id = ?, kc_client_secret = ?, kc_username = ?, kc_password = ?, \
                   max_meetings = ?, max_participants = ? WHERE id = ?";
        Ok((write_tenant(self, sql, tenant).await? > 0).then(|| tenant.clone()))
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
