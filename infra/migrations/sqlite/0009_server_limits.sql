-- A server's limits: the most meetings placed on it, the most participants with which it takes a new meeting.
ALTER TABLE servers ADD COLUMN max_meetings INTEGER;
ALTER TABLE servers ADD COLUMN max_participants INTEGER;
