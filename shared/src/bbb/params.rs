//! BBB request parameters: decoded from the query and form body, checked for control characters, merged in
//! layers, and encoded for outbound calls.

use crate::bbb::error::ApiError;
use crate::bbb::well_formed::forbidden;

/// Ordered parameters; a repeated name keeps its first position and its last value.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    /// Decodes `application/x-www-form-urlencoded` text (a query string or a form body); invalid UTF-8 is replaced.
    pub fn parse(raw: &[u8]) -> Self {
        let mut params = Self::default();
        params.extend_from(raw);
        params
    }

    /// Adds the pairs of another form-encoded text; later values win.
    pub fn extend_from(&mut self, raw: &[u8]) {
        for (name, value) in form_urlencoded::parse(raw) {
            self.set(&name, &value);
        }
    }

    /// Builds parameters from name/value pairs.
    pub fn from_pairs<K: AsRef<str>, V: AsRef<str>>(pairs: impl IntoIterator<Item = (K, V)>) -> Self {
        let mut params = Self::default();
        for (name, value) in pairs {
            params.set(name.as_ref(), value.as_ref());
        }
        params
    }

    /// Sets `name` to `value`, keeping its position if it exists.
    pub fn set(&mut self, name: &str, value: &str) {
        match self.pairs.iter_mut().find(|(n, _)| n == name) {
            Some(pair) => value.clone_into(&mut pair.1),
            None => self.pairs.push((name.to_owned(), value.to_owned())),
        }
    }

    /// Removes `name`.
    pub fn remove(&mut self, name: &str) {
        self.pairs.retain(|(n, _)| n != name);
    }

    /// The value of `name`, if present.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// The value of `name` when present and not blank.
    pub fn non_blank(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|v| !v.trim().is_empty())
    }

    /// Refuses what the load balancer would store, forward or echo broken, as BBB's validation does: a
    /// `meetingID` holding any control character (BBB strips them from every parameter, and refuses a meetingID
    /// that changes under it), or a name or value holding a character XML 1.0 forbids (tab, newline and
    /// carriage return stay allowed outside meetingIDs: BBB's texts, such as a welcome message, may hold them).
    pub fn refuse_control_characters(&self) -> Result<(), ApiError> {
        for (name, value) in self.iter() {
            if name == "meetingID" && value.contains(char::is_control) {
                return Err(ApiError::Validation("Invalid meeting ID"));
            }
            if name.contains(forbidden) || value.contains(forbidden) {
                return Err(ApiError::Validation("Parameters may not contain control characters"));
            }
        }
        Ok(())
    }

    /// Lays `top` over these parameters: its values win.
    pub fn layer(&mut self, top: &Params) {
        for (name, value) in &top.pairs {
            self.set(name, value);
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.pairs.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// Form-encodes the parameters (space as `+`), ready to be signed and sent.
    pub fn encode(&self) -> String {
        let mut out = form_urlencoded::Serializer::new(String::new());
        for (name, value) in &self.pairs {
            out.append_pair(name, value);
        }
        out.finish()
    }

    /// The parameters sorted by name and form-encoded, skipping `checksum`: how BBB re-signs an all-body POST.
    pub fn encode_sorted_without_checksum(&self) -> String {
        let mut sorted: Vec<_> = self.pairs.iter().filter(|(n, _)| n != "checksum").collect();
        sorted.sort();
        let mut out = form_urlencoded::Serializer::new(String::new());
        for (name, value) in sorted {
            out.append_pair(name, value);
        }
        out.finish()
    }
}

/// Parses an upstream list setting: comma-separated `k=v` entries, each split at its first `=`.
pub fn parse_assignments(list: &str) -> Params {
    Params::from_pairs(list.split(',').map(str::trim).filter(|e| !e.is_empty()).map(
        |entry| match entry.split_once('=') {
            Some((k, v)) => (k.to_owned(), v.to_owned()),
            None => (entry.to_owned(), String::new()),
        },
    ))
}

/// Counts how often `name` appears in raw form-encoded text (duplicate checksums are refused).
pub fn count_raw(raw: &[u8], name: &str) -> usize {
    form_urlencoded::parse(raw).filter(|(n, _)| n == name).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_plus_and_percent() {
        let params = Params::parse(b"name=Test+Meeting&x=%3Cb%3E&meetingID=a%20b");
        assert_eq!(params.get("name"), Some("Test Meeting"));
        assert_eq!(params.get("x"), Some("<b>"));
        assert_eq!(params.get("meetingID"), Some("a b"));
    }

    #[test]
    fn later_values_win_in_first_position() {
        let mut params = Params::parse(b"a=1&b=2&a=3");
        assert_eq!(params.encode(), "a=3&b=2");
        params.layer(&parse_assignments("b=x=y, c=4"));
        assert_eq!(params.encode(), "a=3&b=x%3Dy&c=4");
    }

    #[test]
    fn encodes_like_www_form() {
        let params = Params::from_pairs([("n", "a b*-._~ü&")]);
        assert_eq!(params.encode(), "n=a+b*-._%7E%C3%BC%26");
    }

    #[test]
    fn survives_binary_garbage() {
        let params = Params::parse(&[0xff, b'=', 0xfe, b'&', b'%', b'z']);
        assert_eq!(params.iter().count(), 2);
        assert_eq!(count_raw(b"checksum=a&checksum=b", "checksum"), 2);
    }

    #[test]
    fn control_characters_are_refused() {
        let key =
            |query: &[u8]| Params::parse(query).refuse_control_characters().err().map(|e| e.message().into_owned());
        for id in ["a%00b", "a%1Bb", "a%09b", "a%0Ab", "a%7Fb", "a%C2%85b"] {
            assert_eq!(key(format!("meetingID={id}").as_bytes()).as_deref(), Some("Invalid meeting ID"), "{id}");
        }
        for query in ["name=a%00b", "meta_x=%1B", "a%07=1", "fullName=%EF%BF%BF"] {
            let refused = key(query.as_bytes());
            assert_eq!(refused.as_deref(), Some("Parameters may not contain control characters"), "{query}");
        }
        assert_eq!(key(&b"meetingID=a+b%C3%BC&welcome=Hi%0D%0A%09there&name=%7F"[..]), None);
    }

    #[test]
    fn sorted_encoding_skips_checksum() {
        let params = Params::parse(b"z=1&checksum=ab&a=x+y");
        assert_eq!(params.encode_sorted_without_checksum(), "a=x+y&z=1");
    }
}
