-- When the latest create of a meeting was sent and when BBB confirmed it; meetings a poll found running
-- on a server while placed on another one.
ALTER TABLE meetings ADD COLUMN create_sent_at_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE meetings ADD COLUMN confirmed_at_ms INTEGER;
UPDATE meetings SET create_sent_at_ms = created_at_ms;
ALTER TABLE servers ADD COLUMN split_meetings TEXT NOT NULL DEFAULT '[]';
