//! Writing BBB XML answers: `<response><returncode>…</returncode>…</response>`, every value escaped (and other
//! documents the same way, such as FreeSWITCH's dial plans).

use std::borrow::Cow;

use quick_xml::Writer;
use quick_xml::events::{BytesCData, BytesEnd, BytesStart, BytesText, Event};

use crate::bbb::well_formed::{forbidden, holds_forbidden};

/// A BBB `<response>` document (or another root element) under construction.
pub struct XmlResponse {
    writer: Writer<Vec<u8>>,
    root: &'static str,
}

impl XmlResponse {
    fn open(returncode: &str) -> Self {
        let mut response = Self::document("response", &[]);
        response.element("returncode", returncode);
        response
    }

    /// A document whose root is `<root attributes…>`; `finish` closes it.
    pub fn document(root: &'static str, attributes: &[(&str, &str)]) -> Self {
        let mut document = Self { writer: Writer::new(Vec::with_capacity(256)), root };
        document.start_with(root, attributes);
        document
    }

    /// `<response><returncode>SUCCESS</returncode>`.
    pub fn success() -> Self {
        Self::open("SUCCESS")
    }

    /// A complete FAILED answer with `messageKey` and `message`.
    pub fn failed(key: &str, message: &str) -> Self {
        let mut response = Self::open("FAILED");
        response.element("messageKey", key);
        response.element("message", message);
        response
    }

    fn write(&mut self, event: Event<'_>) {
        // Writing into a Vec cannot fail.
        let _ = self.writer.write_event(event);
    }

    /// Opens an element.
    pub fn start(&mut self, name: &str) -> &mut Self {
        self.write(Event::Start(BytesStart::new(name)));
        self
    }

    /// Opens an element with attributes.
    pub fn start_with(&mut self, name: &str, attributes: &[(&str, &str)]) -> &mut Self {
        self.write(Event::Start(element(name, attributes)));
        self
    }

    /// Closes an element.
    pub fn end(&mut self, name: &str) -> &mut Self {
        self.write(Event::End(BytesEnd::new(name)));
        self
    }

    /// `<name>text</name>`, the text escaped; an empty text gives `<name></name>`.
    pub fn element(&mut self, name: &str, text: &str) -> &mut Self {
        self.start(name);
        if !text.is_empty() {
            self.text(text);
        }
        self.end(name)
    }

    /// Escaped text inside the open element.
    pub fn text(&mut self, text: &str) -> &mut Self {
        self.write(Event::Text(BytesText::new(&xml_chars(text))));
        self
    }

    /// CDATA inside the open element (split where the text holds `]]>`, so it cannot end the section).
    pub fn cdata(&mut self, text: &str) -> &mut Self {
        let text = xml_chars(text);
        for section in BytesCData::escaped(&text) {
            self.write(Event::CData(section));
        }
        self
    }

    /// `<name/>`.
    pub fn empty(&mut self, name: &str) -> &mut Self {
        self.empty_with(name, &[])
    }

    /// `<name attributes…/>`, the values escaped.
    pub fn empty_with(&mut self, name: &str, attributes: &[(&str, &str)]) -> &mut Self {
        self.write(Event::Empty(element(name, attributes)));
        self
    }

    /// Room for `bytes` more of the document.
    pub fn reserve(&mut self, bytes: usize) {
        self.writer.get_mut().reserve(bytes);
    }

    /// Appends already well-formed XML (elements copied from a BBB answer).
    pub fn raw(&mut self, xml: &[u8]) -> &mut Self {
        self.writer.get_mut().extend_from_slice(xml);
        self
    }

    /// Closes `<response>` (or the document's root) and returns the document.
    pub fn finish(mut self) -> Vec<u8> {
        self.end(self.root);
        self.writer.into_inner()
    }
}

/// The start tag `<name attributes…>`, the values escaped.
fn element<'a>(name: &'a str, attributes: &[(&str, &str)]) -> BytesStart<'a> {
    let mut start = BytesStart::new(name);
    for (key, value) in attributes {
        start.push_attribute((*key, xml_chars(value).as_ref()));
    }
    start
}

/// `text` with every character XML 1.0 forbids replaced by U+FFFD, so a document written from anything a client
/// or BBB sent stays well-formed. Most texts hold none, and the check runs over their bytes as vector code.
fn xml_chars(text: &str) -> Cow<'_, str> {
    if holds_forbidden(text.as_bytes()) { Cow::Owned(text.replace(forbidden, "\u{FFFD}")) } else { Cow::Borrowed(text) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_never_break_the_document() {
        let mut response = XmlResponse::failed("serverTagUnavailable", "tag=a\0b\u{1b}c\u{FFFF}!");
        response.start("x").cdata("]]><evil/>\u{7}").end("x");
        let document = String::from_utf8(response.finish()).unwrap();
        assert!(!document.contains(['\0', '\u{1b}', '\u{7}', '\u{FFFF}']), "{document:?}");
        let mut reader = quick_xml::Reader::from_str(&document);
        loop {
            match reader.read_event().expect("well-formed") {
                quick_xml::events::Event::Eof => break,
                quick_xml::events::Event::Empty(e) | quick_xml::events::Event::Start(e) => {
                    assert_ne!(e.name().as_ref(), "evil", "CDATA text stays text: {document}");
                }
                _ => {}
            }
        }
    }

    #[test]
    fn escapes_metacharacters() {
        let mut response = XmlResponse::success();
        response.element("name", "a<b & \"c\"");
        let xml = String::from_utf8(response.finish()).unwrap();
        assert_eq!(xml, "<response><returncode>SUCCESS</returncode><name>a&lt;b &amp; &quot;c&quot;</name></response>");
    }

    #[test]
    fn failed_has_key_and_message() {
        let xml = String::from_utf8(XmlResponse::failed("notFound", "gone").finish()).unwrap();
        assert_eq!(
            xml,
            "<response><returncode>FAILED</returncode><messageKey>notFound</messageKey><message>gone</message></response>"
        );
    }
}
