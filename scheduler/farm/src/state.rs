//! The job state machine as pure functions: the states, the events that move a job, and
//! [`next`], the one transition function. No I/O: the database code ([`super::db`]) builds the
//! `WHERE state IN (…)` guard of every statement that changes `jobs.state` from
//! [`JobEvent::from_states`], so the SQL and this module cannot drift apart.
//!
//! ```text
//! queued ─claimed→ rendering ─rendered→ awaiting_review ─approved→ approved ─pushed→ pushed
//! queued | rendering ─rendered (auto-approve policy)→ approved
//! awaiting_review ─rejected→ rejected
//! queued | rendering | awaiting_review | approved ─superseded→ superseded (a newer report)
//! pushed ─superseded→ pushed (delivered: the state stays, `superseded_by` is recorded)
//! queued | rendering | awaiting_review | approved ─failed→ failed (a task out of attempts)
//! queued | rendering | awaiting_review | approved | pushed ─withdrawn→ withdrawn
//! //! ```
use serde::{Deserialize, Serialize};

use super::error::{FarmError, FarmResult};

/// Where a bulletin job is in its life (the transitions: [`next`]).
///
/// ```text
/// queued → rendering → awaiting_review → approved → pushed
///                    ↘ approved (auto policy) ↗    ↘ rejected
/// any non-final state → superseded (a newer report of the event) | failed (with a reason)
/// any state but rejected, superseded, failed → withdrawn (the agency deleted the event; a
///                                             pushed bulletin is retracted)
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    Queued,
    Rendering,
    AwaitingReview,
    Approved,
    Pushed,
    Rejected,
    Superseded,
    Failed,
    /// The agency withdrew the event (`docs/farm.md`, *Withdrawals*).
    Withdrawn,
}

impl JobState {
    pub const ALL: [JobState; 9] = [
        JobState::Queued,
        JobState::Rendering,
        JobState::AwaitingReview,
        JobState::Approved,
        JobState::Pushed,
        JobState::Rejected,
        JobState::Superseded,
        JobState::Failed,
        JobState::Withdrawn,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Rendering => "rendering",
            JobState::AwaitingReview => "awaiting_review",
            JobState::Approved => "approved",
            JobState::Pushed => "pushed",
            JobState::Rejected => "rejected",
            JobState::Superseded => "superseded",
            JobState::Failed => "failed",
            JobState::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(s: &str) -> FarmResult<Self> {
        Self::ALL
            .into_iter()
            .find(|j| j.as_str() == s)
            .ok_or_else(|| FarmError::Corrupt(format!("unknown job state {s:?}")))
    }

    /// No further transition except being marked superseded for history.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            JobState::Pushed
                | JobState::Rejected
                | JobState::Superseded
                | JobState::Failed
                | JobState::Withdrawn
        )
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskState {
    Pending,
    Leased,
    Done,
    Failed,
    Cancelled,
}

impl TaskState {
    pub const ALL: [TaskState; 5] = [
        TaskState::Pending,
        TaskState::Leased,
        TaskState::Done,
        TaskState::Failed,
        TaskState::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TaskState::Pending => "pending",
            TaskState::Leased => "leased",
            TaskState::Done => "done",
            TaskState::Failed => "failed",
            TaskState::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> FarmResult<Self> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| FarmError::Corrupt(format!("unknown task state {s:?}")))
    }
}

/// What happens to a job (each is one guarded `UPDATE jobs SET state = …` in [`super::db`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum JobEvent {
    /// A worker leased one of the job's segment or audio tasks (`Db::claim`).
    Claimed,
    /// The stitch task completed (`Db::complete`): the bulletin is ready, and approved at once
    /// under the auto-approve policy.
    Rendered { auto_approve: bool },
    /// A reviewer approved it (`Db::decide`).
    Approved,
    /// A reviewer rejected it (`Db::decide`).
    Rejected,
    /// The push service acknowledged the push (`Db::complete` of the push task).
    Pushed,
    /// A higher-ranked report of the same event arrived (`Db::intake`).
    Superseded,
    /// A task ran out of attempts or its lease expired on the last one (`Db::fail`,
    /// `Db::reap_expired`).
    Failed,
    /// The agency withdrew the event (`Db::withdraw`).
    Withdrawn,
}

