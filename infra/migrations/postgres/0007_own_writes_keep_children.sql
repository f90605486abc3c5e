-- scalelite-rs's own writers write the documents of the recordings whose children they change, in the same
-- transaction, so the triggers of 0006 stand aside for them: such a transaction says so with
-- `SET LOCAL scalelite_rs.writes_children = on`, which ends with it. Every other writer's changes forget
-- documents as before. A batch import then pays for no trigger work, where it paid for six runs (an upsert fires
-- both the insert and the update trigger).
CREATE OR REPLACE FUNCTION scalelite_rs_forget_recording_children() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
    ids bigint[] := '{}';
BEGIN
    IF current_setting('scalelite_rs.writes_children', true) = 'on' THEN
        RETURN NULL;
    END IF;
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
