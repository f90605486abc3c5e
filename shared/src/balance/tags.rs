//! The `meta_server-tag` argument: `a;b` for preferred tags, a trailing `!` to require them.

/// The tags a create asks for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TagRequest {
    pub tags: Vec<String>,
    pub required: bool,
}

impl TagRequest {
    /// Parses upstream's form: blank or `!` alone means no tags.
    pub fn parse(argument: Option<&str>) -> Self {
        let text = argument.unwrap_or("").trim();
        let (list, required) = match text.strip_suffix('!') {
            Some(rest) => (rest, true),
            None => (text, false),
        };
        let tags: Vec<String> = list.split(';').map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned).collect();
        let required = required && !tags.is_empty();
        Self { tags, required }
    }

    /// The tag list as upstream's error message shows it (without the `!`).
    pub fn display(&self) -> String {
        self.tags.join(";")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_optional_and_required() {
        assert_eq!(TagRequest::parse(None), TagRequest::default());
        assert_eq!(TagRequest::parse(Some("!")), TagRequest::default());
        assert_eq!(TagRequest::parse(Some("a;b")), TagRequest { tags: vec!["a".into(), "b".into()], required: false });
        assert_eq!(TagRequest::parse(Some("a;b!")), TagRequest { tags: vec!["a".into(), "b".into()], required: true });
        assert_eq!(TagRequest::parse(Some("a;b!")).display(), "a;b");
    }
}
