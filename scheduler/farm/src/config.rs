//! `serve` and `worker` flags → validated configuration, before anything starts.
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;
use quakecast_facts::{Event, ReportStatus, Source};

use super::model::JobSettings;
use super::s3::{S3Options, S3Store};
use super::webhook::{Secret, Verifier};
use quakecast_core::store::{LocalDirStore, ObjectStore};

/// Flags shared by `serve` and `worker`. `Debug` shows the database URL without its password.
#[derive(Args, Clone)]
pub struct CommonArgs {
    /// Job state and queue: sqlite://PATH (embedded default) or postgres://USER@HOST/DB.
    #[arg(
        long,
        env = "QUAKECAST_DATABASE",
        default_value = "sqlite://farm/farm.db"
    )]
    pub database: String,
    /// Object store: a directory, or s3://BUCKET[/PREFIX] (credentials from AWS_ACCESS_KEY_ID,
    /// AWS_SECRET_ACCESS_KEY, AWS_REGION).
    #[arg(long, env = "QUAKECAST_STORE", default_value = "farm/store")]
    pub store: String,
    /// S3-compatible endpoint (MinIO, Ceph, OSS, COS, R2): path-style addressing is used.
    #[arg(long, env = "QUAKECAST_S3_ENDPOINT")]
    pub s3_endpoint: Option<String>,
    /// Files at least this large go to S3 in parts (MiB).
    #[arg(long, env = "QUAKECAST_S3_MULTIPART_MIB", default_value_t = 64)]
    pub s3_multipart_mib: u64,
    /// Scratch space for segments being rendered and joined.
    #[arg(long, env = "QUAKECAST_WORK_DIR")]
    pub work_dir: Option<PathBuf>,
    /// How long a claimed task stays leased without a heartbeat (seconds).
    #[arg(long, env = "QUAKECAST_LEASE_SECS", default_value_t = 30.0)]
    pub lease_secs: f64,
    /// Longest one attempt of a task may run (seconds): past it the worker gives the task up as
    /// a retryable failure and releases its lease, however alive its heartbeat is.
    #[arg(long, env = "QUAKECAST_TASK_DEADLINE_SECS", default_value_t = 1800.0)]
    pub task_deadline_secs: f64,
    /// How often an idle worker looks for work (milliseconds).
    #[arg(long, env = "QUAKECAST_POLL_MS", default_value_t = 500)]
    pub poll_ms: u64,
    /// This process's name in leases and logs (default: host-pid).
    #[arg(long, env = "QUAKECAST_WORKER_ID")]
    pub worker_id: Option<String>,
    #[command(flatten)]
    pub gpu: quakecast_core::config::GpuFlags,
    /// User index (`quakecast audience index`) the push audience is selected from; without
    /// one the audience is the H3 tier cells and the gazetteer-based exposure.
    #[arg(long, env = "QUAKECAST_AUDIENCE_INDEX")]
    pub audience_index: Option<PathBuf>,
    /// Audience tiers as name=level (Roman numeral or number).
    #[arg(
        long,
        env = "QUAKECAST_AUDIENCE_TIERS",
        default_value = "strong=VI,felt=IV,weak=III"
    )]
    pub audience_tiers: String,
    /// H3 resolution of the tier cells handed to the push service.
    #[arg(long, env = "QUAKECAST_AUDIENCE_TIER_CELL_RES", default_value_t = 6)]
    pub audience_cell_res: u8,
}

