-- The metadata filter's index also holds each row's recording id, so that a `meta_` filter finds its recordings
-- off the index alone (an index-only scan, once vacuum has marked the table's pages all-visible): the matching
-- entries lie side by side, where their rows lie scattered over the table, one page visit each. The new index is
-- built first (writes to `metadata` wait for the build, reads do not), and the old one dropped last, so the
-- exclusive lock the drop takes lasts only until the migration commits.
CREATE INDEX IF NOT EXISTS scalelite_rs_metadata_filter ON metadata (key, value) INCLUDE (recording_id);
DROP INDEX IF EXISTS scalelite_rs_metadata_key_value;
