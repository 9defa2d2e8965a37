//! [`ObjectStore`] on S3 and S3-compatible servers (MinIO, Ceph RGW, OSS, COS, R2) via `aws-sdk-s3`.
//!
//! - **Endpoint override and path-style addressing** (`http://host:port/bucket/key`) so servers
//!   without virtual-hosted buckets work; checksums only where the operation requires them
//!   (the SDK's newer default CRC trailers are not understood by every S3-compatible server).
//! - **Multipart upload** for files at or above [`S3Options::multipart_threshold`], in parts of
//!   [`S3Options::part_size`] (S3's minimum part is 5 MiB); an upload that fails is aborted.
//! - **Sync trait, async SDK.** The `ObjectStore` trait stays synchronous (the one-shot pipeline
//!   and the workers call it from blocking threads). The store owns a small Tokio runtime and
//!   each call is spawned onto it and waited for on a bounded channel — this works from any
//!   thread (a worker's blocking thread, a test's main thread) without nesting runtimes, and
//!   keeps the SDK's connection pool on one runtime. Changing the trait to async would have
//!   rippled through the pipeline crate for no gain: every caller already runs on a blocking thread.
use std::path::Path;
use std::sync::mpsc::sync_channel;
use std::time::Duration;

use aws_sdk_s3::config::{
    BehaviorVersion, Credentials, Region, RequestChecksumCalculation, ResponseChecksumValidation,
};
use aws_sdk_s3::primitives::{ByteStream, Length};
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use aws_sdk_s3::Client;

use quakecast_core::error::Result;
use quakecast_core::store::{sha256_file, sha256_hex, validate_key, ObjectStore, StoredObject};

/// Where and how to reach the bucket. `Debug` shows the access key id, never the secret key.
#[derive(Clone)]
pub struct S3Options {
    pub bucket: String,
    /// Key prefix inside the bucket (no leading or trailing `/`), may be empty.
    pub prefix: String,
    /// `http(s)://host:port` of an S3-compatible server; `None` for AWS itself.
    pub endpoint: Option<String>,
    pub region: String,
    /// Path-style addressing (`endpoint/bucket/key`); needed by most S3-compatible servers.
    pub path_style: bool,
    pub access_key: String,
    pub secret_key: String,
    /// Files this large or larger are uploaded in parts.
    pub multipart_threshold: u64,
    pub part_size: u64,
}

impl std::fmt::Debug for S3Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Options")
            .field("bucket", &self.bucket)
            .field("prefix", &self.prefix)
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("path_style", &self.path_style)
            .field("access_key", &self.access_key)
            .field("secret_key", &"***")
            .field("multipart_threshold", &self.multipart_threshold)
            .field("part_size", &self.part_size)
            .finish()
    }
}

/// Connecting to the S3 endpoint (TCP and TLS) may take this long.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// A response (or the next bytes of one) may take this long to arrive.
pub const READ_TIMEOUT: Duration = Duration::from_secs(60);
/// One attempt of a call, a part of a multipart upload included, may take this long.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(300);
/// A call with its retries may take this long; then it fails (retryably: the task's lease and
/// deadline decide what happens next). Without these a stalled endpoint held a worker forever.
pub const OPERATION_TIMEOUT: Duration = Duration::from_secs(900);

/// S3's smallest allowed part (all but the last), bytes.
pub const MIN_PART_SIZE: u64 = 5 * 1024 * 1024;

