-- The callback URLs a front-end gave when it created a meeting, one row per meeting.
CREATE TABLE meeting_callbacks (
    meeting_id             TEXT PRIMARY KEY NOT NULL,
    recording_ready_url    TEXT,
    analytics_callback_url TEXT,
    end_callback_url       TEXT,
    updated_at_ms          INTEGER NOT NULL
);