/// `quakecast serve`: HTTP API, scheduler and local workers in one process. `Debug` shows no
/// secret or token (each of them may also come from its environment variable instead of the
/// command line, where other users of the machine can read it).
#[derive(Args, Clone)]
pub struct ServeArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Address to listen on.
    #[arg(long, env = "QUAKECAST_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// Render workers inside this process (0: only separate `quakecast worker`s render).
    #[arg(long, env = "QUAKECAST_WORKERS", default_value_t = 1)]
    pub workers: u32,
    /// Standard Webhooks secret(s) for intake, `whsec_…`; several (comma-separated) during rotation.
    #[arg(
        long = "webhook-secret",
        env = "QUAKECAST_WEBHOOK_SECRETS",
        value_delimiter = ',',
        required_unless_present = "webhook_secret_file"
    )]
    pub webhook_secrets: Vec<String>,
    /// A file of webhook secrets, one per line (`#` comments): keeps them off the command line.
    #[arg(long, env = "QUAKECAST_WEBHOOK_SECRETS_FILE")]
    pub webhook_secret_file: Option<PathBuf>,
    /// A file of reviewers, `NAME:TOKEN` per line, added to `--reviewer`.
    #[arg(long, env = "QUAKECAST_REVIEWERS_FILE")]
    pub reviewers_file: Option<PathBuf>,
    /// A file of read-only tokens, `NAME:TOKEN` per line, added to `--reader`.
    #[arg(long, env = "QUAKECAST_READERS_FILE")]
    pub readers_file: Option<PathBuf>,
    /// A file holding the push secret (instead of `--push-secret`).
    #[arg(
        long,
        env = "QUAKECAST_PUSH_SECRET_FILE",
        conflicts_with = "push_secret"
    )]
    pub push_secret_file: Option<PathBuf>,
    /// Reviewers as NAME:TOKEN (comma-separated); the token goes in `Authorization: Bearer`.
    #[arg(long = "reviewer", env = "QUAKECAST_REVIEWERS", value_delimiter = ',')]
    pub reviewers: Vec<String>,
    /// Read-only API tokens as NAME:TOKEN (comma-separated): job status and audit, outputs,
    /// withdrawals, `/metrics`. Reviewer tokens read too.
    #[arg(long = "reader", env = "QUAKECAST_READERS", value_delimiter = ',')]
    pub readers: Vec<String>,
    /// Also serve `/metrics`, without a token, on this address (a private scrape network); on
    /// the API address it needs a reader or reviewer token.
    #[arg(long, env = "QUAKECAST_METRICS_LISTEN")]
    pub metrics_listen: Option<String>,
    /// Push service URL; approved bulletins are POSTed there (none: they stay approved).
    #[arg(long, env = "QUAKECAST_PUSH_URL")]
    pub push_url: Option<String>,
    /// Secret pushes are signed with (`whsec_…`, Standard Webhooks).
    #[arg(long, env = "QUAKECAST_PUSH_SECRET")]
    pub push_secret: Option<String>,
    /// First retry delay of a failed push (ms); doubles per attempt.
    #[arg(long, env = "QUAKECAST_PUSH_BACKOFF_MS", default_value_t = 1000)]
    pub push_backoff_ms: u64,
    /// Longest retry delay of a failed push (ms).
    #[arg(long, env = "QUAKECAST_PUSH_BACKOFF_MAX_MS", default_value_t = 300_000)]
    pub push_backoff_max_ms: u64,
    /// Auto-approval rules SOURCE:STATUS:MIN-MAX (e.g. `cenc:official:0-4.5`, `*` for any);
    /// none by default: every bulletin waits for a reviewer.
    #[arg(
        long = "auto-approve",
        env = "QUAKECAST_AUTO_APPROVE",
        value_delimiter = ','
    )]
    pub auto_approve: Vec<String>,
    /// Longest wait for a request's headers, and for the next request on an idle keep-alive
    /// connection (seconds): a client dripping its headers is cut off then.
    #[arg(
        long,
        env = "QUAKECAST_HEADER_READ_TIMEOUT_SECS",
        default_value_t = 10.0
    )]
    pub header_read_timeout_secs: f64,
    /// Longest read of a request body (seconds); then 408.
    #[arg(long, env = "QUAKECAST_BODY_READ_TIMEOUT_SECS", default_value_t = 30.0)]
    pub body_read_timeout_secs: f64,
    /// A connection on which a read or a write makes no progress for this long is closed
    /// (seconds): a client that stops reading a response.
    #[arg(long, env = "QUAKECAST_IDLE_TIMEOUT_SECS", default_value_t = 60.0)]
    pub idle_timeout_secs: f64,
    /// Largest accepted report body, bytes.
    #[arg(long, env = "QUAKECAST_MAX_BODY_BYTES", default_value_t = 256 * 1024)]
    pub max_body_bytes: usize,
    /// Base URL others reach this server at (links in pushes); default http://LISTEN.
    #[arg(long, env = "QUAKECAST_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Frame size of the bulletins: 720x1280, 1080x1920 or another even 9:16 size.
    #[arg(long, env = "QUAKECAST_SIZE", default_value = "720x1280")]
    pub size: String,
    #[arg(long, env = "QUAKECAST_FPS", default_value_t = 30)]
    pub fps: u32,
    /// Maximum number of segments a bulletin is split into (each ≥ 1 s).
    #[arg(long, env = "QUAKECAST_SEGMENTS", default_value_t = 4)]
    pub segments: u32,
    #[arg(long, env = "QUAKECAST_X264_PRESET", default_value = "veryfast")]
    pub preset: String,
    #[arg(long, env = "QUAKECAST_CRF", default_value_t = 20)]
    pub crf: u32,
    /// Make the narration and music track and mux it into the bulletin.
    #[arg(long, env = "QUAKECAST_AUDIO")]
    pub audio: bool,
    #[command(flatten)]
    pub content: quakecast_core::config::ContentArgs,
}

