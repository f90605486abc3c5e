-- A tenant's limits: the most meetings placed at once, the most participants in its meetings together; and the
-- index a placement counts a tenant's meetings by.
ALTER TABLE tenants ADD COLUMN max_meetings INTEGER;
ALTER TABLE tenants ADD COLUMN max_participants INTEGER;
CREATE INDEX meetings_by_tenant ON meetings (tenant_id);
