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
//! - A withdrawal and a report of the same event lock the event's `event_heads` row first, so one
//!   of them sees the other's result: a report after a withdrawal is refused, a withdrawal after
//!   a report withdraws its job. A pushed job gets exactly one retract task (its id is the job's
//!   id + `-retract`, inserted with `ON CONFLICT DO NOTHING`), however often the withdrawal comes.
use std::sync::atomic::{AtomicU64, Ordering};

use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, AssertSqlSafe, Row};

use super::dialect::{redact, Dialect};
use super::error::{FarmError, FarmResult};
use super::model::{
    job_id_for, report_rank, source_str, status_str, AuditRow, Decision, JobRow, JobSettings,
    JobState, Lease, PushRow, RetractionRow, TaskKind, TaskRow, TaskState, WithdrawalRow,
};
use crate::plan::Segment;

/// Migrations, applied in order and recorded in `farm_migrations`.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "farm", include_str!("../../migrations/0001_farm.sql")),
    (
        2,
        "withdrawals",
        include_str!("../../migrations/0002_withdrawals.sql"),
    ),
];

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
    /// The event was withdrawn (before or after this report was sent); nothing was stored.
    Withdrawn { withdrawal: WithdrawalRow },
}

/// A withdrawal accepted at intake.
#[derive(Clone, Debug)]
pub struct NewWithdrawal {
    pub withdrawal: quakecast_scenes::Withdrawal,
    /// The report as received (UTF-8).
    pub report: String,
    /// The Standard Webhooks message id and the SHA-256 of the body it came with.
    pub webhook: Option<(String, String)>,
}

/// What a withdrawal did.
#[derive(Clone, Debug)]
pub enum WithdrawOutcome {
    Recorded {
        /// False when the event had been withdrawn already (a duplicate or a replay).
        first: bool,
        withdrawal: WithdrawalRow,
        /// Every job of the event, as it is now.
        jobs: Vec<JobRow>,
        /// The jobs this withdrawal closed (cancelled work or review).
        withdrawn: Vec<String>,
        /// The pushed jobs whose retraction this withdrawal queued.
        retracting: Vec<String>,
    },
    /// The webhook id was used before with a different body.
    WebhookIdReused { webhook_id: String, job_id: String },
}

/// The key a withdrawal's webhook message and audit rows are filed under.
pub fn withdrawal_key(source: &str, event_id: &str) -> String {
    format!("withdrawal:{source}:{event_id}")
}

