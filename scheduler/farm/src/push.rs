//! Pushing approved bulletins to the push service: signed, idempotent, retried until acknowledged.
//!
//! The push is a queued task (kind `push`) taken by the `serve` process, so it survives restarts
//! and is retried with exponential backoff (`--push-backoff-ms`, doubling, capped at
//! `--push-backoff-max-ms`) until the service answers 2xx. Every attempt carries the same
//! `Idempotency-Key` and the same Standard Webhooks `webhook-id` (`push-<job id>`), so a
//! receiver that got an attempt whose acknowledgement was lost can drop the repeat. The job's
//! state is read just before sending: a bulletin superseded meanwhile is never pushed (its push
//! task is cancelled with it).
//!
//! A withdrawn event's pushed bulletins are retracted the same way: a `retract` task per pushed
//! job (created once by the withdrawal, `Db::withdraw`), a `bulletin.retracted` body naming the
//! push it takes back, signed like a push, with its own `Idempotency-Key` / `webhook-id`
//! (`retract-<job id>`) on every attempt, retried with the same backoff until acknowledged. A push
//! acknowledged after its job was withdrawn (the withdrawal arrived while it was being sent)
//! queues that job's retraction too.
//!
//! The audience: what the stitch task computed ([`super::audience::build`]): H3 cells per
//! predicted-intensity tier, the summary, and the selected users' file when the worker had a user
//! index. A job stitched before that existed falls back to [`audience`], a radius around the
//! epicentre where the predicted intensity reaches III.
use std::sync::Arc;
use std::time::Duration;

use quakecast_facts::intensity::IntensityModel;
use quakecast_facts::Event;
use serde_json::{json, Value};
use tokio::sync::watch;

use super::auth::{LinkSigner, PUSH_LINK_TTL_SECS};
use super::config::PushConfig;
use super::db::now_ms;
use super::error::FarmError;
use super::model::{JobRow, JobState, Lease, TaskKind, WithdrawalRow};
use super::webhook::sign_headers;
use super::worker::Farm;

/// Predicted intensity at the audience's edge.
pub const AUDIENCE_INTENSITY: f64 = 3.0;
/// Bounds on the audience radius, km.
pub const AUDIENCE_RADIUS_KM: (f64, f64) = (10.0, 1500.0);

/// The audience of an event: a circle around the epicentre.
pub fn audience(event: &Event) -> Value {
    let model = IntensityModel::for_event(event);
    let raw = model.max_radius_km(AUDIENCE_INTENSITY);
    let radius = if raw.is_finite() {
        raw.clamp(AUDIENCE_RADIUS_KM.0, AUDIENCE_RADIUS_KM.1)
    } else {
        AUDIENCE_RADIUS_KM.0
    };
    json!({
        "kind": "radius",
        "center": {"lat": event.lat, "lon": event.lon},
        "radius_km": (radius * 10.0).round() / 10.0,
        "basis": format!("predicted intensity >= {AUDIENCE_INTENSITY} (III)"),
        "epicentral_intensity": (model.epicentral_intensity() * 10.0).round() / 10.0,
    })
}

/// The audience of a stitched job: the H3 tiers computed at stitch time (objects by key and
/// URL, the compact cell list inline), else the radius of [`audience`].
pub fn job_audience(job: &JobRow) -> Value {
    match job.result.as_ref().map(|r| &r["audience"]) {
        Some(a) if a.is_object() => {
            let mut a = a.clone();
            // The full summary is in the stored object; the push carries the counts.
            if let Some(s) = a.get_mut("summary").and_then(Value::as_object_mut) {
                s.retain(|k, _| matches!(k.as_str(), "format" | "model" | "users"));
            }
            a["radius"] = audience(&job.event);
            a
        }
        _ => audience(&job.event),
    }
}

/// The idempotency key of a job's push (also its `webhook-id`).
pub fn idempotency_key(job_id: &str) -> String {
    format!("push-{job_id}")
}

/// The idempotency key of a job's retraction (also its `webhook-id`).
pub fn retract_key(job_id: &str) -> String {
    format!("retract-{job_id}")
}

/// The body POSTed to the push service to take a pushed bulletin back.
pub fn retract_payload(job: &JobRow, withdrawal: Option<&WithdrawalRow>) -> Value {
    json!({
        "type": "bulletin.retracted",
        "idempotency_key": retract_key(&job.id),
        // The push this retracts (its idempotency key).
        "retracts": idempotency_key(&job.id),
        "job_id": job.id,
        "event": {
            "source": job.source,
            "event_id": job.event_id,
            "report_status": job.report_status,
            "revision": job.revision,
        },
        "reason": job.reason,
        "withdrawal": withdrawal.map(|w| json!({
            "format": w.format,
            "reason": w.reason,
            "received_at_ms": w.received_at,
        })),
        "pushed_at": job.pushed_at,
    })
}

