//! Recording files on S3-compatible object storage, behind the same port as the trees on disk: import
//! uploads each file under `published/` or `unpublished/` + `<format>/<recordID>/<file>`, publishing moves
//! the objects between the two, deleting removes them, and playback gets time-limited signed URLs (S3
//! presigned, or CloudFront's when a distribution is configured). BBB's text tracks are objects under
//! `captions/`, listed, queued and delivered the same way.

mod cloudfront;
mod content;
mod keys;
mod objects;
mod spool;

use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use aws_sdk_s3::presigning::PresigningConfig;
use bytes::Bytes;
use futures::{StreamExt, TryStreamExt, stream};
use scalelite_shared::config::{RecordingConfig, S3Config};
use scalelite_shared::store::{Delivery, RecordingFiles, SpoolWriter, SpooledTar, StoreError};

use crate::recordings_fs::DiskFiles;
use cloudfront::CloudFrontSigner;
use objects::{Bucket, KEY_IN_URL, failure};

/// Files uploaded or moved at once.
const CONCURRENCY: usize = 8;

/// Recording files in an S3 bucket. Tars uploaded by BBB servers queue in the bucket's spool; tars copied into
/// the spool directory (by BBB servers that share it) are imported too.
#[derive(Clone, Debug)]
pub struct S3Files {
    bucket: Bucket,
    url_timeout: Duration,
    /// Signs playback URLs of the CloudFront distribution in front of the bucket, when there is one.
    cloudfront: Option<CloudFrontSigner>,
    /// The spool directory, for tars copied there rather than uploaded.
    spool: DiskFiles,
}

impl S3Files {
    /// A client for the bucket `S3_*` and the standard AWS variables name (region `us-east-1` when none is
    /// configured and an endpoint is given, as a local server needs one).
    pub async fn open(config: &RecordingConfig, s3: &S3Config) -> Result<Self, StoreError> {
        let shared = aws_config::defaults(aws_config::BehaviorVersion::latest()).load().await;
        let mut builder = aws_sdk_s3::config::Builder::from(&shared).force_path_style(s3.path_style);
        if let Some(endpoint) = &s3.endpoint {
            builder = builder.endpoint_url(endpoint);
        }
        if shared.region().is_none() && (s3.endpoint.is_some() || shared.endpoint_url().is_some()) {
            builder = builder.region(aws_sdk_s3::config::Region::new("us-east-1"));
        }
        let client = aws_sdk_s3::Client::from_conf(builder.build());
        Ok(Self {
            bucket: Bucket { client, name: s3.bucket.clone() },
            url_timeout: s3.url_timeout,
            cloudfront: s3.cloudfront.as_ref().map(CloudFrontSigner::new).transpose()?,
            spool: DiskFiles::from_config(config),
        })
    }

    /// A time-limited signed URL of object `key`.
    async fn signed_url(&self, key: String) -> io::Result<Delivery> {
        if let Some(signer) = &self.cloudfront {
            let now = SystemTime::now().duration_since(UNIX_EPOCH).map_err(io::Error::other)?;
            let encoded = percent_encoding::utf8_percent_encode(&key, KEY_IN_URL).to_string();
            return Ok(Delivery::SignedUrl(signer.sign(&encoded, (now + self.url_timeout).as_secs())));
        }
        let expiry = PresigningConfig::expires_in(self.url_timeout).map_err(failure)?;
        let signed = self.bucket.client.get_object().bucket(&self.bucket.name).key(key).presigned(expiry).await;
        Ok(Delivery::SignedUrl(signed.map_err(failure)?.uri().to_owned()))
    }

    /// Moves one format of a recording into the published (or unpublished) tree. Objects already at the
    /// destination win and the others are removed; an error when the files are in neither tree.
    async fn move_format(&self, format: &str, record_id: &str, published: bool) -> io::Result<()> {
        let from = self.bucket.keys(&keys::format_prefix(!published, format, record_id)).await?;
        let at_destination = !self.bucket.keys(&keys::format_prefix(published, format, record_id)).await?.is_empty();
        match (from.is_empty(), at_destination) {
            (true, true) => return Ok(()),
            (true, false) => {
                return Err(io::Error::new(
                    io::ErrorKind::NotFound,
                    format!("no objects for {format}/{record_id} in either tree"),
                ));
            }
            (false, true) => {}
            (false, false) => {
                stream::iter(from.clone())
                    .map(|key| async move {
                        let to =
                            keys::moved(&key, published).ok_or_else(|| io::Error::other("key outside its tree"))?;
                        self.bucket.copy(&key, &to).await
                    })
                    .buffer_unordered(CONCURRENCY)
                    .try_collect::<()>()
                    .await?;
            }
        }
        self.bucket.delete(&from).await
    }
}

