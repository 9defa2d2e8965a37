//! Shared pieces of the farm's integration tests: the real `quakecast` binary on loopback, a
//! signing client, a push receiver, PostgreSQL started from Debian's binaries.
#![allow(dead_code)] // each test file uses a different subset

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use quakecast_farm::webhook::{Secret, Verifier};
use serde_json::{json, Value};

/// Intake secret of every test server (32 bytes of 0x2a).
pub const SECRET: &str = "whsec_KioqKioqKioqKioqKioqKioqKioqKioqKioqKio=";
/// Push secret (32 bytes of 0x07).
pub const PUSH_SECRET: &str = "whsec_BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=";
pub const REVIEWER_TOKEN: &str = "alice-token-0123456789";

/// Whether this run is a CI run (`CI` set to anything but empty, `0` or `false`, as GitHub
/// Actions, GitLab and most CI services set it).
pub fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !matches!(v.trim(), "" | "0" | "false" | "FALSE"))
}

/// A component a test needs (PostgreSQL, Chromium) is missing. Under CI the test fails: a CI
/// run that passes must have run every test. Elsewhere the test is skipped and says so: on
/// stderr (`--nocapture` shows it) and, when `QUAKECAST_SKIP_LOG` names a file, as a line
/// appended there (`scripts/test.sh` prints that list at the end, so a green local run shows
/// what it did not run).
pub fn missing(test: &str, component: &str) {
    assert!(
        !under_ci(),
        "{test}: {component} is required when CI is set; install it (scripts/setup.sh)"
    );
    let line = format!("SKIPPED {test}: {component}");
    eprintln!("{line}");
    if let Some(path) = std::env::var_os("QUAKECAST_SKIP_LOG") {
        use std::io::Write;
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
        {
            let _ = writeln!(f, "{line}");
        }
    }
}

pub fn secret() -> Secret {
    Secret::parse(SECRET).expect("test secret")
}

pub fn now_secs() -> i64 {
    quakecast_core::clock::now().timestamp()
}

/// The bundled sample with another event id / status / revision.
pub fn report(event_id: &str, status: &str, revision: u32) -> Vec<u8> {
    let mut v: Value = serde_json::from_slice(quakecast_core::SAMPLE_REPORT).expect("sample");
    v["event_id"] = json!(event_id);
    v["status"] = json!(status);
    v["revision"] = json!(revision);
    serde_json::to_vec(&v).expect("json")
}

pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

/// A response as the tests look at it.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub body: Value,
}

