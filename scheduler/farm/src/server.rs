//! The HTTP API: intake, job status, progressive and final outputs, review, metrics, health.
//!
//! Every refusal is a JSON body `{"error": {"code", "message", "field"?}}` with a status that
//! fits: 400 malformed body, 401 signature or reviewer token, 404 unknown job, 409 a state
//! conflict (stale report, a report of a withdrawn event, reused webhook id, decision on a job
//! not awaiting review), 413 body
//! too large, 415 unsupported content type, 422 a report that parses but fails validation,
//! 503 database unavailable. [`ApiError`] is the one place errors become statuses.
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use quakecast_facts::{parse_message, Message, Parsed, ReportError};
use quakecast_scenes::Storyboard;
use serde_json::{json, Value};

use super::auth::{token_owner, VIEW_LINK_TTL_SECS};
use super::config::ServeConfig;
use super::db::{now_ms, DecideError, IntakeOutcome, NewJob, NewWithdrawal, WithdrawOutcome};
use super::error::FarmError;
use super::hls::{
    audio_segment_name, master_playlist, media_playlist, segment_name, PlaylistEntry,
    AUDIO_PLAYLIST, MASTER_PLAYLIST, VIDEO_PLAYLIST,
};
use super::http::{buffer_body, BodyLimits};
use super::model::{Decision, JobRow, JobState, TaskKind, TaskRow, TaskState};
use super::webhook::SignedHeaders;
use super::worker::{hls_audio_key, hls_key, keys_for, Farm};
use quakecast_core::plan::plan_segments_fast_start;

/// What every handler sees.
#[derive(Clone)]
pub struct AppState {
    pub farm: Farm,
    pub cfg: Arc<ServeConfig>,
    /// Map data and gazetteer for the facts computed at intake.
    pub env: Arc<super::worker::RenderEnvLoader>,
    /// The review queue every open console follows ([`super::console::LiveQueue`]).
    pub live: Arc<super::console::LiveQueue>,
}

/// A refusal or failure as the API reports it.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub field: Option<String>,
    pub extra: Option<Value>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            field: None,
            extra: None,
        }
    }

    fn with_field(mut self, field: &str) -> Self {
        self.field = Some(field.to_string());
        self
    }

    pub(crate) fn with_extra(mut self, extra: Value) -> Self {
        self.extra = Some(extra);
        self
    }

    fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{what} not found"),
        )
    }

    fn report(e: &ReportError) -> Self {
        let (status, code) = match e {
            ReportError::Syntax(_) => (StatusCode::BAD_REQUEST, "report_malformed"),
            ReportError::UnknownFormat(_) => {
                (StatusCode::UNPROCESSABLE_ENTITY, "report_format_unknown")
            }
            ReportError::Withdrawn(_) => (StatusCode::UNPROCESSABLE_ENTITY, "report_withdrawn"),
            _ => (StatusCode::UNPROCESSABLE_ENTITY, "report_invalid"),
        };
        let mut err = Self::new(status, code, e.to_string());
        err.field = e.field().map(str::to_string);
        err
    }
}

impl From<FarmError> for ApiError {
    fn from(e: FarmError) -> Self {
        if e.is_retryable() {
            tracing::warn!(error = %e, "request failed (retryable)");
            Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                e.to_string(),
            )
        } else {
            tracing::error!(error = %e, "request failed");
            Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string())
        }
    }
}

impl From<quakecast_core::Error> for ApiError {
    fn from(e: quakecast_core::Error) -> Self {
        FarmError::from(e).into()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = json!({"error": {"code": self.code, "message": self.message}});
        if let Some(f) = self.field {
            body["error"]["field"] = Value::String(f);
        }
        if let Some(Value::Object(extra)) = self.extra {
            for (k, v) in extra {
                body["error"][k] = v;
            }
        }
        (self.status, Json(body)).into_response()
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/v1/events", post(post_event))
        .route("/v1/jobs/{id}", get(get_job))
        .route("/v1/jobs/{id}/video", get(get_video))
        .route("/v1/jobs/{id}/hls/{name}", get(get_hls))
        .route("/v1/jobs/{id}/audit", get(get_audit))
        .route("/v1/jobs/{id}/approve", post(approve))
        .route("/v1/jobs/{id}/reject", post(reject))
        .route("/v1/withdrawals/{source}/{event_id}", get(get_withdrawal))
        .route("/v1/review/queue", get(review_queue))
        .route("/v1/review/stream", get(super::console::stream))
        .route("/v1/review/jobs/{id}", get(super::console::job))
        .route("/v1/jobs/{id}/map.svg", get(super::console::map_svg))
        .route("/v1/jobs/{id}/keyframes/{n}", get(super::console::keyframe))
        .route(
            "/v1/jobs/{id}/push-copy",
            post(super::console::edit_push_copy),
        )
        .route("/review", get(review_page))
        .route("/review.js", get(review_js))
        .route("/review.css", get(review_css))
        .route("/metrics", get(metrics))
        .route("/healthz", get(healthz))
        .layer(axum::middleware::from_fn_with_state(
            BodyLimits {
                max_bytes: state.cfg.max_body_bytes,
                read_timeout: state.cfg.http.body_read,
            },
            buffer_body,
        ))
        .with_state(state)
}

/// The router of the `--metrics-listen` address: `/metrics` without a token, `/healthz`.
pub fn metrics_router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(open_metrics))
        .route("/healthz", get(healthz))
        .with_state(state)
}

