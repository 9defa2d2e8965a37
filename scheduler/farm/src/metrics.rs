//! Prometheus metrics in the text exposition format, kept by hand (a few counters and
//! histograms do not need a metrics crate). Queue depth and jobs per state are read from the
//! database at scrape time, so every `serve` replica reports the same numbers.
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;

/// Histogram bucket bounds, seconds: from a fast intake to a slow bulletin.
const BUCKETS: [f64; 12] = [
    0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0,
];

#[derive(Clone, Debug, Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    sum: f64,
    count: u64,
}

/// Counters and histograms of one process.
#[derive(Debug, Default)]
pub struct Metrics {
    /// (name, sorted label pairs) → value.
    counters: Mutex<BTreeMap<(String, String), u64>>,
    histograms: Mutex<BTreeMap<(String, String), Histogram>>,
}

fn labels(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k}=\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\"")))
        .collect::<Vec<_>>()
        .join(",")
}

impl Metrics {
    pub fn inc(&self, name: &str, pairs: &[(&str, &str)]) {
        if let Ok(mut c) = self.counters.lock() {
            *c.entry((name.to_string(), labels(pairs))).or_default() += 1;
        }
    }

    pub fn observe(&self, name: &str, pairs: &[(&str, &str)], secs: f64) {
        if let Ok(mut h) = self.histograms.lock() {
            let e = h.entry((name.to_string(), labels(pairs))).or_default();
            for (i, b) in BUCKETS.iter().enumerate() {
                if secs <= *b {
                    e.counts[i] += 1;
                }
            }
            e.sum += secs;
            e.count += 1;
        }
    }

    /// A counter's current value (tests).
    pub fn counter(&self, name: &str, pairs: &[(&str, &str)]) -> u64 {
        self.counters
            .lock()
            .ok()
            .and_then(|c| c.get(&(name.to_string(), labels(pairs))).copied())
            .unwrap_or(0)
    }

    /// The exposition text, with the gauges read from the database appended.
    pub fn render(&self, queue: &[(String, String, i64)], jobs: &[(String, i64)]) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "# HELP quakecast_queue_depth Tasks waiting (pending) or running (leased)."
        );
        let _ = writeln!(s, "# TYPE quakecast_queue_depth gauge");
        for kind in super::model::TaskKind::ALL.map(super::model::TaskKind::as_str) {
            for state in ["pending", "leased"] {
                let n = queue
                    .iter()
                    .find(|(k, st, _)| k == kind && st == state)
                    .map(|q| q.2)
                    .unwrap_or(0);
                let _ = writeln!(
                    s,
                    "quakecast_queue_depth{{kind=\"{kind}\",state=\"{state}\"}} {n}"
                );
            }
        }
        let _ = writeln!(s, "# HELP quakecast_jobs Jobs per state.");
        let _ = writeln!(s, "# TYPE quakecast_jobs gauge");
        for state in super::model::JobState::ALL {
            let n = jobs
                .iter()
                .find(|(st, _)| st == state.as_str())
                .map(|j| j.1)
                .unwrap_or(0);
            let _ = writeln!(s, "quakecast_jobs{{state=\"{}\"}} {n}", state.as_str());
        }
        if let Ok(c) = self.counters.lock() {
            let mut last = "";
            for ((name, l), v) in c.iter() {
                if name != last {
                    let _ = writeln!(s, "# TYPE {name} counter");
                    last = name;
                }
                let _ = writeln!(s, "{name}{{{l}}} {v}");
            }
        }
        if let Ok(h) = self.histograms.lock() {
            let mut last = "";
            for ((name, l), hist) in h.iter() {
                if name != last {
                    let _ = writeln!(s, "# TYPE {name} histogram");
                    last = name;
                }
                let sep = if l.is_empty() { "" } else { "," };
                for (i, b) in BUCKETS.iter().enumerate() {
                    let _ = writeln!(s, "{name}_bucket{{{l}{sep}le=\"{b}\"}} {}", hist.counts[i]);
                }
                let _ = writeln!(s, "{name}_bucket{{{l}{sep}le=\"+Inf\"}} {}", hist.count);
                let _ = writeln!(s, "{name}_sum{{{l}}} {}", hist.sum);
                let _ = writeln!(s, "{name}_count{{{l}}} {}", hist.count);
            }
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposition_has_gauges_counters_and_cumulative_buckets() {
        let m = Metrics::default();
        m.inc("quakecast_intake_total", &[("outcome", "created")]);
        m.inc("quakecast_intake_total", &[("outcome", "created")]);
        m.observe("quakecast_stage_seconds", &[("stage", "segment")], 0.3);
        m.observe("quakecast_stage_seconds", &[("stage", "segment")], 7.0);
        let text = m.render(
            &[("segment".into(), "pending".into(), 3)],
            &[("queued".into(), 1)],
        );
        assert!(
            text.contains("quakecast_queue_depth{kind=\"segment\",state=\"pending\"} 3\n"),
            "{text}"
        );
        assert!(text.contains("quakecast_queue_depth{kind=\"push\",state=\"leased\"} 0\n"));
        assert!(text.contains("quakecast_jobs{state=\"queued\"} 1\n"));
        assert!(text.contains("quakecast_intake_total{outcome=\"created\"} 2\n"));
        assert!(text.contains("quakecast_stage_seconds_bucket{stage=\"segment\",le=\"0.25\"} 0\n"));
        assert!(text.contains("quakecast_stage_seconds_bucket{stage=\"segment\",le=\"0.5\"} 1\n"));
        assert!(text.contains("quakecast_stage_seconds_bucket{stage=\"segment\",le=\"+Inf\"} 2\n"));
        assert!(text.contains("quakecast_stage_seconds_count{stage=\"segment\"} 2\n"));
        assert_eq!(
            m.counter("quakecast_intake_total", &[("outcome", "created")]),
            2
        );
    }
}
