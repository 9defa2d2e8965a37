//! Deliveries: push and retraction attempts, and a push acknowledged after a withdrawal.
use sqlx::{AssertSqlSafe, Row};

use super::super::error::FarmResult;
use super::super::model::{JobState, PushRow, RetractionRow};
use super::withdraw::queue_retraction;
use super::{audit, Db};

impl Db {
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
}