// ---- intake --------------------------------------------------------------------------------

/// Read the body up to the limit; a larger one is refused without reading it all.
async fn read_body(headers: &HeaderMap, body: Body, max: usize) -> ApiResult<axum::body::Bytes> {
    let too_large = |n: Option<usize>| {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            match n {
                Some(n) => format!("body is {n} bytes; at most {max} are accepted"),
                None => format!("body is larger than the {max} bytes accepted"),
            },
        )
    };
    if let Some(len) = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
    {
        if len > max {
            return Err(too_large(Some(len)));
        }
    }
    axum::body::to_bytes(body, max)
        .await
        .map_err(|_| too_large(None))
}

/// Parse a report of any format (detected from the content). The content type only has to be
/// JSON, XML or absent.
fn parse_any(headers: &HeaderMap, body: &[u8]) -> ApiResult<Parsed> {
    let ctype = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if !(ctype.is_empty() || ctype.contains("json") || ctype.contains("xml")) {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "content_type_unsupported",
            format!(
                "content-type {ctype:?}; expected application/json (CENC, EMSC, USGS GeoJSON) \
                 or application/xml (QuakeML 1.2)"
            ),
        ));
    }
    parse_message(body).map_err(|e| ApiError::report(&e))
}

async fn post_event(
    State(s): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let metrics = &s.farm.metrics;
    let res = intake(&s, &headers, body).await;
    let outcome = match &res {
        Ok(r) if r.status() == StatusCode::ACCEPTED => "created",
        Ok(_) => "duplicate",
        Err(e) => e.code,
    };
    metrics.inc("quakecast_intake_total", &[("outcome", outcome)]);
    res
}

async fn intake(s: &AppState, headers: &HeaderMap, body: Body) -> ApiResult<Response> {
    let t0 = std::time::Instant::now();
    let body = read_body(headers, body, s.cfg.max_body_bytes).await?;
    let h = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let signed = SignedHeaders {
        id: h("webhook-id"),
        timestamp: h("webhook-timestamp"),
        signature: h("webhook-signature"),
    };
    let webhook_id = s
        .cfg
        .verifier
        .verify(&signed, &body, now_ms() / 1000)
        .map_err(|e| ApiError::new(StatusCode::UNAUTHORIZED, e.code(), e.to_string()))?
        .to_string();
    if let Some(at) = body.iter().position(|&b| b == 0) {
        // PostgreSQL TEXT cannot hold NUL: refuse it here (422) rather than fail the insert,
        // which reads as a database error (503) on every retry.
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "report_invalid",
            format!("the report contains a NUL byte (at byte {at}); NUL is not accepted"),
        ));
    }
    let parsed = parse_any(headers, &body)?;
    let format = parsed.format.name();
    let report = String::from_utf8(body.to_vec()).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "report_malformed",
            format!("report is not UTF-8: {e}"),
        )
    })?;
    let event = match parsed.message {
        Message::Event(e) => e,
        Message::Withdrawal(withdrawal) => {
            let new = NewWithdrawal {
                withdrawal,
                report,
                webhook: Some((webhook_id, quakecast_core::store::sha256_hex(&body))),
            };
            return withdraw(s, &new).await;
        }
    };
    check_keys(&event, &s.cfg.job)?;
    let mut settings = s.cfg.job.clone();
    let webhook = Some((webhook_id, quakecast_core::store::sha256_hex(&body)));
    // Dedup first: a replayed message or a known report is answered from the database before
    // anything is planned (planning synthesizes the speech).
    let known = NewJob {
        auto_approve: s.cfg.auto_approves(&event),
        event: event.clone(),
        format: format.to_string(),
        report: String::new(),
        settings: settings.clone(),
        plan: Vec::new(),
        webhook: webhook.clone(),
    };
    if let Some(outcome) = s.farm.db.intake_known(&known, now_ms()).await? {
        return intake_response(s, outcome).await;
    }
    // The timeline is fixed here, once: facts, scenes, speech-fitted lengths and subtitle times
    // go into the job, so every worker renders the same frames and the audio task mixes the
    // speech they were timed to.
    let storyboard = {
        let (env, content, event, settings, store) = (
            s.env.clone(),
            s.cfg.content.clone(),
            event.clone(),
            settings.clone(),
            s.farm.store.clone(),
        );
        tokio::task::spawn_blocking(move || -> quakecast_core::Result<Storyboard> {
            let assets = env.assets()?;
            let tts = settings.audio.then(quakecast_audio::tts::tts_from_env);
            let timeline = quakecast_core::bulletin::plan_timeline(
                &event,
                &assets,
                &content,
                settings.render(),
                tts.as_deref(),
            )?;
            // The music bed goes to the store, where the audio task (on any machine) finds it.
            if let (Some(path), Some(used)) =
                (&timeline.music, timeline.storyboard.materials.music())
            {
                let key = quakecast_core::materials::bed_key(used);
                if !store.exists(&key)? {
                    store.put_file(&key, path, "application/octet-stream")?;
                }
            }
            Ok(timeline.storyboard)
        })
        .await
        .map_err(|e| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "planning_failed",
                format!("planning the bulletin panicked: {e}"),
            )
        })?
        .map_err(|e| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "planning_failed",
                format!("planning the bulletin failed: {e}"),
            )
        })?
    };
    // The first segment is one second: the progressive HLS playlist can be played as soon as
    // it is rendered, while the other segments follow.
    let plan = plan_segments_fast_start(
        storyboard.total_frames,
        settings.segments,
        settings.fps,
        settings.fps,
        settings.fps,
    );
    settings.storyboard = Some(Box::new(storyboard));
    let new = NewJob {
        auto_approve: s.cfg.auto_approves(&event),
        event,
        format: format.to_string(),
        report,
        settings,
        plan,
        webhook,
    };
    let outcome = s.farm.db.intake(&new, now_ms()).await?;
    s.farm.metrics.observe(
        "quakecast_stage_seconds",
        &[("stage", "intake")],
        t0.elapsed().as_secs_f64(),
    );
    intake_response(s, outcome).await
}

