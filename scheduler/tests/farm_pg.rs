//! The distributed farm: PostgreSQL started by the test (Debian's binaries, `initdb` in a temp
//! dir), an S3-compatible server (`s3s-fs`) in this process, `serve` and separate `worker`
//! processes. The queue's lease semantics are checked on SQLite and PostgreSQL through the same
//! code path.
mod farm_support;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use farm_support::*;
use quakecast_core::plan::Segment;
use quakecast_farm::db::{now_ms, Db, IntakeOutcome, NewJob};
use quakecast_farm::model::{JobSettings, JobState, TaskKind};
use serde_json::json;

fn new_job(event_id: &str, segments: u32) -> NewJob {
    let event = quakecast_facts::parse_report(&report(event_id, "official", 0)).expect("report");
    NewJob {
        event,
        format: "cenc".into(),
        report: String::from_utf8(report(event_id, "official", 0)).expect("utf8"),
        settings: JobSettings::default(),
        auto_approve: false,
        plan: (0..segments)
            .map(|i| Segment {
                index: i,
                start: i * 30,
                end: (i + 1) * 30,
            })
            .collect(),
        webhook: None,
    }
}

async fn lease_semantics(db: &Db) {
    let t = now_ms();
    let IntakeOutcome::Created { job, .. } =
        db.intake(&new_job("Q-LEASE", 3), t).await.expect("intake")
    else {
        panic!("not created");
    };
    let kinds = TaskKind::RENDER;
    let a = db
        .claim("wa", &kinds, 1000, t)
        .await
        .expect("claim")
        .expect("a task");
    assert_eq!((a.kind, a.seg_index, a.attempts), (TaskKind::Segment, 0, 1));
    let b = db
        .claim("wb", &kinds, 1000, t)
        .await
        .expect("claim")
        .expect("a task");
    assert_eq!(b.seg_index, 1, "a leased task is not handed out twice");
    let c = db
        .claim("wc", &kinds, 1000, t)
        .await
        .expect("claim")
        .expect("a task");
    assert!(db
        .claim("wd", &kinds, 1000, t)
        .await
        .expect("claim")
        .is_none());
    assert_eq!(
        db.job(&job.id).await.expect("job").expect("row").state,
        JobState::Rendering
    );

    // b renews and finishes; a's worker dies (no renewal), its lease expires and it is re-leased.
    let mut b2 = b.clone();
    assert!(db.renew(&mut b2, 1000, t + 900).await.expect("renew"));
    let seg = |i: u32| json!({"segment": {"key": format!("k{i}"), "url": "", "bytes": 1, "sha256": ""}, "worker": "w"});
    assert!(db.complete(&b2, &seg(1), t + 1500).await.expect("complete"));
    let a2 = db
        .claim("we", &kinds, 1000, t + 1100)
        .await
        .expect("claim")
        .expect("re-leased");
    assert_eq!(
        (a2.task_id.as_str(), a2.attempts, a2.owner.as_str()),
        (a.task_id.as_str(), 2, "we")
    );
    assert!(a2.token > a.token);
    // The first worker wakes up late: its "done" and its renewal change nothing.
    assert!(!db.complete(&a, &seg(0), t + 1200).await.expect("late done"));
    let mut a_late = a.clone();
    assert!(!db
        .renew(&mut a_late, 1000, t + 1200)
        .await
        .expect("late renew"));
    assert!(db.complete(&a2, &seg(0), t + 1300).await.expect("done"));
    assert!(db.complete(&c, &seg(2), t + 900).await.expect("done"));
    // The last segment queued exactly one stitch task.
    let tasks = db.tasks(&job.id).await.expect("tasks");
    assert_eq!(
        tasks.iter().filter(|t| t.kind == TaskKind::Stitch).count(),
        1
    );
    let j = db.job(&job.id).await.expect("job").expect("row");
    assert_eq!(j.segments_done, 3);

    // A task whose worker dies on every attempt fails its job after max attempts.
    let IntakeOutcome::Created { job: doomed, .. } =
        db.intake(&new_job("Q-DOOMED", 1), t).await.expect("intake")
    else {
        panic!("not created");
    };
    let mut now = t + 10_000;
    for attempt in 1..=3 {
        let l = db
            .claim("wx", &[TaskKind::Segment], 100, now)
            .await
            .expect("claim")
            .expect("task");
        assert_eq!(l.job_id, doomed.id);
        assert_eq!(l.attempts, attempt);
        now += 200;
    }
    assert!(db
        .claim("wx", &[TaskKind::Segment], 100, now)
        .await
        .expect("claim")
        .is_none());
    assert_eq!(db.reap_expired(now).await.expect("reap"), 1);
    let d = db.job(&doomed.id).await.expect("job").expect("row");
    assert_eq!(d.state, JobState::Failed);
    assert!(
        d.reason
            .as_deref()
            .unwrap_or_default()
            .contains("worker lost"),
        "{:?}",
        d.reason
    );
}

