-- Participants of each meeting: the last poll's count plus the joins counted since.
ALTER TABLE meetings ADD COLUMN participants INTEGER NOT NULL DEFAULT 0;
