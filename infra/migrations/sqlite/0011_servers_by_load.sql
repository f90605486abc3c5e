-- The servers that take new meetings in order of load then id: a placement reads the first few.
CREATE INDEX servers_by_load ON servers (load, id) WHERE state = 'enabled' AND online AND load IS NOT NULL;
