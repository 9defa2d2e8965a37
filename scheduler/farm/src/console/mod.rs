//! The duty reviewer's console (`/review`): the live queue, one bulletin's view (video, key
//! frames, subtitles, audience map, facts with sources, push copy and audience, the differences
//! from the bulletin it replaces), decisions and push-copy edits.
//!
//! Routes (all need a reviewer token unless a signed link is given):
//! - `GET /v1/review/stream`: `text/event-stream`, an `event: queue` with the whole queue (most
//!   urgent first) whenever it changes, a comment every 15 s to keep the connection alive;
//! - `GET /v1/review/jobs/{id}`: everything the console shows of one bulletin;
//! - `GET /v1/jobs/{id}/map.svg?lang=zh|en`: the audience map (reader token);
//! - `GET /v1/jobs/{id}/keyframes/{n}`: a JPEG of scene `n` (signed link), cut from the
//!   stored video the first time it is asked for and kept in the store beside it;
//! - `POST /v1/jobs/{id}/push-copy`: `{"title", "body"}` within the push limits, audited.
pub mod diff;
pub mod map;
pub mod queue;

use std::convert::Infallible;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use quakecast_scenes::record::{PUSH_BODY_MAX, PUSH_TITLE_MAX};
use serde_json::{json, Value};

use crate::db::{now_ms, DecideError};
use crate::server::{
    bytes_response, facts, job_view, load_job, media_access, media_link, object, reader,
    review_audience, reviewer, ApiError, ApiResult, AppState, LinkQuery,
};
use crate::worker::keys_for;

pub use queue::LiveQueue;

/// A comment line this often keeps proxies and the idle timeout from closing a quiet stream.
const KEEPALIVE: Duration = Duration::from_secs(15);
/// Width of the key-frame stills, pixels.
const STILL_WIDTH: u32 = 240;

/// `GET /v1/review/stream`.
pub async fn stream(State(s): State<AppState>, headers: HeaderMap) -> ApiResult<Response> {
    reviewer(&s, &headers)?;
    let rx = s.live.subscribe(&s.farm.db, &s.farm.wake);
    let shutdown = s.live.shutdown();
    let first = true;
    let body = futures_util::stream::unfold(
        (rx, shutdown, first),
        |(mut rx, mut shutdown, first)| async move {
            if *shutdown.borrow() {
                return None;
            }
            if !first {
                tokio::select! {
                    changed = rx.changed() => {
                        if changed.is_err() {
                            return None;
                        }
                    }
                    _ = tokio::time::sleep(KEEPALIVE) => {
                        return Some((Ok::<_, Infallible>(Bytes::from_static(b": keep-alive\n\n")), (rx, shutdown, false)));
                    }
                    _ = shutdown.changed() => return None,
                }
            }
            let snap = rx.borrow_and_update().clone();
            let chunk = if snap.is_empty() {
                // The poller has not read the queue yet: say so, the next change follows.
                Bytes::from_static(b"retry: 2000\n\n")
            } else {
                Bytes::from(format!("retry: 2000\nevent: queue\ndata: {snap}\n\n"))
            };
            Some((Ok(chunk), (rx, shutdown, false)))
        },
    );
    Ok((
        [
            (header::CONTENT_TYPE, "text/event-stream; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
            (header::HeaderName::from_static("x-accel-buffering"), "no"),
        ],
        Body::from_stream(body),
    )
        .into_response())
}

/// The language of a job's bulletin ("zh" or "en").
fn bulletin_lang(job: &crate::model::JobRow) -> &'static str {
    let sb = job.settings.storyboard(&job.event);
    match quakecast_scenes::narration::lang_for(&sb.event, &sb.theme) {
        quakecast_facts::Lang::Zh => "zh",
        quakecast_facts::Lang::En => "en",
    }
}

