-- scalelite-rs's own ledger of in-place imports (not part of upstream's schema; upstream's tables are
-- untouched).

CREATE TABLE IF NOT EXISTS scalelite_rs_import_marks (
    source text PRIMARY KEY,
    modified_ms bigint NOT NULL,
    size bigint NOT NULL,
    failure text
);
