-- Indexes for getRecordings' filters, beside upstream's own (its tables and columns are left as they are):
-- recordID prefixes as byte ranges, metadata filters by key and value, and the newest-first order.
CREATE INDEX IF NOT EXISTS scalelite_rs_recordings_record_id_bytes ON recordings (record_id COLLATE "C");
CREATE INDEX IF NOT EXISTS scalelite_rs_metadata_key_value ON metadata (key, value);
CREATE INDEX IF NOT EXISTS scalelite_rs_recordings_newest ON recordings (starttime DESC, record_id);