/// The body POSTed to the push service. Its HTTP links to the video and playlist are signed
/// (valid [`PUSH_LINK_TTL_SECS`] from `now_secs`) when `links` is given: the API reads no media
/// without a token or a signature.
pub fn payload(
    job: &JobRow,
    public_url: Option<&str>,
    links: Option<&LinkSigner>,
    now_secs: i64,
) -> Value {
    let r = job.result.clone().unwrap_or_default();
    let query = links.map(|l| format!("?{}", l.query(&job.id, now_secs, PUSH_LINK_TTL_SECS)));
    let link = |path: String| {
        public_url.map(|b| format!("{b}{path}{}", query.as_deref().unwrap_or_default()))
    };
    json!({
        "type": "bulletin.approved",
        "idempotency_key": idempotency_key(&job.id),
        "job_id": job.id,
        "event": job.event,
        "bulletin": {
            "video": r["video"]["url"],
            "video_key": r["video"]["key"],
            "video_sha256": r["video"]["sha256"],
            "manifest": r["manifest"]["url"],
            "playlist": r["playlist"]["url"],
            "video_http": link(format!("/v1/jobs/{}/video", job.id)),
            "hls_http": link(format!("/v1/jobs/{}/hls/index.m3u8", job.id)),
            "duration_secs": r["probe"]["duration_secs"],
            "text": r["bulletin_text"]["url"],
        },
        // Title ≤ 20 characters, body ≤ 60, in the bulletin's language, the video's numbers.
        "copy": r["push_copy"],
        "audience": job_audience(job),
        "approved_by": job.reviewer.clone().unwrap_or_else(|| "policy".into()),
        "approved_at": job.decided_at,
    })
}

/// Where bulletins and retractions are delivered. The farm's pusher loop decides what to send,
/// when, and records every attempt; a `Pusher` only carries one attempt. Production uses
/// [`HttpPusher`] (a Standard-Webhooks-signed POST); another transport or a test double plugs in
/// through [`run_pusher`].
pub trait Pusher: Send + Sync {
    /// Deliver `body` once under idempotency key `key` (blocking; the loop calls it on a
    /// blocking thread): `Ok(status)` when acknowledged (2xx), `Err((status if any, message))`
    /// otherwise, which the loop retries with backoff.
    fn deliver(&self, key: &str, body: &[u8]) -> Result<u16, (Option<u16>, String)>;
}

/// The push service over HTTP: POST to `--push-url`, signed with `--push-secret`.
#[derive(Clone, Debug)]
pub struct HttpPusher(pub PushConfig);

impl Pusher for HttpPusher {
    fn deliver(&self, key: &str, body: &[u8]) -> Result<u16, (Option<u16>, String)> {
        post(&self.0, key, body)
    }
}

/// POST one attempt; Ok(status) on 2xx, Err((status if any, message)) otherwise.
fn post(cfg: &PushConfig, key: &str, body: &[u8]) -> Result<u16, (Option<u16>, String)> {
    let url = cfg
        .url
        .as_deref()
        .ok_or((None, "no push URL".to_string()))?;
    let secret = cfg
        .secret
        .as_ref()
        .ok_or((None, "no push secret".to_string()))?;
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(15)))
        .http_status_as_error(false)
        .build()
        .into();
    let now_secs = now_ms() / 1000;
    let mut req = agent
        .post(url)
        .header("content-type", "application/json")
        .header("idempotency-key", key);
    for (k, v) in sign_headers(secret, key, now_secs, body) {
        req = req.header(k, &v);
    }
    match req.send(body) {
        Ok(resp) => {
            let status = resp.status().as_u16();
            if (200..300).contains(&status) {
                Ok(status)
            } else {
                let text = resp
                    .into_body()
                    .read_to_string()
                    .unwrap_or_default()
                    .chars()
                    .take(300)
                    .collect::<String>();
                Err((Some(status), format!("HTTP {status}: {text}")))
            }
        }
        Err(e) => Err((None, e.to_string())),
    }
}

/// Delay before attempt `attempts + 1`.
/// What a delivery to the push service is: a push or a retraction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Delivery {
    Push,
    Retraction,
}

