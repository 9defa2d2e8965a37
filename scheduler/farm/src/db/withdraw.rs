//! Withdrawals: the agency withdrew an event; its live jobs are closed and pushed ones retracted.
use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row};

use super::super::error::{FarmError, FarmResult};
use super::super::model::{source_str, JobRow, JobState, TaskKind, WithdrawalRow};
use super::super::state::{next, JobEvent};
use super::{audit, cancel_tasks, insert_task, insert_webhook, Db, Tx, PUSH_MAX_ATTEMPTS};

/// A withdrawal accepted at intake.
#[derive(Clone, Debug)]
pub struct NewWithdrawal {
    pub withdrawal: quakecast_facts::Withdrawal,
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

impl Db {
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
            match next(state, JobEvent::Withdrawn) {
                // A live or pushed job: closed, if its state is still the one read.
                Ok(to) => {
                    let n = sqlx::query(AssertSqlSafe(format!(
                        "UPDATE jobs SET state = '{}', reason = $1, updated_at = $2 \
                         WHERE id = $3 AND state = $4",
                        to.as_str()
                    )))
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
                Err(_) if state == JobState::Withdrawn && pushed_at.is_some() => {
                    if queue_retraction(&mut tx, &id, &reason, now).await? {
                        retracting.push(id);
                    }
                }
                // Withdrawn, superseded, rejected or failed, never broadcast: nothing to close
                // or retract.
                Err(_) => {}
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
}

/// Queue the retraction of a pushed job (once: a second call changes nothing) with its audit
/// row. Returns whether it was queued now.
pub(super) async fn queue_retraction(
    tx: &mut Tx,
    job_id: &str,
    reason: &str,
    now: i64,
) -> FarmResult<bool> {
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

pub(super) async fn withdrawal_row(
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