fn read(resp: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Resp {
    let mut resp = resp.expect("HTTP request");
    let status = resp.status().as_u16();
    let text = resp.body_mut().read_to_string().unwrap_or_default();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Resp { status, body }
}

/// `quakecast serve` or `quakecast worker`, killed when dropped.
pub struct Proc {
    pub child: Child,
    pub base: String,
    pub log: PathBuf,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn xdg() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("quakecast-xdg-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("xdg dir");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700));
    }
    dir
}

/// Flags every test server shares: tiny frames, few of them, short leases, fast polls.
pub fn common_flags(dir: &Path, database: &str, store: &str) -> Vec<String> {
    [
        "--database",
        database,
        "--store",
        store,
        "--work-dir",
        &dir.join("work").display().to_string(),
        "--lease-secs",
        "2",
        "--poll-ms",
        "50",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

pub fn serve_flags(fps: u32) -> Vec<String> {
    [
        "--listen",
        "127.0.0.1:0",
        "--webhook-secret",
        SECRET,
        "--reviewer",
        &format!("alice:{REVIEWER_TOKEN}"),
        "--size",
        "180x320",
        "--fps",
        &fps.to_string(),
        "--segments",
        "3",
        "--preset",
        "ultrafast",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// Start the binary with `args`; for `serve`, wait for its "listening on" line.
pub fn spawn(dir: &Path, name: &str, args: &[String], envs: &[(&str, String)]) -> Proc {
    let log = dir.join(format!("{name}.log"));
    let err = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log)
        .expect("log file");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_quakecast"));
    cmd.args(args)
        .env("XDG_RUNTIME_DIR", xdg())
        .env("QUAKECAST_LOG", "info,quakecast=debug")
        .stdout(Stdio::piped())
        .stderr(Stdio::from(err));
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("spawn quakecast");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("first line");
    let base = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_default()
        .to_string();
    if args.first().map(String::as_str) == Some("serve") {
        assert!(
            base.starts_with("http://"),
            "serve did not start: {line:?}; log:\n{}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
    }
    Proc { child, base, log }
}

impl Proc {
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn post_signed(&self, id: &str, ts: i64, body: &[u8]) -> Resp {
        let sig = secret().sign(id, ts, body);
        self.post_raw(
            body,
            &[
                ("webhook-id", id),
                ("webhook-timestamp", &ts.to_string()),
                ("webhook-signature", &sig),
            ],
        )
    }

    pub fn post_event(&self, body: &[u8]) -> Resp {
        static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let id = format!(
            "msg_{}_{}",
            std::process::id(),
            N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        );
        self.post_signed(&id, now_secs(), body)
    }

    pub fn post_raw(&self, body: &[u8], headers: &[(&str, &str)]) -> Resp {
        let mut req = agent().post(format!("{}/v1/events", self.base));
        if !headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
        {
            req = req.header("content-type", "application/json");
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        read(req.send(body))
    }

    /// GET with the reviewer's token (every read of the API needs a reader or reviewer token).
    pub fn get(&self, path: &str) -> Resp {
        self.get_as(path, Some(REVIEWER_TOKEN))
    }

    /// GET with `token` as the bearer token, or none.
    pub fn get_as(&self, path: &str, token: Option<&str>) -> Resp {
        let mut req = agent().get(format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.header("authorization", &format!("Bearer {t}"));
        }
        read(req.call())
    }

    /// GET with the reviewer's token, the body as bytes.
    pub fn get_bytes(&self, path: &str) -> (u16, Vec<u8>) {
        self.get_bytes_as(path, Some(REVIEWER_TOKEN))
    }

    pub fn get_bytes_as(&self, path: &str, token: Option<&str>) -> (u16, Vec<u8>) {
        let mut req = agent().get(format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.header("authorization", &format!("Bearer {t}"));
        }
        let mut r = req.call().expect("GET");
        let status = r.status().as_u16();
        let bytes = r
            .body_mut()
            .with_config()
            .limit(1 << 30)
            .read_to_vec()
            .unwrap_or_default();
        (status, bytes)
    }

    pub fn post_json(&self, path: &str, token: Option<&str>, body: &Value) -> Resp {
        let mut req = agent().post(format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.header("authorization", &format!("Bearer {t}"));
        }
        read(
            req.header("content-type", "application/json")
                .send(&serde_json::to_vec(body).expect("json")[..]),
        )
    }

    pub fn job(&self, id: &str) -> Value {
        let r = self.get(&format!("/v1/jobs/{id}"));
        assert_eq!(r.status, 200, "{r:?}");
        r.body
    }

    /// Poll a job until its state is one of `states`.
    pub fn wait_state(&self, id: &str, states: &[&str], timeout: Duration) -> Value {
        let t = Instant::now();
        loop {
            let j = self.job(id);
            let s = j["state"].as_str().unwrap_or_default().to_string();
            if states.contains(&s.as_str()) {
                return j;
            }
            assert!(
                s != "failed" || states.contains(&"failed"),
                "job {id} failed: {}\nlog:\n{}",
                j["reason"],
                self.log_text()
            );
            assert!(
                t.elapsed() < timeout,
                "job {id} still {s} after {timeout:?}: {j:#}\nlog:\n{}",
                self.log_text()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// A push service on loopback: verifies the signature, records each request, answers
/// `fail_first` requests with 503 before acknowledging.
pub struct Receiver {
    pub url: String,
    pub requests: Arc<Mutex<Vec<(String, Value)>>>,
    _rt: tokio::runtime::Runtime,
}

impl Receiver {
    pub fn start(fail_first: usize) -> Receiver {
        use axum::http::{HeaderMap, StatusCode};
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let requests: Arc<Mutex<Vec<(String, Value)>>> = Arc::default();
        let seen = Arc::new(Mutex::new(0usize));
        let verifier = Verifier::new(vec![Secret::parse(PUSH_SECRET).expect("secret")]);
        let reqs = requests.clone();
        let app = axum::Router::new().route(
            "/push",
            axum::routing::post(move |headers: HeaderMap, body: axum::body::Bytes| {
                let (reqs, seen, verifier) = (reqs.clone(), seen.clone(), verifier.clone());
                async move {
                    let h = |n: &str| headers.get(n).and_then(|v| v.to_str().ok());
                    let signed = quakecast_farm::webhook::SignedHeaders {
                        id: h("webhook-id"),
                        timestamp: h("webhook-timestamp"),
                        signature: h("webhook-signature"),
                    };
                    if verifier.verify(&signed, &body, now_secs()).is_err() {
                        return StatusCode::UNAUTHORIZED;
                    }
                    let key = h("idempotency-key").unwrap_or_default().to_string();
                    let mut n = seen.lock().expect("lock");
                    *n += 1;
                    if *n <= fail_first {
                        return StatusCode::SERVICE_UNAVAILABLE;
                    }
                    let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                    reqs.lock().expect("lock").push((key, v));
                    StatusCode::OK
                }
            }),
        );
        let listener = rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("bind");
        let addr: SocketAddr = listener.local_addr().expect("addr");
        rt.spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Receiver {
            url: format!("http://{addr}/push"),
            requests,
            _rt: rt,
        }
    }

    pub fn keys(&self) -> Vec<String> {
        self.requests
            .lock()
            .expect("lock")
            .iter()
            .map(|r| r.0.clone())
            .collect()
    }
}

/// A PostgreSQL server in a temporary directory, stopped when dropped.
pub struct Postgres {
    pub url: String,
    child: Child,
    /// `pg_ctl stop` for the server (the child may be `runuser`, which a kill would not pass on).
    stop: Command,
    _dir: tempfile::TempDir,
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let _ = self.stop.output();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn pg_bin() -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("initdb").exists())
        .collect();
    dirs.sort();
    dirs.pop()
}

/// PostgreSQL refuses to run as root: as root, run its binaries as the `postgres` user that
/// Debian's package creates, in a directory that user owns.
fn pg_command(bin: &Path, root: bool) -> Command {
    if root {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(bin);
        c
    } else {
        Command::new(bin)
    }
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

impl Postgres {
    /// `None` when Debian's postgresql is not installed: the test is skipped, and says so, or
    /// fails under CI ([`missing`]).
    pub fn start() -> Option<Postgres> {
        let Some(bin) = pg_bin() else {
            missing(
                "farm_pg",
                "no /usr/lib/postgresql/*/bin/initdb (apt-get install postgresql)",
            );
            return None;
        };
        let dir = tempfile::tempdir().expect("tempdir");
        let root = running_as_root();
        if root {
            let st = Command::new("chown")
                .args(["postgres"])
                .arg(dir.path())
                .status()
                .expect("chown");
            assert!(st.success(), "chown postgres {}", dir.path().display());
        }
        let data = dir.path().join("data");
        let out = pg_command(&bin.join("initdb"), root)
            .args([
                "-D",
                &data.display().to_string(),
                "-U",
                "farm",
                "--auth=trust",
                "-E",
                "UTF8",
            ])
            .output()
            .expect("initdb");
        assert!(
            out.status.success(),
            "initdb: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let port = free_port();
        let child = pg_command(&bin.join("postgres"), root)
            .args([
                "-D",
                &data.display().to_string(),
                "-k",
                &dir.path().display().to_string(),
                "-p",
                &port.to_string(),
                "-h",
                "127.0.0.1",
                "-c",
                "fsync=off",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::from(
                std::fs::File::create(dir.path().join("pg.log")).expect("log"),
            ))
            .spawn()
            .expect("postgres");
        let t = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                t.elapsed() < Duration::from_secs(30),
                "postgres did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        // Accepting connections is not yet ready for queries; the farm's connect retries below.
        std::thread::sleep(Duration::from_millis(500));
        let mut stop = pg_command(&bin.join("pg_ctl"), root);
        stop.args(["stop", "-m", "immediate", "-D", &data.display().to_string()]);
        Some(Postgres {
            url: format!("postgres://farm@127.0.0.1:{port}/postgres"),
            child,
            stop,
            _dir: dir,
        })
    }
}

/// An S3-compatible server (`s3s-fs`) on loopback in this process, with one bucket.
pub struct S3Server {
    pub endpoint: String,
    pub root: PathBuf,
    _rt: tokio::runtime::Runtime,
}

pub const S3_KEY: &str = "farmtestkey";
pub const S3_SECRET: &str = "farmtestsecret0123456789";

impl S3Server {
    pub fn start(root: &Path, bucket: &str) -> S3Server {
        use hyper_util::rt::{TokioExecutor, TokioIo};
        std::fs::create_dir_all(root.join(bucket)).expect("bucket dir");
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let fs = s3s_fs::FileSystem::new(root).expect("s3s-fs");
        let service = {
            let mut b = s3s::service::S3ServiceBuilder::new(fs);
            b.set_auth(s3s::auth::SimpleAuth::from_single(S3_KEY, S3_SECRET));
            b.build()
        };
        let listener = rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        rt.spawn(async move {
            let http = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
            loop {
                let Ok((socket, _)) = listener.accept().await else {
                    continue;
                };
                let conn = http
                    .serve_connection(TokioIo::new(socket), service.clone())
                    .into_owned();
                tokio::spawn(async move {
                    let _ = conn.await;
                });
            }
        });
        S3Server {
            endpoint: format!("http://{addr}"),
            root: root.to_path_buf(),
            _rt: rt,
        }
    }

    /// Environment for a `quakecast` process using this server.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ACCESS_KEY_ID", S3_KEY.to_string()),
            ("AWS_SECRET_ACCESS_KEY", S3_SECRET.to_string()),
            ("AWS_REGION", "us-east-1".to_string()),
            ("QUAKECAST_S3_ENDPOINT", self.endpoint.clone()),
        ]
    }
}
