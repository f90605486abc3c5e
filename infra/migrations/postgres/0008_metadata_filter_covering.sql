-- The metadata filter's index also holds each row's recording id, so that a `meta_` filter finds its recordings
-- off the index alone (an index-only scan): the matching entries lie side by side, where their rows lie scattered
-- over the table, one page visit each.
DROP INDEX IF EXISTS scalelite_rs_metadata_key_value;
CREATE INDEX IF NOT EXISTS scalelite_rs_metadata_key_value ON metadata (key, value) INCLUDE (recording_id);
