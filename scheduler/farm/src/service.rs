//! Starting and stopping `serve` (API + local workers + pusher + reaper) and `worker` processes.
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;

use super::config::{FarmConfig, ServeConfig};
use super::db::{now_ms, Db};
use super::metrics::Metrics;
use super::model::TaskKind;
use super::server::{router, AppState};
use super::worker::{run_worker, Farm, RenderEnvLoader, WorkerOptions};

/// A started service; [`Running::stop`] shuts it down cleanly.
pub struct Running {
    /// Where the API listens (`serve` only).
    pub addr: Option<SocketAddr>,
    pub farm: Farm,
    shutdown: watch::Sender<bool>,
    handles: Vec<JoinHandle<()>>,
}

impl Running {
    /// Stop taking work, let running tasks finish, close the listener.
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        for h in self.handles {
            let _ = h.await;
        }
    }

    /// Resolves when shutdown was requested from inside (never, today) or the process is asked
    /// to stop (Ctrl-C, SIGTERM).
    pub async fn wait_for_signal() {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        {
            let mut term =
                match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                    Ok(t) => t,
                    Err(_) => {
                        let _ = ctrl_c.await;
                        return;
                    }
                };
            tokio::select! {
                _ = ctrl_c => {}
                _ = term.recv() => {}
            }
        }
        #[cfg(not(unix))]
        let _ = ctrl_c.await;
    }
}

/// Open the database and the store shared by every part of a process.
pub async fn open_farm(cfg: &FarmConfig) -> anyhow::Result<Farm> {
    let db = Db::connect(&cfg.database).await?;
    let spec = cfg.store.clone();
    let store = tokio::task::spawn_blocking(move || spec.open()).await??;
    Ok(Farm {
        db,
        store,
        metrics: Arc::new(Metrics::default()),
        wake: Arc::new(Notify::new()),
    })
}

fn spawn_workers(
    farm: &Farm,
    cfg: &FarmConfig,
    n: u32,
    env: &Arc<RenderEnvLoader>,
    shutdown: &watch::Sender<bool>,
    handles: &mut Vec<JoinHandle<()>>,
) {
    for i in 0..n {
        let opts = WorkerOptions {
            id: format!("{}-w{i}", cfg.worker_id),
            kinds: TaskKind::RENDER.to_vec(),
            lease_ms: cfg.lease_ms,
            deadline_ms: cfg.task_deadline_ms,
            poll_ms: cfg.poll_ms,
            work_dir: cfg.work_dir.clone(),
            audience: cfg.audience.clone(),
        };
        handles.push(tokio::spawn(run_worker(
            farm.clone(),
            env.clone(),
            opts,
            shutdown.subscribe(),
        )));
    }
    // Fails tasks whose lease expired on their last attempt (cheap; every process may run it).
    let (db, lease_ms, mut stop) = (farm.db.clone(), cfg.lease_ms, shutdown.subscribe());
    handles.push(tokio::spawn(async move {
        let every = Duration::from_millis((lease_ms / 2).clamp(200, 10_000) as u64);
        let mut last_prune: Option<std::time::Instant> = None;
        loop {
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = stop.changed() => break,
            }
            if last_prune.is_none_or(|t| t.elapsed() >= Duration::from_secs(60)) {
                last_prune = Some(std::time::Instant::now());
                match db.prune_webhook_messages(now_ms()).await {
                    Ok(0) => {}
                    Ok(n) => {
                        tracing::debug!(messages = n, "pruned webhook ids past the replay window")
                    }
                    Err(e) => tracing::warn!(error = %e, "pruning webhook ids failed"),
                }
            }
            match db.reap_expired(now_ms()).await {
                Ok(0) => {}
                Ok(n) => tracing::warn!(
                    tasks = n,
                    "failed tasks whose workers were lost on every attempt"
                ),
                Err(e) => tracing::warn!(error = %e, "reaping expired leases failed"),
            }
        }
    }));
}

/// `quakecast serve`: bind, start local workers and the pusher, serve the API.
pub async fn start_serve(cfg: ServeConfig, env: Arc<RenderEnvLoader>) -> anyhow::Result<Running> {
    let pusher = Arc::new(super::push::HttpPusher(cfg.push.clone()));
    start_serve_with(cfg, env, pusher).await
}

/// [`start_serve`] with another push transport (tests plug in a recording one; the push loop,
/// its retries, leases and records are the same).
pub async fn start_serve_with(
    cfg: ServeConfig,
    env: Arc<RenderEnvLoader>,
    pusher: Arc<dyn super::push::Pusher>,
) -> anyhow::Result<Running> {
    let farm = open_farm(&cfg.farm).await?;
    let listener = tokio::net::TcpListener::bind(cfg.listen)
        .await
        .map_err(|e| anyhow::anyhow!("--listen {}: {e}", cfg.listen))?;
    let addr = listener.local_addr()?;
    let (shutdown, _) = watch::channel(false);
    let mut handles = Vec::new();
    spawn_workers(
        &farm,
        &cfg.farm,
        cfg.local_workers,
        &env,
        &shutdown,
        &mut handles,
    );
    handles.push(tokio::spawn(super::push::run_pusher(
        farm.clone(),
        cfg.push.clone(),
        pusher,
        cfg.public_url.clone(),
        format!("{}-push", cfg.farm.worker_id),
        cfg.farm.poll_ms,
        cfg.farm.lease_ms,
        shutdown.subscribe(),
    )));
    let metrics_listener = match cfg.metrics_listen {
        Some(m) => Some(
            tokio::net::TcpListener::bind(m)
                .await
                .map_err(|e| anyhow::anyhow!("--metrics-listen {m}: {e}"))?,
        ),
        None => None,
    };
    let timeouts = cfg.http;
    let state = AppState {
        farm: farm.clone(),
        cfg: Arc::new(cfg),
        env: env.clone(),
        live: Arc::new(super::console::LiveQueue::new(shutdown.subscribe())),
    };
    if let Some(l) = metrics_listener {
        let metrics_addr = l.local_addr()?;
        let app = super::server::metrics_router(state.clone());
        handles.push(tokio::spawn(super::http::serve(
            l,
            app,
            timeouts,
            shutdown.subscribe(),
        )));
        tracing::info!(%metrics_addr, "serving /metrics without a token");
    }
    let app = router(state);
    handles.push(tokio::spawn(super::http::serve(
        listener,
        app,
        timeouts,
        shutdown.subscribe(),
    )));
    tracing::info!(%addr, "serving");
    Ok(Running {
        addr: Some(addr),
        farm,
        shutdown,
        handles,
    })
}

/// `quakecast worker`: render tasks only.
pub async fn start_worker(
    cfg: FarmConfig,
    n: u32,
    env: Arc<RenderEnvLoader>,
) -> anyhow::Result<Running> {
    let farm = open_farm(&cfg).await?;
    let (shutdown, _) = watch::channel(false);
    let mut handles = Vec::new();
    spawn_workers(&farm, &cfg, n, &env, &shutdown, &mut handles);
    Ok(Running {
        addr: None,
        farm,
        shutdown,
        handles,
    })
}