/// `quakecast worker`: a stateless render worker.
#[derive(Args, Clone, Debug)]
pub struct WorkerArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Tasks rendered at once in this process.
    #[arg(long, env = "QUAKECAST_WORKERS", default_value_t = 1)]
    pub workers: u32,
}

/// Where objects go.
#[derive(Clone, Debug)]
pub enum StoreSpec {
    Local(PathBuf),
    S3(S3Options),
}

impl StoreSpec {
    pub fn open(&self) -> quakecast_core::Result<Arc<dyn ObjectStore>> {
        Ok(match self {
            StoreSpec::Local(dir) => Arc::new(LocalDirStore::new(dir)?),
            StoreSpec::S3(opts) => Arc::new(S3Store::new(opts.clone())?),
        })
    }
}

pub use quakecast_core::render::RenderEnvSpec;

/// What `serve` and `worker` share, validated. `Debug` shows the database URL without its
/// password.
#[derive(Clone)]
pub struct FarmConfig {
    pub database: String,
    pub store: StoreSpec,
    pub work_dir: PathBuf,
    pub lease_ms: i64,
    /// Longest run of one task attempt (`--task-deadline-secs`).
    pub task_deadline_ms: i64,
    pub poll_ms: u64,
    pub worker_id: String,
    pub render: RenderEnvSpec,
    pub audience: Arc<super::audience::AudienceConfig>,
}

/// One auto-approval rule: reports matching it skip review.
#[derive(Clone, Debug, PartialEq)]
pub struct AutoRule {
    pub source: Option<Source>,
    pub status: Option<ReportStatus>,
    /// Magnitudes in `[min, max)`.
    pub min: f64,
    pub max: f64,
}

impl AutoRule {
    pub fn parse(s: &str) -> Result<Self, String> {
        let bad = |why: &str| {
            format!("--auto-approve {s:?}: {why}; expected SOURCE:STATUS:MIN-MAX like cenc:official:0-4.5")
        };
        let parts: Vec<&str> = s.trim().split(':').collect();
        let [src, st, range] = parts.as_slice() else {
            return Err(bad("three ':'-separated parts needed"));
        };
        let source = match src.to_ascii_lowercase().as_str() {
            "*" => None,
            "cenc" => Some(Source::Cenc),
            "usgs" => Some(Source::Usgs),
            "emsc" => Some(Source::Emsc),
            _ => return Err(bad("SOURCE is cenc, usgs, emsc or *")),
        };
        let status = match st.to_ascii_lowercase().as_str() {
            "*" => None,
            "automatic" => Some(ReportStatus::Automatic),
            "official" => Some(ReportStatus::Official),
            _ => return Err(bad("STATUS is automatic, official or *")),
        };
        let (min, max) = range
            .split_once('-')
            .and_then(|(a, b)| Some((a.trim().parse::<f64>().ok()?, b.trim().parse::<f64>().ok()?)))
            .filter(|(a, b)| a < b)
            .ok_or_else(|| bad("MIN-MAX are magnitudes with MIN < MAX"))?;
        Ok(Self {
            source,
            status,
            min,
            max,
        })
    }

