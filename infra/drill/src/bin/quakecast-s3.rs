//! `quakecast-s3`: an S3-compatible server (`s3s-fs`, a directory per bucket) on loopback, as
//! its own process, for the fault drill (`infra/drill.sh`): the drill can stop it (SIGSTOP)
//! and kill it like a real object store going away.
//!
//! ```text
//! quakecast-s3 --root DIR --bucket NAME [--listen 127.0.0.1:0] [--key K --secret S]
//! ```
//! Prints `listening on http://ADDR` once it accepts connections.
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{bail, Context};
use hyper_util::rt::{TokioExecutor, TokioIo};

struct Args {
    root: PathBuf,
    bucket: String,
    listen: SocketAddr,
    key: String,
    secret: String,
}

fn parse() -> anyhow::Result<Args> {
    let mut root = None;
    let mut bucket = None;
    let mut listen: SocketAddr = ([127, 0, 0, 1], 0).into();
    let mut key = "drillkey".to_string();
    let mut secret = "drillsecret0123456789".to_string();
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().with_context(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--root" => root = Some(PathBuf::from(value()?)),
            "--bucket" => bucket = Some(value()?),
            "--listen" => listen = value()?.parse().context("--listen: expected HOST:PORT")?,
            "--key" => key = value()?,
            "--secret" => secret = value()?,
            other => {
                bail!("unknown flag {other}; expected --root, --bucket, --listen, --key, --secret")
            }
        }
    }
    Ok(Args {
        root: root.context("--root DIR is required")?,
        bucket: bucket.context("--bucket NAME is required")?,
        listen,
        key,
        secret,
    })
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let args = parse()?;
    std::fs::create_dir_all(args.root.join(&args.bucket))
        .with_context(|| format!("creating {}", args.root.join(&args.bucket).display()))?;
    let fs = s3s_fs::FileSystem::new(&args.root).map_err(|e| anyhow::anyhow!("s3s-fs: {e:?}"))?;
    let service = {
        let mut b = s3s::service::S3ServiceBuilder::new(fs);
        b.set_auth(s3s::auth::SimpleAuth::from_single(
            args.key.as_str(),
            args.secret.as_str(),
        ));
        b.build()
    };
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("binding {}", args.listen))?;
    println!("listening on http://{}", listener.local_addr()?);
    let http = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((socket, _)) = accepted else { continue };
                let conn = http
                    .serve_connection(TokioIo::new(socket), service.clone())
                    .into_owned();
                tokio::spawn(async move {
                    let _ = conn.await;
                });
            }
            _ = tokio::signal::ctrl_c() => return Ok(()),
        }
    }
}
