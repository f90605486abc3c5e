//! The caller id shown in the meeting for a phone participant: a number is masked, privacy flags hide it.

/// The name to show for a caller whose FreeSWITCH caller-id name is `name`: an all-digit name (a phone number)
/// with its last four digits replaced by `X`, unless the caller hides their number; any other name unless the
/// caller hides their name; `Unavailable` when nothing is left.
pub(super) fn shown(name: Option<&str>, hide_name: Option<&str>, hide_number: Option<&str>) -> String {
    let name = name.filter(|n| !n.trim().is_empty());
    let shown = match name {
        Some(number) if number.bytes().all(|b| b.is_ascii_digit()) => {
            (hide_number != Some("true")).then(|| masked(number))
        }
        _ => name.filter(|_| hide_name != Some("true")).map(str::to_owned),
    };
    shown.filter(|s| !s.trim().is_empty()).unwrap_or_else(|| "Unavailable".to_owned())
}

/// `number` (ASCII digits) with its last four digits (all of them, if fewer) replaced by `X`.
fn masked(number: &str) -> String {
    let kept = number.len().saturating_sub(4);
    format!("{}{}", &number[..kept], "X".repeat(number.len() - kept))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_masked_unless_hidden() {
        assert_eq!(shown(Some("5554321"), None, None), "555XXXX");
        assert_eq!(shown(Some("123"), None, None), "XXX");
        assert_eq!(shown(Some("5554321"), None, Some("true")), "Unavailable");
        assert_eq!(shown(Some("5554321"), Some("true"), Some("false")), "555XXXX", "the name flag is for names");
    }

    #[test]
    fn names_are_shown_unless_hidden() {
        assert_eq!(shown(Some("Test User"), None, None), "Test User");
        assert_eq!(shown(Some("Test User"), Some("true"), None), "Unavailable");
        assert_eq!(shown(Some("Test User"), Some("TRUE"), Some("true")), "Test User", "only `true` hides");
        assert_eq!(shown(Some("+15554321"), None, Some("true")), "+15554321", "not all digits: a name");
        assert_eq!(shown(Some("  "), None, None), "Unavailable");
        assert_eq!(shown(None, None, None), "Unavailable");
        assert_eq!(shown(Some("١٢٣٤٥"), None, None), "١٢٣٤٥", "only ASCII digits make a number");
    }
}