    pub fn matches(&self, e: &Event) -> bool {
        self.source.is_none_or(|s| s == e.source)
            && self.status.is_none_or(|s| s == e.status)
            && e.magnitude >= self.min
            && e.magnitude < self.max
    }
}

/// Timeouts of the HTTP server, so a slow or stalled client cannot hold a connection forever.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HttpTimeouts {
    /// For a request's headers, and for the next request on a keep-alive connection.
    pub header_read: std::time::Duration,
    /// For a request's whole body.
    pub body_read: std::time::Duration,
    /// For any read or write that makes no progress.
    pub idle: std::time::Duration,
}

/// Push service settings.
#[derive(Clone, Debug)]
pub struct PushConfig {
    pub url: Option<String>,
    pub secret: Option<Secret>,
    pub backoff_ms: u64,
    pub backoff_max_ms: u64,
    /// Signs the video and playlist links a push carries (none: links go unsigned, as in tests
    /// of the payload alone).
    pub links: Option<crate::auth::LinkSigner>,
}

/// `serve`, validated. `Debug` names reviewers and readers, never their tokens.
#[derive(Clone)]
pub struct ServeConfig {
    pub farm: FarmConfig,
    pub listen: SocketAddr,
    pub local_workers: u32,
    pub verifier: Verifier,
    /// (name, token) pairs.
    pub reviewers: Vec<(String, String)>,
    /// (name, token) pairs of read-only tokens (`--reader`).
    pub readers: Vec<(String, String)>,
    /// The unauthenticated `/metrics` listener (`--metrics-listen`).
    pub metrics_listen: Option<SocketAddr>,
    /// Signs the media links handed out in job views and pushes.
    pub links: crate::auth::LinkSigner,
    pub push: PushConfig,
    pub auto_approve: Vec<AutoRule>,
    pub max_body_bytes: usize,
    /// Header-read, body-read and idle timeouts of the HTTP server.
    pub http: HttpTimeouts,
    pub public_url: Option<String>,
    pub job: JobSettings,
    /// Theme and catalogue every bulletin of this server is composed with (at intake).
    pub content: Arc<quakecast_core::bulletin::Content>,
}