/// The gazetteer-based population per tier of a job's audience (the summary keeps it under
/// `exposure.estimates`).
pub fn gazetteer_by_tier(audience: &Value) -> &Value {
    let e = &audience["summary"]["exposure"];
    match &e["estimates"]["gazetteer_based"]["by_tier"] {
        Value::Null => &e["gazetteer_based"]["by_tier"],
        v => v,
    }
}

/// The tiers as the map and the console show them.
fn map_tiers(job: &crate::model::JobRow) -> Vec<map::MapTier> {
    let a = job.result.as_ref().map(|r| &r["audience"]);
    let users = a.map(|a| &a["summary"]["users"]["by_tier"]);
    let pop = a.map(gazetteer_by_tier);
    a.and_then(|a| a["tier_cells"]["tiers"].as_array())
        .into_iter()
        .flatten()
        .map(|t| {
            let name = t["tier"].as_str().unwrap_or_default().to_string();
            map::MapTier {
                min_intensity: t["min_intensity"].as_f64().unwrap_or(0.0),
                cells: t["cells"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|c| c.as_str().map(str::to_string))
                    .collect(),
                cells_at_resolution: t["cells_at_resolution"].as_u64().unwrap_or(0),
                users: users.and_then(|u| u[&name].as_u64()),
                population: pop.and_then(|p| p[&name].as_u64()),
                name,
            }
        })
        .collect()
}

/// One sentence the bulletin states, with where it comes from.
fn sourced(
    kind: &str,
    text: Option<String>,
    source: Option<&quakecast_scenes::record::FactSource>,
) -> Option<Value> {
    let text = text.filter(|t| !t.trim().is_empty())?;
    Some(json!({
        "kind": kind,
        "text": text,
        "data": source.map(|s| s.data.clone()),
        "method": source.map(|s| s.method.clone()),
    }))
}

/// `GET /v1/review/jobs/{id}`.
pub async fn job(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let who = reviewer(&s, &headers)?;
    let job = load_job(&s, &id).await?;
    let mut v = job_view(&s, &job).await?;
    let sb = job.settings.storyboard(&job.event);
    let (record, _) = quakecast_core::manifest::content_of(&sb);
    let lang = bulletin_lang(&job);
    let sentences = json!({"zh": sentences(&job, &sb, &record, true), "en": sentences(&job, &sb, &record, false)});

    let fps = f64::from(job.settings.fps.max(1));
    let has_video = job
        .result
        .as_ref()
        .is_some_and(|r| r["video"]["key"].is_string());
    let keyframes: Vec<Value> = sb
        .scenes
        .iter()
        .enumerate()
        .map(|(i, sc)| {
            let frame = keyframe_of(sc.start, sc.frames);
            json!({
                "index": i,
                "scene": sc.kind,
                "frame": frame,
                "secs": (f64::from(frame) + 0.5) / fps,
                "url": has_video.then(|| media_link(&s, &job.id, format!("/v1/jobs/{}/keyframes/{i}", job.id))),
            })
        })
        .collect();
    let subtitles: Vec<Value> = sb
        .subtitles
        .iter()
        .map(|c| json!({"scene": c.scene, "start": c.start_secs, "end": c.end_secs, "text": c.lines.join(" ")}))
        .collect();

    let of_event = s.farm.db.jobs_of_event(&job.source, &job.event_id).await?;
    let diff = diff::predecessor(&job, &of_event).map(|prev| {
        json!({
            "previous": {
                "id": prev.id, "state": prev.state, "status": prev.report_status,
                "revision": prev.revision, "received_ms": prev.received_at,
            },
            "rows": diff::compare(&diff::digest(prev), &diff::digest(&job)),
        })
    });
    let r = job.result.clone().unwrap_or(Value::Null);
    let tiers = map_tiers(&job);
    let audience = review_audience(&job);
    v["console"] = json!({
        "reviewer": who,
        "lang": lang,
        "sentences": sentences,
        "narration": sb.subtitles.iter().map(|c| c.lines.concat()).collect::<Vec<_>>(),
        "subtitles": subtitles,
        "keyframes": keyframes,
        "facts": facts(&job),
        "push_copy": r["push_copy"],
        "push_copy_generated": r.get("push_copy_generated"),
        "push_copy_edited_by": r.get("push_copy_edited_by"),
        "push_limits": {"title": PUSH_TITLE_MAX, "body": PUSH_BODY_MAX},
        "audience": audience,
        "tiers": tiers.iter().map(|t| json!({
            "name": t.name,
            "min_intensity": t.min_intensity,
            "level": quakecast_facts::intensity::roman(t.min_intensity.floor().clamp(0.0, 12.0) as u8),
            "cells": t.cells_at_resolution,
            "users": t.users,
            "population": t.population,
        })).collect::<Vec<_>>(),
        "push_target": crate::push::job_audience(&job),
        "diff": diff,
        "map": format!("/v1/jobs/{}/map.svg", job.id),
    });
    v["report"] = Value::String(job.report.clone());
    Ok(Json(v))
}

