//! `quakecast serve` on the embedded default (SQLite, local directory store, local workers),
//! the real binary on loopback: intake signatures and errors, idempotency and superseding,
//! a crash mid-job, a burst of reports through to the push service, the growing HLS playlist.
mod farm_support;

use std::process::Command;
use std::time::{Duration, Instant};

use farm_support::*;
use serde_json::json;

fn sqlite_serve(dir: &std::path::Path, workers: u32, fps: u32, extra: &[&str]) -> Proc {
    let mut args = vec!["serve".to_string()];
    args.extend(common_flags(
        dir,
        &format!("sqlite://{}", dir.join("farm.db").display()),
        &dir.join("store").display().to_string(),
    ));
    args.extend(serve_flags(fps));
    args.extend(["--workers".to_string(), workers.to_string()]);
    args.extend(extra.iter().map(|s| s.to_string()));
    spawn(dir, "serve", &args, &[])
}

#[test]
fn intake_verifies_signatures_and_refuses_bad_input_precisely() {
    let dir = tempfile::tempdir().expect("tempdir");
    let srv = sqlite_serve(dir.path(), 0, 10, &["--max-body-bytes", "4096"]);
    let body = report("T-SIG-1", "automatic", 0);
    let now = now_secs();

    // Good signature: a new job.
    let r = srv.post_signed("msg_sig_1", now, &body);
    assert_eq!(r.status, 202, "{r:?}");
    assert_eq!(r.body["created"], true);
    let job = r.body["job"]["id"].as_str().expect("job id").to_string();
    assert_eq!(r.body["job"]["state"], "queued");
    assert_eq!(r.body["job"]["progress"]["segments_total"], 3);

    // Replayed message (same id, body, timestamp): the first answer, nothing new.
    let r = srv.post_signed("msg_sig_1", now, &body);
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["created"], false);
    assert_eq!(r.body["job"]["id"], job.as_str());

    // Same webhook id, another body.
    let other = report("T-SIG-2", "automatic", 0);
    let r = srv.post_signed("msg_sig_1", now, &other);
    assert_eq!(
        (r.status, r.body["error"]["code"].as_str()),
        (409, Some("webhook_id_reused")),
        "{r:?}"
    );

    // Bad signature, wrong secret, missing header, expired and future timestamps.
    let ts = now.to_string();
    let r = srv.post_raw(
        &other,
        &[
            ("webhook-id", "msg_x"),
            ("webhook-timestamp", &ts),
            ("webhook-signature", "v1,AAAA"),
        ],
    );
    assert_eq!(
        (r.status, r.body["error"]["code"].as_str()),
        (401, Some("signature_mismatch")),
        "{r:?}"
    );
    let wrong = quakecast_farm::webhook::Secret::parse(PUSH_SECRET)
        .expect("s")
        .sign("msg_x", now, &other);
    let r = srv.post_raw(
        &other,
        &[
            ("webhook-id", "msg_x"),
            ("webhook-timestamp", &ts),
            ("webhook-signature", &wrong),
        ],
    );
    assert_eq!(r.status, 401, "{r:?}");
    let r = srv.post_raw(
        &other,
        &[("webhook-id", "msg_x"), ("webhook-timestamp", &ts)],
    );
    assert_eq!(
        (r.status, r.body["error"]["code"].as_str()),
        (401, Some("signature_missing")),
        "{r:?}"
    );
    assert!(r.body["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .contains("webhook-signature"));
    let r = srv.post_signed("msg_old", now - 301, &other);
    assert_eq!(
        (r.status, r.body["error"]["code"].as_str()),
        (401, Some("timestamp_expired")),
        "{r:?}"
    );
    let r = srv.post_signed("msg_future", now + 400, &other);
    assert_eq!(
        (r.status, r.body["error"]["code"].as_str()),
        (401, Some("timestamp_in_future")),
        "{r:?}"
    );

    // Bad reports: malformed JSON, a field out of range (named), not a report, too large,
    // an unsupported content type.
    let r = srv.post_event(b"{\"event_id\": ");
    assert_eq!(
        (r.status, r.body["error"]["code"].as_str()),
        (400, Some("report_malformed")),
        "{r:?}"
    );
    let mut bad: serde_json::Value =
        serde_json::from_slice(&report("T-BAD", "official", 0)).expect("json");
    bad["latitude"] = json!(123.0);
    let r = srv.post_event(&serde_json::to_vec(&bad).expect("json"));
    assert_eq!(
        (r.status, r.body["error"]["code"].as_str()),
        (422, Some("report_invalid")),
        "{r:?}"
    );
    assert!(
        r.body["error"]["field"]
            .as_str()
            .unwrap_or_default()
            .contains("latitude"),
        "{r:?}"
    );
    let r = srv.post_event(b"{\"hello\": 1}");
    assert_eq!(r.status, 422, "{r:?}");
    let big = vec![b' '; 5000];
    let r = srv.post_event(&big);
    assert_eq!(
        (r.status, r.body["error"]["code"].as_str()),
        (413, Some("body_too_large")),
        "{r:?}"
    );
    let sig = secret().sign("msg_ct", now, &body);
    let r = {
        let resp = agent()
            .post(format!("{}/v1/events", srv.base))
            .header("content-type", "text/plain")
            .header("webhook-id", "msg_ct")
            .header("webhook-timestamp", &ts)
            .header("webhook-signature", &sig)
            .send(&body[..])
            .expect("post");
        resp.status().as_u16()
    };
    assert_eq!(r, 415);

    // QuakeML is accepted too.
    let xml = include_str!("farm_support/quakeml-sample.xml");
    let r = srv.post_raw(
        xml.as_bytes(),
        &[
            ("content-type", "application/xml"),
            ("webhook-id", "msg_xml"),
            ("webhook-timestamp", &ts),
            (
                "webhook-signature",
                &secret().sign("msg_xml", now, xml.as_bytes()),
            ),
        ],
    );
    assert_eq!(r.status, 202, "{r:?}");
    assert_eq!(r.body["job"]["format"], "quakeml");

    // Unknown job, health, metrics.
    let r = srv.get("/v1/jobs/jnope");
    assert_eq!(
        (r.status, r.body["error"]["code"].as_str()),
        (404, Some("not_found"))
    );
    let r = srv.get("/healthz");
    assert_eq!((r.status, &r.body["ok"]), (200, &json!(true)), "{r:?}");
    let (status, text) = srv.get_bytes("/metrics");
    let text = String::from_utf8(text).expect("utf8");
    assert_eq!(status, 200);
    assert!(
        text.contains("quakecast_queue_depth{kind=\"segment\",state=\"pending\"} 6\n"),
        "{text}"
    );
    assert!(
        text.contains("quakecast_intake_total{outcome=\"signature_mismatch\"} 2\n"),
        "{text}"
    );
    assert!(
        text.contains("quakecast_jobs{state=\"queued\"} 2\n"),
        "{text}"
    );
}

#[test]
fn duplicate_and_superseding_reports() {
    let dir = tempfile::tempdir().expect("tempdir");
    let srv = sqlite_serve(dir.path(), 0, 10, &[]);
    let a = srv.post_event(&report("T-SUP", "automatic", 0));
    assert_eq!(a.status, 202, "{a:?}");
    let a_id = a.body["job"]["id"].as_str().expect("id").to_string();
    // The same report in another message: the same job.
    let dup = srv.post_event(&report("T-SUP", "automatic", 0));
    assert_eq!(
        (dup.status, dup.body["job"]["id"].as_str()),
        (200, Some(a_id.as_str())),
        "{dup:?}"
    );

    // A new automatic revision supersedes the first.
    let b = srv.post_event(&report("T-SUP", "automatic", 1));
    assert_eq!(b.status, 202, "{b:?}");
    let b_id = b.body["job"]["id"].as_str().expect("id").to_string();
    assert_eq!(b.body["superseded"], json!([a_id]));
    let a_now = srv.job(&a_id);
    assert_eq!(a_now["state"], "superseded");
    assert_eq!(a_now["superseded_by"], b_id.as_str());

    // The official report supersedes every automatic one.
    let c = srv.post_event(&report("T-SUP", "official", 0));
    assert_eq!(c.status, 202, "{c:?}");
    let c_id = c.body["job"]["id"].as_str().expect("id").to_string();
    assert_eq!(srv.job(&b_id)["state"], "superseded");
    assert_eq!(srv.job(&c_id)["state"], "queued");

    // A late automatic revision changes nothing.
    let late = srv.post_event(&report("T-SUP", "automatic", 7));
    assert_eq!(
        (late.status, late.body["error"]["code"].as_str()),
        (409, Some("report_stale")),
        "{late:?}"
    );
    assert_eq!(late.body["error"]["job_id"], c_id.as_str());

    // Superseded jobs have no live tasks; the audit log says why.
    let (_, metrics) = srv.get_bytes("/metrics");
    let metrics = String::from_utf8(metrics).expect("utf8");
    assert!(
        metrics.contains("quakecast_queue_depth{kind=\"segment\",state=\"pending\"} 3\n"),
        "{metrics}"
    );
    let audit = srv.get(&format!("/v1/jobs/{a_id}/audit"));
    let actions: Vec<&str> = audit.body["audit"]
        .as_array()
        .expect("audit rows")
        .iter()
        .filter_map(|r| r["action"].as_str())
        .collect();
    assert_eq!(actions, ["received", "superseded"], "{audit:?}");
}

fn ffprobe_frames(path: &std::path::Path) -> u64 {
    let out = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-count_frames",
            "-select_streams",
            "v:0",
            "-show_entries",
            "stream=nb_read_frames",
            "-of",
            "csv=p=0",
        ])
        .arg(path)
        .output()
        .expect("ffprobe");
    assert!(
        out.status.success(),
        "ffprobe {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    // MPEG-TS lists the stream under its program too: take the first count.
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or_default()
        .trim()
        .parse()
        .expect("frame count")
}

