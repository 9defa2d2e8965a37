//! Review: a reviewer's decision on a bulletin awaiting review.
use sqlx::AssertSqlSafe;

use super::super::error::FarmError;
use super::super::model::{Decision, JobRow, JobState};
use super::super::state::JobEvent;
use super::{audit, insert_push_task, state_guard, Db};

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

impl Db {
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
        let event = decision_event(decision);
        let n = sqlx::query(AssertSqlSafe(decided_sql(event)))
            .bind(event.target().as_str())
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
}

/// The event a reviewer's decision is.
pub(super) fn decision_event(decision: Decision) -> JobEvent {
    match decision {
        Decision::Approve => JobEvent::Approved,
        Decision::Reject => JobEvent::Rejected,
    }
}

/// [`JobEvent::Approved`] or [`JobEvent::Rejected`]. `$1` the target state, `$2` the reviewer,
/// `$3` the reason, `$4` now, `$5` the job.
pub(super) fn decided_sql(event: JobEvent) -> String {
    format!(
        "UPDATE jobs SET state = $1, reviewer = $2, review_reason = $3, decided_at = $4, \
         reason = CASE WHEN $1 = '{}' THEN $3 ELSE reason END, updated_at = $4 \
         WHERE id = $5 AND {}",
        JobState::Rejected.as_str(),
        state_guard(event)
    )
}
