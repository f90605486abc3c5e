-- Upstream Scalelite's recording tables (db/schema.rb as of its last migration, 20230627141045), created
-- only where missing: a database Rails already set up is left as it is. Upstream keeps no foreign keys and
-- no created_at/updated_at on these four tables (its init migration turns Rails timestamps off); only
-- callback_data has them.

CREATE TABLE IF NOT EXISTS recordings (
    id bigserial PRIMARY KEY,
    record_id character varying,
    meeting_id character varying,
    name character varying,
    published boolean DEFAULT false NOT NULL,
    participants integer,
    state character varying,
    starttime timestamp without time zone,
    endtime timestamp without time zone,
    deleted_at timestamp without time zone,
    publish_updated boolean DEFAULT false NOT NULL,
    protected boolean DEFAULT false NOT NULL
);
CREATE INDEX IF NOT EXISTS index_recordings_on_meeting_id ON recordings (meeting_id);
CREATE UNIQUE INDEX IF NOT EXISTS index_recordings_on_record_id ON recordings (record_id);

CREATE TABLE IF NOT EXISTS metadata (
    id bigserial PRIMARY KEY,
    recording_id bigint,
    key character varying,
    value character varying
);
CREATE UNIQUE INDEX IF NOT EXISTS index_metadata_on_recording_id_and_key ON metadata (recording_id, key);

CREATE TABLE IF NOT EXISTS playback_formats (
    id bigserial PRIMARY KEY,
    recording_id bigint,
    format character varying,
    url character varying,
    length integer,
    processing_time integer
);
CREATE UNIQUE INDEX IF NOT EXISTS index_playback_formats_on_recording_id_and_format
    ON playback_formats (recording_id, format);

CREATE TABLE IF NOT EXISTS thumbnails (
    id bigserial PRIMARY KEY,
    playback_format_id bigint,
    width integer,
    height integer,
    alt character varying,
    url character varying,
    sequence integer
);
CREATE INDEX IF NOT EXISTS index_thumbnails_on_playback_format_id ON thumbnails (playback_format_id);

CREATE TABLE IF NOT EXISTS callback_data (
    id bigserial PRIMARY KEY,
    meeting_id character varying,
    recording_id integer,
    callback_attributes text,
    created_at timestamp(6) without time zone NOT NULL,
    updated_at timestamp(6) without time zone NOT NULL
);