/// The frames of a job's timeline, fixed at intake (places, intensity… at the theme's lengths).
fn total_frames(job: &serde_json::Value) -> u64 {
    job["timeline"]["total_frames"]
        .as_u64()
        .unwrap_or_else(|| panic!("job without a timeline: {job:#}"))
}

#[test]
fn server_killed_mid_job_restarts_and_finishes_then_pushes_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rx = Receiver::start(1);
    let push = [
        "--push-url",
        &rx.url,
        "--push-secret",
        PUSH_SECRET,
        "--push-backoff-ms",
        "100",
    ];
    let mut srv = sqlite_serve(dir.path(), 1, 10, &push);
    let r = srv.post_event(&report("T-RESTART", "official", 0));
    assert_eq!(r.status, 202, "{r:?}");
    let id = r.body["job"]["id"].as_str().expect("id").to_string();
    // Wait for the first segment, then kill the process outright (no clean shutdown).
    let t = Instant::now();
    loop {
        let j = srv.job(&id);
        if j["progress"]["segments_done"].as_i64().unwrap_or(0) >= 1 {
            assert_eq!(j["state"], "rendering", "{j:#}");
            break;
        }
        assert!(
            t.elapsed() < Duration::from_secs(120),
            "no segment finished: {}",
            srv.log_text()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    srv.child.kill().expect("kill -9");
    srv.child.wait().expect("reaped");
    drop(srv);

    let srv = sqlite_serve(dir.path(), 1, 10, &push);
    let j = srv.wait_state(&id, &["awaiting_review"], Duration::from_secs(180));
    assert_eq!(j["progress"]["segments_done"], 3);
    assert!(j["timings"]["render_secs"].as_f64().is_some(), "{j:#}");
    let (status, video) = srv.get_bytes(&format!("/v1/jobs/{id}/video"));
    assert_eq!(status, 200);
    let path = dir.path().join("out.mp4");
    std::fs::write(&path, video).expect("write");
    assert_eq!(ffprobe_frames(&path), total_frames(&j));

    // Approve: pushed once (the receiver refused the first attempt, the retry is acknowledged).
    let r = srv.post_json(
        &format!("/v1/jobs/{id}/approve"),
        Some(REVIEWER_TOKEN),
        &json!({"reason": "checked"}),
    );
    assert_eq!(
        (r.status, &r.body["job"]["state"]),
        (200, &json!("approved")),
        "{r:?}"
    );
    let j = srv.wait_state(&id, &["pushed"], Duration::from_secs(60));
    assert_eq!(j["push"]["attempts"], 2, "{j:#}");
    assert_eq!(rx.keys(), vec![format!("push-{id}")]);
    let (key, payload) = rx.requests.lock().expect("lock")[0].clone();
    assert_eq!(key, payload["idempotency_key"].as_str().unwrap_or_default());
    // The audience: H3 cells per predicted-intensity tier (the bulletin's intensity model), its
    // stored objects, and the intensity-III circle for receivers that take only a circle.
    let a = &payload["audience"];
    assert_eq!(a["kind"], "h3_tiers", "{a:#}");
    let tiers = a["tier_cells"]["tiers"].as_array().expect("tiers");
    assert_eq!(tiers.len(), 3, "{a:#}");
    let cells: usize = tiers
        .iter()
        .map(|t| t["cells"].as_array().map_or(0, Vec::len))
        .sum();
    assert!(cells > 0, "no cells: {a:#}");
    assert_eq!(a["radius"]["kind"], "radius");
    assert!(a["summary"]["model"].is_object(), "{a:#}");
    let summary_key = a["objects"]["summary"]["key"]
        .as_str()
        .expect("summary key");
    assert!(
        dir.path().join("store").join(summary_key).is_file(),
        "{summary_key}"
    );
    assert_eq!(payload["approved_by"], "alice");
    // A second decision is refused.
    let r = srv.post_json(
        &format!("/v1/jobs/{id}/reject"),
        Some(REVIEWER_TOKEN),
        &json!({"reason": "late"}),
    );
    assert_eq!(
        (r.status, r.body["error"]["code"].as_str()),
        (409, Some("not_awaiting_review")),
        "{r:?}"
    );
}

#[test]
fn burst_of_20_reports_all_delivered() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rx = Receiver::start(3);
    let srv = sqlite_serve(
        dir.path(),
        2,
        4,
        &[
            "--push-url",
            &rx.url,
            "--push-secret",
            PUSH_SECRET,
            "--push-backoff-ms",
            "50",
            "--auto-approve",
            "*:*:0-10",
        ],
    );
    let t0 = Instant::now();
    let ids: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..20)
            .map(|i| {
                let srv = &srv;
                s.spawn(move || {
                    let r = srv.post_event(&report(&format!("T-BURST-{i:02}"), "official", 0));
                    assert_eq!(r.status, 202, "{r:?}");
                    r.body["job"]["id"].as_str().expect("id").to_string()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("post"))
            .collect()
    });
    for id in &ids {
        srv.wait_state(id, &["pushed"], Duration::from_secs(600));
    }
    eprintln!(
        "20 reports → 20 pushed bulletins in {:.1} s",
        t0.elapsed().as_secs_f64()
    );
    let mut keys = rx.keys();
    keys.sort();
    let mut want: Vec<String> = ids.iter().map(|i| format!("push-{i}")).collect();
    want.sort();
    assert_eq!(keys, want, "each bulletin pushed exactly once");
}