/// POST `body` once (on a blocking thread) and record the attempt in the delivery's table.
async fn send_recorded(
    farm: &Farm,
    cfg: &PushConfig,
    pusher: &Arc<dyn Pusher>,
    what: Delivery,
    job_id: &str,
    key: &str,
    body: &str,
) -> Result<u16, (Option<u16>, String)> {
    let url = cfg.url.clone().unwrap_or_default();
    let sent = {
        let (pusher, key, body) = (pusher.clone(), key.to_string(), body.to_string());
        tokio::task::spawn_blocking(move || pusher.deliver(&key, body.as_bytes())).await
    };
    let sent = sent.unwrap_or_else(|e| Err((None, format!("{what:?} task panicked: {e}"))));
    let (status, error) = match &sent {
        Ok(s) => (Some(i64::from(*s)), None),
        Err((s, m)) => (s.map(i64::from), Some(m.as_str())),
    };
    let now = now_ms();
    let recorded = match what {
        Delivery::Push => {
            farm.db
                .record_push_attempt(job_id, key, &url, body, status, error, now)
                .await
        }
        Delivery::Retraction => {
            farm.db
                .record_retract_attempt(job_id, key, &url, body, status, error, now)
                .await
        }
    };
    if let Err(e) = recorded {
        tracing::warn!(error = %e, ?what, "recording the delivery attempt failed");
    }
    sent
}

pub fn backoff_ms(cfg: &PushConfig, attempts: i64) -> i64 {
    let exp = (attempts - 1).clamp(0, 30) as u32;
    let d = cfg.backoff_ms.saturating_mul(1u64 << exp.min(20));
    d.min(cfg.backoff_max_ms) as i64
}

/// Take push and retract tasks until `shutdown`.
#[allow(clippy::too_many_arguments)]
pub async fn run_pusher(
    farm: Farm,
    cfg: PushConfig,
    pusher: Arc<dyn Pusher>,
    public_url: Option<String>,
    owner: String,
    poll_ms: u64,
    lease_ms: i64,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        if *shutdown.borrow() {
            break;
        }
        match farm
            .db
            .claim(&owner, &TaskKind::DELIVERY, lease_ms, now_ms())
            .await
        {
            Ok(Some(lease)) => {
                if lease.kind == TaskKind::Retract {
                    retract_one(&farm, &cfg, &pusher, lease).await;
                } else {
                    push_one(&farm, &cfg, &pusher, public_url.as_deref(), lease, lease_ms).await;
                }
                continue;
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "push claim failed"),
        }
        tokio::select! {
            _ = farm.wake.notified() => {}
            _ = tokio::time::sleep(Duration::from_millis(poll_ms)) => {}
            _ = shutdown.changed() => {}
        }
    }
}

async fn push_one(
    farm: &Farm,
    cfg: &PushConfig,
    pusher: &Arc<dyn Pusher>,
    public_url: Option<&str>,
    mut lease: Lease,
    lease_ms: i64,
) {
    let t = std::time::Instant::now();
    let job = match farm.db.job(&lease.job_id).await {
        Ok(Some(j)) => j,
        Ok(None) => {
            let _ = farm
                .db
                .fail(&lease, "job row missing", false, 0, now_ms())
                .await;
            return;
        }
        Err(e) => {
            tracing::warn!(error = %e, "push: reading the job failed");
            return;
        }
    };
    if job.state != JobState::Approved {
        // Superseded or otherwise moved on: nothing to push.
        let _ = farm
            .db
            .complete(
                &lease,
                &json!({"skipped": format!("job is {}", job.state.as_str())}),
                now_ms(),
            )
            .await;
        return;
    }
    if cfg.url.is_none() {
        let _ = farm
            .db
            .complete(
                &lease,
                &json!({"skipped": "no push URL configured"}),
                now_ms(),
            )
            .await;
        return;
    }
    // Renew right before sending: a pusher whose lease ran out while it read the job (a slow
    // database, a pause) must not post beside the task's new owner. Lost: the owner pushes.
    match farm.db.renew(&mut lease, lease_ms, now_ms()).await {
        Ok(true) => {}
        Ok(false) => {
            tracing::warn!(task = %lease.task_id, "push: the lease was lost before sending; not sent");
            return;
        }
        Err(e) => {
            tracing::warn!(task = %lease.task_id, error = %e, "push: renewing the lease failed; not sent");
            return;
        }
    }
    let key = idempotency_key(&job.id);
    let body = payload(&job, public_url, cfg.links.as_ref(), now_ms() / 1000).to_string();
    let sent = send_recorded(farm, cfg, pusher, Delivery::Push, &job.id, &key, &body).await;
    let now = now_ms();
    let url = cfg.url.clone().unwrap_or_default();
    match sent {
        Ok(status) => {
            match farm
                .db
                .complete(
                    &lease,
                    &json!({"status": status, "idempotency_key": key}),
                    now,
                )
                .await
            {
                Ok(true) => {
                    farm.metrics
                        .inc("quakecast_push_total", &[("outcome", "delivered")]);
                    farm.metrics.observe(
                        "quakecast_stage_seconds",
                        &[("stage", "push")],
                        t.elapsed().as_secs_f64(),
                    );
                    tracing::info!(job = %job.id, status, "pushed");
                }
                Ok(false) => {
                    // Cancelled meanwhile: a withdrawal arrived while it was being sent.
                    match farm
                        .db
                        .push_acknowledged_after_withdrawal(&job.id, now)
                        .await
                    {
                        Ok(true) => {
                            tracing::warn!(job = %job.id, "push acknowledged after the event was withdrawn; retraction queued");
                            farm.wake.notify_waiters();
                        }
                        Ok(false) => {
                            tracing::warn!(job = %job.id, "push acknowledged but the lease was lost")
                        }
                        Err(e) => {
                            tracing::warn!(job = %job.id, error = %e, "push acknowledged after the lease was lost; recording failed")
                        }
                    }
                }
                Err(e) => {
                    tracing::warn!(job = %job.id, error = %e, "push acknowledged; recording failed")
                }
            }
        }
        Err((_, msg)) => {
            farm.metrics
                .inc("quakecast_push_total", &[("outcome", "retry")]);
            let delay = backoff_ms(cfg, lease.attempts);
            tracing::warn!(job = %job.id, attempt = lease.attempts, retry_in_ms = delay, error = %msg, "push failed");
            let err = FarmError::Push { url, message: msg };
            let _ = farm
                .db
                .fail(&lease, &err.to_string(), true, delay, now)
                .await;
        }
    }
}