/// Refuse at intake an event whose object keys the store would refuse after rendering.
fn check_keys(event: &quakecast_facts::Event, job: &super::model::JobSettings) -> ApiResult<()> {
    let keys = quakecast_core::store::BulletinKeys::new(event, job.width, job.height);
    for key in [
        keys.video(),
        keys.manifest(),
        keys.segment(9999),
        hls_key(&keys, 9999),
        hls_audio_key(&keys, 9999),
        keys.sidecar("subtitles.vtt"),
    ] {
        quakecast_core::store::validate_key(&key).map_err(|e| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "report_invalid",
                format!("the event id makes an invalid object key: {e}"),
            )
            .with_field("event_id")
        })?;
    }
    Ok(())
}

async fn intake_response(s: &AppState, outcome: IntakeOutcome) -> ApiResult<Response> {
    match outcome {
        IntakeOutcome::Created { job, superseded } => {
            s.farm.wake.notify_waiters();
            tracing::info!(job = %job.id, event = %job.event_id, status = %job.report_status,
                revision = job.revision, superseded = ?superseded, "job created");
            let view = job_view(s, &job).await?;
            let mut resp = (
                StatusCode::ACCEPTED,
                Json(json!({"job": view, "created": true, "superseded": superseded})),
            )
                .into_response();
            if let Ok(v) = HeaderValue::from_str(&format!("/v1/jobs/{}", job.id)) {
                resp.headers_mut().insert(header::LOCATION, v);
            }
            Ok(resp)
        }
        IntakeOutcome::Duplicate { job } => {
            let view = job_view(s, &job).await?;
            Ok((StatusCode::OK, Json(json!({"job": view, "created": false}))).into_response())
        }
        IntakeOutcome::Stale { newer } => Err(ApiError::new(
            StatusCode::CONFLICT,
            "report_stale",
            format!(
                "a higher-ranked report of event {} exists ({} revision {}, job {}); this one \
                 was not stored",
                newer.event_id, newer.report_status, newer.revision, newer.id
            ),
        )
        .with_extra(json!({"job_id": newer.id}))),
        IntakeOutcome::WebhookIdReused { webhook_id, job_id } => {
            Err(webhook_id_reused(&webhook_id, &job_id))
        }
        IntakeOutcome::Conflict { job } => Err(ApiError::new(
            StatusCode::CONFLICT,
            "report_conflict",
            format!(
                "event {} {} revision {} was received before with different contents (job {}); \
                 a corrected report needs a higher revision",
                job.event_id, job.report_status, job.revision, job.id
            ),
        )
        .with_extra(json!({"job_id": job.id}))),
        IntakeOutcome::Withdrawn { withdrawal } => Err(ApiError::new(
            StatusCode::CONFLICT,
            "event_withdrawn",
            format!(
                "event {} was withdrawn by the agency ({}: {}); its reports are not broadcast",
                withdrawal.event_id, withdrawal.format, withdrawal.reason
            ),
        )
        .with_extra(json!({"withdrawal": withdrawal}))),
    }
}

fn webhook_id_reused(webhook_id: &str, job_id: &str) -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "webhook_id_reused",
        format!("webhook-id {webhook_id:?} was already used for a different body ({job_id})"),
    )
    .with_extra(json!({"job_id": job_id}))
}