async fn concurrent_claims_never_share_a_task(db: &Db) {
    let t = now_ms();
    for i in 0..6 {
        db.intake(&new_job(&format!("Q-CONC-{i}"), 5), t)
            .await
            .expect("intake");
    }
    let mut handles = Vec::new();
    for w in 0..8 {
        let db = db.clone();
        handles.push(tokio::spawn(async move {
            let mut got = Vec::new();
            while let Some(l) = db
                .claim(&format!("w{w}"), &[TaskKind::Segment], 60_000, t)
                .await
                .expect("claim")
            {
                got.push(l.task_id);
            }
            got
        }));
    }
    let mut all = Vec::new();
    for h in handles {
        all.extend(h.await.expect("join"));
    }
    let unique: HashSet<_> = all.iter().collect();
    assert_eq!(all.len(), 30);
    assert_eq!(unique.len(), 30, "a task was claimed twice");
}

/// A withdrawal through the same SQL on both databases: live work cancelled (a late completion
/// is fenced off), a pushed job retracted exactly once, later reports refused.
async fn withdrawal_semantics(db: &Db) {
    use quakecast_facts::{ReportFormat, Source, Withdrawal};
    use quakecast_farm::db::{NewWithdrawal, WithdrawOutcome};
    use quakecast_farm::model::Decision;
    let withdraw = |event_id: &str| NewWithdrawal {
        withdrawal: Withdrawal {
            source: Source::Cenc,
            event_id: event_id.into(),
            format: ReportFormat::CencRecord,
            reason: "IS_DEL = \"1\"".into(),
        },
        report: "{}".into(),
        webhook: None,
    };
    let t = now_ms();
    // Rendering: one segment leased when the withdrawal comes.
    let IntakeOutcome::Created { job: live, .. } = db
        .intake(&new_job("Q-WD-LIVE", 2), t)
        .await
        .expect("intake")
    else {
        panic!("not created");
    };
    let held = db
        .claim("w1", &[TaskKind::Segment], 60_000, t)
        .await
        .expect("claim")
        .expect("task");
    let WithdrawOutcome::Recorded {
        first,
        withdrawn,
        retracting,
        ..
    } = db
        .withdraw(&withdraw("Q-WD-LIVE"), t + 1)
        .await
        .expect("withdraw")
    else {
        panic!("not recorded");
    };
    assert!(first);
    assert_eq!(withdrawn, vec![live.id.clone()]);
    assert!(retracting.is_empty());
    let j = db.job(&live.id).await.expect("job").expect("row");
    assert_eq!(j.state, JobState::Withdrawn);
    assert!(!db
        .complete(&held, &json!({"worker": "w1"}), t + 2)
        .await
        .expect("complete"));
    assert!(db
        .tasks(&live.id)
        .await
        .expect("tasks")
        .iter()
        .all(|t| t.state == quakecast_farm::model::TaskState::Cancelled));
    let IntakeOutcome::Withdrawn { withdrawal } = db
        .intake(&new_job("Q-WD-LIVE", 2), t + 3)
        .await
        .expect("intake")
    else {
        panic!("a report of a withdrawn event was stored");
    };
    assert_eq!(withdrawal.reason, "IS_DEL = \"1\"");

    // Pushed: segment → stitch → approve → push, then the withdrawal.
    let IntakeOutcome::Created { job: pushed, .. } = db
        .intake(&new_job("Q-WD-PUSHED", 1), t)
        .await
        .expect("intake")
    else {
        panic!("not created");
    };
    for kind in [TaskKind::Segment, TaskKind::Stitch] {
        let l = db
            .claim("w2", &[kind], 60_000, t + 10)
            .await
            .expect("claim")
            .expect("task");
        assert_eq!(l.job_id, pushed.id);
        assert!(db.complete(&l, &json!({}), t + 11).await.expect("complete"));
    }
    db.decide(&pushed.id, "alice", Decision::Approve, None, t + 12)
        .await
        .expect("approve");
    let p = db
        .claim("pusher", &[TaskKind::Push], 60_000, t + 13)
        .await
        .expect("claim")
        .expect("push task");
    assert!(db
        .complete(&p, &json!({"status": 200}), t + 14)
        .await
        .expect("complete"));
    for n in 0..2 {
        let WithdrawOutcome::Recorded {
            first, retracting, ..
        } = db
            .withdraw(&withdraw("Q-WD-PUSHED"), t + 20 + n)
            .await
            .expect("withdraw")
        else {
            panic!("not recorded");
        };
        assert_eq!(first, n == 0);
        assert_eq!(
            retracting.len(),
            if n == 0 { 1 } else { 0 },
            "{retracting:?}"
        );
    }
    let retracts: Vec<_> = db
        .tasks(&pushed.id)
        .await
        .expect("tasks")
        .into_iter()
        .filter(|t| t.kind == TaskKind::Retract)
        .collect();
    assert_eq!(retracts.len(), 1, "{retracts:?}");
    let r = db
        .claim("pusher", &TaskKind::DELIVERY, 60_000, t + 30)
        .await
        .expect("claim")
        .expect("retract task");
    assert_eq!(
        (r.kind, r.job_id.as_str()),
        (TaskKind::Retract, pushed.id.as_str())
    );
    db.record_retract_attempt(
        &pushed.id,
        "retract-x",
        "http://x",
        "{}",
        Some(200),
        None,
        t + 31,
    )
    .await
    .expect("record");
    assert!(db
        .complete(&r, &json!({"status": 200}), t + 32)
        .await
        .expect("complete"));
    let row = db.retraction(&pushed.id).await.expect("read").expect("row");
    assert_eq!((row.state.as_str(), row.attempts), ("delivered", 1));
    assert!(db
        .claim("pusher", &TaskKind::DELIVERY, 60_000, t + 40)
        .await
        .expect("claim")
        .is_none());
    let audit: Vec<String> = db
        .audit_log(&pushed.id)
        .await
        .expect("audit")
        .into_iter()
        .map(|a| a.action)
        .collect();
    assert_eq!(
        audit.iter().filter(|a| *a == "retracted").count(),
        1,
        "{audit:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn lease_semantics_on_sqlite() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = Db::connect(&format!("sqlite://{}", dir.path().join("q.db").display()))
        .await
        .expect("sqlite");
    lease_semantics(&db).await;
    concurrent_claims_never_share_a_task(&db).await;
    withdrawal_semantics(&db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn lease_semantics_on_postgres() {
    let Some(pg) = tokio::task::spawn_blocking(Postgres::start)
        .await
        .expect("join")
    else {
        return;
    };
    let db = Db::connect(&pg.url).await.expect("postgres");
    // A second process migrating at once is serialised (advisory lock) and finds nothing to do.
    Db::connect(&pg.url).await.expect("migrate again");
    lease_semantics(&db).await;
    concurrent_claims_never_share_a_task(&db).await;
    withdrawal_semantics(&db).await;
}

/// A database the farm's earlier migration runner left (`farm_migrations`, both migrations
/// applied) is adopted by sqlx's migrator instead of migrated again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn databases_of_the_earlier_runner_are_adopted_on_postgres() {
    let Some(pg) = tokio::task::spawn_blocking(Postgres::start)
        .await
        .expect("join")
    else {
        return;
    };
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&pg.url).await.expect("connect");
    sqlx::query(
        "CREATE TABLE farm_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, \
         applied_at BIGINT NOT NULL)",
    )
    .execute(&pool)
    .await
    .expect("legacy table");
    let files = [
        (1, "farm", include_str!("../farm/migrations/0001_farm.sql")),
        (
            2,
            "withdrawals",
            include_str!("../farm/migrations/0002_withdrawals.sql"),
        ),
    ];
    for (version, name, sql) in files {
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&pool)
            .await
            .expect("legacy migration");
        sqlx::query("INSERT INTO farm_migrations VALUES ($1, $2, 0)")
            .bind(version as i64)
            .bind(name)
            .execute(&pool)
            .await
            .expect("legacy row");
    }
    pool.close().await;
    for _ in 0..2 {
        let db = Db::connect(&pg.url)
            .await
            .expect("adopted, not migrated again");
        let versions: Vec<i64> = sqlx::query_scalar(
            "SELECT version FROM _sqlx_migrations WHERE success ORDER BY version",
        )
        .fetch_all(db.pool())
        .await
        .expect("_sqlx_migrations");
        assert_eq!(versions, [1, 2, 3]);
    }
}

