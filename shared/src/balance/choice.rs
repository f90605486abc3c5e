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

fn least_loaded<'a>(candidates: impl Iterator<Item = &'a Candidate>) -> Option<&'a Candidate> {
    candidates.min_by(|a, b| a.load.total_cmp(&b.load).then_with(|| a.id.cmp(&b.id)))
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

/// Picks the least loaded eligible server (ties go to the smallest id).
pub fn choose<'a>(candidates: &'a [Candidate], request: &TagRequest) -> Result<&'a Candidate, NoChoice> {
    least_loaded(eligible(candidates, request)?.into_iter()).ok_or(NoChoice::NoServer)
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
        assert_eq!(choose(&pool, &TagRequest::default()).unwrap().id, "b");
    }

    #[test]
    fn tags_prefer_matches_then_fall_back() {
        let pool = [candidate("a", None, 5.0), candidate("b", Some("x"), 9.0), candidate("c", Some("y"), 1.0)];
        assert_eq!(choose(&pool, &TagRequest::parse(Some("x"))).unwrap().id, "b");
        assert_eq!(choose(&pool, &TagRequest::parse(Some("x;y"))).unwrap().id, "c");
        assert_eq!(choose(&pool, &TagRequest::parse(Some("z"))).unwrap().id, "a");
        assert_eq!(choose(&pool, &TagRequest::parse(Some("none"))).unwrap().id, "a");
        assert_eq!(choose(&pool, &TagRequest::parse(Some("z;w!"))), Err(NoChoice::TagUnavailable("z;w".into())));
    }

    #[test]
    fn no_candidates() {
        assert_eq!(choose(&[], &TagRequest::default()), Err(NoChoice::NoServer));
        let tagged = [candidate("a", Some("x"), 0.0)];
        assert_eq!(choose(&tagged, &TagRequest::default()), Err(NoChoice::NoServer));
    }

    #[test]
    fn ties_break_by_id() {
        let pool = [candidate("b", None, 1.0), candidate("a", None, 1.0)];
        assert_eq!(choose(&pool, &TagRequest::default()).unwrap().id, "a");
    }
}