/// A withdrawal: the event's live jobs are closed and pushed ones retracted (`Db::withdraw`).
/// 202 for the first withdrawal of an event (known or not), 200 for a repeat.
async fn withdraw(s: &AppState, new: &NewWithdrawal) -> ApiResult<Response> {
    match s.farm.db.withdraw(new, now_ms()).await? {
        WithdrawOutcome::Recorded {
            first,
            withdrawal,
            jobs,
            withdrawn,
            retracting,
        } => {
            if !retracting.is_empty() || !withdrawn.is_empty() {
                s.farm.wake.notify_waiters();
            }
            tracing::info!(source = %withdrawal.source, event = %withdrawal.event_id,
                reason = %withdrawal.reason, first, withdrawn = ?withdrawn,
                retracting = ?retracting, "withdrawal");
            let body = json!({
                "withdrawal": withdrawal,
                "created": first,
                "known_event": !jobs.is_empty(),
                "withdrawn": withdrawn,
                "retracting": retracting,
                "jobs": jobs.iter().map(|j| json!({
                    "id": j.id,
                    "state": j.state,
                    "report_status": j.report_status,
                    "revision": j.revision,
                })).collect::<Vec<_>>(),
            });
            let status = if first {
                StatusCode::ACCEPTED
            } else {
                StatusCode::OK
            };
            let mut resp = (status, Json(body)).into_response();
            let location = format!(
                "/v1/withdrawals/{}/{}",
                withdrawal.source, withdrawal.event_id
            );
            if let Ok(v) = HeaderValue::from_str(&location) {
                resp.headers_mut().insert(header::LOCATION, v);
            }
            Ok(resp)
        }
        WithdrawOutcome::WebhookIdReused { webhook_id, job_id } => {
            Err(webhook_id_reused(&webhook_id, &job_id))
        }
    }
}

