//! What a BBB answer must be before the load balancer reads it or passes any of it on, beyond its tags: UTF-8,
//! no document type declaration (so no entity of its own, internal or external), no character XML 1.0
//! forbids, and every reference one of XML's five entities or a character XML allows. The tags themselves are
//! left to the readers.

/// Why an answer is neither read nor passed on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Flaw {
    #[error("not UTF-8")]
    NotUtf8,
    #[error("a document type declaration")]
    Dtd,
    #[error("a character XML forbids")]
    Character,
    #[error("a reference XML does not define")]
    Reference,
    #[error("a tag that is not well-formed")]
    Markup,
}

/// True for a character XML 1.0 forbids: a control character but tab, newline and carriage return, or
/// U+FFFE/U+FFFF.
pub fn forbidden(c: char) -> bool {
    (c < ' ' && !matches!(c, '\t' | '\n' | '\r')) || matches!(c, '\u{FFFE}' | '\u{FFFF}')
}

/// True when `bytes` (UTF-8) holds a character XML 1.0 forbids: an ASCII control byte but tab, newline and
/// carriage return (in UTF-8 such a byte is that character), or U+FFFE/U+FFFF (`EF BF BE`, `EF BF BF`).
pub fn holds_forbidden(bytes: &[u8]) -> bool {
    // A chunk at a time, without stopping early inside one, so the test of each byte runs as vector code.
    let control = |b: u8| b < b' ' && !matches!(b, b'\t' | b'\n' | b'\r');
    bytes.chunks(64).any(|chunk| chunk.iter().fold(false, |found, &b| found | control(b)))
        || memchr::memchr_iter(0xEF, bytes)
            .any(|at| bytes.get(at + 1) == Some(&0xBF) && matches!(bytes.get(at + 2), Some(0xBE | 0xBF)))
}

/// Checks `body`. A document cut off mid-way passes as far as it goes: the readers judge what is missing.
pub fn check(body: &[u8]) -> Result<(), Flaw> {
    let text = std::str::from_utf8(body).map_err(|_| Flaw::NotUtf8)?;
    if holds_forbidden(body) {
        return Err(Flaw::Character);
    }
    let mut rest = text;
    while let Some(at) = memchr::memchr2(b'<', b'&', rest.as_bytes()) {
        rest = &rest[at..];
        rest = if rest.starts_with('&') { reference(rest)? } else { markup(rest)? };
    }
    Ok(())
}

/// What follows the reference `s` starts with (`&name;`), when it is one of XML's five entities or a
/// character reference to a character XML allows; a reference cut off by the end of the document ends it.
fn reference(s: &str) -> Result<&str, Flaw> {
    let inner = &s[1..];
    let Some(end) = inner.bytes().position(|b| !(b.is_ascii_alphanumeric() || b == b'#')) else { return Ok("") };
    if inner.as_bytes()[end] != b';' {
        return Err(Flaw::Reference);
    }
    let name = &inner[..end];
    let allowed = match name.strip_prefix('#') {
        Some(number) => {
            let code = match number.strip_prefix('x') {
                Some(hex) => u32::from_str_radix(hex, 16),
                None => number.parse(),
            };
            code.ok().and_then(char::from_u32).is_some_and(|c| !forbidden(c))
        }
        None => matches!(name, "amp" | "lt" | "gt" | "quot" | "apos"),
    };
    if allowed { Ok(&inner[end + 1..]) } else { Err(Flaw::Reference) }
}

/// What follows the markup `s` starts with: a comment, CDATA section or processing instruction is passed
/// whole, a tag has its attribute values checked, and any other `<!` is a declaration. Markup cut off by the
/// end of the document ends it.
fn markup(s: &str) -> Result<&str, Flaw> {
    if !matches!(s.as_bytes().get(1), Some(b'!' | b'?') | None) {
        return tag(&s[1..]);
    }
    for (open, close) in [("<!--", "-->"), ("<![CDATA[", "]]>"), ("<?", "?>")] {
        if let Some(inner) = s.strip_prefix(open) {
            return Ok(inner.find(close).map_or("", |at| &inner[at + close.len()..]));
        }
        if open.starts_with(s) {
            return Ok("");
        }
    }
    if s.starts_with("<!") {
        return Err(Flaw::Dtd);
    }
    tag(&s[1..])
}

/// White space between the parts of a tag.
fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

/// The bytes a name is made of, by value: letters, digits, `_`, `:`, `-`, `.` and every byte of a non-ASCII
/// character.
const NAME_BYTES: [bool; 256] = {
    let mut table = [false; 256];
    let mut byte = 0;
    while byte < 256 {
        let b = byte as u8;
        table[byte] = b.is_ascii_alphanumeric() || matches!(b, b'_' | b':' | b'-' | b'.') || b >= 0x80;
        byte += 1;
    }
    table
};

/// The name `s` starts with (letters, digits, `_`, `:`, `-`, `.` and any non-ASCII character, not starting
/// with a digit, `-` or `.`), and what follows it. Read byte by byte: it ends at an ASCII byte, which is a
/// character boundary.
fn name(s: &str) -> Result<(&str, &str), Flaw> {
    let end = s.bytes().position(|b| !NAME_BYTES[usize::from(b)]);
    let (name, rest) = s.split_at(end.unwrap_or(s.len()));
    match name.chars().next() {
        Some(first) if !(first.is_ascii_digit() || matches!(first, '-' | '.')) => Ok((name, rest)),
        _ => Err(Flaw::Markup),
    }
}

