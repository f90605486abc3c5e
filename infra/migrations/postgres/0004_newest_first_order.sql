-- getRecordings' order as the query planner states it: newest first with recordings without a start time last,
-- then recordID in byte order. Replaces our own index of 0003 (upstream's indexes are left as they are).
DROP INDEX IF EXISTS scalelite_rs_recordings_newest;
CREATE INDEX IF NOT EXISTS scalelite_rs_recordings_newest_first
    ON recordings (starttime DESC NULLS LAST, record_id COLLATE "C");