/// The facts of a bulletin as sentences in one language, each with its source.
fn sentences(
    job: &crate::model::JobRow,
    sb: &quakecast_scenes::Storyboard,
    record: &quakecast_scenes::record::FactsRecord,
    zh: bool,
) -> Vec<Value> {
    let f = &sb.facts;
    let e = &job.event;
    let mut sentences = vec![sourced(
        "parameters",
        Some(if zh {
            format!(
                "{}（UTC {}）在{}发生{:.1}级地震，震源深度{}公里。",
                if quakecast_facts::time::uses_beijing_time(e) {
                    format!(
                        "北京时间{}",
                        quakecast_facts::time::beijing_time(e).format("%Y年%m月%d日%H时%M分")
                    )
                } else {
                    format!(
                        "当地时间{}",
                        quakecast_facts::time::local_time(e)
                            .time
                            .format("%Y年%m月%d日%H时%M分")
                    )
                },
                e.origin_time.format("%H:%M:%S"),
                f.place.zh,
                e.magnitude,
                e.depth_km.max(0.0).round()
            )
        } else {
            format!(
                "A magnitude {} {:.1} earthquake struck {} at {} UTC, {} km deep.",
                e.magnitude_type,
                e.magnitude,
                f.place.en,
                e.origin_time.format("%Y-%m-%d %H:%M:%S"),
                e.depth_km.max(0.0).round()
            )
        }),
        Some(&quakecast_scenes::record::FactSource {
            data: format!(
                "the {} report ({} r{})",
                job.source, job.report_status, job.revision
            ),
            method: "as reported".into(),
        }),
    )];
    sentences.push(sourced(
        "place",
        Some(if zh {
            f.place.zh.clone()
        } else {
            f.place.en.clone()
        }),
        Some(&record.place_source),
    ));
    sentences.push(sourced(
        "nearby",
        f.nearby
            .as_ref()
            .and_then(|n| if zh { n.sentence_zh() } else { n.sentence_en() }),
        record.places_source.as_ref(),
    ));
    sentences.push(sourced(
        "intensity",
        record.intensity.as_ref().map(|i| {
            if zh {
                format!(
                    "预测震中烈度{}度（{:.1}），有感范围约{}公里。",
                    i.epicentral_roman, i.epicentral, i.felt_radius_said_km
                )
            } else {
                format!(
                    "Predicted epicentral intensity {} ({:.1}); felt to about {} km.",
                    i.epicentral_roman, i.epicentral, i.felt_radius_said_km
                )
            }
        }),
        record.intensity_source.as_ref(),
    ));
    sentences.push(sourced(
        "history",
        f.history
            .as_ref()
            .map(|h| if zh { h.sentence_zh() } else { h.sentence_en() }),
        record.history_source.as_ref(),
    ));
    sentences.push(sourced(
        "elevation",
        f.elevation.as_ref().map(|el| {
            if zh {
                format!("震中5公里范围内平均海拔约{:.0}米。", el.mean_m)
            } else {
                format!("Mean elevation within 5 km: about {:.0} m.", el.mean_m)
            }
        }),
        record.elevation_source.as_ref(),
    ));
    sentences.into_iter().flatten().collect()
}

