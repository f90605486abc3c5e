//! The spool in the bucket: an upload goes to `spool/<recordID>.tar` as a multipart upload while it arrives
//! (a part each 8 MiB, so no more than that is held), and becomes visible only when the upload is completed;
//! a tar that cannot be imported is moved to `spool/failed/` with a `.reason` object beside it.

use std::io;
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use bytes::{Bytes, BytesMut};
use scalelite_shared::store::{SpoolWriter, SpooledTar};
use tokio::io::AsyncWriteExt;

use super::objects::{Bucket, failure};

/// Where uploaded tars wait.
const SPOOL: &str = "spool/";

/// Where tars that cannot be imported are set aside.
const FAILED: &str = "spool/failed/";

/// The size of every part of a multipart upload but the last (S3 takes 5 MiB at least).
pub const PART_SIZE: usize = 8 * 1024 * 1024;

const TAR_TYPE: &str = "application/x-tar";

/// The key an upload of `record_id` is queued as.
pub fn key_of(record_id: &str) -> String {
    format!("{SPOOL}{record_id}.tar")
}

/// The tars queued in the bucket, in key order (those set aside in `spool/failed/` are not listed).
pub async fn queued(bucket: &Bucket) -> io::Result<Vec<SpooledTar>> {
    let mut keys: Vec<String> =
        bucket.direct_keys(SPOOL).await?.into_iter().filter(|key| key.ends_with(".tar")).collect();
    keys.sort();
    Ok(keys.into_iter().map(SpooledTar::Object).collect())
}

/// The name of a queued object below `spool/`.
fn name_of(key: &str) -> io::Result<&str> {
    key.strip_prefix(SPOOL)
        .filter(|name| !name.is_empty())
        .ok_or_else(|| io::Error::other(format!("{key} is not spooled")))
}

/// Downloads a queued tar into `work`, piece by piece; its local path.
pub async fn download(bucket: &Bucket, key: &str, work: &Path) -> io::Result<PathBuf> {
    let local = work.join(name_of(key)?);
    let answer = bucket.client.get_object().bucket(&bucket.name).key(key).send().await.map_err(failure)?;
    let mut body = answer.body;
    let mut file = tokio::fs::File::create(&local).await?;
    while let Some(piece) = body.try_next().await.map_err(failure)? {
        file.write_all(&piece).await?;
    }
    file.flush().await?;
    Ok(local)
}

/// Moves a queued tar to `spool/failed/` with its reason beside it.
pub async fn set_aside(bucket: &Bucket, key: &str, reason: &str) -> io::Result<()> {
    let failed = format!("{FAILED}{}", name_of(key)?);
    bucket.copy(key, &failed).await?;
    bucket.put_bytes(&format!("{failed}.reason"), Bytes::from(format!("{reason}\n")), "text/plain").await?;
    bucket.delete(&[key.to_owned()]).await
}

/// A multipart upload under way: its id and the parts sent.
struct Multipart {
    id: String,
    parts: Vec<CompletedPart>,
}

/// An upload being written to the bucket's spool; aborted unless it is committed.
pub struct BucketUpload {
    bucket: Bucket,
    key: String,
    /// What has arrived since the last part was sent.
    pending: BytesMut,
    upload: Option<Multipart>,
}

impl BucketUpload {
    pub fn new(bucket: Bucket, record_id: &str) -> Self {
        Self { bucket, key: key_of(record_id), pending: BytesMut::new(), upload: None }
    }

    /// Sends `part` as the next part, starting the multipart upload with the first.
    async fn send_part(&mut self, part: Bytes) -> io::Result<()> {
        let (client, bucket, key) = (&self.bucket.client, &self.bucket.name, &self.key);
        if self.upload.is_none() {
            let started = client.create_multipart_upload().bucket(bucket).key(key).content_type(TAR_TYPE).send();
            let id = started.await.map_err(failure)?.upload_id.ok_or_else(|| io::Error::other("no upload id"))?;
            self.upload = Some(Multipart { id, parts: Vec::new() });
        }
        let upload = self.upload.as_mut().expect("started above");
        let number = i32::try_from(upload.parts.len() + 1).map_err(io::Error::other)?;
        let sent = client
            .upload_part()
            .bucket(bucket)
            .key(key)
            .upload_id(&upload.id)
            .part_number(number)
            .body(ByteStream::from(part))
            .send()
            .await
            .map_err(failure)?;
        upload.parts.push(CompletedPart::builder().set_e_tag(sent.e_tag).part_number(number).build());
        Ok(())
    }
}

/// Aborts a multipart upload; a failure only leaves parts for the bucket's lifecycle rule to remove.
async fn abort_upload(bucket: Bucket, key: String, id: String) {
    let aborted = bucket.client.abort_multipart_upload().bucket(&bucket.name).key(&key).upload_id(id).send().await;
    if let Err(error) = aborted {
        tracing::warn!(%key, error = %failure(error), "cannot abort a multipart upload");
    }
}

#[async_trait]
impl SpoolWriter for BucketUpload {
    async fn write(&mut self, piece: Bytes) -> io::Result<()> {
        self.pending.extend_from_slice(&piece);
        while self.pending.len() >= PART_SIZE {
            let part = self.pending.split_to(PART_SIZE).freeze();
            self.send_part(part).await?;
        }
        Ok(())
    }

    async fn commit(mut self: Box<Self>) -> io::Result<SpooledTar> {
        let last = self.pending.split().freeze();
        if self.upload.is_none() {
            self.bucket.put_bytes(&self.key, last, TAR_TYPE).await?;
            return Ok(SpooledTar::Object(self.key.clone()));
        }
        if !last.is_empty() {
            self.send_part(last).await?;
        }
        let upload = self.upload.take().expect("started");
        let parts = CompletedMultipartUpload::builder().set_parts(Some(upload.parts)).build();
        let completed = self
            .bucket
            .client
            .complete_multipart_upload()
            .bucket(&self.bucket.name)
            .key(&self.key)
            .upload_id(&upload.id)
            .multipart_upload(parts)
            .send()
            .await;
        if let Err(error) = completed {
            abort_upload(self.bucket.clone(), self.key.clone(), upload.id).await;
            return Err(failure(error));
        }
        Ok(SpooledTar::Object(self.key.clone()))
    }

    async fn abort(mut self: Box<Self>) {
        if let Some(upload) = self.upload.take() {
            abort_upload(self.bucket.clone(), self.key.clone(), upload.id).await;
        }
    }
}

impl Drop for BucketUpload {
    /// An upload dropped mid-way (its client went away) is aborted in the background.
    fn drop(&mut self) {
        if let Some(upload) = self.upload.take()
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            runtime.spawn(abort_upload(self.bucket.clone(), std::mem::take(&mut self.key), upload.id));
        }
    }
}
