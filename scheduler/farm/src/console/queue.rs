//! The live review queue: what each entry shows, the order (urgency), and the one poller per
//! server process that tells every open console when the queue changed.
//!
//! The poller reads [`Db::review_stamp`] (ids and last change of the jobs awaiting review)
//! every [`POLL`] or at once when this process changes a job; only when the stamp differs does
//! it load the jobs and publish a new snapshot. Every console's event stream waits on the same
//! `watch` channel, so N open consoles cost one query per tick, not N. Workers in other
//! processes (distributed mode) are seen within one tick.
use std::sync::{Arc, Mutex};
use std::time::Duration;

use quakecast_facts::intensity::IntensityModel;
use serde_json::{json, Value};
use tokio::sync::watch;

use crate::db::Db;
use crate::model::{JobRow, JobState};

/// How often the poller looks at the queue.
pub const POLL: Duration = Duration::from_millis(200);

/// How urgent a bulletin awaiting review is: predicted epicentral intensity first, then
/// magnitude, then how long it has waited (up to an hour). Higher is more urgent.
///
/// `10·I₀ + 2·M + ½·min(wait, 60 min)`: one intensity degree outweighs five magnitude units of
/// tie-break, and an hour's wait (30 points) lifts a bulletin by three degrees, so a forgotten
/// M4 climbs above a fresh one of the same size but never above an M7.
pub fn urgency(epicentral_intensity: f64, magnitude: f64, waiting_secs: f64) -> f64 {
    let i0 = if epicentral_intensity.is_finite() {
        epicentral_intensity.clamp(0.0, 12.0)
    } else {
        0.0
    };
    let m = if magnitude.is_finite() {
        magnitude.clamp(0.0, 10.0)
    } else {
        0.0
    };
    let wait_min = (waiting_secs.max(0.0) / 60.0).min(60.0);
    10.0 * i0 + 2.0 * m + 0.5 * wait_min
}

/// One entry of the queue as a console lists it (times in ms since the epoch; the page counts
/// "ago" itself).
pub fn entry(job: &JobRow, now_ms: i64) -> Value {
    let e = &job.event;
    let i0 = IntensityModel::for_event(e).epicentral_intensity();
    let waiting = (now_ms - job.ready_at.unwrap_or(job.received_at)) as f64 / 1000.0;
    let sb = job.settings.storyboard.as_deref();
    let place = sb.map(|sb| &sb.facts.place);
    json!({
        "id": job.id,
        "source": job.source,
        "event_id": job.event_id,
        "status": job.report_status,
        "revision": job.revision,
        "magnitude": e.magnitude,
        "magnitude_type": e.magnitude_type,
        "depth_km": e.depth_km,
        "region": e.region,
        "place_zh": place.map(|p| p.zh.clone()),
        "place_en": place.map(|p| p.en.clone()),
        "epicentral_intensity": (i0 * 10.0).round() / 10.0,
        "epicentral_roman": quakecast_facts::intensity::roman(quakecast_facts::intensity::level(i0)),
        "origin_ms": e.origin_time.timestamp_millis(),
        "received_ms": job.received_at,
        "ready_ms": job.ready_at,
        "updated_ms": job.updated_at,
        "urgency": (urgency(i0, e.magnitude, waiting) * 10.0).round() / 10.0,
    })
}

/// The queue, most urgent first (ties: the one waiting longest).
pub fn ordered(jobs: &[JobRow], now_ms: i64) -> Vec<Value> {
    let mut entries: Vec<Value> = jobs.iter().map(|j| entry(j, now_ms)).collect();
    entries.sort_by(|a, b| {
        let u = |v: &Value| v["urgency"].as_f64().unwrap_or(0.0);
        u(b).total_cmp(&u(a))
            .then_with(|| a["received_ms"].as_i64().cmp(&b["received_ms"].as_i64()))
            .then_with(|| a["id"].as_str().cmp(&b["id"].as_str()))
    });
    entries
}

/// The latest queue snapshot (JSON text of `{"jobs": [...], "at_ms": …}`), shared by every
/// console of this process.
pub struct LiveQueue {
    tx: watch::Sender<Arc<String>>,
    started: Mutex<bool>,
    shutdown: watch::Receiver<bool>,
}

impl LiveQueue {
    pub fn new(shutdown: watch::Receiver<bool>) -> Self {
        Self {
            tx: watch::channel(Arc::new(String::new())).0,
            started: Mutex::new(false),
            shutdown,
        }
    }

    /// A receiver of snapshots; the first call starts the poller (on the caller's runtime).
    pub fn subscribe(
        &self,
        db: &Db,
        wake: &Arc<tokio::sync::Notify>,
    ) -> watch::Receiver<Arc<String>> {
        let rx = self.tx.subscribe();
        let mut started = self.started.lock().unwrap_or_else(|p| p.into_inner());
        if !*started {
            *started = true;
            tokio::spawn(poll(
                self.tx.clone(),
                db.clone(),
                wake.clone(),
                self.shutdown.clone(),
            ));
        }
        rx
    }

    /// Whether the server is shutting down (streams end then, so graceful shutdown can finish).
    pub fn shutdown(&self) -> watch::Receiver<bool> {
        self.shutdown.clone()
    }
}

async fn poll(
    tx: watch::Sender<Arc<String>>,
    db: Db,
    wake: Arc<tokio::sync::Notify>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut last: Option<Vec<(String, i64)>> = None;
    loop {
        if *shutdown.borrow() {
            break;
        }
        match db.review_stamp().await {
            Ok(stamp) if last.as_ref() != Some(&stamp) => {
                match db.jobs_in_state(JobState::AwaitingReview, 500).await {
                    Ok(jobs) => {
                        let now = crate::db::now_ms();
                        let text = json!({"jobs": ordered(&jobs, now), "at_ms": now}).to_string();
                        tx.send_replace(Arc::new(text));
                        last = Some(stamp);
                    }
                    Err(e) => tracing::warn!(error = %e, "review queue: loading jobs failed"),
                }
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "review queue: polling failed"),
        }
        tokio::select! {
            _ = tokio::time::sleep(POLL) => {}
            _ = wake.notified() => {}
            _ = shutdown.changed() => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intensity_outranks_magnitude_and_waiting_lifts_but_never_past_a_big_one() {
        let m7 = urgency(9.5, 7.0, 0.0);
        let m5 = urgency(6.5, 5.0, 0.0);
        let m5_old = urgency(6.5, 5.0, 3600.0);
        let m5_older = urgency(6.5, 5.0, 7200.0);
        assert!(m7 > m5_old && m5_old > m5);
        // The wait counts up to an hour.
        assert_eq!(m5_old, m5_older);
        // Same intensity: the bigger magnitude first.
        assert!(urgency(6.0, 5.5, 0.0) > urgency(6.0, 5.2, 0.0));
        // Bad numbers do not poison the order.
        assert_eq!(urgency(f64::NAN, f64::INFINITY, -5.0), 0.0);
    }
}