#[test]
fn hls_playlist_grows_and_its_first_segment_plays_before_the_last_is_rendered() {
    let dir = tempfile::tempdir().expect("tempdir");
    let srv = sqlite_serve(dir.path(), 1, 10, &[]);
    let r = srv.post_event(&report("T-HLS", "official", 0));
    let id = r.body["job"]["id"].as_str().expect("id").to_string();
    let t = Instant::now();
    let (playlist, seg) = loop {
        let (status, text) = srv.get_bytes(&format!("/v1/jobs/{id}/hls/video.m3u8"));
        assert_eq!(status, 200);
        let text = String::from_utf8(text).expect("utf8");
        if text.contains("seg0000.ts") {
            assert!(
                !text.contains("#EXT-X-ENDLIST"),
                "the whole job finished before we looked:\n{text}"
            );
            let (status, seg) = srv.get_bytes(&format!("/v1/jobs/{id}/hls/seg0000.ts"));
            assert_eq!(status, 200);
            break (text, seg);
        }
        assert!(
            t.elapsed() < Duration::from_secs(120),
            "no segment: {}",
            srv.log_text()
        );
        std::thread::sleep(Duration::from_millis(10));
    };
    assert!(
        playlist.contains("#EXT-X-PLAYLIST-TYPE:EVENT"),
        "{playlist}"
    );
    let j = srv.job(&id);
    assert!(
        j["progress"]["segments_done"].as_i64().unwrap_or(0) < 3,
        "{j:#}"
    );
    // The master playlist names the video playlist; without --audio there is no sound rendition.
    let (status, master) = srv.get_bytes(&format!("/v1/jobs/{id}/hls/index.m3u8"));
    let master = String::from_utf8(master).expect("utf8");
    assert!(
        status == 200 && master.contains("\nvideo.m3u8\n") && !master.contains("TYPE=AUDIO"),
        "{master}"
    );
    let hls = dir.path().join("hls");
    std::fs::create_dir_all(&hls).expect("dir");
    std::fs::write(hls.join("index.m3u8"), &master).expect("write");
    std::fs::write(hls.join("video.m3u8"), &playlist).expect("write");
    std::fs::write(hls.join("seg0000.ts"), &seg).expect("write");
    // ffprobe reads the partial playlist and decodes the first segment. The first segment is
    // one second: ffprobe must not wait for more of a live playlist than that (small probe),
    // and it is killed if it hangs, so the test fails instead of waiting forever.
    let mut child = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-analyzeduration",
            "300000",
            "-probesize",
            "4096",
            "-show_entries",
            "stream=codec_name,width,height",
            "-of",
            "csv=p=0",
        ])
        .arg(hls.join("index.m3u8"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("ffprobe");
    let t = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if t.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            panic!("ffprobe hung on the partial playlist:\n{playlist}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().expect("ffprobe");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // HLS input lists the stream under its program and on its own: every line is the same.
    let streams = String::from_utf8_lossy(&out.stdout);
    assert!(
        streams
            .lines()
            .filter(|l| !l.trim().is_empty())
            .all(|l| l.trim() == "h264,180,320")
            && streams.contains("h264,180,320"),
        "{streams}"
    );
    let first = j["progress"]["segments"][0]["frames"].clone();
    let want = first[1].as_u64().expect("end") - first[0].as_u64().expect("start");
    assert_eq!(ffprobe_frames(&hls.join("seg0000.ts")), want);

    // Once done the playlist is complete and the stitched video is there.
    srv.wait_state(&id, &["awaiting_review"], Duration::from_secs(180));
    let (_, text) = srv.get_bytes(&format!("/v1/jobs/{id}/hls/video.m3u8"));
    let text = String::from_utf8(text).expect("utf8");
    assert!(
        text.contains("seg0002.ts") && text.ends_with("#EXT-X-ENDLIST\n"),
        "{text}"
    );
}

/// Secret rotation, as an operator does it: deploy with the old and the new secret, move the
/// sender to the new one, then deploy with the new one alone. Both are honoured while both are
/// listed; the retired one is refused afterwards; a job written under the old one survives.
#[test]
fn webhook_secret_rotation_with_several_secrets() {
    const NEW: &str = "whsec_ERERERERERERERERERERERERERERERERERERERERERE=";
    let new = quakecast_farm::webhook::Secret::parse(NEW).expect("new secret");
    let post_with = |srv: &Proc, s: &quakecast_farm::webhook::Secret, id: &str, body: &[u8]| {
        let ts = now_secs();
        let sig = s.sign(id, ts, body);
        srv.post_raw(
            body,
            &[
                ("webhook-id", id),
                ("webhook-timestamp", &ts.to_string()),
                ("webhook-signature", &sig),
            ],
        )
    };
    let dir = tempfile::tempdir().expect("tempdir");

    // Both secrets listed (the flag given twice; a comma-separated list works the same).
    let srv = sqlite_serve(dir.path(), 0, 10, &["--webhook-secret", NEW]);
    let r = srv.post_signed(
        "msg_rot_old",
        now_secs(),
        &report("T-ROT-1", "automatic", 0),
    );
    assert_eq!(r.status, 202, "old secret during rotation: {r:?}");
    let old_job = r.body["job"]["id"].as_str().expect("id").to_string();
    let r = post_with(
        &srv,
        &new,
        "msg_rot_new",
        &report("T-ROT-2", "automatic", 0),
    );
    assert_eq!(r.status, 202, "new secret during rotation: {r:?}");
    drop(srv);

    // Rotation finished: only the new secret.
    let mut args = vec!["serve".to_string()];
    args.extend(common_flags(
        dir.path(),
        &format!("sqlite://{}", dir.path().join("farm.db").display()),
        &dir.path().join("store").display().to_string(),
    ));
    let mut flags = serve_flags(10);
    let at = flags
        .iter()
        .position(|f| f == "--webhook-secret")
        .expect("secret flag");
    flags[at + 1] = NEW.to_string();
    args.extend(flags);
    args.extend(["--workers".to_string(), "0".to_string()]);
    let srv = spawn(dir.path(), "serve-rotated", &args, &[]);
    let r = srv.post_signed(
        "msg_rot_old2",
        now_secs(),
        &report("T-ROT-3", "automatic", 0),
    );
    assert_eq!(
        (r.status, r.body["error"]["code"].as_str()),
        (401, Some("signature_mismatch")),
        "retired secret: {r:?}"
    );
    let r = post_with(
        &srv,
        &new,
        "msg_rot_new2",
        &report("T-ROT-3", "automatic", 0),
    );
    assert_eq!(r.status, 202, "new secret after rotation: {r:?}");
    // What was accepted under the old secret is still there.
    assert_eq!(srv.job(&old_job)["event_id"], "T-ROT-1");
}

fn find_file(dir: &std::path::Path, name: &str) -> Option<std::path::PathBuf> {
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let p = entry.path();
        if p.is_dir() {
            if let Some(f) = find_file(&p, name) {
                return Some(f);
            }
        } else if p.file_name().is_some_and(|n| n == name) {
            return Some(p);
        }
    }
    None
}

/// SRT times in seconds, per cue.
fn srt_times(text: &str) -> Vec<(f64, f64)> {
    let secs = |t: &str| {
        let (hms, ms) = t.trim().split_once(',').expect("ms");
        let v: Vec<f64> = hms.split(':').map(|x| x.parse().expect("num")).collect();
        v[0] * 3600.0 + v[1] * 60.0 + v[2] + ms.parse::<f64>().expect("ms") / 1000.0
    };
    text.lines()
        .filter_map(|l| l.split_once(" --> "))
        .map(|(a, b)| (secs(a), secs(b)))
        .collect()
}

/// The first packet's timestamp of the first stream of `kind` (`v` or `a`) in `path`.
fn first_pts(path: &std::path::Path, kind: &str) -> f64 {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", &format!("{kind}:0")])
        .args(["-show_entries", "packet=pts_time", "-of", "csv=p=0"])
        .arg(path)
        .output()
        .expect("ffprobe");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.trim().trim_end_matches(',').parse::<f64>().ok())
        .fold(f64::INFINITY, f64::min)
}

