//! The work queue: claim a task (a lease), renew it, complete or fail it (fenced by the lease
//! token), and reap the tasks whose workers were lost on their last attempt.
use sqlx::{AssertSqlSafe, Row};

use super::super::error::FarmResult;
use super::super::model::{JobState, Lease, TaskKind};
use super::super::state::JobEvent;
use super::{
    audit, cancel_tasks, insert_push_task, insert_task, state_guard, Db, Tx, RENDER_MAX_ATTEMPTS,
};

impl Db {
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
            sqlx::query(AssertSqlSafe(claimed_sql()))
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
                let rendered = JobEvent::Rendered {
                    auto_approve: auto != 0,
                };
                let n = sqlx::query(AssertSqlSafe(rendered_sql()))
                    .bind(rendered.target().as_str())
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
                    sqlx::query(AssertSqlSafe(pushed_sql()))
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
}

/// [`JobEvent::Claimed`]: a segment or audio task was leased. `$1` now, `$2` the job.
pub(super) fn claimed_sql() -> String {
    let event = JobEvent::Claimed;
    format!(
        "UPDATE jobs SET state = '{}', render_started_at = COALESCE(render_started_at, $1), \
         updated_at = $1 WHERE id = $2 AND {}",
        event.target().as_str(),
        state_guard(event)
    )
}

/// [`JobEvent::Rendered`]: the stitch is done. `$1` the target state (awaiting review, or
/// approved under the auto-approve policy), `$2` the result, `$3` now, `$4` the job.
pub(super) fn rendered_sql() -> String {
    format!(
        "UPDATE jobs SET state = $1, result_json = $2, ready_at = $3, \
         decided_at = CASE WHEN $1 = '{}' THEN $3 ELSE decided_at END \
         WHERE id = $4 AND {}",
        JobState::Approved.as_str(),
        state_guard(JobEvent::Rendered {
            auto_approve: false
        })
    )
}

/// [`JobEvent::Pushed`]: the push service acknowledged it. `$1` now, `$2` the job.
pub(super) fn pushed_sql() -> String {
    let event = JobEvent::Pushed;
    format!(
        "UPDATE jobs SET state = '{}', pushed_at = $1 WHERE id = $2 AND {}",
        event.target().as_str(),
        state_guard(event)
    )
}

/// [`JobEvent::Failed`]: a task is out of attempts. `$1` the reason, `$2` now, `$3` the job.
pub(super) fn failed_sql() -> String {
    let event = JobEvent::Failed;
    format!(
        "UPDATE jobs SET state = '{}', reason = $1, updated_at = $2 WHERE id = $3 AND {}",
        event.target().as_str(),
        state_guard(event)
    )
}

async fn fail_job(tx: &mut Tx, job_id: &str, reason: &str, now: i64) -> FarmResult<()> {
    let n = sqlx::query(AssertSqlSafe(failed_sql()))
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
