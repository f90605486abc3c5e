//! Writing BBB XML answers: `<response><returncode>…</returncode>…</response>`, every value escaped.

use quick_xml::Writer;
use quick_xml::events::{BytesCData, BytesEnd, BytesStart, BytesText, Event};

/// A BBB `<response>` document under construction.
pub struct XmlResponse {
    writer: Writer<Vec<u8>>,
}

impl XmlResponse {
    fn open(returncode: &str) -> Self {
        let mut response = Self { writer: Writer::new(Vec::with_capacity(256)) };
        response.start("response");
        response.element("returncode", returncode);
        response
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
        let mut start = BytesStart::new(name);
        for attribute in attributes {
            start.push_attribute(*attribute);
        }
        self.write(Event::Start(start));
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
        self.write(Event::Text(BytesText::new(text)));
        self
    }

    /// A CDATA section inside the open element.
    pub fn cdata(&mut self, text: &str) -> &mut Self {
        self.write(Event::CData(BytesCData::new(text)));
        self
    }

    /// `<name/>`.
    pub fn empty(&mut self, name: &str) -> &mut Self {
        self.write(Event::Empty(BytesStart::new(name)));
        self
    }

    /// Appends already well-formed XML (elements copied from a BBB answer).
    pub fn raw(&mut self, xml: &[u8]) -> &mut Self {
        self.writer.get_mut().extend_from_slice(xml);
        self
    }

    /// Closes `<response>` and returns the document.
    pub fn finish(mut self) -> Vec<u8> {
        self.end("response");
        self.writer.into_inner()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
