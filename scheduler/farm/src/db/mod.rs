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
//!
//! One type, [`Db`], with its methods by concern: [`intake`] (reports), [`lease`] (the work queue:
//! claim, renew, complete, fail, reap), [`review`] (decisions), [`push`] (push and retraction
//! deliveries), [`withdraw`] (withdrawals), [`audit`] (the audit log), [`read`] (queries for
//! jobs and tasks); connecting, migrating and the helpers they share are here. The job state
//! transitions are guarded with the states [`super::state`] allows ([`state_guard`]).
mod audit;
mod intake;
mod lease;
mod push;
mod read;
mod review;
mod withdraw;

use std::sync::atomic::{AtomicU64, Ordering};

use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, AssertSqlSafe};

use super::dialect::{redact, Dialect};
use super::error::{FarmError, FarmResult};
use super::model::TaskKind;
use super::state::JobEvent;

pub use intake::{IntakeOutcome, NewJob};
pub use review::DecideError;
pub use withdraw::{retract_task_id, withdrawal_key, NewWithdrawal, WithdrawOutcome};

use audit::audit;

/// The migrations in `scheduler/migrations/` (`NNNN_name.sql`), embedded at build time and run by
/// sqlx's migrator over `sqlx::Any`: it records them in `_sqlx_migrations` (version, checksum),
/// holds a PostgreSQL advisory lock while migrating, runs each file in one transaction and
/// refuses to start when an applied file was edited. Both files are plain SQL both databases
/// accept (no dialect-specific parts), so one set serves SQLite and PostgreSQL.
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// The table the farm recorded its migrations in before it used sqlx's migrator.
const LEGACY_MIGRATIONS_TABLE: &str = "farm_migrations";

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

/// A process-unique id for rows that have no natural key (audit rows).
pub fn new_id(prefix: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let now = quakecast_core::clock::now();
    let seed = format!(
        "{}-{}-{}-{:?}",
        now.timestamp_nanos_opt().unwrap_or_default(),
        std::process::id(),
        n,
        std::thread::current().id()
    );
    format!(
        "{prefix}{}",
        &quakecast_core::store::sha256_hex(seed.as_bytes())[..20]
    )
}

/// Unix milliseconds now (through the one clock module).
pub fn now_ms() -> i64 {
    quakecast_core::clock::now().timestamp_millis()
}

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
        self.adopt_legacy_migrations().await?;
        MIGRATOR.run(&self.pool).await.map_err(sqlx::Error::from)?;
        tracing::info!(
            dialect = self.dialect.name(),
            latest = MIGRATOR.iter().map(|m| m.version).max(),
            "migrated"
        );
        Ok(())
    }

    /// A database migrated by the farm's earlier runner (`farm_migrations`): the versions it
    /// applied are marked applied in `_sqlx_migrations` without running them again (sqlx's
    /// `Migrator::skip`, under the same lock as a run). Idempotent: it runs at every start and
    /// changes nothing once adopted. `farm_migrations` is kept, and no longer written.
    async fn adopt_legacy_migrations(&self) -> FarmResult<()> {
        let exists: i64 = sqlx::query_scalar(AssertSqlSafe(self.dialect.table_exists_sql()))
            .bind(LEGACY_MIGRATIONS_TABLE)
            .fetch_one(&self.pool)
            .await?;
        if exists == 0 {
            return Ok(());
        }
        let applied: Option<i64> = sqlx::query_scalar(AssertSqlSafe(format!(
            "SELECT MAX(version) FROM {LEGACY_MIGRATIONS_TABLE}"
        )))
        .fetch_one(&self.pool)
        .await?;
        if let Some(version) = applied {
            MIGRATOR
                .skip(&self.pool, Some(version))
                .await
                .map_err(sqlx::Error::from)?;
        }
        Ok(())
    }
}

/// How long a webhook message id is remembered, ms. A message is accepted only within
/// [`crate::webhook::DEFAULT_TOLERANCE_SECS`] of its timestamp, before or after, so a replay is
/// refused by its timestamp after twice that; an hour is well past it (and past clock skew).
pub const WEBHOOK_RETENTION_MS: i64 = 3_600_000;
// A replay must still be recognised while its timestamp is accepted.
const _: () = assert!(WEBHOOK_RETENTION_MS > 2 * 1000 * crate::webhook::DEFAULT_TOLERANCE_SECS);

