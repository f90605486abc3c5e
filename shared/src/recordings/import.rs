//! What an import makes of a stored recording: the columns follow the import, metadata keys and formats merge
//! by name (a format's thumbnails replaced), and a publish choice made by hand (`publish_updated`) keeps
//! `published` and `state`. The SQL stores write this rule as one upsert; a store that reads and writes back
//! applies it here.

use std::collections::{BTreeMap, HashMap};

use crate::model::{PlaybackFormat, Recording};

/// `stored` (if any) updated by a new import of the same recording.
pub fn merged(stored: Option<Recording>, import: &Recording) -> Recording {
    let mut next = import.clone();
    next.publish_updated = false;
    let mut formats: BTreeMap<String, PlaybackFormat> = BTreeMap::new();
    if let Some(stored) = stored {
        let mut metadata = stored.metadata;
        metadata.extend(import.metadata.clone());
        next.metadata = metadata;
        formats.extend(stored.formats.into_iter().map(|f| (f.format.clone(), f)));
        if stored.publish_updated {
            next.published = stored.published;
            next.state = stored.state;
            next.publish_updated = true;
        }
    }
    // A format named twice keeps its last.
    formats.extend(import.formats.iter().map(|f| (f.format.clone(), f.clone())));
    next.formats = formats.into_values().collect();
    for format in &mut next.formats {
        format.thumbnails.sort_by_key(|t| t.sequence);
    }
    next
}

/// An import batch as one import a recordID, in recordID order: the batch's imports of the same recording
/// merged in the order given, which is what importing them one after another does to any stored recording.
pub fn collapsed(batch: &[Recording]) -> Vec<Recording> {
    let mut by_id: BTreeMap<&str, Recording> = BTreeMap::new();
    for import in batch {
        let earlier = by_id.remove(import.record_id.as_str());
        by_id.insert(&import.record_id, merged(earlier, import));
    }
    by_id.into_values().collect()
}

/// The recordings of an import batch as stored, in the order they were asked for (of a recordID `stored` holds
/// twice, the later); `Err` names a recordID that is missing.
pub fn as_asked(asked: &[Recording], stored: Vec<Recording>) -> Result<Vec<Recording>, String> {
    let stored: HashMap<String, Recording> = stored.into_iter().map(|r| (r.record_id.clone(), r)).collect();
    asked.iter().map(|r| stored.get(&r.record_id).cloned().ok_or_else(|| r.record_id.clone())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recording(published: bool, format: &str) -> Recording {
        Recording {
            record_id: "r".into(),
            published,
            state: Some(Recording::state_for(published).into()),
            formats: vec![PlaybackFormat { format: format.into(), ..PlaybackFormat::default() }],
            ..Recording::default()
        }
    }

    #[test]
    fn a_publish_choice_survives_and_formats_merge_by_name() {
        let mut stored = recording(false, "video");
        stored.publish_updated = true;
        stored.metadata.insert("kept".into(), "1".into());
        let mut import = recording(true, "presentation");
        import.metadata.insert("new".into(), "2".into());
        let next = merged(Some(stored), &import);
        assert_eq!((next.published, next.state.as_deref(), next.publish_updated), (false, Some("unpublished"), true));
        assert_eq!(next.metadata.len(), 2);
        let formats: Vec<&str> = next.formats.iter().map(|f| f.format.as_str()).collect();
        assert_eq!(formats, ["presentation", "video"]);

        let free = merged(Some(recording(false, "video")), &import);
        assert_eq!((free.published, free.state.as_deref(), free.publish_updated), (true, Some("published"), false));
        assert_eq!(merged(None, &import), import);
    }

    #[test]
    fn a_collapsed_batch_merges_like_imports_one_after_another() {
        let mut stored = recording(false, "video");
        stored.publish_updated = true;
        stored.metadata.insert("kept".into(), "1".into());
        let mut first = recording(true, "presentation");
        first.metadata.insert("a".into(), "1".into());
        let mut second = recording(true, "presentation");
        second.name = Some("renamed".into());
        second.formats[0].length = Some(7);
        second.formats.push(PlaybackFormat { format: "podcast".into(), ..PlaybackFormat::default() });
        second.formats.push(PlaybackFormat { format: "podcast".into(), length: Some(2), ..PlaybackFormat::default() });
        let other = Recording { record_id: "a".into(), ..recording(true, "video") };

        let batch = collapsed(&[first.clone(), other.clone(), second.clone()]);
        assert_eq!(batch.iter().map(|r| r.record_id.as_str()).collect::<Vec<_>>(), ["a", "r"], "recordID order");
        let one_by_one = merged(Some(merged(Some(stored.clone()), &first)), &second);
        assert_eq!(merged(Some(stored), &batch[1]), one_by_one);
        assert_eq!(one_by_one.formats.iter().find(|f| f.format == "podcast").unwrap().length, Some(2), "last kept");
        assert_eq!(batch[0], merged(None, &other));
    }

    #[test]
    fn a_batch_answers_in_the_order_asked() {
        let (a, b) = (Recording { record_id: "a".into(), ..Recording::default() }, recording(true, "video"));
        let asked = [b.clone(), a.clone(), b.clone()];
        assert_eq!(as_asked(&asked, vec![a.clone(), b.clone()]), Ok(vec![b.clone(), a, b.clone()]));
        assert_eq!(as_asked(&asked, vec![b]), Err("a".to_owned()));
    }
}
