-- Each recording's metadata, playback formats and thumbnails as one JSON document, in scalelite-rs's own table
-- beside upstream's (whose tables are left as they are), so that getRecordings reads a page of recordings without
-- a lookup per child row. scalelite-rs writes a recording's document in the transaction that changes its
-- children, under the recording's row lock, from the child rows as it reads them; the view builds the same
-- document in SQL, for the recordings indexed before this migration.
CREATE TABLE IF NOT EXISTS scalelite_rs_recording_children (
    recording_id bigint PRIMARY KEY,
    document text NOT NULL
);

CREATE OR REPLACE VIEW scalelite_rs_recording_children_built (recording_id, document) AS
SELECT r.id, json_build_object(
    'metadata', COALESCE((SELECT json_object_agg(m.key, COALESCE(m.value, ''))
                          FROM metadata m WHERE m.recording_id = r.id AND m.key IS NOT NULL), '{}'),
    'formats', COALESCE((SELECT json_agg(json_build_object(
                             'format', COALESCE(p.format, ''),
                             'url', COALESCE(p.url, ''),
                             'length', p.length,
                             'processing_time', p.processing_time,
                             'thumbnails', COALESCE((SELECT json_agg(json_build_object(
                                                         'url', COALESCE(t.url, ''),
                                                         'width', t.width,
                                                         'height', t.height,
                                                         'alt', t.alt,
                                                         'sequence', COALESCE(t.sequence, 0))
                                                         ORDER BY COALESCE(t.sequence, 0), t.id)
                                                     FROM thumbnails t WHERE t.playback_format_id = p.id), '[]'))
                             ORDER BY COALESCE(p.format, ''), p.id)
                         FROM playback_formats p WHERE p.recording_id = r.id), '[]'))::text
FROM recordings r;

-- Another writer of upstream's tables (upstream Scalelite itself, or a hand edit) changing a child row forgets
-- the recording's document (and deleting a recording, its document), so that it is read from its child rows
-- until scalelite-rs writes the recording again. The trigger takes the recordings' row locks before it forgets,
-- and scalelite-rs's writers hold them while they write a document, so a document is never written from child
-- rows another writer is still changing. That writer holds its child rows when it asks for the recording's lock,
-- and scalelite-rs asks in the other order, so the two writing the same recording at the same moment can
-- deadlock; PostgreSQL then aborts one of them, and its write is tried again (an import on the next pass). The
-- trigger runs once a statement, on the rows the statement changed, so a batch import pays for it once a table.
CREATE OR REPLACE FUNCTION scalelite_rs_forget_recording_children() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
    ids bigint[] := '{}';
BEGIN
    IF TG_TABLE_NAME = 'recordings' THEN
        ids := ARRAY(SELECT id FROM old_rows);
    ELSIF TG_TABLE_NAME = 'thumbnails' THEN
        IF TG_OP <> 'INSERT' THEN
            ids := ids || ARRAY(SELECT p.recording_id FROM old_rows o JOIN playback_formats p ON p.id = o.playback_format_id);
        END IF;
        IF TG_OP <> 'DELETE' THEN
            ids := ids || ARRAY(SELECT p.recording_id FROM new_rows n JOIN playback_formats p ON p.id = n.playback_format_id);
        END IF;
    ELSE
        IF TG_OP <> 'INSERT' THEN
            ids := ids || ARRAY(SELECT recording_id FROM old_rows);
        END IF;
        IF TG_OP <> 'DELETE' THEN
            ids := ids || ARRAY(SELECT recording_id FROM new_rows);
        END IF;
    END IF;
    PERFORM 1 FROM recordings WHERE id = ANY(ids) ORDER BY id FOR UPDATE;
    DELETE FROM scalelite_rs_recording_children WHERE recording_id = ANY(ids);
    RETURN NULL;
END
$$;

-- One trigger an event (a trigger with transition tables has one event): on each child table for inserts,
-- updates and deletes, and on recordings for deletes.
DO $$
DECLARE
    target record;
BEGIN
    FOR target IN SELECT * FROM (VALUES
        ('metadata', 'INSERT', 'NEW TABLE AS new_rows'),
        ('metadata', 'UPDATE', 'OLD TABLE AS old_rows NEW TABLE AS new_rows'),
        ('metadata', 'DELETE', 'OLD TABLE AS old_rows'),
        ('playback_formats', 'INSERT', 'NEW TABLE AS new_rows'),
        ('playback_formats', 'UPDATE', 'OLD TABLE AS old_rows NEW TABLE AS new_rows'),
        ('playback_formats', 'DELETE', 'OLD TABLE AS old_rows'),
        ('thumbnails', 'INSERT', 'NEW TABLE AS new_rows'),
        ('thumbnails', 'UPDATE', 'OLD TABLE AS old_rows NEW TABLE AS new_rows'),
        ('thumbnails', 'DELETE', 'OLD TABLE AS old_rows'),
        ('recordings', 'DELETE', 'OLD TABLE AS old_rows')
    ) AS t (tab, event, transition)
    LOOP
        EXECUTE format('DROP TRIGGER IF EXISTS %I ON %I', 'scalelite_rs_forget_children_' || lower(target.event), target.tab);
        EXECUTE format(
            'CREATE TRIGGER %I AFTER %s ON %I REFERENCING %s FOR EACH STATEMENT '
            'EXECUTE FUNCTION scalelite_rs_forget_recording_children()',
            'scalelite_rs_forget_children_' || lower(target.event), target.event, target.tab, target.transition);
    END LOOP;
END
$$;

-- Emptying any of the four tables (TRUNCATE, as a reload does) forgets every document.
CREATE OR REPLACE FUNCTION scalelite_rs_forget_all_recording_children() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    TRUNCATE scalelite_rs_recording_children;
    RETURN NULL;
END
$$;

DO $$
DECLARE
    tab text;
BEGIN
    FOREACH tab IN ARRAY ARRAY['metadata', 'playback_formats', 'thumbnails', 'recordings']
    LOOP
        EXECUTE format('DROP TRIGGER IF EXISTS scalelite_rs_forget_children_truncate ON %I', tab);
        EXECUTE format(
            'CREATE TRIGGER scalelite_rs_forget_children_truncate AFTER TRUNCATE ON %I FOR EACH STATEMENT '
            'EXECUTE FUNCTION scalelite_rs_forget_all_recording_children()', tab);
    END LOOP;
END
$$;

-- The documents of the recordings already indexed (a one-time pass over the index).
INSERT INTO scalelite_rs_recording_children (recording_id, document)
SELECT recording_id, document FROM scalelite_rs_recording_children_built
ON CONFLICT (recording_id) DO UPDATE SET document = EXCLUDED.document;