impl Db {
    /// Forget the webhook message ids received before `now - WEBHOOK_RETENTION_MS` (past the
    /// replay window); the number removed. Run by every process's reaper.
    pub async fn prune_webhook_messages(&self, now: i64) -> FarmResult<u64> {
        Ok(
            sqlx::query("DELETE FROM webhook_messages WHERE received_at < $1")
                .bind(now.saturating_sub(WEBHOOK_RETENTION_MS))
                .execute(&self.pool)
                .await?
                .rows_affected(),
        )
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

/// `state IN ('queued', …)`: the job states `event` is legal from ([`JobEvent::from_states`]),
/// the guard of the statement that applies it, so the SQL cannot drift from
/// [`super::state::next`]. The states are `JobState::as_str` literals, never input.
pub(super) fn state_guard(event: JobEvent) -> String {
    let states: Vec<String> = event
        .from_states()
        .iter()
        .map(|s| format!("'{}'", s.as_str()))
        .collect();
    format!("state IN ({})", states.join(", "))
}

#[cfg(test)]
mod tests {
    use super::super::model::{Decision, JobState};
    use super::*;

    #[test]
    fn migrations_are_embedded_in_order() {
        let found: Vec<(i64, &str)> = MIGRATOR
            .iter()
            .map(|m| (m.version, &*m.description))
            .collect();
        assert_eq!(found, [(1, "farm"), (2, "withdrawals"), (3, "report rank")]);
        let sql: Vec<&str> = MIGRATOR.iter().map(|m| m.sql.as_str()).collect();
        assert!(sql[0].contains("CREATE TABLE jobs"), "{}", sql[0]);
        assert!(sql[1].contains("CREATE TABLE withdrawals"));
        assert!(sql[1].contains("CREATE TABLE retractions"));
        assert!(sql[2].contains("4294967296"), "official = 2^32 + revision");
        assert!(
            MIGRATOR.iter().all(|m| !m.no_tx),
            "each file runs in one transaction"
        );
    }

    /// A SQLite database as the farm's earlier runner left it: the first `legacy` migrations
    /// applied and recorded in `farm_migrations`, no `_sqlx_migrations`.
    async fn legacy_database(url: &str, legacy: usize) -> AnyPool {
        sqlx::any::install_default_drivers();
        let pool = AnyPoolOptions::new()
            .max_connections(1)
            .connect(url)
            .await
            .expect("connect");
        sqlx::query(
            "CREATE TABLE farm_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, \
             applied_at BIGINT NOT NULL)",
        )
        .execute(&pool)
        .await
        .expect("legacy table");
        for m in MIGRATOR.iter().take(legacy) {
            sqlx::query(AssertSqlSafe(m.sql.as_str()))
                .execute(&pool)
                .await
                .expect("legacy migration");
            sqlx::query("INSERT INTO farm_migrations VALUES ($1, $2, 0)")
                .bind(m.version)
                .bind(&*m.description)
                .execute(&pool)
                .await
                .expect("legacy row");
        }
        pool
    }

    async fn recorded(db: &Db) -> Vec<(i64, bool)> {
        // `success` is a BOOLEAN, which `sqlx::Any` does not decode from SQLite.
        let rows: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT version, CASE WHEN success THEN 1 ELSE 0 END FROM _sqlx_migrations \
             ORDER BY version",
        )
        .fetch_all(db.pool())
        .await
        .expect("_sqlx_migrations");
        rows.into_iter().map(|(v, ok)| (v, ok == 1)).collect()
    }

    #[tokio::test]
    async fn databases_of_the_earlier_runner_are_adopted() {
        let dir = tempfile::tempdir().expect("tempdir");
        for legacy in 0..=MIGRATOR.iter().count() {
            let url = format!("sqlite://{}/legacy{legacy}.db", dir.path().display());
            let pool = legacy_database(&format!("{url}?mode=rwc"), legacy).await;
            pool.close().await;
            // Twice: the second start finds everything adopted and applied.
            for _ in 0..2 {
                let db = Db::connect(&url).await.expect("connect adopts");
                assert_eq!(
                    recorded(&db).await,
                    [(1, true), (2, true), (3, true)],
                    "{legacy}"
                );
                let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM retractions")
                    .fetch_one(db.pool())
                    .await
                    .expect("every table exists");
                assert_eq!(n, 0);
                db.pool().close().await;
            }
        }
    }

    #[tokio::test]
    async fn webhook_ids_are_pruned_past_the_replay_window() {
        let db = Db::connect("sqlite::memory:").await.expect("connect");
        let mut tx = db.begin().await.expect("tx");
        insert_webhook(&mut tx, "old", "sha", "j1", 1_000)
            .await
            .expect("old");
        insert_webhook(&mut tx, "new", "sha", "j1", 1_000 + WEBHOOK_RETENTION_MS)
            .await
            .expect("new");
        tx.commit().await.expect("commit");
        let now = 2_000 + WEBHOOK_RETENTION_MS;
        assert_eq!(db.prune_webhook_messages(now).await.expect("prune"), 1);
        let left: Vec<String> =
            sqlx::query_scalar("SELECT webhook_id FROM webhook_messages ORDER BY webhook_id")
                .fetch_all(db.pool())
                .await
                .expect("rows");
        assert_eq!(left, ["new"]);
    }

    #[tokio::test]
    async fn a_fresh_database_is_migrated_without_the_legacy_table() {
        let db = Db::connect("sqlite::memory:").await.expect("connect");
        assert_eq!(recorded(&db).await, [(1, true), (2, true), (3, true)]);
        let legacy: i64 = sqlx::query_scalar(AssertSqlSafe(db.dialect().table_exists_sql()))
            .bind(LEGACY_MIGRATIONS_TABLE)
            .fetch_one(db.pool())
            .await
            .expect("catalog");
        assert_eq!(legacy, 0);
    }

    /// The job states a statement's `state IN (…)` guard lists (exactly one guard per statement).
    fn guarded_states(sql: &str) -> Vec<JobState> {
        let guards: Vec<&str> = sql
            .match_indices("state IN (")
            .map(|(i, _)| &sql[i..])
            .collect();
        assert_eq!(guards.len(), 1, "{sql}");
        let list = &guards[0]["state IN (".len()..];
        let list = &list[..list.find(')').expect("closing parenthesis")];
        list.split(", ")
            .map(|s| {
                let name = s.strip_prefix('\'').and_then(|s| s.strip_suffix('\''));
                JobState::parse(name.expect("a quoted state")).expect("a job state")
            })
            .collect()
    }

    /// The state a statement writes when it names it (`SET state = '…'`), else `None` (bound).
    fn written_state(sql: &str) -> Option<JobState> {
        let rest = &sql[sql.find("SET state = ")? + "SET state = ".len()..];
        let name = rest.strip_prefix('\'')?;
        Some(JobState::parse(&name[..name.find('\'')?]).expect("a job state"))
    }

    /// Every statement that moves a job by an event, with its event.
    fn transition_statements() -> Vec<(JobEvent, String)> {
        let rendered = |auto_approve| JobEvent::Rendered { auto_approve };
        vec![
            (JobEvent::Claimed, lease::claimed_sql()),
            (rendered(false), lease::rendered_sql()),
            (rendered(true), lease::rendered_sql()),
            (JobEvent::Pushed, lease::pushed_sql()),
            (JobEvent::Failed, lease::failed_sql()),
            (
                review::decision_event(Decision::Approve),
                review::decided_sql(review::decision_event(Decision::Approve)),
            ),
            (
                review::decision_event(Decision::Reject),
                review::decided_sql(review::decision_event(Decision::Reject)),
            ),
            (JobEvent::Superseded, intake::supersedable_sql()),
        ]
    }

    #[test]
    fn sql_guards_are_the_state_machines_sets() {
        for (event, sql) in transition_statements() {
            assert_eq!(
                guarded_states(&sql),
                event.from_states(),
                "{event:?}: {sql}"
            );
            if let Some(written) = written_state(&sql) {
                assert_eq!(written, event.target(), "{event:?}: {sql}");
            }
        }
        // Every event has its guarded statement, except a withdrawal: it reads each job of the
        // event, asks `state::next` and updates with `state = <the state read>`.
        for event in JobEvent::ALL {
            let covered = transition_statements().iter().any(|(e, _)| *e == event);
            assert_eq!(covered, event != JobEvent::Withdrawn, "{event:?}");
        }
    }

    #[test]
    fn guards_keep_the_states_the_hand_written_sql_had() {
        // What the statements said before the state machine existed (`NOT IN` lists included).
        let not_in = |excluded: &[JobState]| -> Vec<JobState> {
            JobState::ALL
                .into_iter()
                .filter(|s| !excluded.contains(s))
                .collect()
        };
        use JobState as S;
        assert_eq!(state_guard(JobEvent::Claimed), "state IN ('queued')");
        assert_eq!(
            state_guard(JobEvent::Rendered {
                auto_approve: false
            }),
            "state IN ('queued', 'rendering')"
        );
        assert_eq!(state_guard(JobEvent::Pushed), "state IN ('approved')");
        assert_eq!(
            state_guard(JobEvent::Approved),
            "state IN ('awaiting_review')"
        );
        assert_eq!(
            state_guard(JobEvent::Rejected),
            "state IN ('awaiting_review')"
        );
        assert_eq!(
            JobEvent::Superseded.from_states(),
            not_in(&[S::Superseded, S::Rejected, S::Failed, S::Withdrawn])
        );
        assert_eq!(
            JobEvent::Failed.from_states(),
            not_in(&[
                S::Pushed,
                S::Rejected,
                S::Superseded,
                S::Failed,
                S::Withdrawn
            ])
        );
        assert_eq!(
            JobEvent::Withdrawn.from_states(),
            [
                S::Queued,
                S::Rendering,
                S::AwaitingReview,
                S::Approved,
                S::Pushed
            ]
        );
    }
}