/// States from which a job's work is still live: it can be superseded, failed or withdrawn.
const LIVE: &[JobState] = &[
    JobState::Queued,
    JobState::Rendering,
    JobState::AwaitingReview,
    JobState::Approved,
];

impl JobEvent {
    /// Every event (both policies of [`JobEvent::Rendered`]).
    pub const ALL: [JobEvent; 9] = [
        JobEvent::Claimed,
        JobEvent::Rendered {
            auto_approve: false,
        },
        JobEvent::Rendered { auto_approve: true },
        JobEvent::Approved,
        JobEvent::Rejected,
        JobEvent::Pushed,
        JobEvent::Superseded,
        JobEvent::Failed,
        JobEvent::Withdrawn,
    ];

    /// The states the event is legal from; from any other, [`next`] refuses it.
    pub fn from_states(self) -> &'static [JobState] {
        match self {
            JobEvent::Claimed => &[JobState::Queued],
            JobEvent::Rendered { .. } => &[JobState::Queued, JobState::Rendering],
            JobEvent::Approved | JobEvent::Rejected => &[JobState::AwaitingReview],
            JobEvent::Pushed => &[JobState::Approved],
            // A pushed job is superseded too, but keeps its state (see `next`).
            JobEvent::Superseded => &[
                JobState::Queued,
                JobState::Rendering,
                JobState::AwaitingReview,
                JobState::Approved,
                JobState::Pushed,
            ],
            JobEvent::Failed => LIVE,
            JobEvent::Withdrawn => &[
                JobState::Queued,
                JobState::Rendering,
                JobState::AwaitingReview,
                JobState::Approved,
                JobState::Pushed,
            ],
        }
    }

    /// The state the event sets (what its `UPDATE jobs SET state = …` writes). The one legal
    /// transition that does not lead here is [`JobEvent::Superseded`] of a pushed job, which
    /// stays pushed.
    pub fn target(self) -> JobState {
        match self {
            JobEvent::Claimed => JobState::Rendering,
            JobEvent::Rendered { auto_approve: true } => JobState::Approved,
            JobEvent::Rendered {
                auto_approve: false,
            } => JobState::AwaitingReview,
            JobEvent::Approved => JobState::Approved,
            JobEvent::Rejected => JobState::Rejected,
            JobEvent::Pushed => JobState::Pushed,
            JobEvent::Superseded => JobState::Superseded,
            JobEvent::Failed => JobState::Failed,
            JobEvent::Withdrawn => JobState::Withdrawn,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            JobEvent::Claimed => "claimed",
            JobEvent::Rendered { auto_approve: true } => "rendered (auto-approve)",
            JobEvent::Rendered {
                auto_approve: false,
            } => "rendered",
            JobEvent::Approved => "approved",
            JobEvent::Rejected => "rejected",
            JobEvent::Pushed => "pushed",
            JobEvent::Superseded => "superseded",
            JobEvent::Failed => "failed",
            JobEvent::Withdrawn => "withdrawn",
        }
    }
}

/// An event that is not legal from the job's state: the database changes nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IllegalTransition {
    pub from: JobState,
    pub event: JobEvent,
}

impl std::fmt::Display for IllegalTransition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "a job in state {} cannot be {}",
            self.from.as_str(),
            self.event.name()
        )
    }
}

impl std::error::Error for IllegalTransition {}

