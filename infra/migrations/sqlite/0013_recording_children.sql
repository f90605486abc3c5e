-- Each recording's metadata, playback formats and thumbnails as one JSON document in its own row, so that
-- getRecordings reads a page of recordings without a lookup per child row. The view is the one definition of
-- the document: the store rebuilds a recording's document from it in the transaction that changes its children,
-- and this migration builds the documents of the recordings already indexed.
CREATE VIEW recording_children (recording_id, document) AS
SELECT r.id, json_object(
    'metadata', json((SELECT json_group_object(m.key, COALESCE(m.value, ''))
                      FROM metadata m WHERE m.recording_id = r.id)),
    'formats', json((SELECT json_group_array(json_object(
                         'format', p.format,
                         'url', COALESCE(p.url, ''),
                         'length', p.length,
                         'processing_time', p.processing_time,
                         'thumbnails', json((SELECT json_group_array(json_object(
                                                 'url', COALESCE(t.url, ''),
                                                 'width', t.width,
                                                 'height', t.height,
                                                 'alt', t.alt,
                                                 'sequence', COALESCE(t.sequence, 0)) ORDER BY t.sequence, t.id)
                                             FROM thumbnails t WHERE t.playback_format_id = p.id))) ORDER BY p.format)
                     FROM playback_formats p WHERE p.recording_id = r.id)))
FROM recordings r;

ALTER TABLE recordings ADD COLUMN children TEXT;
UPDATE recordings SET children = (SELECT document FROM recording_children WHERE recording_id = recordings.id);