/// The decoded sound of `path`: 48 kHz stereo f32 samples.
fn decoded(path: &std::path::Path) -> Vec<f32> {
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(path)
        .args(["-f", "f32le", "-ac", "2", "-ar", "48000", "-"])
        .output()
        .expect("ffmpeg");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

/// The finished job's HLS stream carries the sound as its own rendition: the master playlist
/// names it, every audio segment starts where its video segment starts (within one AAC frame),
/// ffmpeg plays the whole stream from the master playlist, and the first audio segment that the
/// first segment's task made from the first cue alone (its head) is the start of the track the
/// audio task made from all the speech.
fn hls_sound_follows_the_pictures(srv: &Proc, id: &str, dir: &std::path::Path) {
    let hls = dir.join("hls-audio");
    std::fs::create_dir_all(&hls).expect("dir");
    let fetch = |name: &str| -> Vec<u8> {
        let (status, bytes) = srv.get_bytes(&format!("/v1/jobs/{id}/hls/{name}"));
        assert_eq!(status, 200, "{name}");
        std::fs::write(hls.join(name), &bytes).expect("write");
        bytes
    };
    let master = String::from_utf8(fetch("index.m3u8")).expect("utf8");
    assert!(
        master.contains("#EXT-X-MEDIA:TYPE=AUDIO")
            && master.contains("URI=\"audio.m3u8\"")
            && master.contains("LANGUAGE=\"zh-CN\"")
            && master.contains("AUDIO=\"narration\"\nvideo.m3u8\n"),
        "{master}"
    );
    let list = |name: &str| -> Vec<String> {
        let text = String::from_utf8(fetch(name)).expect("utf8");
        assert!(text.ends_with("#EXT-X-ENDLIST\n"), "{text}");
        text.lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
            .map(str::to_string)
            .collect()
    };
    let (video, audio) = (list("video.m3u8"), list("audio.m3u8"));
    assert_eq!(video.len(), audio.len(), "{video:?} vs {audio:?}");
    assert!(video.len() >= 2, "{video:?}");
    for (v, a) in video.iter().zip(&audio) {
        fetch(v);
        fetch(a);
        // Audio is cut on AAC frames (1024 samples); the first one is the encoder's priming.
        let (pv, pa) = (first_pts(&hls.join(v), "v"), first_pts(&hls.join(a), "a"));
        assert!(
            (pa - pv).abs() <= 1024.0 / 48_000.0 + 0.0005,
            "{a} starts at {pa:.4} s, {v} at {pv:.4} s"
        );
    }
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(hls.join("index.m3u8"))
        .args(["-map", "0:v:0", "-map", "0:a:0", "-f", "null", "-"])
        .output()
        .expect("ffmpeg");
    assert!(
        out.status.success(),
        "ffmpeg could not play the HLS stream: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let store = dir.join("store");
    let head = find_file(&store, "aud0000-head.ts").expect("the first segment's head is stored");
    let whole = find_file(&store, "aud0000.ts").expect("aud0000.ts");
    let (head, whole) = (decoded(&head), decoded(&whole));
    let n = head.len().min(whole.len());
    assert!(n > 2 * 24_000, "{} and {} samples", head.len(), whole.len());
    let worst = head[..n]
        .iter()
        .zip(&whole[..n])
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    eprintln!("head vs whole track, first audio segment: {n} samples, max difference {worst}");
    assert!(
        worst < 1e-3,
        "the head differs from the whole track by {worst}"
    );
}

/// With `--audio`, a farm bulletin is the one `quakecast render` makes: the timeline fixed at
/// intake has the same scenes and lengths, its subtitles are where the audio task put the speech
/// (SRT in the store), and the stitched video has every frame of it plus the sound.
#[test]
fn farm_bulletins_are_speech_fitted_and_subtitled_like_render() {
    let dir = tempfile::tempdir().expect("tempdir");
    let srv = sqlite_serve(dir.path(), 2, 10, &["--audio"]);
    let r = srv.post_event(&report("T-AUDIO", "official", 0));
    assert_eq!(r.status, 202, "{r:?}");
    let id = r.body["job"]["id"].as_str().expect("id").to_string();
    let timeline = r.body["job"]["timeline"].clone();
    let cues = timeline["subtitles"].as_array().expect("subtitles").clone();
    assert!(cues.len() >= 4, "{timeline:#}");
    assert!(
        cues.iter().any(|c| c["scene"] == "Places"),
        "places are spoken: {timeline:#}"
    );
    let secs = timeline["duration_secs"].as_f64().expect("duration");
    // The band below M5: 15–25 s, up to 30 s when the must-say speech needs it (the neural
    // voice reads this one in ~29.8 s with the tight wording).
    assert!((15.0..=30.0).contains(&secs), "{secs}");

    let j = srv.wait_state(&id, &["awaiting_review"], Duration::from_secs(240));
    let (status, video) = srv.get_bytes(&format!("/v1/jobs/{id}/video"));
    assert_eq!(status, 200);
    let path = dir.path().join("farm.mp4");
    std::fs::write(&path, video).expect("write");
    assert_eq!(ffprobe_frames(&path), total_frames(&j));
    let streams = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "stream=codec_type",
            "-of",
            "csv=p=0",
        ])
        .arg(&path)
        .output()
        .expect("ffprobe");
    let streams = String::from_utf8_lossy(&streams.stdout).to_string();
    assert!(
        streams.contains("video") && streams.contains("audio"),
        "{streams}"
    );

    hls_sound_follows_the_pictures(&srv, &id, dir.path());

    // The speech the audio task mixed is where the frames show the subtitles.
    let srt = find_file(&dir.path().join("store"), "subtitles.srt").expect("subtitles.srt stored");
    let srt = srt_times(&std::fs::read_to_string(srt).expect("srt"));
    assert_eq!(srt.len(), cues.len(), "{srt:?} vs {cues:?}");
    for ((a, b), c) in srt.iter().zip(&cues) {
        let (s, e) = (
            c["start_secs"].as_f64().expect("start"),
            c["end_secs"].as_f64().expect("end"),
        );
        assert!(
            (a - s).abs() < 0.0015 && (b - e).abs() < 0.0015,
            "{a}-{b} vs {s}-{e}"
        );
    }

    // `quakecast render` at the same settings makes the same timeline.
    let out = dir.path().join("render-out");
    std::fs::write(
        dir.path().join("report.json"),
        report("T-AUDIO", "official", 0),
    )
    .expect("report");
    let res = Command::new(env!("CARGO_BIN_EXE_quakecast"))
        .args([
            "render",
            "--size",
            "180x320",
            "--fps",
            "10",
            "--segments",
            "3",
            "--preset",
            "ultrafast",
            "--out",
        ])
        .arg(&out)
        .arg(dir.path().join("report.json"))
        .env("XDG_RUNTIME_DIR", xdg())
        .output()
        .expect("render");
    assert!(
        res.status.success(),
        "{}",
        String::from_utf8_lossy(&res.stderr)
    );
    let manifest = find_file(&out, "manifest.json").expect("manifest");
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(manifest).expect("read")).expect("json");
    assert_eq!(
        manifest["storyboard"]["scenes"], timeline["scenes"],
        "render and farm timelines differ"
    );
}

