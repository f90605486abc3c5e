//! A recordID prefix, and the byte range of the ids that start with it (how an ordered index finds them).

/// A case-sensitive recordID prefix; `%`, `_` and `|` are plain characters.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Prefix(String);

impl Prefix {
    pub fn new(prefix: impl Into<String>) -> Self {
        Self(prefix.into())
    }

    /// The prefix itself: the lowest id that starts with it.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn matches(&self, record_id: &str) -> bool {
        record_id.starts_with(&self.0)
    }

    /// The lowest id above every id that starts with the prefix, in byte (code point) order; `None` when no
    /// string sorts above them. The ids with the prefix are exactly those in `[prefix, upper_bound)`.
    pub fn upper_bound(&self) -> Option<String> {
        let mut chars: Vec<char> = self.0.chars().collect();
        while let Some(last) = chars.pop() {
            if let Some(next) = successor(last) {
                chars.push(next);
                return Some(chars.into_iter().collect());
            }
        }
        None
    }
}

/// The next code point that is a `char` (surrogates are skipped).
fn successor(c: char) -> Option<char> {
    match c {
        '\u{D7FF}' => Some('\u{E000}'),
        c => char::from_u32(u32::from(c) + 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_range_ends_at_the_next_code_point() {
        assert_eq!(Prefix::new("abc").upper_bound().as_deref(), Some("abd"));
        assert_eq!(Prefix::new("a|").upper_bound().as_deref(), Some("a}"));
        assert_eq!(Prefix::new("a\u{D7FF}").upper_bound().as_deref(), Some("a\u{E000}"));
        assert_eq!(Prefix::new("a\u{10FFFF}").upper_bound().as_deref(), Some("b"));
        assert_eq!(Prefix::new("\u{10FFFF}").upper_bound(), None);
        assert_eq!(Prefix::new("").upper_bound(), None);
    }

    /// Strings of the characters where the range could go wrong.
    fn edgy() -> impl Strategy<Value = String> {
        let chars = prop::sample::select(vec!['a', 'b', '|', '%', '\u{D7FF}', '\u{E000}', '\u{10FFFE}', '\u{10FFFF}']);
        prop::collection::vec(chars, 0..5).prop_map(|c| c.into_iter().collect())
    }

    proptest! {
        #[test]
        fn the_range_holds_exactly_the_ids_with_the_prefix(prefix in edgy(), id in edgy()) {
            let prefix = Prefix::new(prefix);
            let in_range = id.as_str() >= prefix.as_str() && prefix.upper_bound().is_none_or(|end| id < end);
            prop_assert_eq!(prefix.matches(&id), in_range);
        }
    }
}
