//! Picking the server for a new meeting: least loaded among those matching the tags, upstream's rules.

use crate::balance::tags::TagRequest;

/// A server that may take new meetings: enabled, online, with a known load.
#[derive(Clone, Debug, PartialEq)]
pub struct Candidate {
    pub id: String,
    pub tag: Option<String>,
    pub load: f64,
}

/// How many equally loaded servers a meeting id spreads over: the first of the tied ones by id. Enough that
/// creates racing from several replicas rarely pick the same server, and few enough that a placement reads a
/// handful of servers whatever the size of the pool.
pub const TIE_SPREAD: usize = 8;

/// Why no server could be picked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NoChoice {
    /// No candidate at all (or none untagged when no tag matched).
    NoServer,
    /// The tags were required and no candidate carries one of them.
    TagUnavailable(String),
    /// The servers read do not decide: one not read may be the choice.
    Unread,
}

/// The servers a choice was made among, as far as they were read: a placement reads the servers that take new
/// meetings in order of load (then id) and stops early.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Reach {
    /// Every server was read.
    All,
    /// Servers were read in order up to one with this load: those not read have at least it.
    UpTo(f64),
}

/// The server picked and what it was picked over.
#[derive(Clone, Debug, PartialEq)]
pub struct Choice<'a> {
    pub chosen: &'a Candidate,
    /// The lowest load of any other server the request could have gone to (`None`: there is none): the chosen
    /// server stays the right choice while its load does not rise above it.
    pub ceiling: Option<f64>,
}

/// FNV-1a: a stable spread of meeting ids over equally loaded servers.
fn spread_key(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3))
}

/// The servers a meeting may go to. With tags, those carrying one of them (an untagged server counts as tag
/// `none`); when none matches, untagged servers, unless the tags were required. Among servers read up to
/// `reach`, a server not read could be the only match: [`NoChoice::Unread`].
pub fn eligible<'a>(
    candidates: &'a [Candidate],
    reach: Reach,
    request: &TagRequest,
) -> Result<Vec<&'a Candidate>, NoChoice> {
    let complete = reach == Reach::All;
    if !request.tags.is_empty() {
        let matching: Vec<&Candidate> = candidates
            .iter()
            .filter(|c| request.tags.iter().any(|t| c.tag.as_deref().unwrap_or("none") == t))
            .collect();
        if !matching.is_empty() {
            return Ok(matching);
        }
        if !complete {
            return Err(NoChoice::Unread);
        }
        if request.required {
            return Err(NoChoice::TagUnavailable(request.display()));
        }
    }
    let untagged: Vec<&Candidate> = candidates.iter().filter(|c| c.tag.is_none()).collect();
    match (untagged.is_empty(), complete) {
        (false, _) => Ok(untagged),
        (true, true) => Err(NoChoice::NoServer),
        (true, false) => Err(NoChoice::Unread),
    }
}

