//! Queries for reading jobs and tasks (the API, the review page, metrics).
use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row};

use super::super::error::{FarmError, FarmResult};
use super::super::model::{JobRow, JobState, TaskKind, TaskRow, TaskState};
use super::Db;

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

impl Db {
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
}
