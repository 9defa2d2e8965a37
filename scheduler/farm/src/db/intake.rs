//! Intake: a report becomes a job with its tasks, or is refused (duplicate, stale, withdrawn).
use sqlx::{AssertSqlSafe, Row};

use super::super::error::{FarmError, FarmResult};
use super::super::model::{
    job_id_for, report_rank, source_str, status_str, JobRow, JobSettings, JobState, TaskKind,
    WithdrawalRow,
};
use super::super::state::{next, JobEvent};
use super::withdraw::withdrawal_row;
use super::{
    audit, cancel_tasks, insert_task, insert_webhook, state_guard, Db, RENDER_MAX_ATTEMPTS,
};
use quakecast_core::plan::Segment;

/// A report accepted at intake, with everything its job needs.
#[derive(Clone, Debug)]
pub struct NewJob {
    pub event: quakecast_facts::Event,
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
    /// A report with this identity (source, event id, status, revision) was stored before with
    /// different contents (another depth, magnitude, time…): nothing was stored. An agency that
    /// corrects a report must give the correction a new revision; silently answering with the
    /// old job would drop the correction, and overwriting it would change a bulletin that may
    /// already be under review or pushed. See docs/farm.md, "Intake".
    Conflict { job: JobRow },
    /// The event was withdrawn (before or after this report was sent); nothing was stored.
    Withdrawn { withdrawal: WithdrawalRow },
}

impl Db {
    /// Store a report's job, or find why not (duplicate, stale, webhook id reuse).
    pub async fn intake(&self, new: &NewJob, now: i64) -> FarmResult<IntakeOutcome> {
        match self.intake_inner(new, now, true).await? {
            Some(outcome) => Ok(outcome),
            None => Err(FarmError::Corrupt(
                "intake stopped before storing a new job".into(),
            )),
        }
    }

    /// Answer a report that needs no new job (a replayed webhook message, a duplicate, a stale
    /// or conflicting report, a withdrawn event) without its plan: `None` when it would be a new
    /// job, which the caller then plans and passes to [`Db::intake`]. The server calls this
    /// before planning, so a replay costs a lookup, not a timeline and its speech synthesis.
    /// `new.plan` and `new.settings.storyboard` are not looked at.
    pub async fn intake_known(&self, new: &NewJob, now: i64) -> FarmResult<Option<IntakeOutcome>> {
        self.intake_inner(new, now, false).await
    }

    async fn intake_inner(
        &self,
        new: &NewJob,
        now: i64,
        insert: bool,
    ) -> FarmResult<Option<IntakeOutcome>> {
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
                    return Ok(Some(IntakeOutcome::WebhookIdReused {
                        webhook_id: wid.clone(),
                        job_id,
                    }));
                }
                let job = self.job(&job_id).await?.ok_or_else(|| {
                    FarmError::Corrupt(format!("webhook {wid} points at missing job {job_id}"))
                })?;
                return Ok(Some(IntakeOutcome::Duplicate { job }));
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
            return Ok(Some(IntakeOutcome::Withdrawn { withdrawal }));
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
            let job = self.job(&job_id).await?.ok_or_else(|| {
                FarmError::Corrupt(format!("events row points at missing job {job_id}"))
            })?;
            if !same_report(&job.event, e) {
                tx.rollback().await?;
                return Ok(Some(IntakeOutcome::Conflict { job }));
            }
            if let Some((wid, sha)) = &new.webhook {
                insert_webhook(&mut tx, wid, sha, &job_id, now).await?;
            }
            tx.commit().await?;
            return Ok(Some(IntakeOutcome::Duplicate { job }));
        }
        if head_rank > rank {
            tx.rollback().await?;
            let newer = self.job(&head_job).await?.ok_or_else(|| {
                FarmError::Corrupt(format!("event head points at missing job {head_job}"))
            })?;
            return Ok(Some(IntakeOutcome::Stale { newer }));
        }
        if !insert {
            tx.rollback().await?;
            return Ok(None);
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
        let older = sqlx::query(AssertSqlSafe(supersedable_sql()))
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
            let to = next(old_state, JobEvent::Superseded).map_err(|e| {
                FarmError::Corrupt(format!("job {old_id} selected for superseding: {e}"))
            })?;
            if to == old_state {
                // Already delivered (pushed): keep the state, record what replaced it.
                sqlx::query("UPDATE jobs SET superseded_by = $1, updated_at = $2 WHERE id = $3")
                    .bind(&id)
                    .bind(now)
                    .bind(&old_id)
                    .execute(&mut *tx)
                    .await?;
            } else {
                sqlx::query(AssertSqlSafe(format!(
                    "UPDATE jobs SET state = '{}', superseded_by = $1, reason = $2, updated_at = $3 \
                     WHERE id = $4",
                    to.as_str()
                )))
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
        Ok(Some(IntakeOutcome::Created { job, superseded }))
    }
}

/// Whether two reports with one identity say the same: every field of the event, numbers equal
/// to a nanodegree / a millionth (a stored event went through JSON once).
pub fn same_report(a: &quakecast_facts::Event, b: &quakecast_facts::Event) -> bool {
    let close = |x: f64, y: f64| (x - y).abs() <= 1e-6;
    a.source == b.source
        && a.event_id == b.event_id
        && a.status == b.status
        && a.revision == b.revision
        && a.origin_time == b.origin_time
        && close(a.lat, b.lat)
        && close(a.lon, b.lon)
        && close(a.depth_km, b.depth_km)
        && close(a.magnitude, b.magnitude)
        && a.magnitude_type == b.magnitude_type
        && a.region == b.region
        && a.revised == b.revised
}

/// The older jobs of an event a new head supersedes ([`JobEvent::Superseded`]): the live ones,
/// and pushed ones (which keep their state). `$1` source, `$2` event id, `$3` the new rank.
pub(super) fn supersedable_sql() -> String {
    format!(
        "SELECT id, state FROM jobs WHERE source = $1 AND event_id = $2 AND report_rank < $3 \
         AND {}",
        state_guard(JobEvent::Superseded)
    )
}