impl CommonArgs {
    pub fn validate(&self) -> anyhow::Result<FarmConfig> {
        super::dialect::Dialect::from_url(&self.database)?;
        let store = if self.store.starts_with("s3://") {
            let mut opts = S3Options::from_url(&self.store, self.s3_endpoint.clone())
                .map_err(anyhow::Error::msg)?;
            anyhow::ensure!(
                self.s3_multipart_mib >= 5,
                "--s3-multipart-mib {}: S3 parts are at least 5 MiB",
                self.s3_multipart_mib
            );
            opts.multipart_threshold = self.s3_multipart_mib * 1024 * 1024;
            opts.part_size = opts
                .part_size
                .min(opts.multipart_threshold)
                .max(super::s3::MIN_PART_SIZE);
            StoreSpec::S3(opts)
        } else {
            anyhow::ensure!(
                !self.store.contains("://"),
                "--store {:?}: expected a directory or s3://BUCKET[/PREFIX]",
                self.store
            );
            StoreSpec::Local(PathBuf::from(&self.store))
        };
        anyhow::ensure!(
            self.lease_secs >= 1.0 && self.lease_secs <= 3600.0,
            "--lease-secs {}: expected 1..=3600",
            self.lease_secs
        );
        anyhow::ensure!(
            self.task_deadline_secs >= 1.0 && self.task_deadline_secs <= 86_400.0,
            "--task-deadline-secs {}: expected 1..=86400",
            self.task_deadline_secs
        );
        anyhow::ensure!(
            (10..=60_000).contains(&self.poll_ms),
            "--poll-ms {}: expected 10..=60000",
            self.poll_ms
        );
        let worker_id = self.worker_id.clone().unwrap_or_else(|| {
            let host = std::fs::read_to_string("/etc/hostname")
                .map(|h| h.trim().to_string())
                .unwrap_or_else(|_| "host".into());
            format!("{host}-{}", std::process::id())
        });
        let data = self.gpu.data_dir();
        let audience = super::audience::AudienceConfig::new(
            &self.audience_tiers,
            self.audience_cell_res,
            self.audience_index.clone(),
            data.clone(),
        )?;
        Ok(FarmConfig {
            audience: Arc::new(audience),
            database: self.database.clone(),
            store,
            work_dir: self
                .work_dir
                .clone()
                .unwrap_or_else(|| std::env::temp_dir().join("quakecast-work")),
            lease_ms: (self.lease_secs * 1000.0) as i64,
            task_deadline_ms: (self.task_deadline_secs * 1000.0) as i64,
            poll_ms: self.poll_ms,
            worker_id,
            render: self.gpu.spec(data),
        })
    }
}