async fn get_withdrawal(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path((source, event_id)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    reader(&s, &headers)?;
    let w = s
        .farm
        .db
        .withdrawal(&source, &event_id)
        .await?
        .ok_or_else(|| {
            ApiError::not_found(&format!("withdrawal of {source} event {event_id:?}"))
        })?;
    let jobs = s.farm.db.jobs_of_event(&source, &event_id).await?;
    let mut views = Vec::new();
    for j in &jobs {
        views.push(job_view(&s, j).await?);
    }
    Ok(Json(json!({"withdrawal": w, "jobs": views})))
}

// ---- jobs ----------------------------------------------------------------------------------

fn secs_between(a: Option<i64>, b: Option<i64>) -> Option<f64> {
    Some((b? - a?) as f64 / 1000.0)
}

pub(crate) fn link(s: &AppState, path: String) -> String {
    match &s.cfg.public_url {
        Some(base) => format!("{base}{path}"),
        None => path,
    }
}

/// A job's media link, signed for [`VIEW_LINK_TTL_SECS`] (a player cannot send a token).
pub(crate) fn media_link(s: &AppState, job_id: &str, path: String) -> String {
    let q = s
        .cfg
        .links
        .query(job_id, now_ms() / 1000, VIEW_LINK_TTL_SECS);
    format!("{}?{q}", link(s, path))
}

/// A job as `GET /v1/jobs/{id}` shows it.
pub async fn job_view(s: &AppState, job: &JobRow) -> ApiResult<Value> {
    let tasks = s.farm.db.tasks(&job.id).await?;
    let push = s.farm.db.push_delivery(&job.id).await?;
    let retraction = s.farm.db.retraction(&job.id).await?;
    let mut v = view(s, job, &tasks, push.as_ref());
    v["retraction"] = match retraction {
        Some(r) => json!({
            "state": r.state,
            "attempts": r.attempts,
            "idempotency_key": r.idempotency_key,
            "last_status": r.last_status,
            "last_error": r.last_error,
            "delivered_at_ms": r.delivered_at,
        }),
        // Queued but not attempted yet.
        None => match tasks.iter().find(|t| t.kind == TaskKind::Retract) {
            Some(t) => json!({"state": "pending", "attempts": t.attempts}),
            None => Value::Null,
        },
    };
    Ok(v)
}

fn view(
    s: &AppState,
    job: &JobRow,
    tasks: &[TaskRow],
    push: Option<&super::model::PushRow>,
) -> Value {
    let segments: Vec<Value> = tasks
        .iter()
        .filter(|t| t.kind == TaskKind::Segment)
        .map(|t| {
            json!({
                "index": t.seg_index,
                "frames": [t.frame_start, t.frame_end],
                "state": t.state,
                "attempts": t.attempts,
                "worker": t.result.as_ref().and_then(|r| r["worker"].as_str().map(str::to_string))
                    .or_else(|| t.lease_owner.clone()),
                "wall_secs": t.result.as_ref().and_then(|r| r["wall_secs"].as_f64()),
                "audio_head_secs": t.result.as_ref().and_then(|r| r["audio_head_secs"].as_f64()),
                "audio_head": t.result.as_ref().map(|r| r["audio_head"].clone()),
                "reused": t.result.as_ref().and_then(|r| r["reused"].as_bool()),
                "last_error": t.last_error,
            })
        })
        .collect();
    let stitch = tasks.iter().find(|t| t.kind == TaskKind::Stitch);
    let r = job.result.clone().unwrap_or(Value::Null);
    let first_ts = tasks
        .iter()
        .any(|t| t.kind == TaskKind::Segment && t.seg_index == 0 && t.state == TaskState::Done);
    let outputs = json!({
        "video": r
            .get("video")
            .map(|_| media_link(s, &job.id, format!("/v1/jobs/{}/video", job.id))),
        "video_object": r.get("video"),
        "manifest_object": r.get("manifest"),
        "hls": first_ts
            .then(|| media_link(s, &job.id, format!("/v1/jobs/{}/hls/index.m3u8", job.id))),
    });
    let timings = json!({
        "received_at_ms": job.received_at,
        "render_started_at_ms": job.render_started_at,
        "rendered_at_ms": job.rendered_at,
        "ready_at_ms": job.ready_at,
        "decided_at_ms": job.decided_at,
        "pushed_at_ms": job.pushed_at,
        "queue_secs": secs_between(Some(job.received_at), job.render_started_at),
        "render_secs": secs_between(job.render_started_at, job.rendered_at),
        "stitch_secs": secs_between(job.rendered_at, job.ready_at),
        "review_secs": secs_between(job.ready_at, job.decided_at),
        "push_secs": secs_between(job.decided_at, job.pushed_at),
        "total_secs": secs_between(Some(job.received_at), job.pushed_at.or(job.ready_at)),
    });
    let mut settings = job.settings.clone();
    settings.storyboard = None;
    json!({
        "id": job.id,
        "state": job.state,
        "reason": job.reason,
        "source": job.source,
        "event_id": job.event_id,
        "report_status": job.report_status,
        "revision": job.revision,
        "format": job.format,
        "event": job.event,
        "settings": settings,
        "timeline": job.settings.storyboard.as_ref().map(|sb| json!({
            "scenes": sb.scenes,
            "total_frames": sb.total_frames,
            "duration_secs": sb.duration_secs(),
            "subtitles": sb.subtitles.iter().map(|c| json!({
                "scene": c.scene,
                "start_secs": c.start_secs,
                "end_secs": c.end_secs,
            })).collect::<Vec<_>>(),
            "theme": sb.theme.name,
        })),
        "auto_approve": job.auto_approve,
        "progress": {
            "segments_total": job.segments_total,
            "segments_done": job.segments_done,
            "segments": segments,
            "stitch": stitch.map(|t| t.state),
        },
        "outputs": outputs,
        "timings": timings,
        "superseded_by": job.superseded_by,
        "reviewer": job.reviewer,
        "review_reason": job.review_reason,
        "push": push.map(|p| json!({
            "state": p.state,
            "attempts": p.attempts,
            "idempotency_key": p.idempotency_key,
            "last_status": p.last_status,
            "last_error": p.last_error,
            "delivered_at_ms": p.delivered_at,
        })),
    })
}

pub(crate) async fn load_job(s: &AppState, id: &str) -> ApiResult<JobRow> {
    s.farm
        .db
        .job(id)
        .await?
        .ok_or_else(|| ApiError::not_found(&format!("job {id:?}")))
}

async fn get_job(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    reader(&s, &headers)?;
    let job = load_job(&s, &id).await?;
    Ok(Json(job_view(&s, &job).await?))
}

async fn get_audit(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    reader(&s, &headers)?;
    load_job(&s, &id).await?;
    let rows = s.farm.db.audit_log(&id).await?;
    Ok(Json(json!({"job_id": id, "audit": rows})))
}

/// Read an object through the store (on a blocking thread: S3 and disk are synchronous).
pub(crate) async fn object(s: &AppState, key: String) -> ApiResult<Vec<u8>> {
    let store = s.farm.store.clone();
    tokio::task::spawn_blocking(move || store.get_bytes(&key))
        .await
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?
        .map_err(ApiError::from)
}

pub(crate) fn bytes_response(content_type: &'static str, bytes: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        bytes,
    )
        .into_response()
}

async fn get_video(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<LinkQuery>,
) -> ApiResult<Response> {
    media_access(&s, &headers, &q, &id)?;
    let job = load_job(&s, &id).await?;
    let key = job
        .result
        .as_ref()
        .and_then(|r| r["video"]["key"].as_str().map(str::to_string))
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "not_ready",
                format!(
                    "job {id} has no stitched video yet (state {})",
                    job.state.as_str()
                ),
            )
        })?;
    Ok(bytes_response("video/mp4", object(&s, key).await?))
}

