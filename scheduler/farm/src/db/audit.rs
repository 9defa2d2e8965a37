//! The audit log: who did what to a job, and why.
use sqlx::Row;

use super::super::error::FarmResult;
use super::super::model::AuditRow;
use super::{new_id, Db, Tx};

impl Db {
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

#[allow(clippy::too_many_arguments)] // one row's columns
pub(super) async fn audit(
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