impl ServeArgs {
    pub fn validate(&self) -> anyhow::Result<ServeConfig> {
        let farm = self.common.validate()?;
        let listen: SocketAddr = self.listen.parse().map_err(|e| {
            anyhow::anyhow!(
                "--listen {:?}: {e}; expected HOST:PORT like 127.0.0.1:8080",
                self.listen
            )
        })?;
        let file_secrets =
            secret_lines("--webhook-secret-file", self.webhook_secret_file.as_deref())?;
        let secrets = self
            .webhook_secrets
            .iter()
            .chain(&file_secrets)
            .filter(|s| !s.trim().is_empty())
            .map(|s| Secret::parse(s).map_err(|e| anyhow::anyhow!("--webhook-secret: {e}")))
            .collect::<anyhow::Result<Vec<_>>>()?;
        anyhow::ensure!(
            !secrets.is_empty(),
            "--webhook-secret: at least one whsec_… secret is required"
        );
        let mut reviewers = Vec::new();
        for r in self.reviewers.iter().filter(|r| !r.trim().is_empty()) {
            reviewers.push(parse_token_pair("--reviewer", r)?);
        }
        for r in secret_lines("--reviewers-file", self.reviewers_file.as_deref())? {
            reviewers.push(parse_token_pair("--reviewers-file", &r)?);
        }
        let mut readers = Vec::new();
        for r in self.readers.iter().filter(|r| !r.trim().is_empty()) {
            readers.push(parse_token_pair("--reader", r)?);
        }
        for r in secret_lines("--readers-file", self.readers_file.as_deref())? {
            readers.push(parse_token_pair("--readers-file", &r)?);
        }
        let metrics_listen = self
            .metrics_listen
            .as_deref()
            .filter(|m| !m.trim().is_empty())
            .map(|m| {
                m.trim().parse::<SocketAddr>().map_err(|e| {
                    anyhow::anyhow!(
                        "--metrics-listen {m:?}: {e}; expected HOST:PORT like 127.0.0.1:9090"
                    )
                })
            })
            .transpose()?;
        let links = crate::auth::LinkSigner::derived_from(&secrets[0]);
        let secs = |flag: &str, v: f64| -> anyhow::Result<std::time::Duration> {
            anyhow::ensure!(
                (0.1..=3600.0).contains(&v),
                "--{flag} {v}: expected 0.1..=3600 seconds"
            );
            Ok(std::time::Duration::from_secs_f64(v))
        };
        let http = HttpTimeouts {
            header_read: secs("header-read-timeout-secs", self.header_read_timeout_secs)?,
            body_read: secs("body-read-timeout-secs", self.body_read_timeout_secs)?,
            idle: secs("idle-timeout-secs", self.idle_timeout_secs)?,
        };
        let push_secret_text = match &self.push_secret_file {
            Some(_) => secret_lines("--push-secret-file", self.push_secret_file.as_deref())?
                .into_iter()
                .next(),
            None => self.push_secret.clone(),
        };
        let push_secret = push_secret_text
            .as_deref()
            .map(|s| Secret::parse(s).map_err(|e| anyhow::anyhow!("--push-secret: {e}")))
            .transpose()?;
        if let Some(url) = &self.push_url {
            anyhow::ensure!(
                url.starts_with("http://") || url.starts_with("https://"),
                "--push-url {url:?}: expected an http(s) URL"
            );
            anyhow::ensure!(
                push_secret.is_some(),
                "--push-url needs --push-secret (pushes are signed)"
            );
        }
        let auto_approve = self
            .auto_approve
            .iter()
            .filter(|r| !r.trim().is_empty())
            .map(|r| AutoRule::parse(r).map_err(anyhow::Error::msg))
            .collect::<anyhow::Result<Vec<_>>>()?;
        anyhow::ensure!(
            (1..=64).contains(&self.workers) || self.workers == 0,
            "--workers {}: expected 0..=64",
            self.workers
        );
        anyhow::ensure!(
            (1024..=64 * 1024 * 1024).contains(&self.max_body_bytes),
            "--max-body-bytes {}: expected 1 KiB ..= 64 MiB",
            self.max_body_bytes
        );
        // Reuse the render flags' checks for size, fps, segments, preset and CRF.
        let render = quakecast_core::config::RenderFlags {
            out: PathBuf::from("."),
            size: self.size.clone(),
            fps: self.fps,
            segments: self.segments,
            workers: 1,
            preset: self.preset.clone(),
            crf: self.crf,
            gpu: quakecast_core::config::GpuFlags::default(),
            no_audio: false,
            audience_index: None,
            content: self.content.clone(),
        }
        .validate()?;
        let s = render.request.settings;
        Ok(ServeConfig {
            farm,
            listen,
            local_workers: self.workers,
            verifier: Verifier::new(secrets),
            reviewers,
            readers,
            metrics_listen,
            push: PushConfig {
                url: self.push_url.clone(),
                secret: push_secret,
                backoff_ms: self.push_backoff_ms.max(1),
                backoff_max_ms: self.push_backoff_max_ms.max(self.push_backoff_ms.max(1)),
                links: Some(links.clone()),
            },
            links,
            auto_approve,
            max_body_bytes: self.max_body_bytes,
            http,
            public_url: self
                .public_url
                .clone()
                .map(|u| u.trim_end_matches('/').to_string()),
            job: JobSettings {
                width: s.width,
                height: s.height,
                fps: s.fps,
                segments: self.segments,
                preset: self.preset.clone(),
                crf: self.crf,
                audio: self.audio,
                storyboard: None,
            },
            // The heat layer reads the index the push audience is selected from. The farm
            // may start before its first index is built: then no heat layer, with a warning.
            content: match &self.common.audience_index {
                Some(p) => match quakecast_audience::heat::IndexHeat::open(p) {
                    Ok(heat) => {
                        let mut c = (*render.request.content).clone();
                        c.heat = Some(Arc::new(heat));
                        Arc::new(c)
                    }
                    Err(e) => {
                        tracing::warn!(index = %p.display(), error = %e, "no heat layer: the audience index does not open");
                        render.request.content.clone()
                    }
                },
                None => render.request.content.clone(),
            },
        })
    }
}