async fn get_hls(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path((id, name)): Path<(String, String)>,
    Query(q): Query<LinkQuery>,
) -> ApiResult<Response> {
    let signed = media_access(&s, &headers, &q, &id)?;
    let job = load_job(&s, &id).await?;
    let tasks = s.farm.db.tasks(&id).await?;
    let mut segs: Vec<&TaskRow> = tasks
        .iter()
        .filter(|t| t.kind == TaskKind::Segment)
        .collect();
    segs.sort_by_key(|t| t.seg_index);
    // Links in a playlist carry the signature the playlist was read with.
    let link = |name: &str| match &signed {
        Some(q) => format!("{name}?{q}"),
        None => name.to_string(),
    };
    let audio_task = tasks.iter().find(|t| t.kind == TaskKind::Audio);
    let audio_done = audio_task.is_some_and(|t| {
        t.state == TaskState::Done && t.result.as_ref().is_some_and(|r| r["hls_audio"].is_array())
    });
    // The first audio segment comes with the first video segment (its head) or with the audio
    // task; the others with the audio task.
    let audio_ready = |t: &TaskRow| {
        audio_done
            || (t.seg_index == 0
                && t.state == TaskState::Done
                && t.result.as_ref().is_some_and(|r| r["audio_ts"].is_object()))
    };
    // A job from before the audio rendition: its audio task is done without audio segments.
    let with_audio = job.settings.audio
        && audio_task.is_some_and(|t| {
            t.state != TaskState::Done
                || t.result.as_ref().is_some_and(|r| r["hls_audio"].is_array())
        });
    let playlist = |done: &dyn Fn(&TaskRow) -> bool, uri: fn(u32) -> String| {
        let entries: Vec<PlaylistEntry> = segs
            .iter()
            .map(|t| PlaylistEntry {
                index: t.seg_index as u32,
                frames: (t.frame_end - t.frame_start) as u32,
                done: done(t),
            })
            .collect();
        let text = media_playlist(&entries, job.settings.fps, |i| link(&uri(i)));
        Ok(bytes_response(
            "application/vnd.apple.mpegurl",
            text.into_bytes(),
        ))
    };
    match name.as_str() {
        MASTER_PLAYLIST => {
            let lang = with_audio.then(|| {
                let sb = job.settings.storyboard(&job.event);
                quakecast_scenes::narration::lang_for(&sb.event, &sb.theme).bcp47()
            });
            let text = master_playlist(job.settings.width, job.settings.height, lang, link);
            return Ok(bytes_response(
                "application/vnd.apple.mpegurl",
                text.into_bytes(),
            ));
        }
        VIDEO_PLAYLIST => return playlist(&|t| t.state == TaskState::Done, segment_name),
        AUDIO_PLAYLIST if with_audio => return playlist(&audio_ready, audio_segment_name),
        _ => {}
    }
    let keys = keys_for(&job);
    if let Some(seg) = segs
        .iter()
        .find(|t| segment_name(t.seg_index as u32) == name)
    {
        if seg.state != TaskState::Done {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "not_ready",
                format!("segment {} of job {id} is not rendered yet", seg.seg_index),
            ));
        }
        let key = hls_key(&keys, seg.seg_index as u32);
        return Ok(bytes_response("video/mp2t", object(&s, key).await?));
    }
    if let Some(seg) = segs
        .iter()
        .find(|t| with_audio && audio_segment_name(t.seg_index as u32) == name)
    {
        if !audio_ready(seg) {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "not_ready",
                format!(
                    "the sound of segment {} of job {id} is not made yet",
                    seg.seg_index
                ),
            ));
        }
        // Until the audio task is done the first one is the head its segment task made.
        let head = seg
            .result
            .as_ref()
            .and_then(|r| r["audio_ts"]["key"].as_str());
        let key = match head {
            Some(k) if !audio_done => k.to_string(),
            _ => hls_audio_key(&keys, seg.seg_index as u32),
        };
        return Ok(bytes_response("video/mp2t", object(&s, key).await?));
    }
    Err(ApiError::not_found(&format!(
        "HLS file {name:?} of job {id}"
    )))
}

// ---- who may read ---------------------------------------------------------------------------

/// `?exp=…&sig=…` of a signed media link.
#[derive(Debug, Default, serde::Deserialize)]
pub struct LinkQuery {
    exp: Option<String>,
    sig: Option<String>,
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
}

/// The reader named by the request's bearer token: a reviewer or a `--reader`.
pub(crate) fn reader(s: &AppState, headers: &HeaderMap) -> ApiResult<String> {
    let token = bearer(headers).ok_or_else(|| {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "token_missing",
            "header `Authorization: Bearer <reader or reviewer token>` is required",
        )
    })?;
    // Both lists are compared in full, whichever matches.
    let reviewer = token_owner(&s.cfg.reviewers, token);
    let reader = token_owner(&s.cfg.readers, token);
    reviewer.or(reader).map(str::to_string).ok_or_else(|| {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "token_invalid",
            "the token is not a reader or reviewer token",
        )
    })
}

