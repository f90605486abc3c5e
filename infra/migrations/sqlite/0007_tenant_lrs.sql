-- A tenant's Learning Record Store, in upstream's field names: basic credentials or a Keycloak login.
ALTER TABLE tenants ADD COLUMN lrs_endpoint TEXT;
ALTER TABLE tenants ADD COLUMN lrs_username TEXT;
ALTER TABLE tenants ADD COLUMN lrs_password TEXT;
ALTER TABLE tenants ADD COLUMN kc_token_url TEXT;
ALTER TABLE tenants ADD COLUMN kc_client_id TEXT;
ALTER TABLE tenants ADD COLUMN kc_client_secret TEXT;
ALTER TABLE tenants ADD COLUMN kc_username TEXT;
ALTER TABLE tenants ADD COLUMN kc_password TEXT;