/// The non-empty, non-comment lines of a secrets file (none without a file). Errors name the
/// flag and the path, never the contents.
fn secret_lines(flag: &str, path: Option<&std::path::Path>) -> anyhow::Result<Vec<String>> {
    let Some(path) = path else {
        return Ok(Vec::new());
    };
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("{flag} {}: {e}", path.display()))?;
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect())
}

/// Shortest bearer token accepted (`--reviewer`, `--reader`), characters after trimming.
pub const MIN_TOKEN_CHARS: usize = 16;

/// `NAME:TOKEN` of `--reviewer` / `--reader`: both parts trimmed *before* the length check, so
/// `bob:             abc` is refused (it used to pass as 16 characters and then authenticate with
/// `abc`). The error names the flag and the name, never the token.
pub fn parse_token_pair(flag: &str, r: &str) -> anyhow::Result<(String, String)> {
    let (name, token) = r
        .split_once(':')
        .map(|(n, t)| (n.trim(), t.trim()))
        .unwrap_or((r.trim(), ""));
    let name_shown = name.chars().take(40).collect::<String>();
    anyhow::ensure!(
        !name.is_empty() && !token.is_empty(),
        "{flag} {name_shown:?}: expected NAME:TOKEN"
    );
    let n = token.chars().count();
    anyhow::ensure!(
        n >= MIN_TOKEN_CHARS,
        "{flag} {name_shown:?}: the token has {n} characters after trimming; at least \
         {MIN_TOKEN_CHARS} are required"
    );
    anyhow::ensure!(
        token.chars().all(|c| c.is_ascii_graphic()),
        "{flag} {name_shown:?}: the token must be printable ASCII without spaces"
    );
    Ok((name.to_string(), token.to_string()))
}

impl std::fmt::Debug for CommonArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CommonArgs")
            .field("database", &super::dialect::redact(&self.database))
            .field("store", &self.store)
            .field("worker_id", &self.worker_id)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for ServeArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServeArgs")
            .field("common", &self.common)
            .field("listen", &self.listen)
            .field("workers", &self.workers)
            .field(
                "webhook_secrets",
                &format!("{} secret(s)", self.webhook_secrets.len()),
            )
            .field(
                "reviewers",
                &format!("{} reviewer(s)", self.reviewers.len()),
            )
            .field("readers", &format!("{} reader(s)", self.readers.len()))
            .field("push_url", &self.push_url)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for FarmConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FarmConfig")
            .field("database", &super::dialect::redact(&self.database))
            .field("store", &self.store)
            .field("work_dir", &self.work_dir)
            .field("lease_ms", &self.lease_ms)
            .field("task_deadline_ms", &self.task_deadline_ms)
            .field("poll_ms", &self.poll_ms)
            .field("worker_id", &self.worker_id)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for ServeConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names = |pairs: &[(String, String)]| -> Vec<String> {
            pairs.iter().map(|(n, _)| format!("{n}:***")).collect()
        };
        f.debug_struct("ServeConfig")
            .field("farm", &self.farm)
            .field("listen", &self.listen)
            .field("local_workers", &self.local_workers)
            .field("verifier", &self.verifier)
            .field("reviewers", &names(&self.reviewers))
            .field("readers", &names(&self.readers))
            .field("metrics_listen", &self.metrics_listen)
            .field("push", &self.push)
            .field("auto_approve", &self.auto_approve)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("http", &self.http)
            .field("public_url", &self.public_url)
            .finish_non_exhaustive()
    }
}

