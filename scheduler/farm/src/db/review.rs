//! Review: a reviewer's decision on a bulletin awaiting review.
use sqlx::AssertSqlSafe;

use super::super::error::{FarmError, FarmResult};
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

/// Why an edit of the push copy was not applied.
pub type EditError = DecideError;

impl Db {
    /// What the live review queue watches: the jobs awaiting review with their last change
    /// (`updated_at`), by id. Cheap enough to poll several times a second.
    pub async fn review_stamp(&self) -> FarmResult<Vec<(String, i64)>> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT id, updated_at FROM jobs WHERE state = $1 ORDER BY id LIMIT 500",
        )
        .bind(JobState::AwaitingReview.as_str())
        .fetch_all(&self.pool)
        .await?;
        Ok(rows)
    }

    /// Replace the push copy of a job awaiting review (`copy` is checked by the caller), keeping
    /// the generated one as `push_copy_generated`, with an audit row holding both versions.
    pub async fn edit_push_copy(
        &self,
        job_id: &str,
        actor: &str,
        copy: &serde_json::Value,
        now: i64,
    ) -> Result<JobRow, EditError> {
        let mut tx = self.begin().await.map_err(DecideError::Db)?;
        let row: Option<(String, Option<String>)> =
            sqlx::query_as("SELECT state, result_json FROM jobs WHERE id = $1")
                .bind(job_id)
                .fetch_optional(&mut *tx)
                .await?;
        let Some((state, result)) = row else {
            return Err(DecideError::NotFound);
        };
        let state = JobState::parse(&state)?;
        if state != JobState::AwaitingReview {
            return Err(DecideError::WrongState(state));
        }
        let mut result: serde_json::Value = match result {
            Some(text) => serde_json::from_str(&text)
                .map_err(|e| FarmError::Corrupt(format!("job {job_id} result: {e}")))?,
            None => serde_json::Value::Null,
        };
        let Some(obj) = result.as_object_mut() else {
            return Err(DecideError::Db(FarmError::Corrupt(format!(
                "job {job_id} awaits review without a result"
            ))));
        };
        let before = obj
            .get("push_copy")
            .cloned()
            .unwrap_or(serde_json::Value::Null);
        if !obj.contains_key("push_copy_generated") {
            obj.insert("push_copy_generated".into(), before.clone());
        }
        obj.insert("push_copy".into(), copy.clone());
        obj.insert("push_copy_edited_by".into(), actor.into());
        let text = serde_json::to_string(&result).map_err(|e| FarmError::Other(e.to_string()))?;
        // Guarded on the state again: a decision committed in between wins.
        let n = sqlx::query(
            "UPDATE jobs SET result_json = $1, updated_at = $2 WHERE id = $3 AND state = $4",
        )
        .bind(&text)
        .bind(now)
        .bind(job_id)
        .bind(JobState::AwaitingReview.as_str())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n != 1 {
            return Err(DecideError::WrongState(state));
        }
        let detail = serde_json::json!({"from": before, "to": copy}).to_string();
        audit(
            &mut tx,
            job_id,
            actor,
            "edit_push_copy",
            None,
            Some(&detail),
            now,
        )
        .await?;
        tx.commit().await?;
        self.job(job_id)
            .await?
            .ok_or_else(|| DecideError::Db(FarmError::Corrupt(format!("job {job_id} vanished"))))
    }
}
