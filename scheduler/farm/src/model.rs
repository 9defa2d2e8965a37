//! The farm's vocabulary: job and task states, job settings, rows as the API shows them.
use serde::{Deserialize, Serialize};

use quakecast_facts::{Event, ReportStatus, Source};
use quakecast_scenes::EncodeSettings;
use quakecast_scenes::{RenderSettings, Storyboard};

use super::error::{FarmError, FarmResult};

/// The job and task states live with the job state machine ([`super::state`]).
pub use super::state::{JobState, TaskState};

/// Kinds of queued work. Workers (GPU machines) take segment, audio and stitch tasks; the
/// `serve` process takes push and retract tasks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskKind {
    Segment,
    Audio,
    Stitch,
    Push,
    /// Tell the push service that a pushed bulletin is withdrawn (one per pushed job).
    Retract,
}

impl TaskKind {
    pub const ALL: [TaskKind; 5] = [
        TaskKind::Segment,
        TaskKind::Audio,
        TaskKind::Stitch,
        TaskKind::Push,
        TaskKind::Retract,
    ];
    /// What the `serve` process's pusher takes.
    pub const DELIVERY: [TaskKind; 2] = [TaskKind::Push, TaskKind::Retract];
    /// What a render worker takes.
    pub const RENDER: [TaskKind; 3] = [TaskKind::Segment, TaskKind::Audio, TaskKind::Stitch];

    pub fn as_str(self) -> &'static str {
        match self {
            TaskKind::Segment => "segment",
            TaskKind::Audio => "audio",
            TaskKind::Stitch => "stitch",
            TaskKind::Push => "push",
            TaskKind::Retract => "retract",
        }
    }

    pub fn parse(s: &str) -> FarmResult<Self> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| FarmError::Corrupt(format!("unknown task kind {s:?}")))
    }
}

/// How a job is rendered; fixed at intake and stored with the job, so every worker renders the
/// same frames with the same encoder settings whatever its own flags say.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JobSettings {
    pub width: u32,
    pub height: u32,
    pub fps: u32,
    /// Upper bound on the number of segments (each at least one second).
    pub segments: u32,
    pub preset: String,
    pub crf: u32,
    /// Make the narration/music track (audio task) and mux it at stitch time.
    pub audio: bool,
    /// The bulletin's timeline, fixed at intake (`bulletin::plan_bulletin`): facts, theme,
    /// scene lengths fitted to the measured speech, subtitle times. Jobs stored before it
    /// existed have none and render `Storyboard::new`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storyboard: Option<Box<Storyboard>>,
}

impl Default for JobSettings {
    fn default() -> Self {
        Self {
            width: 720,
            height: 1280,
            fps: 30,
            segments: 4,
            preset: quakecast_scenes::settings::DEFAULT_PRESET.to_string(),
            crf: quakecast_scenes::settings::DEFAULT_CRF,
            audio: false,
            storyboard: None,
        }
    }
}

impl JobSettings {
    /// The storyboard every task of the job renders (see [`JobSettings::storyboard`]).
    pub fn storyboard(&self, event: &Event) -> Storyboard {
        match &self.storyboard {
            Some(sb) => (**sb).clone(),
            None => Storyboard::new(event, self.render()),
        }
    }

    pub fn render(&self) -> RenderSettings {
        RenderSettings {
            width: self.width,
            height: self.height,
            fps: self.fps,
        }
    }

    pub fn encode(&self) -> EncodeSettings {
        EncodeSettings {
            preset: self.preset.clone(),
            crf: self.crf,
            ..EncodeSettings::new(self.width, self.height, self.fps)
        }
    }
}

/// The source, as stored and shown.
pub fn source_str(s: Source) -> &'static str {
    match s {
        Source::Cenc => "cenc",
        Source::Usgs => "usgs",
        Source::Emsc => "emsc",
    }
}

pub fn status_str(s: ReportStatus) -> &'static str {
    match s {
        ReportStatus::Automatic => "automatic",
        ReportStatus::Official => "official",
    }
}

/// Order of the reports of one event: an official report outranks every automatic one, and
/// within a status a higher revision outranks a lower one.
///
/// Lexicographic on (status, revision): the status is the bit above the 32 bits of the `u32`
/// revision, so every revision of an automatic report (up to `u32::MAX`) ranks below official
/// revision 0, and the largest rank, `2^33 - 1`, is far inside `i64`. (A decimal scale,
/// `status * 10^9 + revision`, let an automatic revision 2000000000 outrank the official report.)
/// Migration `0003_report_rank.sql` rewrites the ranks stored under the old scale.
pub fn report_rank(event: &Event) -> i64 {
    let status: i64 = match event.status {
        ReportStatus::Automatic => 0,
        ReportStatus::Official => 1,
    };
    (status << 32) | i64::from(event.revision)
}

/// The job id of a report: a hash of its idempotency key, so two racing intakes of the same
/// report compute the same id and the database's primary key settles the race.
pub fn job_id_for(event: &Event) -> String {
    let key = format!(
        "{}\n{}\n{}\n{}",
        source_str(event.source),
        event.event_id,
        status_str(event.status),
        event.revision
    );
    format!(
        "j{}",
        &quakecast_core::store::sha256_hex(key.as_bytes())[..20]
    )
}