/// What follows the attribute value `s` starts in (after its opening `quote`): no `<` in it, and every
/// reference one XML defines; `None` when the document ends inside it.
fn value(s: &str, quote: u8) -> Result<Option<&str>, Flaw> {
    let mut rest = s;
    while let Some(at) = memchr::memchr3(quote, b'<', b'&', rest.as_bytes()) {
        let after = &rest[at..];
        if after.as_bytes()[0] == quote {
            return Ok(Some(&after[1..]));
        }
        if after.starts_with('<') {
            return Err(Flaw::Markup);
        }
        rest = reference(after)?;
    }
    Ok(None)
}

/// What follows the tag `s` starts with (after its `<`): a start tag's name and attributes (`name="value"` or
/// `name='value'`, each name once, white space before each), then `>` or `/>`; an end tag's name, then `>`.
/// A tag cut off by the end of the document ends it.
fn tag(s: &str) -> Result<&str, Flaw> {
    let end_tag = s.starts_with('/');
    let s = if end_tag { &s[1..] } else { s };
    if s.is_empty() {
        return Ok("");
    }
    let (_, mut rest) = name(s)?;
    let mut seen: Vec<&str> = Vec::new();
    loop {
        let spaced = rest.trim_start_matches(is_space);
        if spaced.is_empty() || (!end_tag && spaced == "/") {
            return Ok("");
        }
        if let Some(after) = spaced.strip_prefix('>').or_else(|| spaced.strip_prefix("/>").filter(|_| !end_tag)) {
            return Ok(after);
        }
        if end_tag || spaced.len() == rest.len() {
            return Err(Flaw::Markup);
        }
        let (attribute, after) = name(spaced)?;
        if seen.contains(&attribute) {
            return Err(Flaw::Markup);
        }
        seen.push(attribute);
        let after = after.trim_start_matches(is_space);
        let Some(after) = after.strip_prefix('=') else {
            return if after.is_empty() { Ok("") } else { Err(Flaw::Markup) };
        };
        let after = after.trim_start_matches(is_space);
        let quote = match after.bytes().next() {
            None => return Ok(""),
            Some(quote @ (b'"' | b'\'')) => quote,
            Some(_) => return Err(Flaw::Markup),
        };
        match value(&after[1..], quote)? {
            Some(after) => rest = after,
            None => return Ok(""),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn the_byte_scan_finds_the_characters_xml_forbids(
            chars in prop::collection::vec(
                prop_oneof![any::<char>(), Just('\u{FFFE}'), Just('\u{FFFF}'), Just('\u{FFFD}'), Just('\u{EFBF}'), Just('\t')],
                0..24,
            )
        ) {
            let text: String = chars.into_iter().collect();
            prop_assert_eq!(holds_forbidden(text.as_bytes()), text.contains(forbidden));
        }
    }

    #[test]
    fn bbb_answers_pass() {
        let answer = "<?xml version=\"1.0\"?><response><returncode>SUCCESS</returncode><!-- c & < -->\
            <meetingName>a &amp; b &#65;&#x263A;\t\r\n</meetingName><x a=\"1 &lt; 2 > 0 'q'\" b='\"'/>\
            <![CDATA[<not a tag> & &#0;]]></response>";
        assert_eq!(check(answer.as_bytes()), Ok(()));
    }

    #[test]
    fn cut_off_answers_pass_as_far_as_they_go() {
        let answer =
            "<response><returncode>SUCCESS</returncode><meetings><meeting x=\"a&amp;b\" y='1' >&#x26;</meeting \n>";
        for at in 0..=answer.len() {
            assert_eq!(check(&answer.as_bytes()[..at]), Ok(()), "{}", &answer[..at]);
        }
        for cut in ["<!-", "<![CDA", "<?xml ver", "<a b=\"&am", "&#x2", "</", "<a b", "<a b =", "<a b= '", "<a/"] {
            assert_eq!(check(cut.as_bytes()), Ok(()), "{cut}");
        }
    }

    #[test]
    fn what_breaks_a_document_is_refused() {
        let refused = [
            ("<r>a\0b</r>", Flaw::Character),
            ("<r>\u{1b}</r>", Flaw::Character),
            ("<r>\u{FFFF}</r>", Flaw::Character),
            ("<r a=\"\u{7}\"/>", Flaw::Character),
            ("<r>&#0;</r>", Flaw::Reference),
            ("<r>&#x1B;</r>", Flaw::Reference),
            ("<r>&#xD800;</r>", Flaw::Reference),
            ("<r>&#99999999999;</r>", Flaw::Reference),
            ("<r>&X41;</r>", Flaw::Reference),
            ("<r>&#X41;</r>", Flaw::Reference),
            ("<r>&xxe;</r>", Flaw::Reference),
            ("<r>a & b</r>", Flaw::Reference),
            ("<!DOCTYPE r [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]><r>&xxe;</r>", Flaw::Dtd),
            ("<?xml version=\"1.0\"?><!doctype r><r/>", Flaw::Dtd),
            ("<r><!ENTITY x \"y\"></r>", Flaw::Dtd),
            ("<r a=\"<b>\"/>", Flaw::Markup),
            ("<r a=\"&#0;\"/>", Flaw::Reference),
            ("<r & a=\"1\"/>", Flaw::Markup),
            ("<r a=\"1\" a=\"2\"/>", Flaw::Markup),
            ("<r a>", Flaw::Markup),
            ("<r a=1>", Flaw::Markup),
            ("<r a=\"1\"b=\"2\">", Flaw::Markup),
            ("<1r/>", Flaw::Markup),
            ("<r></r a=\"1\">", Flaw::Markup),
            ("<r></r/>", Flaw::Markup),
            ("< r/>", Flaw::Markup),
        ];
        for (document, flaw) in refused {
            assert_eq!(check(document.as_bytes()), Err(flaw), "{document:?}");
        }
        assert_eq!(check(b"<r>\xff</r>"), Err(Flaw::NotUtf8));
    }
}