#[test]
fn distributed_worker_killed_mid_segment_job_completes_and_pushes_once() {
    let Some(pg) = Postgres::start() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let s3 = S3Server::start(&dir.path().join("s3"), "bulletins");
    let rx = Receiver::start(0);
    let env = s3.env();
    let env_ref: Vec<(&str, String)> = env.iter().map(|(k, v)| (*k, v.clone())).collect();

    let mut serve_args = vec!["serve".to_string()];
    serve_args.extend(common_flags(dir.path(), &pg.url, "s3://bulletins/farm"));
    serve_args.extend(serve_flags(10));
    serve_args.extend(
        [
            "--workers",
            "0",
            "--push-url",
            &rx.url,
            "--push-secret",
            PUSH_SECRET,
            "--auto-approve",
            "*:*:0-10",
        ]
        .iter()
        .map(|s| s.to_string()),
    );
    let srv = spawn(dir.path(), "serve", &serve_args, &env_ref);
    let worker_args = |name: &str| {
        let mut a = vec!["worker".to_string()];
        a.extend(common_flags(dir.path(), &pg.url, "s3://bulletins/farm"));
        a.extend(["--worker-id".to_string(), name.to_string()]);
        a
    };

    let r = srv.post_event(&report("T-DIST", "official", 0));
    assert_eq!(r.status, 202, "{r:?}");
    let id = r.body["job"]["id"].as_str().expect("id").to_string();

    // Worker A takes a segment; kill it while the segment is leased to it.
    let mut a = spawn(dir.path(), "worker-a", &worker_args("wa"), &env_ref);
    let t = Instant::now();
    let killed_index = loop {
        let j = srv.job(&id);
        let leased = j["progress"]["segments"]
            .as_array()
            .expect("segments")
            .iter()
            .find(|s| s["state"] == "leased")
            .cloned();
        if let Some(s) = leased {
            a.child.kill().expect("kill -9 worker a");
            a.child.wait().expect("reaped");
            break s["index"].as_i64().expect("index");
        }
        assert!(
            t.elapsed() < Duration::from_secs(60),
            "worker a took nothing: {}",
            a.log_text()
        );
        std::thread::sleep(Duration::from_millis(5));
    };
    drop(a);

    // Worker B finishes everything, including the killed segment once its lease expires.
    let b = spawn(dir.path(), "worker-b", &worker_args("wb"), &env_ref);
    let j = srv.wait_state(&id, &["pushed"], Duration::from_secs(240));
    let seg = &j["progress"]["segments"][killed_index as usize];
    assert_eq!(seg["state"], "done");
    assert!(
        seg["attempts"].as_i64().unwrap_or(0) >= 2,
        "the killed segment was re-leased: {j:#}"
    );
    assert_eq!(seg["worker"], "wb-w0", "{j:#}");
    assert_eq!(rx.keys(), vec![format!("push-{id}")], "pushed exactly once");
    // Objects are in the bucket under fixed keys.
    let video = j["outputs"]["video_object"]["key"]
        .as_str()
        .expect("video key");
    assert!(
        s3.root.join("bulletins/farm").join(video).exists(),
        "{video}"
    );
    let (status, bytes) = srv.get_bytes(&format!("/v1/jobs/{id}/video"));
    assert_eq!(status, 200);
    assert!(bytes.len() > 1000);
    drop(b);
}