/// The id of a pushed job's one retract task.
pub fn retract_task_id(job_id: &str) -> String {
    format!("{job_id}-retract")
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

        // With the head row locked, a withdrawal of the event is either visible here or waits.
        if let Some(withdrawal) = withdrawal_row(&mut tx, source, &e.event_id).await? {
            tx.rollback().await?;
            return Ok(IntakeOutcome::Withdrawn { withdrawal });
        }

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
             AND state NOT IN ('superseded', 'rejected', 'failed', 'withdrawn')",
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
            TaskKind::Retract => {
                let skipped = result.get("skipped").and_then(|v| v.as_str());
                sqlx::query(
                    "UPDATE retractions SET state = $1, delivered_at = $2 WHERE job_id = $3",
                )
                .bind(if skipped.is_some() {
                    "skipped"
                } else {
                    "delivered"
                })
                .bind(now)
                .bind(&lease.job_id)
                .execute(&mut *tx)
                .await?;
                audit(
                    &mut tx,
                    &lease.job_id,
                    "pusher",
                    if skipped.is_some() {
                        "retraction_skipped"
                    } else {
                        "retracted"
                    },
                    skipped,
                    Some(&result.to_string()),
                    now,
                )
                .await?;
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
        self.record_attempt(
            "push_deliveries",
            job_id,
            idempotency_key,
            url,
            payload,
            status,
            error,
            now,
        )
        .await
    }

    // ---- withdrawals -----------------------------------------------------------------------

    /// Withdraw an event: record the withdrawal (the first one per event; a repeat changes
    /// nothing), close every live job of the event (all statuses and revisions: work cancelled,
    /// review closed) and queue one retraction per job already pushed. An event never seen is
    /// recorded all the same, and its later reports are refused ([`IntakeOutcome::Withdrawn`]).
    pub async fn withdraw(&self, new: &NewWithdrawal, now: i64) -> FarmResult<WithdrawOutcome> {
        let w = &new.withdrawal;
        let source = source_str(w.source);
        let key = withdrawal_key(source, &w.event_id);
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
                if &seen_sha != sha {
                    let job_id: String = row.try_get("job_id")?;
                    tx.rollback().await?;
                    return Ok(WithdrawOutcome::WebhookIdReused {
                        webhook_id: wid.clone(),
                        job_id,
                    });
                }
                // A replay: what follows is idempotent and changes nothing.
            }
        }
        // The event's head row serialises this withdrawal with the event's reports.
        sqlx::query(
            "INSERT INTO event_heads (source, event_id, head_job_id, head_rank) VALUES ($1, $2, '', -1) \
             ON CONFLICT (source, event_id) DO UPDATE SET head_rank = event_heads.head_rank",
        )
        .bind(source)
        .bind(&w.event_id)
        .execute(&mut *tx)
        .await?;
        let first = sqlx::query(
            "INSERT INTO withdrawals (source, event_id, format, reason, report, received_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (source, event_id) DO NOTHING",
        )
        .bind(source)
        .bind(&w.event_id)
        .bind(w.format.name())
        .bind(&w.reason)
        .bind(&new.report)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        let reason = format!(
            "withdrawn by the agency: {} ({})",
            w.reason,
            w.format.name()
        );
        let rows = sqlx::query(
            "SELECT id, state, pushed_at FROM jobs WHERE source = $1 AND event_id = $2 ORDER BY received_at, id",
        )
        .bind(source)
        .bind(&w.event_id)
        .fetch_all(&mut *tx)
        .await?;
        let (mut withdrawn, mut retracting) = (Vec::new(), Vec::new());
        for row in rows {
            let id: String = row.try_get("id")?;
            let state = JobState::parse(&row.try_get::<String, _>("state")?)?;
            let pushed_at: Option<i64> = row.try_get("pushed_at")?;
            match state {
                JobState::Queued
                | JobState::Rendering
                | JobState::AwaitingReview
                | JobState::Approved
                | JobState::Pushed => {
                    let n = sqlx::query(
                        "UPDATE jobs SET state = 'withdrawn', reason = $1, updated_at = $2 \
                         WHERE id = $3 AND state = $4",
                    )
                    .bind(&reason)
                    .bind(now)
                    .bind(&id)
                    .bind(state.as_str())
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                    if n != 1 {
                        continue;
                    }
                    // An approved job whose push is being sent (or was attempted) may have
                    // reached the push service: it is retracted too.
                    let maybe_pushed = state == JobState::Approved
                        && {
                            let n: i64 = sqlx::query_scalar(
                            "SELECT (SELECT COUNT(*) FROM tasks WHERE job_id = $1 AND kind = 'push' \
                             AND state = 'leased') + (SELECT COUNT(*) FROM push_deliveries \
                             WHERE job_id = $1)",
                        )
                        .bind(&id)
                        .fetch_one(&mut *tx)
                        .await?;
                            n > 0
                        };
                    cancel_tasks(&mut tx, &id, now).await?;
                    audit(
                        &mut tx,
                        &id,
                        "withdrawal",
                        "withdrawn",
                        Some(&reason),
                        Some(&format!("was {}", state.as_str())),
                        now,
                    )
                    .await?;
                    withdrawn.push(id.clone());
                    if (state == JobState::Pushed || maybe_pushed)
                        && queue_retraction(&mut tx, &id, &reason, now).await?
                    {
                        retracting.push(id);
                    }
                }
                // Withdrawn before: make sure a pushed one has its retraction (idempotent).
                JobState::Withdrawn if pushed_at.is_some() => {
                    if queue_retraction(&mut tx, &id, &reason, now).await? {
                        retracting.push(id);
                    }
                }
                // Never broadcast: nothing to close or retract.
                JobState::Withdrawn
                | JobState::Superseded
                | JobState::Rejected
                | JobState::Failed => {}
            }
        }
        if let Some((wid, sha)) = &new.webhook {
            insert_webhook(&mut tx, wid, sha, &key, now).await?;
        }
        tx.commit().await?;
        let withdrawal = self
            .withdrawal(source, &w.event_id)
            .await?
            .ok_or_else(|| FarmError::Corrupt(format!("withdrawal {key} vanished")))?;
        let jobs = self.jobs_of_event(source, &w.event_id).await?;
        Ok(WithdrawOutcome::Recorded {
            first,
            withdrawal,
            jobs,
            withdrawn,
            retracting,
        })
    }

    /// A push acknowledged by the service after its job was withdrawn (the withdrawal cancelled
    /// the push task while it was being sent): record the delivery and queue the retraction.
    /// Returns false (nothing changed) when the job is not withdrawn.
    pub async fn push_acknowledged_after_withdrawal(
        &self,
        job_id: &str,
        now: i64,
    ) -> FarmResult<bool> {
        let mut tx = self.begin().await?;
        let state: Option<String> =
            sqlx::query_scalar("UPDATE jobs SET updated_at = $1 WHERE id = $2 RETURNING state")
                .bind(now)
                .bind(job_id)
                .fetch_optional(&mut *tx)
                .await?;
        if state.as_deref() != Some(JobState::Withdrawn.as_str()) {
            tx.rollback().await?;
            return Ok(false);
        }
        sqlx::query("UPDATE jobs SET pushed_at = COALESCE(pushed_at, $1) WHERE id = $2")
            .bind(now)
            .bind(job_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "UPDATE push_deliveries SET state = 'delivered', delivered_at = $1 WHERE job_id = $2",
        )
        .bind(now)
        .bind(job_id)
        .execute(&mut *tx)
        .await?;
        audit(
            &mut tx,
            job_id,
            "pusher",
            "pushed",
            Some("acknowledged after the event was withdrawn"),
            None,
            now,
        )
        .await?;
        queue_retraction(&mut tx, job_id, "pushed while the withdrawal arrived", now).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Record one retraction attempt (creating the row on the first).
    #[allow(clippy::too_many_arguments)] // one row's columns
    pub async fn record_retract_attempt(
        &self,
        job_id: &str,
        idempotency_key: &str,
        url: &str,
        payload: &str,
        status: Option<i64>,
        error: Option<&str>,
        now: i64,
    ) -> FarmResult<()> {
        self.record_attempt(
            "retractions",
            job_id,
            idempotency_key,
            url,
            payload,
            status,
            error,
            now,
        )
        .await
    }

    /// One delivery attempt in `table` (`push_deliveries` or `retractions`: the same columns),
    /// creating the row on the first. `table` is one of those two literals, never input.
    #[allow(clippy::too_many_arguments)] // one row's columns
    async fn record_attempt(
        &self,
        table: &'static str,
        job_id: &str,
        idempotency_key: &str,
        url: &str,
        payload: &str,
        status: Option<i64>,
        error: Option<&str>,
        now: i64,
    ) -> FarmResult<()> {
        let sql = format!(
            "INSERT INTO {table} (job_id, idempotency_key, url, state, attempts, last_status, \
             last_error, payload, created_at) VALUES ($1, $2, $3, 'pending', 1, $4, $5, $6, $7) \
             ON CONFLICT (job_id) DO UPDATE SET attempts = {table}.attempts + 1, \
             last_status = $4, last_error = $5, url = $3"
        );
        sqlx::query(AssertSqlSafe(sql))
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

    pub async fn retraction(&self, job_id: &str) -> FarmResult<Option<RetractionRow>> {
        let row = sqlx::query(
            "SELECT job_id, idempotency_key, url, state, attempts, last_status, last_error, payload, \
             created_at, delivered_at FROM retractions WHERE job_id = $1",
        )
        .bind(job_id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(RetractionRow {
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

    /// The withdrawal of an event, if any.
    pub async fn withdrawal(
        &self,
        source: &str,
        event_id: &str,
    ) -> FarmResult<Option<WithdrawalRow>> {
        let row = sqlx::query(
            "SELECT source, event_id, format, reason, received_at FROM withdrawals \
             WHERE source = $1 AND event_id = $2",
        )
        .bind(source)
        .bind(event_id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| withdrawal_from_row(&r)).transpose()
    }

    /// Every job of an event, oldest first.
    pub async fn jobs_of_event(&self, source: &str, event_id: &str) -> FarmResult<Vec<JobRow>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {JOB_COLUMNS} FROM jobs WHERE source = $1 AND event_id = $2 ORDER BY received_at, id"
        )))
        .bind(source)
        .bind(event_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(job_from_row).collect()
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
) -> FarmResult<bool> {
    // Segments first (they gate everything), then audio; stitch and deliveries at once.
    let priority = match kind {
        TaskKind::Segment => 1,
        TaskKind::Audio => 2,
        TaskKind::Stitch => 0,
        TaskKind::Push => 0,
        TaskKind::Retract => 0,
    };
    let n = sqlx::query(
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
    .await?
    .rows_affected();
    Ok(n == 1)
}

async fn insert_push_task(tx: &mut Tx, job_id: &str, now: i64) -> FarmResult<bool> {
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

/// Queue the retraction of a pushed job (once: a second call changes nothing) with its audit
/// row. Returns whether it was queued now.
async fn queue_retraction(tx: &mut Tx, job_id: &str, reason: &str, now: i64) -> FarmResult<bool> {
    let queued = insert_task(
        tx,
        &retract_task_id(job_id),
        job_id,
        TaskKind::Retract,
        (0, 0, 0),
        PUSH_MAX_ATTEMPTS,
        now,
    )
    .await?;
    if queued {
        audit(
            tx,
            job_id,
            "withdrawal",
            "retraction_queued",
            Some(reason),
            None,
            now,
        )
        .await?;
    }
    Ok(queued)
}

async fn withdrawal_row(
    tx: &mut Tx,
    source: &str,
    event_id: &str,
) -> FarmResult<Option<WithdrawalRow>> {
    let row = sqlx::query(
        "SELECT source, event_id, format, reason, received_at FROM withdrawals          WHERE source = $1 AND event_id = $2",
    )
    .bind(source)
    .bind(event_id)
    .fetch_optional(&mut **tx)
    .await?;
    row.map(|r| withdrawal_from_row(&r)).transpose()
}

fn withdrawal_from_row(r: &AnyRow) -> FarmResult<WithdrawalRow> {
    Ok(WithdrawalRow {
        source: r.try_get("source")?,
        event_id: r.try_get("event_id")?,
        format: r.try_get("format")?,
        reason: r.try_get("reason")?,
        received_at: r.try_get("received_at")?,
    })
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
         AND state NOT IN ('pushed', 'rejected', 'superseded', 'failed', 'withdrawn')",
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

    #[test]
    fn withdrawal_migration_creates_two_tables() {
        let stmts = split_sql(MIGRATIONS[1].2);
        assert_eq!(stmts.len(), 2, "{stmts:?}");
        assert!(stmts[0].starts_with("CREATE TABLE withdrawals"));
        assert!(stmts[1].starts_with("CREATE TABLE retractions"));
        let versions: Vec<i64> = MIGRATIONS.iter().map(|m| m.0).collect();
        assert_eq!(versions, [1, 2]);
    }
}
