//! What changed between a bulletin and the one it replaces (an official report replacing the
//! automatic one, or a later revision): the fields a reviewer checks, each with its value before
//! and after and whether it changed.
use quakecast_facts::intensity::{roman, IntensityModel};
use serde_json::{json, Value};

use crate::model::JobRow;

/// The reviewer-facing values of one job, by field (in display order).
pub fn digest(job: &JobRow) -> Vec<(&'static str, String)> {
    let e = &job.event;
    let sb = job.settings.storyboard(e);
    let f = &sb.facts;
    let model = IntensityModel::for_event(e);
    let i0 = model.epicentral_intensity();
    let mut out = vec![
        (
            "report",
            format!("{} {} r{}", job.source, job.report_status, job.revision),
        ),
        (
            "magnitude",
            format!("{} {:.1}", e.magnitude_type, e.magnitude),
        ),
        ("depth_km", format!("{:.1}", e.depth_km)),
        (
            "origin_utc",
            e.origin_time.format("%Y-%m-%d %H:%M:%S").to_string(),
        ),
        ("epicentre", format!("{:.2}, {:.2}", e.lat, e.lon)),
        ("place_zh", f.place.zh.clone()),
        ("place_en", f.place.en.clone()),
    ];
    if let Some(n) = &f.nearby {
        let near: Vec<String> = n
            .counties
            .iter()
            .chain(&n.cities)
            .take(3)
            .map(|p| format!("{} {} km", p.label_zh(), p.km()))
            .collect();
        out.push(("nearest", near.join(" · ")));
    }
    out.push((
        "epicentral_intensity",
        format!(
            "{} ({:.1})",
            roman(quakecast_facts::intensity::level(i0)).unwrap_or("-"),
            i0
        ),
    ));
    if let Some(i) = &f.intensity {
        out.push(("felt_radius_km", i.felt_radius_rounded_km().to_string()));
    }
    let audience = job.result.as_ref().map(|r| &r["audience"]);
    for t in audience
        .and_then(|a| a["tier_cells"]["tiers"].as_array())
        .into_iter()
        .flatten()
    {
        let name = t["tier"].as_str().unwrap_or("?");
        let cells = t["cells_at_resolution"].as_u64().unwrap_or(0);
        let users = audience
            .and_then(|a| a["summary"]["users"]["by_tier"][name].as_u64())
            .map(|u| format!(", {u} users"))
            .unwrap_or_default();
        let field = match name {
            "strong" => "tier_strong",
            "felt" => "tier_felt",
            "weak" => "tier_weak",
            _ => "tier_other",
        };
        out.push((field, format!("{cells} cells{users}")));
    }
    out
}

/// The rows of the comparison: every field of either digest, in the newer one's order.
pub fn compare(before: &[(&'static str, String)], after: &[(&'static str, String)]) -> Vec<Value> {
    let mut fields: Vec<&'static str> = after.iter().map(|(k, _)| *k).collect();
    for (k, _) in before {
        if !fields.contains(k) {
            fields.push(k);
        }
    }
    let get = |d: &[(&'static str, String)], k: &str| {
        d.iter().find(|(f, _)| *f == k).map(|(_, v)| v.clone())
    };
    fields
        .into_iter()
        .map(|k| {
            let (b, a) = (get(before, k), get(after, k));
            json!({"field": k, "before": b, "after": a, "changed": b != a})
        })
        .collect()
}

/// The job `job` replaces: the latest earlier job of the same event (by source and event id).
pub fn predecessor<'a>(job: &JobRow, of_event: &'a [JobRow]) -> Option<&'a JobRow> {
    of_event
        .iter()
        .filter(|j| j.id != job.id && (j.received_at, &j.id) < (job.received_at, &job.id))
        .max_by_key(|j| (j.received_at, j.id.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changed_fields_are_marked_and_missing_ones_kept() {
        let before = vec![
            ("magnitude", "M 6.6".to_string()),
            ("place_en", "Luding".to_string()),
            ("tier_weak", "449 cells".to_string()),
        ];
        let after = vec![
            ("magnitude", "Ms 6.8".to_string()),
            ("place_en", "Luding".to_string()),
        ];
        let rows = compare(&before, &after);
        let changed: Vec<(&str, bool)> = rows
            .iter()
            .map(|r| {
                (
                    r["field"].as_str().unwrap_or(""),
                    r["changed"].as_bool().unwrap_or(false),
                )
            })
            .collect();
        assert_eq!(
            changed,
            vec![
                ("magnitude", true),
                ("place_en", false),
                ("tier_weak", true)
            ]
        );
        assert_eq!(rows[2]["after"], Value::Null);
    }
}