/// One job as stored.
#[derive(Clone, Debug, Serialize)]
pub struct JobRow {
    pub id: String,
    pub source: String,
    pub event_id: String,
    pub report_status: String,
    pub revision: i64,
    pub state: JobState,
    pub reason: Option<String>,
    pub format: String,
    #[serde(skip)]
    pub report: String,
    pub event: Event,
    pub settings: JobSettings,
    pub magnitude: f64,
    pub auto_approve: bool,
    pub with_audio: bool,
    pub segments_total: i64,
    pub segments_done: i64,
    pub superseded_by: Option<String>,
    pub reviewer: Option<String>,
    pub review_reason: Option<String>,
    pub result: Option<serde_json::Value>,
    pub received_at: i64,
    pub render_started_at: Option<i64>,
    pub rendered_at: Option<i64>,
    pub ready_at: Option<i64>,
    pub decided_at: Option<i64>,
    pub pushed_at: Option<i64>,
    pub updated_at: i64,
}

/// One task as stored.
#[derive(Clone, Debug, Serialize)]
pub struct TaskRow {
    pub id: String,
    pub job_id: String,
    pub kind: TaskKind,
    pub seg_index: i64,
    pub frame_start: i64,
    pub frame_end: i64,
    pub state: TaskState,
    pub lease_owner: Option<String>,
    pub lease_token: i64,
    pub lease_expires_at: Option<i64>,
    pub attempts: i64,
    pub max_attempts: i64,
    pub last_error: Option<String>,
    pub result: Option<serde_json::Value>,
    pub created_at: i64,
    pub done_at: Option<i64>,
}

/// A task held by one worker until `expires_at`; `token` fences its completion.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Lease {
    pub task_id: String,
    pub job_id: String,
    pub kind: TaskKind,
    pub seg_index: i64,
    pub frame_start: i64,
    pub frame_end: i64,
    pub owner: String,
    pub token: i64,
    pub attempts: i64,
    pub expires_at: i64,
}

/// One audit-log row.
#[derive(Clone, Debug, Serialize)]
pub struct AuditRow {
    pub id: String,
    pub at: i64,
    pub job_id: String,
    pub actor: String,
    pub action: String,
    pub reason: Option<String>,
    pub detail: Option<String>,
}

/// One push delivery.
#[derive(Clone, Debug, Serialize)]
pub struct PushRow {
    pub job_id: String,
    pub idempotency_key: String,
    pub url: String,
    pub state: String,
    pub attempts: i64,
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    pub payload: String,
    pub created_at: i64,
    pub delivered_at: Option<i64>,
}

/// A withdrawal as stored: one per event, the first received (later ones change nothing).
#[derive(Clone, Debug, Serialize)]
pub struct WithdrawalRow {
    pub source: String,
    pub event_id: String,
    /// The report format it came in (`ReportFormat::name`).
    pub format: String,
    pub reason: String,
    pub received_at: i64,
}

/// One retraction sent to the push service for a pushed job that was withdrawn.
#[derive(Clone, Debug, Serialize)]
pub struct RetractionRow {
    pub job_id: String,
    pub idempotency_key: String,
    pub url: String,
    /// pending | delivered | skipped
    pub state: String,
    pub attempts: i64,
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    pub payload: String,
    pub created_at: i64,
    pub delivered_at: Option<i64>,
}

/// A reviewer's (or the policy's) decision on a bulletin awaiting review.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Approve,
    Reject,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(status: ReportStatus, revision: u32) -> Event {
        let mut e = quakecast_facts::parse_report(quakecast_core::SAMPLE_REPORT).expect("sample");
        e.status = status;
        e.revision = revision;
        e
    }

    #[test]
    fn official_outranks_automatic_and_revisions_order() {
        let a0 = report_rank(&event(ReportStatus::Automatic, 0));
        let a5 = report_rank(&event(ReportStatus::Automatic, 5));
        let o0 = report_rank(&event(ReportStatus::Official, 0));
        let o1 = report_rank(&event(ReportStatus::Official, 1));
        assert!(a0 < a5 && a5 < o0 && o0 < o1);
    }

    #[test]
    fn any_automatic_revision_ranks_below_any_official_one() {
        let huge = report_rank(&event(ReportStatus::Automatic, 2_000_000_000));
        let max = report_rank(&event(ReportStatus::Automatic, u32::MAX));
        let o0 = report_rank(&event(ReportStatus::Official, 0));
        let o1 = report_rank(&event(ReportStatus::Official, 1));
        let omax = report_rank(&event(ReportStatus::Official, u32::MAX));
        assert!(
            huge < max && max < o0 && o0 < o1 && o1 < omax,
            "{huge} {max} {o0} {o1}"
        );
        assert!(omax > 0);
    }

    #[test]
    fn job_ids_follow_the_idempotency_key() {
        let a = job_id_for(&event(ReportStatus::Automatic, 0));
        assert_eq!(a, job_id_for(&event(ReportStatus::Automatic, 0)));
        assert_ne!(a, job_id_for(&event(ReportStatus::Official, 0)));
        assert_ne!(a, job_id_for(&event(ReportStatus::Automatic, 1)));
        assert_eq!(a.len(), 21);
    }

    #[test]
    fn states_round_trip() {
        for s in JobState::ALL {
            assert_eq!(JobState::parse(s.as_str()).expect("parse"), s);
        }
        for k in TaskKind::ALL {
            assert_eq!(TaskKind::parse(k.as_str()).expect("parse"), k);
        }
        assert!(JobState::parse("nope").is_err());
    }
}
