-- Servers and meetings of the embedded store.
CREATE TABLE servers (
    id                TEXT PRIMARY KEY NOT NULL,
    url               TEXT NOT NULL,
    secret            TEXT NOT NULL,
    tag               TEXT,
    state             TEXT NOT NULL DEFAULT 'disabled',
    load              REAL,
    load_multiplier   REAL NOT NULL DEFAULT 1.0,
    online            INTEGER NOT NULL DEFAULT 0,
    meetings          INTEGER NOT NULL DEFAULT 0,
    users             INTEGER NOT NULL DEFAULT 0,
    largest_meeting   INTEGER NOT NULL DEFAULT 0,
    videos            INTEGER NOT NULL DEFAULT 0,
    bbb_version       TEXT,
    healthy_counter   INTEGER NOT NULL DEFAULT 0,
    unhealthy_counter INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE meetings (
    id            TEXT PRIMARY KEY NOT NULL,
    server_id     TEXT NOT NULL,
    moderator_pw  TEXT NOT NULL,
    voice_bridge  TEXT NOT NULL UNIQUE,
    tenant_id     TEXT NOT NULL DEFAULT '',
    reserved_load REAL NOT NULL DEFAULT 0,
    created_at_ms INTEGER NOT NULL,
    expires_at_ms INTEGER NOT NULL
);

CREATE INDEX meetings_by_server ON meetings (server_id);
CREATE INDEX meetings_by_expiry ON meetings (expires_at_ms);
