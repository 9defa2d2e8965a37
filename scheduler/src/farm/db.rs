//! Job state and the work queue in SQLite (embedded default) or PostgreSQL, one code path.
//!
//! Everything goes through `sqlx::Any` with SQL both databases accept; what differs is in
//! [`super::dialect`]. Times are Unix milliseconds passed in by the caller (`now`), so lease
//! expiry can be tested without sleeping.
//!
//! Invariants kept here:
//! - A report's idempotency row (`events`), its job, its webhook id and its tasks are written in
//!   one transaction; a repeat finds them and returns the existing job.
//! - A claim increments the task's `lease_token`; renewal and completion must present it and
//!   hold an unexpired lease, so a late "done" from a worker whose lease expired changes nothing
//!   (fencing). The task stays leased to its owner until then, or is re-claimed by another.
//! - The stitch task is created in the transaction that completes the last segment (or the audio
//!   task), after locking the job row, so exactly one stitch task exists however completions race.
use std::sync::atomic::{AtomicU64, Ordering};

use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, AssertSqlSafe, Row};

use super::dialect::{redact, Dialect};
use super::error::{FarmError, FarmResult};
use super::model::{
    job_id_for, report_rank, source_str, status_str, AuditRow, Decision, JobRow, JobSettings,
    JobState, Lease, PushRow, TaskKind, TaskRow, TaskState,
};
use crate::plan::Segment;

/// Migrations, applied in order and recorded in `farm_migrations`.
const MIGRATIONS: &[(i64, &str, &str)] =
    &[(1, "farm", include_str!("../../migrations/0001_farm.sql"))];

/// Attempts a segment, audio or stitch task gets before its job fails.
pub const RENDER_MAX_ATTEMPTS: i64 = 3;
/// Attempts a push gets: it is retried with backoff until acknowledged.
pub const PUSH_MAX_ATTEMPTS: i64 = 1_000_000;

/// Handle on the farm database (cheap to clone).
#[derive(Clone, Debug)]
pub struct Db {
    pool: AnyPool,
    dialect: Dialect,
}

/// A report accepted at intake, with everything its job needs.
#[derive(Clone, Debug)]
pub struct NewJob {
    pub event: quakecast_scenes::Event,
    /// The report's format (`ReportFormat::name`: `cenc-record`, `quakeml`, …).
    pub format: String,
    /// The report as received (UTF-8).
    pub report: String,
    pub settings: JobSettings,
    pub auto_approve: bool,
    pub plan: Vec<Segment>,
    /// The Standard Webhooks message id and the SHA-256 of the body it came with.
    pub webhook: Option<(String, String)>,
}

/// What intake did with a report.
#[derive(Clone, Debug)]
pub enum IntakeOutcome {
    /// A new job; `superseded` lists the jobs of the same event it replaced.
    Created {
        job: JobRow,
        superseded: Vec<String>,
    },
    /// The same report (or the same webhook message) was seen before: its job.
    Duplicate { job: JobRow },
    /// A higher-ranked report of this event exists; nothing was stored.
    Stale { newer: JobRow },
    /// The webhook id was used before with a different body.
    WebhookIdReused { webhook_id: String, job_id: String },
}

/// Why a review decision was not applied.
#[derive(Debug)]
pub enum DecideError {
    NotFound,
    /// The job is not awaiting review (its current state).
    WrongState(JobState),
    Db(FarmError),
}

impl From<FarmError> for DecideError {
    fn from(e: FarmError) -> Self {
        DecideError::Db(e)
    }
}

impl From<sqlx::Error> for DecideError {
    fn from(e: sqlx::Error) -> Self {
        DecideError::Db(e.into())
    }
}

/// A process-unique id for rows that have no natural key (audit rows).
pub fn new_id(prefix: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let now = crate::clock::now();
    let seed = format!(
        "{}-{}-{}-{:?}",
        now.timestamp_nanos_opt().unwrap_or_default(),
        std::process::id(),
        n,
        std::thread::current().id()
    );
    format!(
        "{prefix}{}",
        &crate::store::sha256_hex(seed.as_bytes())[..20]
    )
}

/// Unix milliseconds now (through the one clock module).
pub fn now_ms() -> i64 {
    crate::clock::now().timestamp_millis()
}

fn opt_json(s: Option<String>) -> FarmResult<Option<serde_json::Value>> {
    s.map(|s| serde_json::from_str(&s).map_err(|e| FarmError::Corrupt(format!("stored JSON: {e}"))))
        .transpose()
}