impl S3Options {
    /// Options for `s3://bucket[/prefix]`, credentials and endpoint from the usual environment
    /// (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`, `QUAKECAST_S3_ENDPOINT`).
    pub fn from_url(url: &str, endpoint: Option<String>) -> std::result::Result<Self, String> {
        let rest = url.strip_prefix("s3://").ok_or_else(|| {
            format!("store {url:?}: expected s3://BUCKET[/PREFIX] or a directory")
        })?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(format!("store {url:?}: the bucket name is empty"));
        }
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let access_key =
            env("AWS_ACCESS_KEY_ID").ok_or("S3 store: AWS_ACCESS_KEY_ID is not set")?;
        let secret_key =
            env("AWS_SECRET_ACCESS_KEY").ok_or("S3 store: AWS_SECRET_ACCESS_KEY is not set")?;
        let endpoint = endpoint.or_else(|| env("QUAKECAST_S3_ENDPOINT"));
        Ok(Self {
            bucket: bucket.to_string(),
            prefix: prefix.trim_matches('/').to_string(),
            path_style: endpoint.is_some(),
            endpoint,
            region: env("AWS_REGION")
                .or_else(|| env("AWS_DEFAULT_REGION"))
                .unwrap_or_else(|| "us-east-1".into()),
            access_key,
            secret_key,
            multipart_threshold: 64 * 1024 * 1024,
            part_size: 16 * 1024 * 1024,
        })
    }
}

/// Objects in one S3 bucket (under an optional prefix).
pub struct S3Store {
    opts: S3Options,
    client: Client,
    /// Runs the SDK's futures; `Option` so `Drop` can shut it down from any context.
    rt: Option<tokio::runtime::Runtime>,
}

impl std::fmt::Debug for S3Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Store")
            .field("bucket", &self.opts.bucket)
            .field("prefix", &self.opts.prefix)
            .field("endpoint", &self.opts.endpoint)
            .finish()
    }
}

impl Drop for S3Store {
    fn drop(&mut self) {
        if let Some(rt) = self.rt.take() {
            // Allowed inside an async context, unlike dropping the runtime.
            rt.shutdown_background();
        }
    }
}

fn s3_err(op: &'static str, key: &str, e: impl std::fmt::Display) -> quakecast_core::Error {
    quakecast_core::Error::Store {
        op,
        key: key.to_string(),
        source: std::io::Error::other(e.to_string()),
    }
}

/// The full error chain of an SDK error (its `Display` alone is often just "service error").
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

