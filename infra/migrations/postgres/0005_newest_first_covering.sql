-- The newest-first index also holds each recording's state and id, so that a page of all recordings is counted
-- off the index alone (an index-only scan) and only the rows of the page are read from the table.
DROP INDEX IF EXISTS scalelite_rs_recordings_newest_first;
CREATE INDEX IF NOT EXISTS scalelite_rs_recordings_newest_first
    ON recordings (starttime DESC NULLS LAST, record_id COLLATE "C") INCLUDE (state, id);