/// The state a job in `state` moves to on `event`, or why it does not.
pub fn next(state: JobState, event: JobEvent) -> Result<JobState, IllegalTransition> {
    if !event.from_states().contains(&state) {
        return Err(IllegalTransition { from: state, event });
    }
    Ok(match (state, event) {
        // Already delivered: the bulletin stays pushed; intake records what replaced it.
        (JobState::Pushed, JobEvent::Superseded) => JobState::Pushed,
        _ => event.target(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use JobEvent as E;
    use JobState as S;

    /// The documented table (`docs/farm.md`, *States*): every legal (state, event) pair and
    /// where it leads. Everything else is refused.
    fn documented(state: S, event: E) -> Option<S> {
        match (state, event) {
            (S::Queued, E::Claimed) => Some(S::Rendering),
            (
                S::Queued | S::Rendering,
                E::Rendered {
                    auto_approve: false,
                },
            ) => Some(S::AwaitingReview),
            (S::Queued | S::Rendering, E::Rendered { auto_approve: true }) => Some(S::Approved),
            (S::AwaitingReview, E::Approved) => Some(S::Approved),
            (S::AwaitingReview, E::Rejected) => Some(S::Rejected),
            (S::Approved, E::Pushed) => Some(S::Pushed),
            (S::Queued | S::Rendering | S::AwaitingReview | S::Approved, E::Superseded) => {
                Some(S::Superseded)
            }
            (S::Pushed, E::Superseded) => Some(S::Pushed),
            (S::Queued | S::Rendering | S::AwaitingReview | S::Approved, E::Failed) => {
                Some(S::Failed)
            }
            (
                S::Queued | S::Rendering | S::AwaitingReview | S::Approved | S::Pushed,
                E::Withdrawn,
            ) => Some(S::Withdrawn),
            _ => None,
        }
    }

    #[test]
    fn every_state_and_event_follows_the_documented_table() {
        let mut legal = 0;
        for state in S::ALL {
            for event in E::ALL {
                match (next(state, event), documented(state, event)) {
                    (Ok(got), Some(want)) => {
                        assert_eq!(got, want, "{state:?} on {event:?}");
                        legal += 1;
                    }
                    (Err(e), None) => {
                        assert_eq!(e, IllegalTransition { from: state, event });
                        assert!(e.to_string().contains(state.as_str()), "{e}");
                    }
                    (got, want) => panic!("{state:?} on {event:?}: got {got:?}, want {want:?}"),
                }
            }
        }
        // 1 claim + 2×2 rendered + 2 decisions + 1 push + 5 supersede + 4 fail + 5 withdraw.
        assert_eq!(legal, 22);
    }

    #[test]
    fn from_states_are_exactly_the_legal_ones() {
        for event in E::ALL {
            let legal: Vec<S> = S::ALL
                .into_iter()
                .filter(|s| next(*s, event).is_ok())
                .collect();
            let mut from = event.from_states().to_vec();
            from.sort_by_key(|s| S::ALL.iter().position(|x| x == s));
            assert_eq!(from, legal, "{event:?}");
            let mut dedup = from.clone();
            dedup.dedup();
            assert_eq!(dedup, from, "{event:?} lists a state twice");
        }
    }

    #[test]
    fn final_states_only_leave_by_withdrawal_or_as_history() {
        for state in S::ALL.into_iter().filter(|s| s.is_final()) {
            for event in E::ALL {
                if let Ok(to) = next(state, event) {
                    // Only a pushed bulletin moves on: withdrawn, or superseded in place.
                    assert_eq!(state, S::Pushed, "{state:?} on {event:?}");
                    assert!(
                        (event == E::Withdrawn && to == S::Withdrawn)
                            || (event == E::Superseded && to == S::Pushed),
                        "{event:?} → {to:?}"
                    );
                }
            }
        }
        // Live states are exactly the non-final ones, and each can still fail.
        for state in S::ALL {
            assert_eq!(LIVE.contains(&state), !state.is_final(), "{state:?}");
            assert_eq!(next(state, E::Failed).is_ok(), !state.is_final());
        }
    }

    #[test]
    fn targets_are_where_legal_events_lead() {
        for event in E::ALL {
            for &from in event.from_states() {
                let to = next(from, event).expect("legal");
                if (from, event) != (S::Pushed, E::Superseded) {
                    assert_eq!(to, event.target(), "{from:?} on {event:?}");
                }
            }
        }
    }

    #[test]
    fn task_states_round_trip() {
        for s in TaskState::ALL {
            assert_eq!(TaskState::parse(s.as_str()).expect("parse"), s);
        }
        assert!(TaskState::parse("nope").is_err());
    }
}