impl S3Store {
    pub fn new(opts: S3Options) -> Result<Self> {
        if opts.part_size < MIN_PART_SIZE {
            return Err(s3_err(
                "config",
                "",
                format!(
                    "part size {} is below S3's minimum of {MIN_PART_SIZE} bytes",
                    opts.part_size
                ),
            ));
        }
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("s3-store")
            .enable_all()
            .build()
            .map_err(|e| s3_err("runtime", "", e))?;
        let http = aws_smithy_http_client::Builder::new()
            .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
                aws_smithy_http_client::tls::rustls_provider::CryptoMode::Ring,
            ))
            .build_https();
        let mut conf = aws_sdk_s3::config::Builder::new()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(opts.region.clone()))
            .credentials_provider(Credentials::new(
                opts.access_key.clone(),
                opts.secret_key.clone(),
                None,
                None,
                "quakecast",
            ))
            .http_client(http)
            .timeout_config(
                aws_sdk_s3::config::timeout::TimeoutConfig::builder()
                    .connect_timeout(CONNECT_TIMEOUT)
                    .read_timeout(READ_TIMEOUT)
                    .operation_attempt_timeout(ATTEMPT_TIMEOUT)
                    .operation_timeout(OPERATION_TIMEOUT)
                    .build(),
            )
            .force_path_style(opts.path_style)
            .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
            .response_checksum_validation(ResponseChecksumValidation::WhenRequired);
        if let Some(ep) = &opts.endpoint {
            conf = conf.endpoint_url(ep.clone());
        }
        let client = Client::from_conf(conf.build());
        Ok(Self {
            opts,
            client,
            rt: Some(rt),
        })
    }

    /// Run a future on the store's runtime and wait for it (from any thread).
    fn block<T: Send + 'static>(
        &self,
        fut: impl std::future::Future<Output = T> + Send + 'static,
    ) -> Result<T> {
        let rt = self
            .rt
            .as_ref()
            .ok_or_else(|| s3_err("runtime", "", "the store is shutting down"))?;
        let (tx, rx) = sync_channel(1);
        rt.spawn(async move {
            let _ = tx.send(fut.await);
        });
        rx.recv()
            .map_err(|_| s3_err("runtime", "", "the S3 task was dropped"))
    }

    fn full_key(&self, key: &str) -> Result<String> {
        validate_key(key)?;
        Ok(if self.opts.prefix.is_empty() {
            key.to_string()
        } else {
            format!("{}/{key}", self.opts.prefix)
        })
    }

    /// Create the bucket if it does not exist (deployment convenience and tests).
    pub fn ensure_bucket(&self) -> Result<()> {
        let client = self.client.clone();
        let bucket = self.opts.bucket.clone();
        self.block(async move {
            if client.head_bucket().bucket(&bucket).send().await.is_ok() {
                return Ok(());
            }
            client
                .create_bucket()
                .bucket(&bucket)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| chain(&e))
        })?
        .map_err(|e| s3_err("create bucket", &self.opts.bucket, e))
    }

    async fn put_multipart(
        client: Client,
        bucket: String,
        key: String,
        path: std::path::PathBuf,
        content_type: String,
        size: u64,
        part_size: u64,
    ) -> std::result::Result<usize, String> {
        let created = client
            .create_multipart_upload()
            .bucket(&bucket)
            .key(&key)
            .content_type(&content_type)
            .send()
            .await
            .map_err(|e| chain(&e))?;
        let upload_id = created
            .upload_id()
            .ok_or("CreateMultipartUpload returned no upload id")?
            .to_string();
        let parts = async {
            let mut parts = Vec::new();
            let mut offset = 0u64;
            let mut number = 1i32;
            while offset < size {
                let len = part_size.min(size - offset);
                let body = ByteStream::read_from()
                    .path(&path)
                    .offset(offset)
                    .length(Length::Exact(len))
                    .build()
                    .await
                    .map_err(|e| chain(&e))?;
                let up = client
                    .upload_part()
                    .bucket(&bucket)
                    .key(&key)
                    .upload_id(&upload_id)
                    .part_number(number)
                    .content_length(len as i64)
                    .body(body)
                    .send()
                    .await
                    .map_err(|e| chain(&e))?;
                parts.push(
                    CompletedPart::builder()
                        .part_number(number)
                        .set_e_tag(up.e_tag().map(str::to_string))
                        .build(),
                );
                offset += len;
                number += 1;
            }
            Ok::<_, String>(parts)
        }
        .await;
        let parts = match parts {
            Ok(p) => p,
            Err(e) => {
                let _ = client
                    .abort_multipart_upload()
                    .bucket(&bucket)
                    .key(&key)
                    .upload_id(&upload_id)
                    .send()
                    .await;
                return Err(e);
            }
        };
        let n = parts.len();
        client
            .complete_multipart_upload()
            .bucket(&bucket)
            .key(&key)
            .upload_id(&upload_id)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(parts))
                    .build(),
            )
            .send()
            .await
            .map_err(|e| chain(&e))?;
        Ok(n)
    }
}

impl S3Store {
    /// [`ObjectStore::put_file`], also saying how many parts the upload took (0: a single PUT,
    /// below [`S3Options::multipart_threshold`]).
    pub fn put_file_counting_parts(
        &self,
        key: &str,
        path: &Path,
        content_type: &str,
    ) -> Result<(StoredObject, usize)> {
        let full = self.full_key(key)?;
        let (bytes, sha256) = sha256_file(path)?;
        let client = self.client.clone();
        let bucket = self.opts.bucket.clone();
        let path_buf = path.to_path_buf();
        let ct = content_type.to_string();
        let res = if bytes >= self.opts.multipart_threshold {
            let part = self.opts.part_size;
            self.block(Self::put_multipart(
                client, bucket, full, path_buf, ct, bytes, part,
            ))?
            .inspect(|parts| tracing::debug!(key, parts, "multipart upload"))
        } else {
            self.block(async move {
                let body = ByteStream::from_path(&path_buf)
                    .await
                    .map_err(|e| chain(&e))?;
                client
                    .put_object()
                    .bucket(bucket)
                    .key(full)
                    .content_type(ct)
                    .body(body)
                    .send()
                    .await
                    .map(|_| 0)
                    .map_err(|e| chain(&e))
            })?
        };
        let parts = res.map_err(|e| s3_err("put", key, e))?;
        Ok((
            StoredObject {
                key: key.to_string(),
                url: self.url(key),
                bytes,
                sha256,
            },
            parts,
        ))
    }
}