/// A job's media may be read with a reader token or a signed link for that job; returns the
/// link's query when the request came signed (a playlist passes it on to its segments).
pub(crate) fn media_access(
    s: &AppState,
    headers: &HeaderMap,
    q: &LinkQuery,
    job_id: &str,
) -> ApiResult<Option<String>> {
    if let (Some(exp), Some(sig)) = (&q.exp, &q.sig) {
        if s.cfg.links.verify(job_id, exp, sig, now_ms() / 1000) {
            return Ok(Some(format!("exp={exp}&sig={sig}")));
        }
        if bearer(headers).is_none() {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "link_invalid",
                "the signed link is not valid for this job or has expired; ask for the job \
                 again for a fresh one",
            ));
        }
    }
    reader(s, headers).map(|_| None)
}

// ---- review --------------------------------------------------------------------------------

/// The reviewer named by the request's bearer token.
pub(crate) fn reviewer(s: &AppState, headers: &HeaderMap) -> ApiResult<String> {
    if s.cfg.reviewers.is_empty() {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "review_disabled",
            "no reviewers are configured (--reviewer NAME:TOKEN)",
        ));
    }
    let token = bearer(headers).ok_or_else(|| {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "token_missing",
            "header `Authorization: Bearer <reviewer token>` is required",
        )
    })?;
    // Compared against every token without stopping early.
    token_owner(&s.cfg.reviewers, token)
        .map(str::to_string)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "token_invalid",
                "the reviewer token is not valid",
            )
        })
}

#[derive(serde::Deserialize, Default)]
struct DecisionBody {
    reason: Option<String>,
}

async fn decide(
    s: &AppState,
    headers: &HeaderMap,
    id: &str,
    body: &[u8],
    decision: Decision,
) -> ApiResult<Json<Value>> {
    let actor = reviewer(s, headers)?;
    let parsed: DecisionBody = if body.iter().all(u8::is_ascii_whitespace) {
        DecisionBody::default()
    } else {
        serde_json::from_slice(body).map_err(|e| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "body_malformed",
                format!("expected {{\"reason\": \"…\"}}: {e}"),
            )
        })?
    };
    let reason = parsed
        .reason
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty());
    if decision == Decision::Reject && reason.is_none() {
        let mut e = ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "reason_required",
            "a rejection needs a reason",
        );
        e.field = Some("reason".into());
        return Err(e);
    }
    if reason.as_ref().is_some_and(|r| r.len() > 2000) {
        let mut e = ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "reason_too_long",
            "reason is longer than 2000 bytes",
        );
        e.field = Some("reason".into());
        return Err(e);
    }
    match s
        .farm
        .db
        .decide(id, &actor, decision, reason.as_deref(), now_ms())
        .await
    {
        Ok(job) => {
            s.farm.metrics.inc(
                "quakecast_decisions_total",
                &[(
                    "decision",
                    if decision == Decision::Approve {
                        "approve"
                    } else {
                        "reject"
                    },
                )],
            );
            tracing::info!(job = %id, reviewer = %actor, ?decision, "decision");
            s.farm.wake.notify_waiters();
            Ok(Json(json!({"job": job_view(s, &job).await?})))
        }
        Err(DecideError::NotFound) => Err(ApiError::not_found(&format!("job {id:?}"))),
        Err(DecideError::WrongState(state)) => Err(decided_already(s, id, state).await),
        Err(DecideError::Db(e)) => Err(e.into()),
    }
}

/// The refusal of a decision (or an edit) on a job no longer awaiting review: who decided it,
/// when, and what it is now, so a second reviewer knows at once why nothing happened.
pub(crate) async fn decided_already(s: &AppState, id: &str, state: JobState) -> ApiError {
    let job = s.farm.db.job(id).await.ok().flatten();
    let by = job.as_ref().and_then(|j| j.reviewer.clone());
    let at = job.as_ref().and_then(|j| j.decided_at);
    let ago = at.map(|t| (now_ms() - t).max(0) / 1000);
    let message = match (&by, ago) {
        (Some(who), Some(secs)) => {
            let verb = match state {
                JobState::Rejected => "rejected",
                JobState::Approved | JobState::Pushed => "approved",
                _ => "decided",
            };
            format!(
                "job {id} was already {verb} by {who} {secs} s ago (it is {} now); only a job \
                 awaiting review can be decided",
                state.as_str()
            )
        }
        _ => format!(
            "job {id} is {}; only a job awaiting review can be decided",
            state.as_str()
        ),
    };
    ApiError::new(StatusCode::CONFLICT, "not_awaiting_review", message)
        .with_extra(json!({"state": state, "decided_by": by, "decided_at_ms": at}))
}