/// The frame that stands for a scene: three quarters in, when its animations have settled.
pub fn keyframe_of(start: u32, frames: u32) -> u32 {
    start + (frames.saturating_mul(3) / 4).min(frames.saturating_sub(1))
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct MapQuery {
    lang: Option<String>,
}

/// `GET /v1/jobs/{id}/map.svg`.
pub async fn map_svg(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<MapQuery>,
) -> ApiResult<Response> {
    reader(&s, &headers)?;
    let job = load_job(&s, &id).await?;
    let env = s.env.clone();
    let lang = if q.lang.as_deref() == Some("zh") {
        "zh"
    } else {
        "en"
    };
    let svg = tokio::task::spawn_blocking(move || -> ApiResult<String> {
        let assets = env.assets().map_err(|e| {
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "map_data_missing",
                e.to_string(),
            )
        })?;
        Ok(map::svg(
            &job.event,
            &map_tiers(&job),
            &assets.regions,
            lang,
        ))
    })
    .await
    .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))??;
    Ok((
        [
            (header::CONTENT_TYPE, "image/svg+xml; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        svg,
    )
        .into_response())
}

/// Serialises the first cutting of a job's stills in this process (a console asks for all of a
/// job's key frames at once).
static STILLS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// `GET /v1/jobs/{id}/keyframes/{n}`.
pub async fn keyframe(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path((id, n)): Path<(String, usize)>,
    Query(q): Query<LinkQuery>,
) -> ApiResult<Response> {
    media_access(&s, &headers, &q, &id)?;
    let job = load_job(&s, &id).await?;
    let sb = job.settings.storyboard(&job.event);
    if n >= sb.scenes.len() {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("job {id} has {} scenes; no scene {n}", sb.scenes.len()),
        ));
    }
    let video_key = job
        .result
        .as_ref()
        .and_then(|r| r["video"]["key"].as_str().map(str::to_string))
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "not_ready",
                format!("job {id} has no video yet"),
            )
        })?;
    let keys = keys_for(&job);
    let still_key = |i: usize| keys.sidecar(&format!("keyframes/{i:02}.jpg"));
    let store = s.farm.store.clone();
    let want = still_key(n);
    let exists = {
        let (store, want) = (store.clone(), want.clone());
        tokio::task::spawn_blocking(move || store.exists(&want))
            .await
            .map_err(|e| {
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string())
            })?
            .map_err(ApiError::from)?
    };
    if !exists {
        let _guard = STILLS.lock().await;
        let fps = f64::from(job.settings.fps.max(1));
        let times: Vec<f64> = sb
            .scenes
            .iter()
            .map(|sc| (f64::from(keyframe_of(sc.start, sc.frames)) + 0.5) / fps)
            .collect();
        let keys: Vec<String> = (0..times.len()).map(still_key).collect();
        let store2 = store.clone();
        tokio::task::spawn_blocking(move || -> quakecast_core::Result<()> {
            if keys.iter().all(|k| store2.exists(k).unwrap_or(false)) {
                return Ok(());
            }
            let bytes = store2.get_bytes(&video_key)?;
            let tmp = tempfile::Builder::new()
                .suffix(".mp4")
                .tempfile()
                .map_err(|e| quakecast_core::Error::Tool {
                    tool: "stills",
                    message: e.to_string(),
                })?;
            std::fs::write(tmp.path(), &bytes).map_err(|e| quakecast_core::Error::Tool {
                tool: "stills",
                message: e.to_string(),
            })?;
            let stills = quakecast_core::media::stills_jpeg(tmp.path(), &times, STILL_WIDTH)?;
            for (k, jpg) in keys.iter().zip(stills) {
                store2.put_bytes(k, &jpg, "image/jpeg")?;
            }
            Ok(())
        })
        .await
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?
        .map_err(ApiError::from)?;
    }
    Ok(bytes_response("image/jpeg", object(&s, want).await?))
}

