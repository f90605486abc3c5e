//! Recording files as BBB servers make them, for tests: metadata.xml documents, format directories and spool
//! tars (including hostile ones).

use std::fs;
use std::path::Path;

/// One format of a recording.
#[derive(Clone, Debug)]
pub struct Fixture {
    pub record_id: String,
    pub meeting_id: String,
    pub name: String,
    pub format: String,
    pub published: bool,
    pub start_ms: i64,
    /// Extra `<meta>` children.
    pub meta: Vec<(String, String)>,
    /// The playback `<link>`, when not BBB's usual one.
    pub link: Option<String>,
}

impl Fixture {
    /// A published presentation of `meeting_id`.
    pub fn new(record_id: &str, meeting_id: &str) -> Self {
        Self {
            record_id: record_id.into(),
            meeting_id: meeting_id.into(),
            name: format!("Room {meeting_id}"),
            format: "presentation".into(),
            published: true,
            start_ms: 1_700_000_000_000,
            meta: Vec::new(),
            link: None,
        }
    }

    pub fn link(mut self, link: &str) -> Self {
        self.link = Some(link.into());
        self
    }

    pub fn format(mut self, format: &str) -> Self {
        self.format = format.into();
        self
    }

    pub fn meta(mut self, key: &str, value: &str) -> Self {
        self.meta.push((key.into(), value.into()));
        self
    }

    pub fn start(mut self, start_ms: i64) -> Self {
        self.start_ms = start_ms;
        self
    }

    /// The metadata.xml BBB writes for this format.
    pub fn metadata_xml(&self) -> String {
        let escape = |text: &str| text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
        let meta: String = self.meta.iter().map(|(k, v)| format!("<{k}>{}</{k}>", escape(v))).collect();
        let state = if self.published { "published" } else { "unpublished" };
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<recording>
  <id>{rid}</id><state>{state}</state><published>{published}</published>
  <start_time>{start}</start_time><end_time>{end}</end_time><participants>4</participants>
  <meeting id="{rid}" externalId="{mid}" name="{name}" breakout="false"/>
  <meta><isBreakout>false</isBreakout><meetingId>{mid}</meetingId><meetingName>{name}</meetingName>{meta}</meta>
  <playback>
    <format>{format}</format><link>{link}</link>
    <duration>180000</duration>
    <extensions><preview><images><image width="176" height="136" alt="Slide 1">https://bbb1.example/{format}/{rid}/thumb-1.png</image></images></preview></extensions>
  </playback>
</recording>"#,
            rid = self.record_id,
            mid = escape(&self.meeting_id),
            name = escape(&self.name),
            published = self.published,
            start = self.start_ms,
            end = self.start_ms + 180_000,
            format = self.format,
            link = self.link.as_deref().map_or_else(
                || format!("https://bbb1.example/playback/{}/2.3/{}", self.format, self.record_id),
                escape
            ),
        )
    }

    /// Writes `<tree>/<format>/<recordID>/` with metadata.xml and a playback file.
    pub fn write_dir(&self, tree: &Path) {
        let dir = tree.join(&self.format).join(&self.record_id);
        fs::create_dir_all(&dir).expect("format dir");
        fs::write(dir.join("metadata.xml"), self.metadata_xml()).expect("metadata.xml");
        fs::write(dir.join("index.html"), "<html>playback</html>").expect("playback file");
    }
}

/// Writes a spool tar of the given formats, as the post-publish script packs them (`<format>/<recordID>/...`).
pub fn write_tar(path: &Path, formats: &[Fixture]) {
    write_atomically(path, &tar_bytes(formats));
}

/// A tar of the given formats (`<format>/<recordID>/metadata.xml` and a playback file each).
pub fn tar_bytes(formats: &[Fixture]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for fixture in formats {
        for (file, data) in [("metadata.xml", fixture.metadata_xml()), ("index.html", "<html>playback</html>".into())] {
            let mut header = tar::Header::new_gnu();
            header.set_size(data.len() as u64);
            header.set_mode(0o644);
            header.set_entry_type(tar::EntryType::Regular);
            builder
                .append_data(&mut header, format!("{}/{}/{file}", fixture.format, fixture.record_id), data.as_bytes())
                .expect("tar entry");
        }
    }
    builder.into_inner().expect("tar")
}

/// Writes a tar with one entry whose raw name and type are chosen by the test (`../x`, a symlink ...).
pub fn write_hostile_tar(path: &Path, name: &str, kind: tar::EntryType, link: Option<&str>) {
    let mut header = tar::Header::new_gnu();
    header.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
    header.set_entry_type(kind);
    header.set_size(if kind == tar::EntryType::Regular { 4 } else { 0 });
    if let Some(link) = link {
        header.set_link_name(link).expect("link name");
    }
    header.set_mode(0o644);
    header.set_cksum();
    let mut builder = tar::Builder::new(Vec::new());
    let data: &[u8] = if kind == tar::EntryType::Regular { b"evil" } else { b"" };
    builder.append(&header, data).expect("tar entry");
    write_atomically(path, &builder.into_inner().expect("tar"));
}

/// Writes under a hidden name, then renames, as rsync does: the importer never sees half a file.
pub fn write_atomically(path: &Path, bytes: &[u8]) {
    let dir = path.parent().expect("parent");
    fs::create_dir_all(dir).expect("spool dir");
    let hidden = dir.join(format!(".{}.part", path.file_name().unwrap().to_string_lossy()));
    fs::write(&hidden, bytes).expect("write");
    fs::rename(&hidden, path).expect("rename");
}