fn job_from_row(row: &AnyRow) -> FarmResult<JobRow> {
    let event_json: String = row.try_get("event_json")?;
    let settings_json: String = row.try_get("settings_json")?;
    Ok(JobRow {
        id: row.try_get("id")?,
        source: row.try_get("source")?,
        event_id: row.try_get("event_id")?,
        report_status: row.try_get("report_status")?,
        revision: row.try_get("revision")?,
        state: JobState::parse(&row.try_get::<String, _>("state")?)?,
        reason: row.try_get("reason")?,
        format: row.try_get("format")?,
        report: row.try_get("report")?,
        event: serde_json::from_str(&event_json)
            .map_err(|e| FarmError::Corrupt(format!("event_json: {e}")))?,
        settings: serde_json::from_str(&settings_json)
            .map_err(|e| FarmError::Corrupt(format!("settings_json: {e}")))?,
        magnitude: row.try_get("magnitude")?,
        auto_approve: row.try_get::<i64, _>("auto_approve")? != 0,
        with_audio: row.try_get::<i64, _>("with_audio")? != 0,
        segments_total: row.try_get("segments_total")?,
        segments_done: row.try_get("segments_done")?,
        superseded_by: row.try_get("superseded_by")?,
        reviewer: row.try_get("reviewer")?,
        review_reason: row.try_get("review_reason")?,
        result: opt_json(row.try_get("result_json")?)?,
        received_at: row.try_get("received_at")?,
        render_started_at: row.try_get("render_started_at")?,
        rendered_at: row.try_get("rendered_at")?,
        ready_at: row.try_get("ready_at")?,
        decided_at: row.try_get("decided_at")?,
        pushed_at: row.try_get("pushed_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn task_from_row(row: &AnyRow) -> FarmResult<TaskRow> {
    Ok(TaskRow {
        id: row.try_get("id")?,
        job_id: row.try_get("job_id")?,
        kind: TaskKind::parse(&row.try_get::<String, _>("kind")?)?,
        seg_index: row.try_get("seg_index")?,
        frame_start: row.try_get("frame_start")?,
        frame_end: row.try_get("frame_end")?,
        state: TaskState::parse(&row.try_get::<String, _>("state")?)?,
        lease_owner: row.try_get("lease_owner")?,
        lease_token: row.try_get("lease_token")?,
        lease_expires_at: row.try_get("lease_expires_at")?,
        attempts: row.try_get("attempts")?,
        max_attempts: row.try_get("max_attempts")?,
        last_error: row.try_get("last_error")?,
        result: opt_json(row.try_get("result_json")?)?,
        created_at: row.try_get("created_at")?,
        done_at: row.try_get("done_at")?,
    })
}

const JOB_COLUMNS: &str = "id, source, event_id, report_status, revision, state, reason, format, \
    report, event_json, settings_json, magnitude, auto_approve, with_audio, segments_total, \
    segments_done, superseded_by, reviewer, review_reason, result_json, received_at, \
    render_started_at, rendered_at, ready_at, decided_at, pushed_at, updated_at";

const TASK_COLUMNS: &str = "id, job_id, kind, seg_index, frame_start, frame_end, state, \
    lease_owner, lease_token, lease_expires_at, attempts, max_attempts, last_error, result_json, \
    created_at, done_at";

type Tx = sqlx::Transaction<'static, sqlx::Any>;

impl Db {
    /// Connect (creating a SQLite file if missing) and apply migrations.
    pub async fn connect(url: &str) -> FarmResult<Self> {
        sqlx::any::install_default_drivers();
        let dialect = Dialect::from_url(url)?;
        let mut url = url.to_string();
        if dialect == Dialect::Sqlite && !url.contains(":memory:") && !url.contains("mode=") {
            url.push_str(if url.contains('?') {
                "&mode=rwc"
            } else {
                "?mode=rwc"
            });
        }
        if dialect == Dialect::Sqlite {
            if let Some(path) = url
                .strip_prefix("sqlite://")
                .map(|p| p.split('?').next().unwrap_or(p))
            {
                if let Some(dir) = std::path::Path::new(path).parent() {
                    if !dir.as_os_str().is_empty() {
                        std::fs::create_dir_all(dir).map_err(|e| FarmError::DbUrl {
                            url: url.clone(),
                            reason: format!("cannot create {}: {e}", dir.display()),
                        })?;
                    }
                }
            }
        }
        let pool = AnyPoolOptions::new()
            .max_connections(dialect.max_connections(&url))
            .acquire_timeout(std::time::Duration::from_secs(30))
            .connect(&url)
            .await
            .map_err(|e| FarmError::DbUrl {
                url: redact(&url),
                reason: e.to_string(),
            })?;
        let db = Db { pool, dialect };
        for sql in dialect.prepare_sql(&url) {
            sqlx::query(AssertSqlSafe(*sql)).execute(&db.pool).await?;
        }
        db.migrate().await?;
        Ok(db)
    }

    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    async fn begin(&self) -> FarmResult<Tx> {
        Ok(self.pool.begin_with(self.dialect.begin_write()).await?)
    }

    async fn migrate(&self) -> FarmResult<()> {
        let mut conn = self.pool.acquire().await?;
        let lock = self.dialect.migration_lock();
        if let Some((take, _)) = &lock {
            sqlx::query(AssertSqlSafe(take.as_str()))
                .execute(&mut *conn)
                .await?;
        }
        let res = async {
            sqlx::query(
                "CREATE TABLE IF NOT EXISTS farm_migrations (version BIGINT PRIMARY KEY, \
                 name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
            )
            .execute(&mut *conn)
            .await?;
            for (version, name, sql) in MIGRATIONS {
                let done: Option<i64> =
                    sqlx::query_scalar("SELECT version FROM farm_migrations WHERE version = $1")
                        .bind(*version)
                        .fetch_optional(&mut *conn)
                        .await?;
                if done.is_some() {
                    continue;
                }
                sqlx::query(self.dialect.begin_write())
                    .execute(&mut *conn)
                    .await?;
                let applied = async {
                    for stmt in split_sql(sql) {
                        sqlx::query(AssertSqlSafe(stmt)).execute(&mut *conn).await?;
                    }
                    sqlx::query(
                        "INSERT INTO farm_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
                    )
                    .bind(*version)
                    .bind(*name)
                    .bind(now_ms())
                    .execute(&mut *conn)
                    .await?;
                    Ok::<(), sqlx::Error>(())
                }
                .await;
                match applied {
                    Ok(()) => {
                        sqlx::query("COMMIT").execute(&mut *conn).await?;
                        tracing::info!(version, name, dialect = self.dialect.name(), "migrated");
                    }
                    Err(e) => {
                        let _ = sqlx::query("ROLLBACK").execute(&mut *conn).await;
                        return Err(e);
                    }
                }
            }
            Ok::<(), sqlx::Error>(())
        }
        .await;
        if let Some((_, release)) = &lock {
            sqlx::query(AssertSqlSafe(release.as_str()))
                .execute(&mut *conn)
                .await?;
        }
        Ok(res?)
    }

    // ---- intake ----------------------------------------------------------------------------

    /// Store a report's job, or find why not (duplicate, stale, webhook id reuse).
    pub async fn intake(&self, new: &NewJob, now: i64) -> FarmResult<IntakeOutcome> {
        let e = &new.event;
        let id = job_id_for(e);
        let source = source_str(e.source);
        let status = status_str(e.status);
        let revision = i64::from(e.revision);
        let rank = report_rank(e);
        let mut tx = self.begin().await?;

        if let Some((wid, sha)) = &new.webhook {
            let seen = sqlx::query(
                "SELECT body_sha256, job_id FROM webhook_messages WHERE webhook_id = $1",
            )
            .bind(wid)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(row) = seen {
                let seen_sha: String = row.try_get("body_sha256")?;
                let job_id: String = row.try_get("job_id")?;
                tx.rollback().await?;
                if &seen_sha != sha {
                    return Ok(IntakeOutcome::WebhookIdReused {
                        webhook_id: wid.clone(),
                        job_id,
                    });
                }
                let job = self.job(&job_id).await?.ok_or_else(|| {
                    FarmError::Corrupt(format!("webhook {wid} points at missing job {job_id}"))
                })?;
                return Ok(IntakeOutcome::Duplicate { job });
            }
        }

        // Lock (or create) the event's head row: concurrent reports of one event queue here.
        let head = sqlx::query(
            "INSERT INTO event_heads (source, event_id, head_job_id, head_rank) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (source, event_id) DO UPDATE SET head_rank = event_heads.head_rank \
             RETURNING head_job_id, head_rank",
        )
        .bind(source)
        .bind(&e.event_id)
        .bind(&id)
        .bind(rank)
        .fetch_one(&mut *tx)
        .await?;
        let head_job: String = head.try_get("head_job_id")?;
        let head_rank: i64 = head.try_get("head_rank")?;

        let existing: Option<String> = sqlx::query_scalar(
            "SELECT job_id FROM events WHERE source = $1 AND event_id = $2 AND report_status = $3 AND revision = $4",
        )
        .bind(source)
        .bind(&e.event_id)
        .bind(status)
        .bind(revision)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(job_id) = existing {
            if let Some((wid, sha)) = &new.webhook {
                insert_webhook(&mut tx, wid, sha, &job_id, now).await?;
            }
            tx.commit().await?;
            let job = self.job(&job_id).await?.ok_or_else(|| {
                FarmError::Corrupt(format!("events row points at missing job {job_id}"))
            })?;
            return Ok(IntakeOutcome::Duplicate { job });
        }
        if head_rank > rank {
            tx.rollback().await?;
            let newer = self.job(&head_job).await?.ok_or_else(|| {
                FarmError::Corrupt(format!("event head points at missing job {head_job}"))
            })?;
            return Ok(IntakeOutcome::Stale { newer });
        }
        if head_job != id {
            sqlx::query(
                "UPDATE event_heads SET head_job_id = $1, head_rank = $2 WHERE source = $3 AND event_id = $4",
            )
            .bind(&id)
            .bind(rank)
            .bind(source)
            .bind(&e.event_id)
            .execute(&mut *tx)
            .await?;
        }

        let event_json = serde_json::to_string(e).map_err(|e| FarmError::Other(e.to_string()))?;
        let settings_json =
            serde_json::to_string(&new.settings).map_err(|e| FarmError::Other(e.to_string()))?;
        sqlx::query(
            "INSERT INTO jobs (id, source, event_id, report_status, revision, report_rank, state, \
             format, report, event_json, settings_json, magnitude, auto_approve, with_audio, \
             segments_total, segments_done, received_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, 'queued', $7, $8, $9, $10, $11, $12, $13, $14, 0, $15, $15)",
        )
        .bind(&id)
        .bind(source)
        .bind(&e.event_id)
        .bind(status)
        .bind(revision)
        .bind(rank)
        .bind(&new.format)
        .bind(&new.report)
        .bind(&event_json)
        .bind(&settings_json)
        .bind(e.magnitude)
        .bind(i64::from(new.auto_approve))
        .bind(i64::from(new.settings.audio))
        .bind(new.plan.len() as i64)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO events (source, event_id, report_status, revision, job_id, received_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(source)
        .bind(&e.event_id)
        .bind(status)
        .bind(revision)
        .bind(&id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if let Some((wid, sha)) = &new.webhook {
            insert_webhook(&mut tx, wid, sha, &id, now).await?;
        }
        for seg in &new.plan {
            insert_task(
                &mut tx,
                &format!("{id}-s{:04}", seg.index),
                &id,
                TaskKind::Segment,
                (
                    i64::from(seg.index),
                    i64::from(seg.start),
                    i64::from(seg.end),
                ),
                RENDER_MAX_ATTEMPTS,
                now,
            )
            .await?;
        }
        if new.settings.audio {
            insert_task(
                &mut tx,
                &format!("{id}-audio"),
                &id,
                TaskKind::Audio,
                (0, 0, 0),
                RENDER_MAX_ATTEMPTS,
                now,
            )
            .await?;
        }
        audit(
            &mut tx,
            &id,
            "intake",
            "received",
            None,
            Some(&format!("{} {status} r{revision}", new.format)),
            now,
        )
        .await?;

        // Supersede the lower-ranked jobs of the same event that are still live.
        let older = sqlx::query(
            "SELECT id, state FROM jobs WHERE source = $1 AND event_id = $2 AND report_rank < $3 \
             AND state NOT IN ('superseded', 'rejected', 'failed')",
        )
        .bind(source)
        .bind(&e.event_id)
        .bind(rank)
        .fetch_all(&mut *tx)
        .await?;
        let mut superseded = Vec::new();
        for row in older {
            let old_id: String = row.try_get("id")?;
            let old_state = JobState::parse(&row.try_get::<String, _>("state")?)?;
            let reason = format!("superseded by {status} revision {revision} (job {id})");
            if old_state == JobState::Pushed {
                // Already delivered: keep the state, record what replaced it.
                sqlx::query("UPDATE jobs SET superseded_by = $1, updated_at = $2 WHERE id = $3")
                    .bind(&id)
                    .bind(now)
                    .bind(&old_id)
                    .execute(&mut *tx)
                    .await?;
            } else {
                sqlx::query(
                    "UPDATE jobs SET state = 'superseded', superseded_by = $1, reason = $2, updated_at = $3 WHERE id = $4",
                )
                .bind(&id)
                .bind(&reason)
                .bind(now)
                .bind(&old_id)
                .execute(&mut *tx)
                .await?;
                cancel_tasks(&mut tx, &old_id, now).await?;
            }
            audit(
                &mut tx,
                &old_id,
                "intake",
                "superseded",
                Some(&reason),
                None,
                now,
            )
            .await?;
            superseded.push(old_id);
        }
        tx.commit().await?;
        let job = self
            .job(&id)
            .await?
            .ok_or_else(|| FarmError::Corrupt(format!("job {id} vanished after insert")))?;
        Ok(IntakeOutcome::Created { job, superseded })
    }

    // ---- reads -----------------------------------------------------------------------------

    pub async fn job(&self, id: &str) -> FarmResult<Option<JobRow>> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {JOB_COLUMNS} FROM jobs WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(job_from_row).transpose()
    }

    /// Jobs in `state`, oldest first.
    pub async fn jobs_in_state(&self, state: JobState, limit: i64) -> FarmResult<Vec<JobRow>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {JOB_COLUMNS} FROM jobs WHERE state = $1 ORDER BY received_at, id LIMIT $2"
        )))
        .bind(state.as_str())
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(job_from_row).collect()
    }

    /// Most recent jobs first.
    pub async fn recent_jobs(&self, limit: i64) -> FarmResult<Vec<JobRow>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {JOB_COLUMNS} FROM jobs ORDER BY received_at DESC, id LIMIT $1"
        )))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(job_from_row).collect()
    }

    pub async fn tasks(&self, job_id: &str) -> FarmResult<Vec<TaskRow>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {TASK_COLUMNS} FROM tasks WHERE job_id = $1 ORDER BY kind, seg_index"
        )))
        .bind(job_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(task_from_row).collect()
    }

    pub async fn task(&self, task_id: &str) -> FarmResult<Option<TaskRow>> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {TASK_COLUMNS} FROM tasks WHERE id = $1"
        )))
        .bind(task_id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(task_from_row).transpose()
    }

    pub async fn audit_log(&self, job_id: &str) -> FarmResult<Vec<AuditRow>> {
        let rows = sqlx::query(
            "SELECT id, at, job_id, actor, action, reason, detail FROM audit_log WHERE job_id = $1 ORDER BY at, id",
        )
        .bind(job_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(AuditRow {
                    id: r.try_get("id")?,
                    at: r.try_get("at")?,
                    job_id: r.try_get("job_id")?,
                    actor: r.try_get("actor")?,
                    action: r.try_get("action")?,
                    reason: r.try_get("reason")?,
                    detail: r.try_get("detail")?,
                })
            })
            .collect()
    }

    pub async fn push_delivery(&self, job_id: &str) -> FarmResult<Option<PushRow>> {
        let row = sqlx::query(
            "SELECT job_id, idempotency_key, url, state, attempts, last_status, last_error, payload, \
             created_at, delivered_at FROM push_deliveries WHERE job_id = $1",
        )
        .bind(job_id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(PushRow {
                job_id: r.try_get("job_id")?,
                idempotency_key: r.try_get("idempotency_key")?,
                url: r.try_get("url")?,
                state: r.try_get("state")?,
                attempts: r.try_get("attempts")?,
                last_status: r.try_get("last_status")?,
                last_error: r.try_get("last_error")?,
                payload: r.try_get("payload")?,
                created_at: r.try_get("created_at")?,
                delivered_at: r.try_get("delivered_at")?,
            })
        })
        .transpose()
    }

    /// Tasks waiting or running, per kind and state (the queue depth metric).
    pub async fn queue_depth(&self) -> FarmResult<Vec<(String, String, i64)>> {
        let rows = sqlx::query(
            "SELECT kind, state, COUNT(*) AS n FROM tasks WHERE state IN ('pending', 'leased') \
             GROUP BY kind, state ORDER BY kind, state",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("kind")?, r.try_get("state")?, r.try_get("n")?)))
            .collect()
    }

    /// Jobs per state.
    pub async fn job_counts(&self) -> FarmResult<Vec<(String, i64)>> {
        let rows =
            sqlx::query("SELECT state, COUNT(*) AS n FROM jobs GROUP BY state ORDER BY state")
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("state")?, r.try_get("n")?)))
            .collect()
    }

    /// A cheap round trip, for the health endpoint.
    pub async fn ping(&self) -> FarmResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    // ---- the queue -------------------------------------------------------------------------

    /// Lease the next runnable task of `kinds` to `owner` for `ttl_ms`.
    pub async fn claim(
        &self,
        owner: &str,
        kinds: &[TaskKind],
        ttl_ms: i64,
        now: i64,
    ) -> FarmResult<Option<Lease>> {
        if kinds.is_empty() {
            return Ok(None);
        }
        let sql = self.dialect.claim_sql(kinds.len());
        let expires_at = now + ttl_ms;
        let mut q = sqlx::query(AssertSqlSafe(sql))
            .bind(owner)
            .bind(expires_at)
            .bind(now);
        for k in kinds {
            q = q.bind(k.as_str());
        }
        let Some(row) = q.fetch_optional(&self.pool).await? else {
            return Ok(None);
        };
        let lease = Lease {
            task_id: row.try_get("id")?,
            job_id: row.try_get("job_id")?,
            kind: TaskKind::parse(&row.try_get::<String, _>("kind")?)?,
            seg_index: row.try_get("seg_index")?,
            frame_start: row.try_get("frame_start")?,
            frame_end: row.try_get("frame_end")?,
            owner: owner.to_string(),
            token: row.try_get("lease_token")?,
            attempts: row.try_get("attempts")?,
            expires_at,
        };
        if matches!(lease.kind, TaskKind::Segment | TaskKind::Audio) {
            sqlx::query(
                "UPDATE jobs SET state = 'rendering', render_started_at = COALESCE(render_started_at, $1), \
                 updated_at = $1 WHERE id = $2 AND state = 'queued'",
            )
            .bind(now)
            .bind(&lease.job_id)
            .execute(&self.pool)
            .await?;
        }
        Ok(Some(lease))
    }

    /// Extend a lease; false when it was lost (expired, re-claimed or cancelled).
    pub async fn renew(&self, lease: &mut Lease, ttl_ms: i64, now: i64) -> FarmResult<bool> {
        let expires_at = now + ttl_ms;
        let n = sqlx::query(
            "UPDATE tasks SET lease_expires_at = $1, updated_at = $2 WHERE id = $3 AND lease_token = $4 \
             AND state = 'leased' AND lease_expires_at >= $2",
        )
        .bind(expires_at)
        .bind(now)
        .bind(&lease.task_id)
        .bind(lease.token)
        .execute(&self.pool)
        .await?
        .rows_affected();
        if n == 1 {
            lease.expires_at = expires_at;
        }
        Ok(n == 1)
    }

    /// Mark a leased task done with its result and move the job on. Fenced: returns false and
    /// changes nothing when the lease is no longer held (expired, re-claimed, cancelled).
    pub async fn complete(
        &self,
        lease: &Lease,
        result: &serde_json::Value,
        now: i64,
    ) -> FarmResult<bool> {
        let mut tx = self.begin().await?;
        // Lock the job row first: completions of one job's tasks serialise here.
        let job_state: Option<String> =
            sqlx::query_scalar("UPDATE jobs SET updated_at = $1 WHERE id = $2 RETURNING state")
                .bind(now)
                .bind(&lease.job_id)
                .fetch_optional(&mut *tx)
                .await?;
        let Some(job_state) = job_state else {
            tx.rollback().await?;
            return Ok(false);
        };
        let job_state = JobState::parse(&job_state)?;
        let n = sqlx::query(
            "UPDATE tasks SET state = 'done', result_json = $1, done_at = $2, updated_at = $2 \
             WHERE id = $3 AND lease_token = $4 AND state = 'leased' AND lease_expires_at >= $2",
        )
        .bind(result.to_string())
        .bind(now)
        .bind(&lease.task_id)
        .bind(lease.token)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n != 1 {
            tx.rollback().await?;
            return Ok(false);
        }
        match lease.kind {
            TaskKind::Segment | TaskKind::Audio => {
                let done: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM tasks WHERE job_id = $1 AND kind = 'segment' AND state = 'done'",
                )
                .bind(&lease.job_id)
                .fetch_one(&mut *tx)
                .await?;
                let waiting: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM tasks WHERE job_id = $1 AND kind IN ('segment', 'audio') AND state <> 'done'",
                )
                .bind(&lease.job_id)
                .fetch_one(&mut *tx)
                .await?;
                sqlx::query("UPDATE jobs SET segments_done = $1 WHERE id = $2")
                    .bind(done)
                    .bind(&lease.job_id)
                    .execute(&mut *tx)
                    .await?;
                if waiting == 0 && !job_state.is_final() {
                    sqlx::query("UPDATE jobs SET rendered_at = $1 WHERE id = $2")
                        .bind(now)
                        .bind(&lease.job_id)
                        .execute(&mut *tx)
                        .await?;
                    insert_task(
                        &mut tx,
                        &format!("{}-stitch", lease.job_id),
                        &lease.job_id,
                        TaskKind::Stitch,
                        (0, 0, 0),
                        RENDER_MAX_ATTEMPTS,
                        now,
                    )
                    .await?;
                }
            }
            TaskKind::Stitch => {
                let auto: i64 = sqlx::query_scalar("SELECT auto_approve FROM jobs WHERE id = $1")
                    .bind(&lease.job_id)
                    .fetch_one(&mut *tx)
                    .await?;
                let next = if auto != 0 {
                    "approved"
                } else {
                    "awaiting_review"
                };
                let n = sqlx::query(
                    "UPDATE jobs SET state = $1, result_json = $2, ready_at = $3, \
                     decided_at = CASE WHEN $1 = 'approved' THEN $3 ELSE decided_at END \
                     WHERE id = $4 AND state IN ('queued', 'rendering')",
                )
                .bind(next)
                .bind(result.to_string())
                .bind(now)
                .bind(&lease.job_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if n == 1 && auto != 0 {
                    audit(
                        &mut tx,
                        &lease.job_id,
                        "policy",
                        "approve",
                        Some("auto-approval policy"),
                        None,
                        now,
                    )
                    .await?;
                    insert_push_task(&mut tx, &lease.job_id, now).await?;
                }
            }
            TaskKind::Push => {
                let skipped = result.get("skipped").is_some();
                if !skipped {
                    sqlx::query(
                        "UPDATE jobs SET state = 'pushed', pushed_at = $1 WHERE id = $2 AND state = 'approved'",
                    )
                    .bind(now)
                    .bind(&lease.job_id)
                    .execute(&mut *tx)
                    .await?;
                    sqlx::query(
                        "UPDATE push_deliveries SET state = 'delivered', delivered_at = $1 WHERE job_id = $2",
                    )
                    .bind(now)
                    .bind(&lease.job_id)
                    .execute(&mut *tx)
                    .await?;
                    audit(
                        &mut tx,
                        &lease.job_id,
                        "pusher",
                        "pushed",
                        None,
                        Some(&result.to_string()),
                        now,
                    )
                    .await?;
                }
            }
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Give a leased task back after an error: retried after `backoff_ms` while it has attempts
    /// left and the error is retryable, else failed (and its job with it). Fenced like
    /// [`Db::complete`].
    pub async fn fail(
        &self,
        lease: &Lease,
        error: &str,
        retryable: bool,
        backoff_ms: i64,
        now: i64,
    ) -> FarmResult<bool> {
        let mut tx = self.begin().await?;
        sqlx::query("UPDATE jobs SET updated_at = $1 WHERE id = $2")
            .bind(now)
            .bind(&lease.job_id)
            .execute(&mut *tx)
            .await?;
        let max: Option<i64> = sqlx::query_scalar(
            "SELECT max_attempts FROM tasks WHERE id = $1 AND lease_token = $2 AND state = 'leased'",
        )
        .bind(&lease.task_id)
        .bind(lease.token)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(max) = max else {
            tx.rollback().await?;
            return Ok(false);
        };
        let retry = retryable && lease.attempts < max;
        let n = sqlx::query(
            "UPDATE tasks SET state = $1, not_before = $2, last_error = $3, lease_owner = NULL, updated_at = $4 \
             WHERE id = $5 AND lease_token = $6 AND state = 'leased' AND lease_expires_at >= $4",
        )
        .bind(if retry { "pending" } else { "failed" })
        .bind(now + backoff_ms)
        .bind(error)
        .bind(now)
        .bind(&lease.task_id)
        .bind(lease.token)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n != 1 {
            tx.rollback().await?;
            return Ok(false);
        }
        if !retry {
            let reason = format!(
                "{} task {} failed after {} attempt(s): {error}",
                lease.kind.as_str(),
                lease.task_id,
                lease.attempts
            );
            fail_job(&mut tx, &lease.job_id, &reason, now).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Fail the tasks whose lease expired on their last attempt (their workers died every
    /// time), and their jobs. Returns how many.
    pub async fn reap_expired(&self, now: i64) -> FarmResult<u64> {
        let rows = sqlx::query(
            "SELECT id, job_id, kind, attempts, last_error FROM tasks WHERE state = 'leased' \
             AND lease_expires_at < $1 AND attempts >= max_attempts",
        )
        .bind(now)
        .fetch_all(&self.pool)
        .await?;
        let mut reaped = 0;
        for row in rows {
            let id: String = row.try_get("id")?;
            let job_id: String = row.try_get("job_id")?;
            let kind: String = row.try_get("kind")?;
            let attempts: i64 = row.try_get("attempts")?;
            let last: Option<String> = row.try_get("last_error")?;
            let mut tx = self.begin().await?;
            let n = sqlx::query(
                "UPDATE tasks SET state = 'failed', updated_at = $1, last_error = $2 WHERE id = $3 \
                 AND state = 'leased' AND lease_expires_at < $1 AND attempts >= max_attempts",
            )
            .bind(now)
            .bind("lease expired on the last attempt (worker lost)")
            .bind(&id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 1 {
                let reason = format!(
                    "{kind} task {id}: lease expired on attempt {attempts} of {attempts} (worker lost){}",
                    last.map(|l| format!("; last error: {l}")).unwrap_or_default()
                );
                fail_job(&mut tx, &job_id, &reason, now).await?;
                reaped += 1;
            }
            tx.commit().await?;
        }
        Ok(reaped)
    }

    // ---- review and push -------------------------------------------------------------------

    /// Apply a reviewer's decision to a job awaiting review, with its audit row; approval queues
    /// the push.
    pub async fn decide(
        &self,
        job_id: &str,
        actor: &str,
        decision: Decision,
        reason: Option<&str>,
        now: i64,
    ) -> Result<JobRow, DecideError> {
        let mut tx = self.begin().await.map_err(DecideError::Db)?;
        let state: Option<String> = sqlx::query_scalar("SELECT state FROM jobs WHERE id = $1")
            .bind(job_id)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(state) = state else {
            return Err(DecideError::NotFound);
        };
        let state = JobState::parse(&state)?;
        let next = match decision {
            Decision::Approve => JobState::Approved,
            Decision::Reject => JobState::Rejected,
        };
        let n = sqlx::query(
            "UPDATE jobs SET state = $1, reviewer = $2, review_reason = $3, decided_at = $4, \
             reason = CASE WHEN $1 = 'rejected' THEN $3 ELSE reason END, updated_at = $4 \
             WHERE id = $5 AND state = 'awaiting_review'",
        )
        .bind(next.as_str())
        .bind(actor)
        .bind(reason)
        .bind(now)
        .bind(job_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n != 1 {
            return Err(DecideError::WrongState(state));
        }
        let action = match decision {
            Decision::Approve => "approve",
            Decision::Reject => "reject",
        };
        audit(&mut tx, job_id, actor, action, reason, None, now).await?;
        if decision == Decision::Approve {
            insert_push_task(&mut tx, job_id, now).await?;
        }
        tx.commit().await?;
        self.job(job_id)
            .await?
            .ok_or_else(|| DecideError::Db(FarmError::Corrupt(format!("job {job_id} vanished"))))
    }

    /// Record one push attempt (creating the delivery row on the first).
    #[allow(clippy::too_many_arguments)] // one row's columns
    pub async fn record_push_attempt(
        &self,
        job_id: &str,
        idempotency_key: &str,
        url: &str,
        payload: &str,
        status: Option<i64>,
        error: Option<&str>,
        now: i64,
    ) -> FarmResult<()> {
        sqlx::query(
            "INSERT INTO push_deliveries (job_id, idempotency_key, url, state, attempts, last_status, \
             last_error, payload, created_at) VALUES ($1, $2, $3, 'pending', 1, $4, $5, $6, $7) \
             ON CONFLICT (job_id) DO UPDATE SET attempts = push_deliveries.attempts + 1, \
             last_status = $4, last_error = $5, url = $3",
        )
        .bind(job_id)
        .bind(idempotency_key)
        .bind(url)
        .bind(status)
        .bind(error)
        .bind(payload)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Write an audit row outside any other change (e.g. a refused decision).
    pub async fn audit(
        &self,
        job_id: &str,
        actor: &str,
        action: &str,
        reason: Option<&str>,
        detail: Option<&str>,
        now: i64,
    ) -> FarmResult<()> {
        let mut tx = self.begin().await?;
        audit(&mut tx, job_id, actor, action, reason, detail, now).await?;
        tx.commit().await?;
        Ok(())
    }
}

async fn insert_webhook(
    tx: &mut Tx,
    wid: &str,
    sha: &str,
    job_id: &str,
    now: i64,
) -> FarmResult<()> {
    sqlx::query(
        "INSERT INTO webhook_messages (webhook_id, body_sha256, job_id, received_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (webhook_id) DO NOTHING",
    )
    .bind(wid)
    .bind(sha)
    .bind(job_id)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn insert_task(
    tx: &mut Tx,
    id: &str,
    job_id: &str,
    kind: TaskKind,
    (index, start, end): (i64, i64, i64),
    max_attempts: i64,
    now: i64,
) -> FarmResult<()> {
    // Segments first (they gate everything), then audio, stitch, push.
    let priority = match kind {
        TaskKind::Segment => 1,
        TaskKind::Audio => 2,
        TaskKind::Stitch => 0,
        TaskKind::Push => 0,
    };
    sqlx::query(
        "INSERT INTO tasks (id, job_id, kind, seg_index, frame_start, frame_end, state, priority, \
         max_attempts, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $8, $9, $9) \
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(id)
    .bind(job_id)
    .bind(kind.as_str())
    .bind(index)
    .bind(start)
    .bind(end)
    .bind(priority)
    .bind(max_attempts)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn insert_push_task(tx: &mut Tx, job_id: &str, now: i64) -> FarmResult<()> {
    insert_task(
        tx,
        &format!("{job_id}-push"),
        job_id,
        TaskKind::Push,
        (0, 0, 0),
        PUSH_MAX_ATTEMPTS,
        now,
    )
    .await
}

async fn cancel_tasks(tx: &mut Tx, job_id: &str, now: i64) -> FarmResult<()> {
    sqlx::query(
        "UPDATE tasks SET state = 'cancelled', updated_at = $1 WHERE job_id = $2 AND state IN ('pending', 'leased')",
    )
    .bind(now)
    .bind(job_id)
    .execute(&mut **tx)
    .await?;
    sqlx::query(
        "UPDATE push_deliveries SET state = 'cancelled' WHERE job_id = $1 AND state = 'pending'",
    )
    .bind(job_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn fail_job(tx: &mut Tx, job_id: &str, reason: &str, now: i64) -> FarmResult<()> {
    let n = sqlx::query(
        "UPDATE jobs SET state = 'failed', reason = $1, updated_at = $2 WHERE id = $3 \
         AND state NOT IN ('pushed', 'rejected', 'superseded', 'failed')",
    )
    .bind(reason)
    .bind(now)
    .bind(job_id)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if n == 1 {
        cancel_tasks(tx, job_id, now).await?;
        audit(tx, job_id, "farm", "failed", Some(reason), None, now).await?;
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)] // one row's columns
async fn audit(
    tx: &mut Tx,
    job_id: &str,
    actor: &str,
    action: &str,
    reason: Option<&str>,
    detail: Option<&str>,
    now: i64,
) -> FarmResult<()> {
    sqlx::query(
        "INSERT INTO audit_log (id, at, job_id, actor, action, reason, detail) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(new_id("a"))
    .bind(now)
    .bind(job_id)
    .bind(actor)
    .bind(action)
    .bind(reason)
    .bind(detail)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Split a migration into statements: comment lines dropped, `;` at a line end separates.
fn split_sql(sql: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for line in sql.lines() {
        let t = line.trim();
        if t.is_empty() || t.starts_with("--") {
            continue;
        }
        let code = match line.find("--") {
            Some(i) => &line[..i],
            None => line,
        };
        cur.push_str(code);
        cur.push('\n');
        if code.trim_end().ends_with(';') {
            let stmt = cur.trim().trim_end_matches(';').trim().to_string();
            if !stmt.is_empty() {
                out.push(stmt);
            }
            cur.clear();
        }
    }
    if !cur.trim().is_empty() {
        out.push(cur.trim().to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migration_splits_into_statements() {
        let stmts = split_sql(MIGRATIONS[0].2);
        assert!(stmts.len() >= 10, "{}", stmts.len());
        assert!(stmts.iter().all(|s| s.starts_with("CREATE")), "{stmts:?}");
        assert!(stmts.iter().all(|s| !s.contains(';')));
    }
}