/// The withdrawal of the bundled sample's event (our schema's `"deleted": true`).
fn withdrawal(event_id: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "format": "cenc-quick-report/1",
        "event_id": event_id,
        "deleted": true,
    }))
    .expect("json")
}

fn audit_actions(srv: &Proc, id: &str) -> Vec<String> {
    let r = srv.get(&format!("/v1/jobs/{id}/audit"));
    assert_eq!(r.status, 200, "{r:?}");
    r.body["audit"]
        .as_array()
        .expect("audit rows")
        .iter()
        .filter_map(|a| a["action"].as_str().map(str::to_string))
        .collect()
}

/// A withdrawal while the bulletin renders: every job of the event (both revisions) is closed,
/// its work cancelled, nothing is stitched or pushed; later reports of the event are refused.
/// A withdrawal of an event never seen is recorded (202) and refuses that event's reports too.
#[test]
fn withdrawal_before_render_cancels_the_work_and_pushes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rx = Receiver::start(0);
    let srv = sqlite_serve(
        dir.path(),
        1,
        10,
        &[
            "--push-url",
            &rx.url,
            "--push-secret",
            PUSH_SECRET,
            "--auto-approve",
            "*:*:0-10",
        ],
    );
    let a = srv.post_event(&report("T-WD-1", "automatic", 0));
    assert_eq!(a.status, 202, "{a:?}");
    let a_id = a.body["job"]["id"].as_str().expect("id").to_string();
    let b = srv.post_event(&report("T-WD-1", "automatic", 1));
    assert_eq!(b.status, 202, "{b:?}");
    let b_id = b.body["job"]["id"].as_str().expect("id").to_string();
    srv.wait_state(&b_id, &["rendering"], Duration::from_secs(60));

    let w = srv.post_event(&withdrawal("T-WD-1"));
    assert_eq!(w.status, 202, "{w:?}");
    assert_eq!(w.body["created"], true);
    assert_eq!(w.body["known_event"], true);
    assert_eq!(w.body["withdrawn"], json!([b_id]), "{w:?}");
    assert_eq!(w.body["retracting"], json!([]));
    assert_eq!(w.body["withdrawal"]["format"], "cenc-quick-report");
    let jobs: Vec<(String, String)> = w.body["jobs"]
        .as_array()
        .expect("jobs")
        .iter()
        .map(|j| {
            (
                j["id"].as_str().unwrap_or_default().to_string(),
                j["state"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(
        jobs,
        vec![
            (a_id.clone(), "superseded".to_string()),
            (b_id.clone(), "withdrawn".to_string())
        ]
    );

    // Give the worker time to finish the segment it holds: its result is fenced off, nothing
    // is stitched, nothing is pushed.
    std::thread::sleep(Duration::from_secs(4));
    let j = srv.job(&b_id);
    assert_eq!(j["state"], "withdrawn", "{j:#}");
    assert!(
        j["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("\"deleted\": true"),
        "{j:#}"
    );
    assert!(j["progress"]["stitch"].is_null(), "{j:#}");
    let states: Vec<&str> = j["progress"]["segments"]
        .as_array()
        .expect("segments")
        .iter()
        .filter_map(|t| t["state"].as_str())
        .collect();
    assert!(
        states.iter().all(|s| *s == "cancelled" || *s == "done") && states.contains(&"cancelled"),
        "{states:?}"
    );
    assert!(j["outputs"]["video"].is_null(), "{j:#}");
    assert!(rx.keys().is_empty(), "pushed: {:?}", rx.keys());
    let (_, metrics) = srv.get_bytes("/metrics");
    let metrics = String::from_utf8(metrics).expect("utf8");
    let queued: Vec<&str> = metrics
        .lines()
        .filter(|l| l.starts_with("quakecast_queue_depth{") && !l.ends_with(" 0"))
        .collect();
    assert!(queued.is_empty(), "work left in the queue: {queued:?}");
    assert_eq!(audit_actions(&srv, &b_id), ["received", "withdrawn"]);

    // A later report of the event (an official one) is refused; so is a replayed old one.
    let late = srv.post_event(&report("T-WD-1", "official", 0));
    assert_eq!(
        (late.status, late.body["error"]["code"].as_str()),
        (409, Some("event_withdrawn")),
        "{late:?}"
    );
    // A second withdrawal changes nothing.
    let again = srv.post_event(&withdrawal("T-WD-1"));
    assert_eq!(again.status, 200, "{again:?}");
    assert_eq!(again.body["created"], false);
    assert_eq!(again.body["withdrawn"], json!([]));

    // An unknown event: recorded, answered 202, its reports refused afterwards. This one comes
    // as a USGS feature with status "deleted" from the corpus.
    let usgs = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../scenes/tests/corpus/withdrawals/usgs-deleted.json"),
    )
    .expect("corpus withdrawal");
    let u = srv.post_event(&usgs);
    assert_eq!(u.status, 202, "{u:?}");
    assert_eq!(u.body["known_event"], false);
    assert_eq!(u.body["withdrawal"]["event_id"], "ok2025xdio");
    assert_eq!(u.body["withdrawal"]["format"], "usgs-feature");
    let r = srv.get("/v1/withdrawals/usgs/ok2025xdio");
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["withdrawal"]["reason"], "status \"deleted\"");
    let mut feature: serde_json::Value = serde_json::from_slice(&usgs).expect("json");
    feature["properties"]["status"] = json!("reviewed");
    let refused = srv.post_event(&serde_json::to_vec(&feature).expect("json"));
    assert_eq!(
        (refused.status, refused.body["error"]["code"].as_str()),
        (409, Some("event_withdrawn")),
        "{refused:?}"
    );
    assert!(rx.keys().is_empty(), "pushed: {:?}", rx.keys());
}

/// A withdrawal after the bulletin was pushed: one signed retraction (retried until
/// acknowledged), recorded in the audit log; a duplicate withdrawal (another message, or the
/// same one replayed) sends no second one.
#[test]
fn withdrawal_after_push_sends_one_retraction() {
    let dir = tempfile::tempdir().expect("tempdir");
    // The receiver refuses the first request (the push) once; the retry is acknowledged.
    let rx = Receiver::start(1);
    let srv = sqlite_serve(
        dir.path(),
        1,
        4,
        &[
            "--push-url",
            &rx.url,
            "--push-secret",
            PUSH_SECRET,
            "--push-backoff-ms",
            "100",
            "--auto-approve",
            "*:*:0-10",
        ],
    );
    let r = srv.post_event(&report("T-WD-2", "official", 0));
    assert_eq!(r.status, 202, "{r:?}");
    let id = r.body["job"]["id"].as_str().expect("id").to_string();
    srv.wait_state(&id, &["pushed"], Duration::from_secs(300));
    assert_eq!(rx.keys(), vec![format!("push-{id}")]);

    let body = withdrawal("T-WD-2");
    let ts = now_secs();
    let w = srv.post_signed("msg_wd_2", ts, &body);
    assert_eq!(w.status, 202, "{w:?}");
    assert_eq!(w.body["retracting"], json!([id]), "{w:?}");
    assert_eq!(w.body["withdrawn"], json!([id]), "{w:?}");

    let t = Instant::now();
    while rx.keys().len() < 2 {
        assert!(
            t.elapsed() < Duration::from_secs(30),
            "no retraction: {:?}\n{}",
            rx.keys(),
            srv.log_text()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // The same message replayed, and the same withdrawal in a new message.
    let replay = srv.post_signed("msg_wd_2", ts, &body);
    assert_eq!(replay.status, 200, "{replay:?}");
    assert_eq!(replay.body["retracting"], json!([]));
    let dup = srv.post_event(&body);
    assert_eq!(dup.status, 200, "{dup:?}");
    assert_eq!(dup.body["created"], false);
    assert_eq!(dup.body["retracting"], json!([]));
    std::thread::sleep(Duration::from_secs(2));

    assert_eq!(
        rx.keys(),
        vec![format!("push-{id}"), format!("retract-{id}")],
        "one push, one retraction"
    );
    // The receiver verified the signature (it records signed requests only).
    let (key, payload) = rx.requests.lock().expect("lock")[1].clone();
    assert_eq!(payload["type"], "bulletin.retracted", "{payload:#}");
    assert_eq!(payload["idempotency_key"], key.as_str());
    assert_eq!(payload["retracts"], format!("push-{id}"));
    assert_eq!(payload["event"]["event_id"], "T-WD-2");
    assert_eq!(payload["withdrawal"]["format"], "cenc-quick-report");

    let j = srv.job(&id);
    assert_eq!(j["state"], "withdrawn", "{j:#}");
    assert!(j["timings"]["pushed_at_ms"].is_i64(), "{j:#}");
    assert_eq!(j["retraction"]["state"], "delivered", "{j:#}");
    assert_eq!(j["retraction"]["attempts"], 1, "{j:#}");
    // Rows written in one millisecond have no order among themselves: count them.
    let actions = audit_actions(&srv, &id);
    for (action, n) in [
        ("pushed", 1),
        ("withdrawn", 1),
        ("retraction_queued", 1),
        ("retracted", 1),
    ] {
        assert_eq!(
            actions.iter().filter(|a| *a == action).count(),
            n,
            "{action}: {actions:?}"
        );
    }
    // A report of the withdrawn event is refused.
    let late = srv.post_event(&report("T-WD-2", "official", 1));
    assert_eq!(
        (late.status, late.body["error"]["code"].as_str()),
        (409, Some("event_withdrawn")),
        "{late:?}"
    );
}

/// The count of intakes that were planned (`quakecast_stage_seconds{stage="intake"}`).
fn planned_intakes(srv: &Proc) -> u64 {
    let (status, bytes) = srv.get_bytes("/metrics");
    assert_eq!(status, 200);
    String::from_utf8_lossy(&bytes)
        .lines()
        .find_map(|l| l.strip_prefix("quakecast_stage_seconds_count{stage=\"intake\"} "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0)
}

#[test]
fn hostile_reports_are_refused_at_intake_with_the_field_and_limit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let srv = sqlite_serve(dir.path(), 0, 10, &[]);
    let with = |id: &str, f: &dyn Fn(&mut serde_json::Value)| {
        let mut v: serde_json::Value =
            serde_json::from_slice(&report(id, "official", 0)).expect("json");
        f(&mut v);
        serde_json::to_vec(&v).expect("json")
    };
    let refused = |r: &Resp, field: &str, text: &str| {
        assert_eq!(
            (r.status, r.body["error"]["code"].as_str()),
            (422, Some("report_invalid")),
            "{r:?}"
        );
        assert_eq!(r.body["error"]["field"], field, "{r:?}");
        let msg = r.body["error"]["message"].as_str().unwrap_or_default();
        assert!(msg.contains(text), "{msg}");
    };

    // An 1100-character id is refused at intake (it used to be accepted, rendered, and then
    // fail on its object key).
    let long_id = "X".repeat(1100);
    let r = srv.post_event(&report(&long_id, "official", 0));
    refused(&r, "/event_id", "at most 128");
    // A 200k-character region, inside the body limit.
    let r = srv.post_event(&with("T-LONG-REGION", &|v| {
        v["region"] = json!("震".repeat(70_000))
    }));
    refused(&r, "/region", "at most 200");
    // A NUL byte (here in an XML comment QuakeML ignores): PostgreSQL TEXT cannot hold it.
    let quakeml = include_str!("../../scenes/samples/quakeml-2019-07-06-ridgecrest.xml");
    let at = quakeml.find("<eventParameters").expect("eventParameters");
    let nul = format!("{}<!-- \u{0} -->{}", &quakeml[..at], &quakeml[at..]);
    let r = srv.post_raw(
        nul.as_bytes(),
        &[
            ("content-type", "application/xml"),
            ("webhook-id", "msg_nul"),
            ("webhook-timestamp", &now_secs().to_string()),
            (
                "webhook-signature",
                &secret().sign("msg_nul", now_secs(), nul.as_bytes()),
            ),
        ],
    );
    assert_eq!(r.status, 422, "{r:?}");
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("NUL"),
        "{r:?}"
    );
    // Depths above sea level as USGS publishes them are accepted; a year past 2100 is not.
    let r = srv.post_event(&with("T-NEG-DEPTH", &|v| v["depth_km"] = json!(-3.5)));
    assert_eq!(r.status, 202, "{r:?}");
    let r = srv.post_event(&with("T-Y10000", &|v| {
        v["origin_time"] = json!("10000-01-01T00:00:00+00:00")
    }));
    assert_eq!(r.status, 422, "{r:?}");
    let r = srv.post_event(&with("T-Y2101", &|v| {
        v["origin_time"] = json!("2101-01-01T00:00:00+00:00")
    }));
    refused(&r, "/origin_time", "2100");

    // The same identity (event, status, revision) with another depth: a conflict, not the old
    // job; the same report again is still a plain duplicate.
    let first = report("T-SAME-ID", "official", 1);
    let r = srv.post_event(&first);
    assert_eq!(r.status, 202, "{r:?}");
    let job = r.body["job"]["id"].as_str().expect("id").to_string();
    let planned = planned_intakes(&srv);
    let r = srv.post_event(&with("T-SAME-ID", &|v| {
        v["revision"] = json!(1);
        v["depth_km"] = json!(33.0)
    }));
    assert_eq!(
        (r.status, r.body["error"]["code"].as_str()),
        (409, Some("report_conflict")),
        "{r:?}"
    );
    assert_eq!(r.body["error"]["job_id"], job.as_str(), "{r:?}");
    let r = srv.post_event(&first);
    assert_eq!(
        (r.status, r.body["job"]["id"].as_str()),
        (200, Some(job.as_str()))
    );
    // Neither was planned (no timeline, no speech): dedup comes first.
    assert_eq!(planned_intakes(&srv), planned);
    assert_eq!(srv.job(&job)["event"]["depth_km"], json!(20.0));
}

const READER_TOKEN: &str = "grafana-token-0123456789";

#[test]
fn reads_need_a_token_or_a_signed_link_and_metrics_can_listen_apart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let metrics_port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("free port")
        .local_addr()
        .expect("addr")
        .port();
    let metrics_addr = format!("127.0.0.1:{metrics_port}");
    let srv = sqlite_serve(
        dir.path(),
        1,
        10,
        &[
            "--reader",
            &format!("grafana:{READER_TOKEN}"),
            "--metrics-listen",
            &metrics_addr,
        ],
    );
    let r = srv.post_event(&report("T-READ", "official", 0));
    assert_eq!(r.status, 202, "{r:?}");
    let id = r.body["job"]["id"].as_str().expect("id").to_string();

    // Status, audit, withdrawals and metrics: 401 without a token or with a wrong one; a
    // reader token or a reviewer token reads.
    for path in [
        format!("/v1/jobs/{id}"),
        format!("/v1/jobs/{id}/audit"),
        format!("/v1/jobs/{id}/video"),
        format!("/v1/jobs/{id}/hls/index.m3u8"),
        "/v1/withdrawals/cenc/T-READ".to_string(),
        "/metrics".to_string(),
    ] {
        let r = srv.get_as(&path, None);
        assert_eq!(
            (r.status, r.body["error"]["code"].as_str()),
            (401, Some("token_missing")),
            "{path}: {r:?}"
        );
        let r = srv.get_as(&path, Some("not-a-token-0123456789"));
        assert_eq!(r.status, 401, "{path}: {r:?}");
    }
    assert_eq!(
        srv.get_as(&format!("/v1/jobs/{id}"), Some(READER_TOKEN))
            .status,
        200
    );
    assert_eq!(srv.get_as("/metrics", Some(READER_TOKEN)).status, 200);
    // The metrics address needs no token (a private scrape network) and serves nothing else.
    let open = |path: &str| {
        let mut r = agent()
            .get(format!("http://{metrics_addr}{path}"))
            .call()
            .expect("GET");
        let status = r.status().as_u16();
        (status, r.body_mut().read_to_string().unwrap_or_default())
    };
    let (status, text) = open("/metrics");
    assert!(
        status == 200 && text.contains("quakecast_jobs"),
        "{status} {text}"
    );
    assert_eq!(open(&format!("/v1/jobs/{id}")).0, 404);

    // Media links in the job view are signed: a player reads them without a token, and a
    // signed playlist lists signed segments.
    let t = Instant::now();
    let hls = loop {
        let j = srv.job(&id);
        if let Some(h) = j["outputs"]["hls"].as_str() {
            break h.to_string();
        }
        assert!(t.elapsed() < Duration::from_secs(120), "no segment: {j:#}");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(hls.contains("/hls/index.m3u8?exp="), "{hls}");
    let (status, playlist) = srv.get_bytes_as(&hls, None);
    let playlist = String::from_utf8(playlist).expect("utf8");
    assert_eq!(status, 200, "{playlist}");
    let video = playlist
        .lines()
        .find(|l| l.starts_with("video.m3u8?exp="))
        .unwrap_or_else(|| panic!("no signed video playlist in {playlist}"))
        .to_string();
    let (status, playlist) = srv.get_bytes_as(&format!("/v1/jobs/{id}/hls/{video}"), None);
    let playlist = String::from_utf8(playlist).expect("utf8");
    assert_eq!(status, 200, "{playlist}");
    let seg = playlist
        .lines()
        .find(|l| l.starts_with("seg0000.ts?exp="))
        .unwrap_or_else(|| panic!("no signed segment in {playlist}"))
        .to_string();
    let (status, bytes) = srv.get_bytes_as(&format!("/v1/jobs/{id}/hls/{seg}"), None);
    assert!(status == 200 && !bytes.is_empty(), "{status}");
    // Tampered, or for another job: refused.
    let tampered = hls.replace("sig=", "sig=0");
    assert_eq!(srv.get_bytes_as(&tampered, None).0, 401);
    let other = srv.post_event(&report("T-READ-2", "official", 0));
    let other_id = other.body["job"]["id"].as_str().expect("id");
    let query = hls.split_once('?').expect("query").1;
    assert_eq!(
        srv.get_bytes_as(&format!("/v1/jobs/{other_id}/hls/index.m3u8?{query}"), None)
            .0,
        401
    );
    // A signature never opens the job's JSON.
    assert_eq!(
        srv.get_as(&format!("/v1/jobs/{id}?{query}"), None).status,
        401
    );
}

#[test]
fn the_review_page_forbids_framing_and_inline_code() {
    let dir = tempfile::tempdir().expect("tempdir");
    let srv = sqlite_serve(dir.path(), 0, 10, &[]);
    for path in ["/review", "/review.js", "/review.css"] {
        let r = agent()
            .get(format!("{}{path}", srv.base))
            .call()
            .expect("GET");
        assert_eq!(r.status().as_u16(), 200, "{path}");
        let h = |name: &str| {
            r.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string()
        };
        let csp = h("content-security-policy");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
            "{csp}"
        );
        assert_eq!(h("x-frame-options"), "DENY", "{path}");
        assert_eq!(h("x-content-type-options"), "nosniff", "{path}");
    }
    let page = srv.get_as("/review", None).body;
    let page = page.as_str().expect("html");
    assert!(
        !page.contains("<script>") && !page.contains("<style>"),
        "{page}"
    );
    let (_, js) = srv.get_bytes_as("/review.js", None);
    let js = String::from_utf8(js).expect("utf8");
    // The token lives in session storage only; local storage keeps nothing but the language.
    assert!(
        js.contains("sessionStorage.setItem(\"quakecast-token\""),
        "{js}"
    );
    for (at, _) in js.match_indices("localStorage") {
        let rest = &js[at..];
        assert!(
            rest.starts_with("localStorage.getItem(\"quakecast-lang\")")
                || rest.starts_with("localStorage.setItem(\"quakecast-lang\","),
            "local storage used for more than the language: {}",
            &rest[..rest.len().min(80)]
        );
    }
}

/// A revised report re-renders only the segments whose pictures changed: the others are copied
/// from the segment cache (keyed by a hash of their draw lists, encoder settings and renderer).
#[test]
fn a_revision_reuses_the_segments_whose_pictures_did_not_change() {
    let dir = tempfile::tempdir().expect("tempdir");
    let srv = sqlite_serve(dir.path(), 1, 10, &[]);
    let segs = |j: &serde_json::Value| -> Vec<(bool, f64)> {
        j["progress"]["segments"]
            .as_array()
            .expect("segments")
            .iter()
            .map(|s| {
                (
                    s["reused"].as_bool().unwrap_or(false),
                    s["wall_secs"].as_f64().unwrap_or(0.0),
                )
            })
            .collect()
    };
    let mut jobs = Vec::new();
    for (status, revision) in [("automatic", 0), ("official", 0), ("official", 1)] {
        let r = srv.post_event(&report("T-REUSE", status, revision));
        let id = r.body["job"]["id"].as_str().expect("id").to_string();
        let j = srv.wait_state(&id, &["awaiting_review"], Duration::from_secs(240));
        let s = segs(&j);
        eprintln!(
            "{status} r{revision}: {} frames, segments reused {:?}, wall {:.2} s, render {:.2} s",
            j["timeline"]["total_frames"],
            s.iter().map(|x| x.0).collect::<Vec<_>>(),
            s.iter().map(|x| x.1).sum::<f64>(),
            j["timings"]["render_secs"].as_f64().unwrap_or(0.0)
        );
        jobs.push((j, s));
    }
    // The first report renders everything.
    assert!(jobs[0].1.iter().all(|s| !s.0), "{:?}", jobs[0].1);
    // The later ones reuse what did not change, and each stitched video is whole.
    let reused: usize = jobs[1..]
        .iter()
        .map(|(_, s)| s.iter().filter(|x| x.0).count())
        .sum();
    assert!(
        reused >= 1,
        "nothing reused: {:?}",
        jobs.iter().map(|j| &j.1).collect::<Vec<_>>()
    );
    for (j, _) in &jobs {
        let (status, bytes) =
            srv.get_bytes(&format!("/v1/jobs/{}/video", j["id"].as_str().expect("id")));
        assert_eq!(status, 200);
        assert!(bytes.len() > 1000);
    }
}