impl ObjectStore for S3Store {
    fn put_file(&self, key: &str, path: &Path, content_type: &str) -> Result<StoredObject> {
        self.put_file_counting_parts(key, path, content_type)
            .map(|(o, _)| o)
    }

    fn put_bytes(&self, key: &str, bytes: &[u8], content_type: &str) -> Result<StoredObject> {
        let full = self.full_key(key)?;
        let client = self.client.clone();
        let bucket = self.opts.bucket.clone();
        let body = bytes.to_vec();
        let ct = content_type.to_string();
        self.block(async move {
            client
                .put_object()
                .bucket(bucket)
                .key(full)
                .content_type(ct)
                .body(ByteStream::from(body))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| chain(&e))
        })?
        .map_err(|e| s3_err("put", key, e))?;
        Ok(StoredObject {
            key: key.to_string(),
            url: self.url(key),
            bytes: bytes.len() as u64,
            sha256: sha256_hex(bytes),
        })
    }

    fn get_bytes(&self, key: &str) -> Result<Vec<u8>> {
        let full = self.full_key(key)?;
        let client = self.client.clone();
        let bucket = self.opts.bucket.clone();
        self.block(async move {
            let out = client
                .get_object()
                .bucket(bucket)
                .key(full)
                .send()
                .await
                .map_err(|e| chain(&e))?;
            out.body
                .collect()
                .await
                .map(|b| b.into_bytes().to_vec())
                .map_err(|e| chain(&e))
        })?
        .map_err(|e| s3_err("get", key, e))
    }

    fn exists(&self, key: &str) -> Result<bool> {
        let full = self.full_key(key)?;
        let client = self.client.clone();
        let bucket = self.opts.bucket.clone();
        self.block(async move {
            match client.head_object().bucket(bucket).key(full).send().await {
                Ok(_) => Ok(true),
                Err(e) => match e.as_service_error() {
                    Some(se) if se.is_not_found() => Ok(false),
                    _ => match e.raw_response().map(|r| r.status().as_u16()) {
                        Some(404) => Ok(false),
                        _ => Err(chain(&e)),
                    },
                },
            }
        })?
        .map_err(|e| s3_err("head", key, e))
    }

    fn url(&self, key: &str) -> String {
        match self.full_key(key) {
            Ok(full) => format!("s3://{}/{full}", self.opts.bucket),
            Err(_) => format!("s3://{}/<invalid key>", self.opts.bucket),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts() -> S3Options {
        S3Options {
            bucket: "b".into(),
            prefix: String::new(),
            endpoint: Some("http://127.0.0.1:9".into()),
            region: "us-east-1".into(),
            path_style: true,
            access_key: "AKIDEXAMPLE".into(),
            secret_key: "wJalrXUtnFEMI-secret".into(),
            multipart_threshold: 64 << 20,
            part_size: 16 << 20,
        }
    }

    #[test]
    fn calls_have_connect_and_operation_timeouts() {
        let store = S3Store::new(opts()).expect("store");
        let t = store.client.config().timeout_config().expect("timeouts");
        assert_eq!(t.connect_timeout(), Some(CONNECT_TIMEOUT));
        assert_eq!(t.read_timeout(), Some(READ_TIMEOUT));
        assert_eq!(t.operation_attempt_timeout(), Some(ATTEMPT_TIMEOUT));
        assert_eq!(t.operation_timeout(), Some(OPERATION_TIMEOUT));
    }

    #[test]
    fn debug_hides_the_secret_key() {
        let text = format!("{:?}", opts());
        assert!(!text.contains("wJalrXUtnFEMI"), "{text}");
        assert!(text.contains("AKIDEXAMPLE"));
    }
}
