-- Tenants and their create/join parameter settings.
CREATE TABLE tenants (
    id      TEXT PRIMARY KEY NOT NULL,
    name    TEXT NOT NULL UNIQUE,
    secrets TEXT NOT NULL
);

CREATE TABLE tenant_settings (
    id          TEXT PRIMARY KEY NOT NULL,
    tenant_id   TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    param       TEXT NOT NULL,
    value       TEXT NOT NULL,
    is_override INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX tenant_settings_by_tenant ON tenant_settings (tenant_id);