impl ServeConfig {
    /// Whether a report skips review under the configured policy.
    pub fn auto_approves(&self, e: &Event) -> bool {
        self.auto_approve.iter().any(|r| r.matches(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reviewer_tokens_are_trimmed_before_their_length_is_checked() {
        let err = parse_token_pair("--reviewer", "bob:             abc").expect_err("short");
        assert!(
            err.to_string().contains("3 characters after trimming"),
            "{err}"
        );
        assert!(
            !err.to_string().contains("abc"),
            "the token is not echoed: {err}"
        );
        assert_eq!(
            parse_token_pair("--reviewer", " bob : 0123456789abcdef ").expect("ok"),
            ("bob".to_string(), "0123456789abcdef".to_string())
        );
        for bad in ["bob", ":0123456789abcdef", "bob:", "bob:0123456789 abcdef"] {
            assert!(parse_token_pair("--reviewer", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn debug_output_shows_no_secret() {
        use clap::Parser;
        #[derive(Parser)]
        struct Cli {
            #[command(flatten)]
            serve: ServeArgs,
        }
        let cli = Cli::try_parse_from([
            "serve",
            "--database",
            "postgres://farm:hunter2-password@db/farm",
            "--webhook-secret",
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "--reviewer",
            "alice:alice-token-0123456789",
            "--reader",
            "grafana:reader-token-0123456789",
            "--push-url",
            "http://127.0.0.1:1/push",
            "--push-secret",
            "whsec_BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=",
        ])
        .expect("flags");
        let cfg = cli.serve.validate().expect("valid");
        for text in [format!("{:?}", cli.serve), format!("{cfg:?}")] {
            for secret in [
                "hunter2",
                "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                "alice-token",
                "reader-token",
                "BwcHBwcH",
            ] {
                assert!(!text.contains(secret), "{secret} in {text}");
            }
        }
    }

    #[test]
    fn secrets_and_tokens_can_come_from_files() {
        use clap::Parser;
        #[derive(Parser)]
        struct Cli {
            #[command(flatten)]
            serve: ServeArgs,
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let write = |name: &str, text: &str| {
            let p = dir.path().join(name);
            std::fs::write(&p, text).expect("write");
            p.display().to_string()
        };
        let secrets = write(
            "secrets",
            "# rotation\nwhsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n\n",
        );
        let reviewers = write("reviewers", "alice:alice-token-0123456789\n");
        let readers = write("readers", "grafana:reader-token-0123456789\n");
        let push = write("push", "whsec_BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\n");
        let cli = Cli::try_parse_from([
            "serve",
            "--webhook-secret-file",
            &secrets,
            "--reviewers-file",
            &reviewers,
            "--readers-file",
            &readers,
            "--push-url",
            "http://127.0.0.1:1/push",
            "--push-secret-file",
            &push,
        ])
        .expect("flags");
        let cfg = cli.serve.validate().expect("valid");
        assert_eq!(
            cfg.reviewers,
            [("alice".into(), "alice-token-0123456789".into())]
        );
        assert_eq!(
            cfg.readers,
            [("grafana".into(), "reader-token-0123456789".into())]
        );
        assert!(cfg.push.secret.is_some());
        // Without a secret from either place, serve refuses to start.
        assert!(Cli::try_parse_from(["serve"]).is_err());
        let missing = Cli::try_parse_from(["serve", "--webhook-secret-file", "/nonexistent/x"])
            .expect("flags")
            .serve
            .validate()
            .expect_err("missing file");
        assert!(
            missing
                .to_string()
                .contains("--webhook-secret-file /nonexistent/x"),
            "{missing}"
        );
    }

    #[test]
    fn auto_rules_parse_and_match() {
        let r = AutoRule::parse("cenc:official:0-4.5").expect("rule");
        let mut e = quakecast_facts::parse_report(quakecast_core::SAMPLE_REPORT).expect("sample");
        assert!(!r.matches(&e), "the sample is M4.8: {e:?}");
        e.magnitude = 4.0;
        assert!(r.matches(&e));
        e.magnitude = 3.0;
        e.status = ReportStatus::Automatic;
        assert!(!r.matches(&e));
        assert!(AutoRule::parse("*:*:0-10").expect("any").matches(&e));
        for bad in [
            "cenc:official",
            "mars:*:0-1",
            "*:draft:0-1",
            "*:*:5-4",
            "*:*:x-1",
        ] {
            let err = AutoRule::parse(bad).expect_err(bad);
            assert!(err.contains("expected SOURCE:STATUS:MIN-MAX"), "{err}");
        }
    }
}
