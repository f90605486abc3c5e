-- A page of all recordings is counted off this index alone: the state every getRecordings filters on is read
-- from the index, so the rows skipped before the page are never looked up in the table.
DROP INDEX recordings_by_start;
CREATE INDEX recordings_by_start ON recordings (starttime_ms DESC, record_id, state);