/// The S3 store against s3s-fs on loopback: a file above the multipart threshold goes up in
/// parts (the last one short), a small one in a single PUT; both read back byte for byte, and the
/// server's copy on disk is the same file.
#[test]
fn s3_store_uploads_large_files_in_parts() {
    use quakecast_core::store::ObjectStore;
    use quakecast_farm::s3::{S3Options, S3Store, MIN_PART_SIZE};
    let dir = tempfile::tempdir().expect("tempdir");
    let s3 = S3Server::start(&dir.path().join("s3"), "bulletins");
    let store = S3Store::new(S3Options {
        bucket: "bulletins".into(),
        prefix: "farm".into(),
        endpoint: Some(s3.endpoint.clone()),
        region: "us-east-1".into(),
        path_style: true,
        access_key: S3_KEY.into(),
        secret_key: S3_SECRET.into(),
        multipart_threshold: MIN_PART_SIZE,
        part_size: MIN_PART_SIZE,
    })
    .expect("store");

    // 2.5 parts of pseudo-random bytes (a repeating pattern would hide misplaced parts).
    let len = (MIN_PART_SIZE * 5 / 2) as usize + 123;
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let big: Vec<u8> = (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect();
    let big_path = dir.path().join("big.bin");
    std::fs::write(&big_path, &big).expect("write");
    let (obj, parts) = store
        .put_file_counting_parts("bulletins/big.mp4", &big_path, "video/mp4")
        .expect("multipart put");
    assert_eq!(parts, 3, "{obj:?}");
    assert_eq!(obj.bytes, len as u64);
    assert_eq!(obj.sha256, quakecast_core::store::sha256_hex(&big));
    assert_eq!(
        store.get_bytes("bulletins/big.mp4").expect("get"),
        big,
        "read back"
    );
    let on_disk = std::fs::read(dir.path().join("s3/bulletins/farm/bulletins/big.mp4"))
        .expect("the server's copy");
    assert!(on_disk == big, "server copy differs");

    let small_path = dir.path().join("small.json");
    std::fs::write(&small_path, b"{\"ok\":true}").expect("write");
    let (_, parts) = store
        .put_file_counting_parts("bulletins/small.json", &small_path, "application/json")
        .expect("single put");
    assert_eq!(parts, 0);
    assert!(store.exists("bulletins/small.json").expect("exists"));
    assert!(!store.exists("bulletins/none.json").expect("exists"));
}

/// Follow `GET /v1/review/stream` on a plain socket; send each `event: queue` snapshot (with the
/// local time it arrived, ms since the epoch) to the returned channel.
fn follow_review_stream(base: &str) -> std::sync::mpsc::Receiver<(i64, serde_json::Value)> {
    use std::io::{BufRead, BufReader, Write};
    let addr = base.trim_start_matches("http://").to_string();
    let (tx, rx) = std::sync::mpsc::sync_channel(64);
    let mut sock = std::net::TcpStream::connect(&addr).expect("connect");
    write!(
        sock,
        "GET /v1/review/stream HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {REVIEWER_TOKEN}\r\n\r\n"
    )
    .expect("request");
    std::thread::spawn(move || {
        let mut lines = BufReader::new(sock);
        let mut event = String::new();
        let mut line = String::new();
        while lines.read_line(&mut line).is_ok_and(|n| n > 0) {
            let l = line.trim_end();
            if let Some(e) = l.strip_prefix("event: ") {
                event = e.to_string();
            } else if let Some(d) = l.strip_prefix("data: ") {
                if event == "queue" {
                    let v = serde_json::from_str(d).unwrap_or(serde_json::Value::Null);
                    if tx.send((now_ms(), v)).is_err() {
                        return;
                    }
                }
            }
            line.clear();
        }
    });
    rx
}

/// The review console's live queue in the distributed mode: the job is rendered by a worker in
/// another process (PostgreSQL, S3), and the console's event stream on `serve` still announces it
/// once it is ready; the console's view, map and key frames read it back from PostgreSQL and S3.
#[test]
fn review_stream_announces_a_job_a_separate_worker_finished() {
    let Some(pg) = Postgres::start() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let s3 = S3Server::start(&dir.path().join("s3"), "bulletins");
    let env = s3.env();
    let env_ref: Vec<(&str, String)> = env.iter().map(|(k, v)| (*k, v.clone())).collect();
    let mut serve_args = vec!["serve".to_string()];
    serve_args.extend(common_flags(dir.path(), &pg.url, "s3://bulletins/farm"));
    serve_args.extend(serve_flags(10));
    serve_args.extend(["--workers".to_string(), "0".to_string()]);
    let srv = spawn(dir.path(), "serve", &serve_args, &env_ref);
    let stream = follow_review_stream(&srv.base);
    let (_, first) = stream
        .recv_timeout(Duration::from_secs(10))
        .expect("first snapshot");
    assert_eq!(first["jobs"], json!([]), "{first}");

    let id = srv.post_event(&report("T-LIVE", "official", 0)).body["job"]["id"]
        .as_str()
        .expect("id")
        .to_string();
    let mut worker = vec!["worker".to_string()];
    worker.extend(common_flags(dir.path(), &pg.url, "s3://bulletins/farm"));
    let _w = spawn(dir.path(), "worker", &worker, &env_ref);
    let t = Instant::now();
    let seen_ms = loop {
        let left = Duration::from_secs(240).saturating_sub(t.elapsed());
        let (at, snap) = stream.recv_timeout(left).expect("a snapshot with the job");
        let listed = snap["jobs"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|j| j["id"] == id.as_str());
        if listed {
            break at;
        }
    };
    let j = srv.job(&id);
    assert_eq!(j["state"], "awaiting_review");
    let ready = j["timings"]["ready_at_ms"].as_i64().expect("ready_at_ms");
    let latency = seen_ms - ready;
    eprintln!("console (distributed): ready in a worker process → on the stream in {latency} ms");
    assert!((0..5_000).contains(&latency), "{latency} ms");

    let v = srv.get(&format!("/v1/review/jobs/{id}")).body;
    let c = &v["console"];
    assert!(c["tiers"].as_array().is_some_and(|t| !t.is_empty()), "{c}");
    assert!(
        c["sentences"]["zh"]
            .as_array()
            .is_some_and(|s| s.len() >= 3),
        "{c}"
    );
    let (status, svg) = srv.get_bytes(&format!("/v1/jobs/{id}/map.svg?lang=zh"));
    assert_eq!(status, 200);
    let svg = String::from_utf8_lossy(&svg);
    assert!(
        svg.contains("class=\"cell\"") && svg.contains("有感"),
        "{}",
        &svg[..svg.len().min(400)]
    );
    // A key frame, cut from the video in S3 and kept there.
    let link = c["keyframes"][1]["url"].as_str().expect("key frame link");
    let (status, jpg) = srv.get_bytes_as(link, None);
    assert_eq!(status, 200);
    assert!(jpg.starts_with(&[0xff, 0xd8]), "a JPEG");
    assert!(
        walk(&s3.root)
            .iter()
            .any(|p| p.ends_with("keyframes/01.jpg")),
        "still kept in the bucket"
    );
}

fn walk(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p.display().to_string());
        }
    }
    out
}
