//! The bucket operations the recording files need: listing a prefix, uploading a file, reading a small
//! object, copying and deleting objects. Every SDK failure becomes an `io::Error` carrying the service's message.

use std::io;
use std::path::Path;

use aws_sdk_s3::Client;
use aws_sdk_s3::error::DisplayErrorContext;
use aws_sdk_s3::operation::get_object::GetObjectError;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{Delete, ObjectIdentifier};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use super::content::{content_type, disposition};

/// Characters left as they are in a key written into a URL (a copy source `<bucket>/<key>`, a CloudFront URL).
pub const KEY_IN_URL: &AsciiSet = &NON_ALPHANUMERIC.remove(b'/').remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// The most keys one DeleteObjects call takes.
const DELETE_BATCH: usize = 1000;

/// An SDK failure as an I/O error.
pub fn failure(error: impl std::error::Error) -> io::Error {
    io::Error::other(DisplayErrorContext(error).to_string())
}

/// One bucket and the client that reaches it; cheap to clone.
#[derive(Clone, Debug)]
pub struct Bucket {
    pub client: Client,
    pub name: String,
}

impl Bucket {
    /// Every key under `prefix`.
    pub async fn keys(&self, prefix: &str) -> io::Result<Vec<String>> {
        let mut pages = self.client.list_objects_v2().bucket(&self.name).prefix(prefix).into_paginator().send();
        let mut keys = Vec::new();
        while let Some(page) = pages.next().await {
            keys.extend(page.map_err(failure)?.contents().iter().filter_map(|o| o.key().map(str::to_owned)));
        }
        Ok(keys)
    }

    /// The keys directly under `prefix`, none of those below a further `/`.
    pub async fn direct_keys(&self, prefix: &str) -> io::Result<Vec<String>> {
        let mut pages =
            self.client.list_objects_v2().bucket(&self.name).prefix(prefix).delimiter("/").into_paginator().send();
        let mut keys = Vec::new();
        while let Some(page) = pages.next().await {
            keys.extend(page.map_err(failure)?.contents().iter().filter_map(|o| o.key().map(str::to_owned)));
        }
        Ok(keys)
    }

    /// The next level of "directories" under `prefix` (each ends with `/`).
    pub async fn children(&self, prefix: &str) -> io::Result<Vec<String>> {
        let mut pages =
            self.client.list_objects_v2().bucket(&self.name).prefix(prefix).delimiter("/").into_paginator().send();
        let mut children = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(failure)?;
            children.extend(page.common_prefixes().iter().filter_map(|p| p.prefix().map(str::to_owned)));
        }
        Ok(children)
    }

    /// Uploads the file at `path` as `key`, with its content type and disposition, read from disk as it goes.
    pub async fn put_file(&self, path: &Path, key: &str) -> io::Result<()> {
        let body = ByteStream::from_path(path).await.map_err(failure)?;
        self.client
            .put_object()
            .bucket(&self.name)
            .key(key)
            .content_type(content_type(path))
            .set_content_disposition(disposition(path).map(str::to_owned))
            .body(body)
            .send()
            .await
            .map_err(failure)?;
        Ok(())
    }

    /// Puts `body` as `key` with `content_type`.
    pub async fn put_bytes(&self, key: &str, body: bytes::Bytes, content_type: &str) -> io::Result<()> {
        let put = self.client.put_object().bucket(&self.name).key(key).content_type(content_type);
        put.body(ByteStream::from(body)).send().await.map_err(failure)?;
        Ok(())
    }

    /// The body of object `key`, `None` when there is no such object.
    pub async fn get_bytes(&self, key: &str) -> io::Result<Option<bytes::Bytes>> {
        let answer = match self.client.get_object().bucket(&self.name).key(key).send().await {
            Ok(answer) => answer,
            Err(error) if error.as_service_error().is_some_and(GetObjectError::is_no_such_key) => return Ok(None),
            Err(error) => return Err(failure(error)),
        };
        Ok(Some(answer.body.collect().await.map_err(failure)?.into_bytes()))
    }

    /// Copies `from` to `to` in the bucket, headers included.
    pub async fn copy(&self, from: &str, to: &str) -> io::Result<()> {
        let source = utf8_percent_encode(&format!("{}/{from}", self.name), KEY_IN_URL).to_string();
        self.client.copy_object().bucket(&self.name).key(to).copy_source(source).send().await.map_err(failure)?;
        Ok(())
    }

    /// Deletes `keys`; an error names the first key the service would not delete.
    pub async fn delete(&self, keys: &[String]) -> io::Result<()> {
        for batch in keys.chunks(DELETE_BATCH) {
            let objects = batch
                .iter()
                .map(|key| ObjectIdentifier::builder().key(key).build().map_err(failure))
                .collect::<io::Result<Vec<_>>>()?;
            let delete = Delete::builder().set_objects(Some(objects)).quiet(true).build().map_err(failure)?;
            let answer =
                self.client.delete_objects().bucket(&self.name).delete(delete).send().await.map_err(failure)?;
            if let Some(error) = answer.errors().first() {
                return Err(io::Error::other(format!(
                    "cannot delete {}: {}",
                    error.key().unwrap_or("?"),
                    error.message().unwrap_or("no reason given")
                )));
            }
        }
        Ok(())
    }

    /// Deletes every object under `prefix`.
    pub async fn delete_under(&self, prefix: &str) -> io::Result<()> {
        self.delete(&self.keys(prefix).await?).await
    }
}