async fn approve(
    State(s): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> ApiResult<Json<Value>> {
    decide(&s, &headers, &id, &body, Decision::Approve).await
}

async fn reject(
    State(s): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> ApiResult<Json<Value>> {
    decide(&s, &headers, &id, &body, Decision::Reject).await
}

async fn review_queue(State(s): State<AppState>, headers: HeaderMap) -> ApiResult<Json<Value>> {
    let who = reviewer(&s, &headers)?;
    let jobs = s
        .farm
        .db
        .jobs_in_state(JobState::AwaitingReview, 100)
        .await?;
    let mut out = Vec::new();
    for job in &jobs {
        let mut v = job_view(&s, job).await?;
        v["report"] = Value::String(job.report.clone());
        v["facts"] = facts(job);
        v["audience"] = review_audience(job);
        v["push_copy"] = job
            .result
            .as_ref()
            .map(|r| r["push_copy"].clone())
            .unwrap_or(Value::Null);
        out.push(v);
    }
    Ok(Json(json!({"reviewer": who, "jobs": out})))
}

/// The audience as the reviewer sees it: per tier, users (with a user index), the
/// gazetteer-based exposure and the number of H3 cells.
pub(crate) fn review_audience(job: &JobRow) -> Value {
    let Some(a) = job
        .result
        .as_ref()
        .map(|r| &r["audience"])
        .filter(|a| a.is_object())
    else {
        return super::push::audience(&job.event);
    };
    let sum = &a["summary"];
    let cells: serde_json::Map<String, Value> = a["tier_cells"]["tiers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| {
            Some((
                t["tier"].as_str()?.to_string(),
                t["cells_at_resolution"].clone(),
            ))
        })
        .collect();
    json!({
        "kind": a["kind"],
        "epicentral_intensity": a["epicentral_intensity"],
        "users_by_tier": sum["users"]["by_tier"],
        "population_by_tier (gazetteer)": super::console::gazetteer_by_tier(a),
        "h3_cells_by_tier": cells,
        "h3_resolution": a["tier_cells"]["h3_resolution"],
    })
}

/// The facts a bulletin states, for the reviewer to check against the report.
pub(crate) fn facts(job: &JobRow) -> Value {
    let e = &job.event;
    let model = quakecast_facts::intensity::IntensityModel::for_event(e);
    let sb = job.settings.storyboard(e);
    let f = &sb.facts;
    json!({
        "scenes": sb.kinds(),
        "nearby": f.nearby.as_ref().and_then(|n| n.sentence_zh()),
        "predicted_intensity": f.intensity.as_ref().map(|i| format!("{} (felt to ~{} km)",
            quakecast_facts::intensity::roman(i.epicentral_level).unwrap_or("-"), i.felt_radius_rounded_km())),
        "history": f.history.as_ref().map(|h| h.sentence_zh()),
        "narration": sb.subtitles.iter().map(|c| c.lines.concat()).collect::<Vec<_>>(),
        "origin_time_utc": e.origin_time.to_rfc3339(),
        "magnitude": format!("{} {:.1}", e.magnitude_type, e.magnitude),
        "depth_km": e.depth_km,
        "epicentre": format!("{:.2}°{}, {:.2}°{}", e.lat.abs(), if e.lat >= 0.0 { "N" } else { "S" },
            e.lon.abs(), if e.lon >= 0.0 { "E" } else { "W" }),
        "region": e.region,
        "source": job.source,
        "status": job.report_status,
        "revision": job.revision,
        "epicentral_intensity": (model.epicentral_intensity() * 10.0).round() / 10.0,
    })
}

/// The review page's Content-Security-Policy: its own script and style only (no inline code),
/// API calls and media from this origin, never framed (clickjacking of Approve).
const REVIEW_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     connect-src 'self'; media-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; \
     frame-ancestors 'none'";

fn review_asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CONTENT_SECURITY_POLICY, REVIEW_CSP),
            (header::X_FRAME_OPTIONS, "DENY"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            // Signed media links stay out of other sites' logs.
            (header::REFERRER_POLICY, "no-referrer"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

async fn review_page() -> Response {
    review_asset("text/html; charset=utf-8", include_str!("review.html"))
}

async fn review_js() -> Response {
    review_asset("text/javascript; charset=utf-8", include_str!("review.js"))
}

async fn review_css() -> Response {
    review_asset("text/css; charset=utf-8", include_str!("review.css"))
}

// ---- operations ----------------------------------------------------------------------------

async fn metrics(State(s): State<AppState>, headers: HeaderMap) -> ApiResult<Response> {
    reader(&s, &headers)?;
    metrics_text(&s).await
}

/// `/metrics` on the `--metrics-listen` address: no token (bind it to a private network).
async fn open_metrics(State(s): State<AppState>) -> ApiResult<Response> {
    metrics_text(&s).await
}

async fn metrics_text(s: &AppState) -> ApiResult<Response> {
    let queue = s.farm.db.queue_depth().await?;
    let jobs = s.farm.db.job_counts().await?;
    let text = s.farm.metrics.render(&queue, &jobs);
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response())
}

async fn healthz(State(s): State<AppState>) -> Response {
    match s.farm.db.ping().await {
        Ok(()) => Json(json!({"ok": true, "database": s.farm.db.dialect().name()})).into_response(),
        Err(e) => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "database_unavailable",
            e.to_string(),
        )
        .into_response(),
    }
}
