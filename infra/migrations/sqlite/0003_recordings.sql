-- The recordings index of the embedded store, shaped like upstream's PostgreSQL schema.
CREATE TABLE recordings (
    id              INTEGER PRIMARY KEY,
    record_id       TEXT NOT NULL UNIQUE,
    meeting_id      TEXT NOT NULL,
    name            TEXT,
    published       INTEGER NOT NULL DEFAULT 0,
    participants    INTEGER,
    state           TEXT,
    starttime_ms    INTEGER,
    endtime_ms      INTEGER,
    protected       INTEGER NOT NULL DEFAULT 0,
    publish_updated INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX recordings_by_meeting ON recordings (meeting_id);
CREATE INDEX recordings_by_start ON recordings (starttime_ms DESC, record_id);

CREATE TABLE metadata (
    id           INTEGER PRIMARY KEY,
    recording_id INTEGER NOT NULL REFERENCES recordings (id) ON DELETE CASCADE,
    key          TEXT NOT NULL,
    value        TEXT,
    UNIQUE (recording_id, key)
);
CREATE INDEX metadata_by_key ON metadata (key, value);

CREATE TABLE playback_formats (
    id              INTEGER PRIMARY KEY,
    recording_id    INTEGER NOT NULL REFERENCES recordings (id) ON DELETE CASCADE,
    format          TEXT NOT NULL,
    url             TEXT,
    length          INTEGER,
    processing_time INTEGER,
    UNIQUE (recording_id, format)
);

CREATE TABLE thumbnails (
    id                 INTEGER PRIMARY KEY,
    playback_format_id INTEGER NOT NULL REFERENCES playback_formats (id) ON DELETE CASCADE,
    width              INTEGER,
    height             INTEGER,
    alt                TEXT,
    url                TEXT,
    sequence           INTEGER
);
CREATE INDEX thumbnails_by_format ON thumbnails (playback_format_id);

-- What the importer made of each source file it read in place.
CREATE TABLE import_marks (
    source      TEXT PRIMARY KEY NOT NULL,
    modified_ms INTEGER NOT NULL,
    size        INTEGER NOT NULL,
    failure     TEXT
);

-- Single-use tokens of protected recordings.
CREATE TABLE recording_tokens (
    token         TEXT PRIMARY KEY NOT NULL,
    value         TEXT NOT NULL,
    expires_at_ms INTEGER NOT NULL
);