/// Picks the least loaded eligible server for `meeting_id`: among equals, the first [`TIE_SPREAD`] by id, the
/// one the meeting id's hash points at (the same on every store and every attempt), so creates racing from
/// several replicas spread over tied servers instead of all contending for one. `candidates` are the servers
/// read up to `reach`; when a server not read could change the answer, [`NoChoice::Unread`].
pub fn choose<'a>(
    candidates: &'a [Candidate],
    reach: Reach,
    request: &TagRequest,
    meeting_id: &str,
) -> Result<Choice<'a>, NoChoice> {
    let mut found = eligible(candidates, reach, request)?;
    found.sort_by(|a, b| a.load.total_cmp(&b.load).then_with(|| a.id.cmp(&b.id)));
    let lowest = found[0].load;
    let tied = found.iter().take_while(|c| c.load == lowest).count();
    let decided = match reach {
        Reach::All => true,
        Reach::UpTo(beyond) => lowest < beyond || (lowest == beyond && tied >= TIE_SPREAD),
    };
    if !decided {
        return Err(NoChoice::Unread);
    }
    let spread = tied.min(TIE_SPREAD);
    let index = usize::try_from(spread_key(meeting_id) % spread as u64).unwrap_or(0);
    let chosen = found[index];
    let others = found.iter().enumerate().filter(|(n, _)| *n != index).map(|(_, c)| c.load);
    let beyond = match reach {
        Reach::All => None,
        Reach::UpTo(beyond) => Some(beyond),
    };
    let ceiling = others.chain(beyond).min_by(f64::total_cmp);
    Ok(Choice { chosen, ceiling })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidate(id: &str, tag: Option<&str>, load: f64) -> Candidate {
        Candidate { id: id.into(), tag: tag.map(Into::into), load }
    }

    fn pick<'a>(pool: &'a [Candidate], request: &TagRequest, meeting_id: &str) -> Result<&'a str, NoChoice> {
        choose(pool, Reach::All, request, meeting_id).map(|choice| choice.chosen.id.as_str())
    }

    #[test]
    fn least_loaded_untagged_without_tags() {
        let pool = [candidate("a", None, 5.0), candidate("b", None, 2.0), candidate("c", Some("x"), 0.0)];
        assert_eq!(pick(&pool, &TagRequest::default(), "m"), Ok("b"));
    }

    #[test]
    fn tags_prefer_matches_then_fall_back() {
        let pool = [candidate("a", None, 5.0), candidate("b", Some("x"), 9.0), candidate("c", Some("y"), 1.0)];
        assert_eq!(pick(&pool, &TagRequest::parse(Some("x")), "m"), Ok("b"));
        assert_eq!(pick(&pool, &TagRequest::parse(Some("x;y")), "m"), Ok("c"));
        assert_eq!(pick(&pool, &TagRequest::parse(Some("z")), "m"), Ok("a"));
        assert_eq!(pick(&pool, &TagRequest::parse(Some("none")), "m"), Ok("a"));
        assert_eq!(pick(&pool, &TagRequest::parse(Some("z;w!")), "m"), Err(NoChoice::TagUnavailable("z;w".into())));
    }

    #[test]
    fn no_candidates() {
        assert_eq!(pick(&[], &TagRequest::default(), "m"), Err(NoChoice::NoServer));
        let tagged = [candidate("a", Some("x"), 0.0)];
        assert_eq!(pick(&tagged, &TagRequest::default(), "m"), Err(NoChoice::NoServer));
    }

    #[test]
    fn ties_spread_by_meeting_id_whatever_the_order() {
        let pool = [candidate("b", None, 1.0), candidate("a", None, 1.0), candidate("c", None, 2.0)];
        let reversed = [pool[2].clone(), pool[1].clone(), pool[0].clone()];
        let mut picked = std::collections::HashSet::new();
        for n in 0..20 {
            let id = format!("meeting-{n}");
            let chosen = pick(&pool, &TagRequest::default(), &id).unwrap();
            assert_eq!(chosen, pick(&reversed, &TagRequest::default(), &id).unwrap());
            assert_ne!(chosen, "c");
            picked.insert(chosen);
        }
        assert_eq!(picked.len(), 2, "ties are spread over both servers");
    }

    #[test]
    fn ties_spread_over_the_first_few_by_id() {
        let pool: Vec<Candidate> = (0..50).map(|n| candidate(&format!("s{n:02}"), None, 0.0)).collect();
        let picked: std::collections::HashSet<&str> =
            (0..200).map(|n| pick(&pool, &TagRequest::default(), &format!("m{n}")).unwrap()).collect();
        let expected: std::collections::HashSet<&str> = pool[..TIE_SPREAD].iter().map(|c| c.id.as_str()).collect();
        assert_eq!(picked, expected);
    }

    #[test]
    fn a_partial_read_decides_only_when_no_server_beyond_it_could_be_the_choice() {
        let none = TagRequest::default();
        let pool = [candidate("a", None, 1.0), candidate("b", None, 3.0)];
        let choice = choose(&pool, Reach::UpTo(2.0), &none, "m").unwrap();
        assert_eq!((choice.chosen.id.as_str(), choice.ceiling), ("a", Some(2.0)), "b is beyond a server not read");
        assert_eq!(choose(&pool, Reach::All, &none, "m").unwrap().ceiling, Some(3.0));
        assert_eq!(choose(&pool, Reach::UpTo(1.0), &none, "m"), Err(NoChoice::Unread), "a tie beyond the read");
        assert_eq!(choose(&pool, Reach::UpTo(0.5), &none, "m"), Err(NoChoice::Unread));
        let tied: Vec<Candidate> = (0..TIE_SPREAD).map(|n| candidate(&format!("t{n}"), None, 1.0)).collect();
        assert!(choose(&tied, Reach::UpTo(1.0), &none, "m").is_ok(), "the spread is complete");

        let tagged = [candidate("a", Some("x"), 0.0)];
        assert_eq!(choose(&tagged, Reach::UpTo(5.0), &none, "m"), Err(NoChoice::Unread), "untagged ones may follow");
        assert_eq!(choose(&pool, Reach::UpTo(5.0), &TagRequest::parse(Some("x")), "m"), Err(NoChoice::Unread));
        assert_eq!(choose(&pool, Reach::UpTo(5.0), &TagRequest::parse(Some("x!")), "m"), Err(NoChoice::Unread));
        let alone = choose(&pool[..1], Reach::All, &none, "m").unwrap();
        assert_eq!(alone.ceiling, None, "no other server to go to");
    }
}