async fn retract_one(farm: &Farm, cfg: &PushConfig, pusher: &Arc<dyn Pusher>, lease: Lease) {
    let job = match farm.db.job(&lease.job_id).await {
        Ok(Some(j)) => j,
        Ok(None) => {
            let _ = farm
                .db
                .fail(&lease, "job row missing", false, 0, now_ms())
                .await;
            return;
        }
        Err(e) => {
            tracing::warn!(error = %e, "retract: reading the job failed");
            return;
        }
    };
    if cfg.url.is_none() {
        let _ = farm
            .db
            .complete(
                &lease,
                &json!({"skipped": "no push URL configured"}),
                now_ms(),
            )
            .await;
        return;
    }
    let withdrawal = farm
        .db
        .withdrawal(&job.source, &job.event_id)
        .await
        .ok()
        .flatten();
    let key = retract_key(&job.id);
    let body = retract_payload(&job, withdrawal.as_ref()).to_string();
    let sent = send_recorded(
        farm,
        cfg,
        pusher,
        Delivery::Retraction,
        &job.id,
        &key,
        &body,
    )
    .await;
    let now = now_ms();
    let url = cfg.url.clone().unwrap_or_default();
    match sent {
        Ok(status) => {
            let done = farm
                .db
                .complete(
                    &lease,
                    &json!({"status": status, "idempotency_key": key}),
                    now,
                )
                .await;
            farm.metrics
                .inc("quakecast_retract_total", &[("outcome", "delivered")]);
            match done {
                Ok(true) => tracing::info!(job = %job.id, status, "retracted"),
                Ok(false) => {
                    tracing::warn!(job = %job.id, "retraction acknowledged but the lease was lost")
                }
                Err(e) => {
                    tracing::warn!(job = %job.id, error = %e, "retraction acknowledged; recording failed")
                }
            }
        }
        Err((_, msg)) => {
            farm.metrics
                .inc("quakecast_retract_total", &[("outcome", "retry")]);
            let delay = backoff_ms(cfg, lease.attempts);
            tracing::warn!(job = %job.id, attempt = lease.attempts, retry_in_ms = delay, error = %msg, "retraction failed");
            let err = FarmError::Push { url, message: msg };
            let _ = farm
                .db
                .fail(&lease, &err.to_string(), true, delay, now)
                .await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audience_radius_grows_with_magnitude_and_is_bounded() {
        let mut e = quakecast_facts::parse_report(quakecast_core::SAMPLE_REPORT).expect("sample");
        let r48 = audience(&e)["radius_km"].as_f64().expect("radius");
        e.magnitude = 7.0;
        let r70 = audience(&e)["radius_km"].as_f64().expect("radius");
        e.magnitude = 1.0;
        let r10 = audience(&e)["radius_km"].as_f64().expect("radius");
        assert!(r10 < r48 && r48 < r70, "{r10} {r48} {r70}");
        assert!((AUDIENCE_RADIUS_KM.0..=AUDIENCE_RADIUS_KM.1).contains(&r10));
        assert!((AUDIENCE_RADIUS_KM.0..=AUDIENCE_RADIUS_KM.1).contains(&r70));
    }

    #[test]
    fn backoff_doubles_and_caps() {
        let cfg = PushConfig {
            url: None,
            secret: None,
            backoff_ms: 100,
            backoff_max_ms: 1000,
            links: None,
        };
        let d: Vec<i64> = (1..=6).map(|a| backoff_ms(&cfg, a)).collect();
        assert_eq!(d, vec![100, 200, 400, 800, 1000, 1000]);
    }
}