#[derive(Debug, serde::Deserialize)]
struct CopyBody {
    title: String,
    body: String,
}

/// Check an edited push copy: trimmed, not empty, within the limits in Unicode characters, no
/// control characters. Returns the (title, body) to store, or the field and what is wrong.
pub fn check_copy(title: &str, body: &str) -> Result<(String, String), (&'static str, String)> {
    let mut out = Vec::new();
    for (field, text, max) in [
        ("title", title, PUSH_TITLE_MAX),
        ("body", body, PUSH_BODY_MAX),
    ] {
        let t = text.trim();
        if t.is_empty() {
            return Err((field, format!("the push {field} is empty")));
        }
        if t.chars().any(char::is_control) {
            return Err((
                field,
                format!("the push {field} holds a control character or line break"),
            ));
        }
        let n = t.chars().count();
        if n > max {
            return Err((
                field,
                format!("the push {field} has {n} characters; at most {max}"),
            ));
        }
        out.push(t.to_string());
    }
    let body = out.pop().unwrap_or_default();
    let title = out.pop().unwrap_or_default();
    Ok((title, body))
}

/// `POST /v1/jobs/{id}/push-copy`.
pub async fn edit_push_copy(
    State(s): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let actor = reviewer(&s, &headers)?;
    let parsed: CopyBody = serde_json::from_slice(&body).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "body_malformed",
            format!("expected {{\"title\": \"…\", \"body\": \"…\"}}: {e}"),
        )
    })?;
    let (title, text) = check_copy(&parsed.title, &parsed.body).map_err(|(field, msg)| {
        let mut e = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "push_copy_invalid", msg);
        e.field = Some(field.into());
        e
    })?;
    let job = load_job(&s, &id).await?;
    let lang = job
        .result
        .as_ref()
        .map(|r| r["push_copy"]["lang"].clone())
        .unwrap_or(Value::Null);
    let copy = json!({"lang": lang, "title": title, "body": text});
    match s.farm.db.edit_push_copy(&id, &actor, &copy, now_ms()).await {
        Ok(job) => {
            tracing::info!(job = %id, reviewer = %actor, "push copy edited");
            s.farm.wake.notify_waiters();
            Ok(Json(
                json!({"job": job_view(&s, &job).await?, "push_copy": copy}),
            ))
        }
        Err(DecideError::NotFound) => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("job {id:?} not found"),
        )),
        Err(DecideError::WrongState(state)) => {
            Err(crate::server::decided_already(&s, &id, state).await)
        }
        Err(DecideError::Db(e)) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_copy_limits_count_characters_not_bytes() {
        let title: String = "四".repeat(PUSH_TITLE_MAX);
        assert!(check_copy(&title, "正文").is_ok());
        let long: String = "四".repeat(PUSH_TITLE_MAX + 1);
        assert_eq!(check_copy(&long, "正文").unwrap_err().0, "title");
        assert_eq!(check_copy("标题", "  ").unwrap_err().0, "body");
        assert_eq!(check_copy("标\n题", "正文").unwrap_err().0, "title");
        assert_eq!(
            check_copy("  标题 ", " 正文 ").unwrap(),
            ("标题".to_string(), "正文".to_string())
        );
    }

    #[test]
    fn a_key_frame_lies_inside_its_scene() {
        assert_eq!(keyframe_of(0, 100), 75);
        assert_eq!(keyframe_of(10, 1), 10);
        assert_eq!(keyframe_of(10, 0), 10);
    }
}
