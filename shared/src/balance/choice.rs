//! Picking the server for a new meeting: least loaded among those matching the tags, upstream's rules.

use crate::balance::tags::TagRequest;

/// A server that may take new meetings: enabled, online, with a known load.
#[derive(Clone, Debug, PartialEq)]
pub struct Candidate {
    pub id: String,
    pub tag: Option<String>,
    pub load: f64,
}

/// Why no server could be picked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NoChoice {
    /// No candidate at all (or none untagged when no tag matched).
    NoServer,
    /// The tags were required and no candidate carries one of them.
    TagUnavailable(String),
}

/// FNV-1a: a stable spread of meeting ids over equally loaded servers.
fn spread_key(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3))
}

/// The least loaded candidate; among equals (by id order), the one the meeting id's hash points at, so
/// creates racing from several replicas spread over tied servers instead of all contending for one.
fn least_loaded<'a>(mut candidates: Vec<&'a Candidate>, meeting_id: &str) -> Option<&'a Candidate> {
    let lowest = candidates.iter().map(|c| c.load).min_by(f64::total_cmp)?;
    candidates.retain(|c| c.load == lowest);
    candidates.sort_by(|a, b| a.id.cmp(&b.id));
    let index = usize::try_from(spread_key(meeting_id) % candidates.len() as u64).unwrap_or(0);
    candidates.get(index).copied()
}

/// The servers a meeting may go to. With tags, those carrying one of them (an untagged server counts as tag
/// `none`); when none matches, untagged servers, unless the tags were required.
pub fn eligible<'a>(candidates: &'a [Candidate], request: &TagRequest) -> Result<Vec<&'a Candidate>, NoChoice> {
    if !request.tags.is_empty() {
        let matching: Vec<&Candidate> = candidates
            .iter()
            .filter(|c| request.tags.iter().any(|t| c.tag.as_deref().unwrap_or("none") == t))
            .collect();
        if !matching.is_empty() {
            return Ok(matching);
        }
        if request.required {
            return Err(NoChoice::TagUnavailable(request.display()));
        }
    }
    let untagged: Vec<&Candidate> = candidates.iter().filter(|c| c.tag.is_none()).collect();
    if untagged.is_empty() { Err(NoChoice::NoServer) } else { Ok(untagged) }
}

/// Picks the least loaded eligible server for `meeting_id` (ties spread by the meeting id, the same on
/// every store and every attempt).
pub fn choose<'a>(
    candidates: &'a [Candidate],
    request: &TagRequest,
    meeting_id: &str,
) -> Result<&'a Candidate, NoChoice> {
    least_loaded(eligible(candidates, request)?, meeting_id).ok_or(NoChoice::NoServer)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidate(id: &str, tag: Option<&str>, load: f64) -> Candidate {
        Candidate { id: id.into(), tag: tag.map(Into::into), load }
    }

    #[test]
    fn least_loaded_untagged_without_tags() {
        let pool = [candidate("a", None, 5.0), candidate("b", None, 2.0), candidate("c", Some("x"), 0.0)];
        assert_eq!(choose(&pool, &TagRequest::default(), "m").unwrap().id, "b");
    }

    #[test]
    fn tags_prefer_matches_then_fall_back() {
        let pool = [candidate("a", None, 5.0), candidate("b", Some("x"), 9.0), candidate("c", Some("y"), 1.0)];
        assert_eq!(choose(&pool, &TagRequest::parse(Some("x")), "m").unwrap().id, "b");
        assert_eq!(choose(&pool, &TagRequest::parse(Some("x;y")), "m").unwrap().id, "c");
        assert_eq!(choose(&pool, &TagRequest::parse(Some("z")), "m").unwrap().id, "a");
        assert_eq!(choose(&pool, &TagRequest::parse(Some("none")), "m").unwrap().id, "a");
        assert_eq!(choose(&pool, &TagRequest::parse(Some("z;w!")), "m"), Err(NoChoice::TagUnavailable("z;w".into())));
    }

    #[test]
    fn no_candidates() {
        assert_eq!(choose(&[], &TagRequest::default(), "m"), Err(NoChoice::NoServer));
        let tagged = [candidate("a", Some("x"), 0.0)];
        assert_eq!(choose(&tagged, &TagRequest::default(), "m"), Err(NoChoice::NoServer));
    }

    #[test]
    fn ties_spread_by_meeting_id_whatever_the_order() {
        let pool = [candidate("b", None, 1.0), candidate("a", None, 1.0), candidate("c", None, 2.0)];
        let reversed = [pool[2].clone(), pool[1].clone(), pool[0].clone()];
        let mut picked = std::collections::HashSet::new();
        for n in 0..20 {
            let id = format!("meeting-{n}");
            let chosen = &choose(&pool, &TagRequest::default(), &id).unwrap().id;
            assert_eq!(chosen, &choose(&reversed, &TagRequest::default(), &id).unwrap().id);
            assert_ne!(chosen, "c");
            picked.insert(chosen.clone());
        }
        assert_eq!(picked.len(), 2, "ties are spread over both servers");
    }
}