/// Every regular file below `dir`, with its path relative to `dir` (`/`-separated).
fn files_below(dir: &Path) -> io::Result<Vec<(PathBuf, String)>> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(current) = pending.pop() {
        for entry in std::fs::read_dir(&current)? {
            let entry = entry?;
            let kind = entry.file_type()?;
            if kind.is_dir() {
                pending.push(entry.path());
            } else if kind.is_file() {
                let path = entry.path();
                let relative = path.strip_prefix(dir).map_err(io::Error::other)?;
                let parts: Vec<String> = relative.iter().map(|p| p.to_string_lossy().into_owned()).collect();
                found.push((path, parts.join("/")));
            }
        }
    }
    Ok(found)
}

#[async_trait]
impl RecordingFiles for S3Files {
    async fn place(&self, unpacked: &Path, format: &str, record_id: &str, published: bool) -> io::Result<()> {
        let dir = unpacked.to_owned();
        let files = tokio::task::spawn_blocking(move || files_below(&dir)).await.map_err(io::Error::other)??;
        for tree in [true, false] {
            self.bucket.delete_under(&keys::format_prefix(tree, format, record_id)).await?;
        }
        stream::iter(files)
            .map(|(path, relative)| {
                let key = keys::file_key(published, format, record_id, &relative);
                async move { self.bucket.put_file(&path, &key).await }
            })
            .buffer_unordered(CONCURRENCY)
            .try_collect::<()>()
            .await
    }

    async fn set_published(&self, record_id: &str, formats: &[String], published: bool) -> io::Result<()> {
        for format in formats {
            self.move_format(format, record_id, published).await?;
        }
        Ok(())
    }

    async fn delete(&self, record_id: &str) -> io::Result<()> {
        for published in [true, false] {
            for format_dir in self.bucket.children(keys::tree(published)).await? {
                self.bucket.delete_under(&format!("{format_dir}{record_id}/")).await?;
            }
        }
        Ok(())
    }

    async fn deliver(&self, format: &str, record_id: &str, file: &str) -> io::Result<Delivery> {
        self.signed_url(keys::file_key(true, format, record_id, file)).await
    }

    async fn receive(&self, record_id: &str) -> io::Result<Box<dyn SpoolWriter>> {
        Ok(Box::new(spool::BucketUpload::new(self.bucket.clone(), record_id)))
    }

    async fn spooled(&self, settle: Duration) -> io::Result<(Vec<SpooledTar>, usize)> {
        let (mut tars, pending) = self.spool.spooled(settle).await?;
        tars.extend(spool::queued(&self.bucket).await?);
        Ok((tars, pending))
    }

    async fn fetch(&self, tar: &SpooledTar, work: &Path) -> io::Result<PathBuf> {
        match tar {
            SpooledTar::Object(key) => spool::download(&self.bucket, key, work).await,
            SpooledTar::File(_) => self.spool.fetch(tar, work).await,
        }
    }

    async fn dequeue(&self, tar: &SpooledTar) -> io::Result<()> {
        match tar {
            SpooledTar::Object(key) => self.bucket.delete(std::slice::from_ref(key)).await,
            SpooledTar::File(_) => self.spool.dequeue(tar).await,
        }
    }

    async fn set_aside(&self, tar: &SpooledTar, reason: &str) -> io::Result<()> {
        match tar {
            SpooledTar::Object(key) => spool::set_aside(&self.bucket, key, reason).await,
            SpooledTar::File(_) => self.spool.set_aside(tar, reason).await,
        }
    }

    async fn text_tracks(&self, record_id: &str) -> io::Result<Option<Bytes>> {
        self.bucket.get_bytes(&keys::text_track_key(record_id, "captions.json")).await
    }

    async fn queue_text_track(&self, stem: &str, track: Bytes, description: Bytes) -> io::Result<()> {
        self.bucket.put_bytes(&keys::inbox_key(&format!("{stem}-track.txt")), track, "text/plain").await?;
        let description_key = keys::inbox_key(&format!("{stem}-track.json"));
        self.bucket.put_bytes(&description_key, description, "application/json").await
    }

    async fn deliver_text_track(&self, record_id: &str, file: &str) -> io::Result<Delivery> {
        self.signed_url(keys::text_track_key(record_id, file)).await
    }
}
