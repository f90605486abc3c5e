//! Escaping for FreeSWITCH dial plans: no interpolated value may start a `${…}` expansion, and a destination
//! number is matched literally.

/// `text` with every `\` and every `${` preceded by a backslash, so FreeSWITCH expands nothing in it. A `$` not
/// followed by `{` is left alone: FreeSWITCH only unescapes a string in which it finds `${` or `\`.
pub(super) fn fs_escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len() + 2);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' || (c == '$' && chars.peek() == Some(&'{')) {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

/// `text` as a regular expression that matches exactly it (the characters Ruby's `Regexp.escape` escapes, as
/// the condition FreeSWITCH evaluates is PCRE).
pub(super) fn literal_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    for c in text.chars() {
        match c {
            '.' | '*' | '?' | '+' | '^' | '$' | '|' | '(' | ')' | '[' | ']' | '{' | '}' | '\\' | '-' | '#' | ' ' => {
                pattern.push('\\');
                pattern.push(c);
            }
            '\n' => pattern.push_str("\\n"),
            '\t' => pattern.push_str("\\t"),
            '\r' => pattern.push_str("\\r"),
            '\u{c}' => pattern.push_str("\\f"),
            '\u{b}' => pattern.push_str("\\v"),
            _ => pattern.push(c),
        }
    }
    pattern
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expansions_and_backslashes_are_escaped() {
        assert_eq!(fs_escape("${system(id)}"), "\\${system(id)}");
        assert_eq!(fs_escape("a\\b"), "a\\\\b");
        assert_eq!(fs_escape("\\${x}"), "\\\\\\${x}");
        assert_eq!(fs_escape("$5 {x} $"), "$5 {x} $", "a lone $ starts nothing");
        assert_eq!(fs_escape("$${"), "$\\${");
    }

    #[test]
    fn destination_numbers_match_literally() {
        assert_eq!(literal_pattern("5551234"), "5551234");
        assert_eq!(literal_pattern("+1 (555) 12.34"), "\\+1\\ \\(555\\)\\ 12\\.34");
        assert_eq!(fs_escape(&literal_pattern("${x}")), "\\\\$\\\\{x\\\\}");
        assert_eq!(literal_pattern("a\nb"), "a\\nb");
    }
}
