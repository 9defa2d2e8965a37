//! The text outputs over the whole corpus (`tests/corpus/`, every format): place names in the
//! bulletin's language, the push copy's limits, the text bulletin's numbers, the facts record.
//! Pure and fast; `scheduler/pipeline/tests/corpus.rs` renders the same reports for real.

use quakecast_facts::lang::{is_cjk, Lang};
use quakecast_facts::{parse_report, Facts};
use quakecast_scenes::record::{
    bulletin_text, facts_record, push_copy, PUSH_BODY_MAX, PUSH_TITLE_MAX,
};
use serde::Deserialize;

#[derive(Deserialize)]
struct Entry {
    file: String,
    in_china: bool,
    langs: Vec<String>,
}

fn corpus() -> Vec<(Entry, Vec<u8>)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus");
    let index: Vec<Entry> =
        serde_json::from_str(&std::fs::read_to_string(format!("{dir}/index.json")).expect("index"))
            .expect("index parses");
    index
        .into_iter()
        .map(|e| {
            let bytes = std::fs::read(format!("{dir}/{}", e.file)).expect("corpus file");
            (e, bytes)
        })
        .collect()
}

#[test]
fn every_report_gets_names_copy_and_text_in_its_languages() {
    let assets = quakecast_testkit::assets();
    let mut bad = Vec::new();
    for (entry, bytes) in corpus() {
        let event = match parse_report(&bytes) {
            Ok(e) => e,
            Err(e) => {
                bad.push(format!("{}: {e}", entry.file));
                continue;
            }
        };
        let facts = Facts::compute(&event, assets, None);
        let place = &facts.place;
        if place.in_china != entry.in_china {
            bad.push(format!(
                "{}: in_china {} ({:?}), index says {}",
                entry.file, place.in_china, place.method, entry.in_china
            ));
        }
        if place.zh.is_empty() || place.zh.chars().any(|c| c.is_ascii_alphabetic()) {
            bad.push(format!("{}: Mandarin name {:?}", entry.file, place.zh));
        }
        if place.en.is_empty() || place.en.chars().any(is_cjk) {
            bad.push(format!("{}: English name {:?}", entry.file, place.en));
        }
        for l in ["zh", "en"] {
            let lang = if l == "zh" { Lang::Zh } else { Lang::En };
            let copy = push_copy(&event, &facts, lang);
            if copy.title.chars().count() > PUSH_TITLE_MAX
                || copy.body.chars().count() > PUSH_BODY_MAX
                || copy.title.is_empty()
            {
                bad.push(format!("{} [{l}]: push copy {copy:?}", entry.file));
            }
            let mag = format!("{:.1}", event.magnitude);
            if !copy.title.contains(&mag) || !copy.body.contains(&mag) {
                bad.push(format!(
                    "{} [{l}]: push copy lacks M{mag}: {copy:?}",
                    entry.file
                ));
            }
            let text = bulletin_text(&event, &facts, lang);
            if !text.contains(&mag) || !text.contains(place.in_lang(lang)) {
                bad.push(format!(
                    "{} [{l}]: bulletin.md lacks {mag} or the place",
                    entry.file
                ));
            }
            if lang == Lang::Zh && entry.langs.iter().any(|x| x == "zh") {
                // The sentences of a Mandarin text bulletin name places in Chinese only.
                let rec = facts_record(&event, &facts, lang);
                for s in &rec.sentences {
                    let latin: String = s
                        .replace("UTC", "")
                        .replace("USGS", "")
                        .replace("EMSC", "")
                        .chars()
                        .filter(|c| c.is_ascii_alphabetic() && !"IVX".contains(*c))
                        .collect();
                    if !latin.is_empty() {
                        bad.push(format!("{}: Latin text in {s:?}", entry.file));
                    }
                }
            }
        }
        let rec = facts_record(&event, &facts, Lang::En);
        if rec.places.is_empty()
            || rec
                .places
                .iter()
                .any(|p| !(0.0..360.0).contains(&p.bearing_deg) || p.direction.is_empty())
        {
            bad.push(format!("{}: places record {:?}", entry.file, rec.places));
        }
        if rec.intensity.is_none() || rec.intensity_source.is_none() {
            bad.push(format!("{}: no intensity record", entry.file));
        }
    }
    assert!(
        bad.is_empty(),
        "{} problems:\n{}",
        bad.len(),
        bad.join("\n")
    );
}

#[test]
fn chinese_names_follow_cenc_for_cenc_reports() {
    // CENC's own LOCATION_C / region is the wording the derived names imitate: the county
    // outlines must name the same county for CENC reports of quakes on land in China.
    let assets = quakecast_testkit::assets();
    let mut agree = 0;
    let mut total = 0;
    let mut differ = Vec::new();
    for (entry, bytes) in corpus() {
        let Ok(mut event) = parse_report(&bytes) else {
            continue;
        };
        if event.source != quakecast_facts::Source::Cenc || !entry.in_china {
            continue;
        }
        let cenc = event.region.clone();
        // Pretend another agency sent it, so the name is derived rather than kept.
        event.source = quakecast_facts::Source::Usgs;
        event.region = "somewhere".into();
        let derived = Facts::compute(&event, assets, None).place.zh;
        total += 1;
        if derived == cenc {
            agree += 1;
        } else {
            differ.push(format!(
                "{}: CENC {cenc:?}, derived {derived:?}",
                entry.file
            ));
        }
    }
    eprintln!(
        "CENC names reproduced: {agree}/{total}\n{}",
        differ.join("\n")
    );
    assert!(
        total >= 10,
        "only {total} CENC reports of Chinese quakes parsed"
    );
    assert!(
        agree * 10 >= total * 7,
        "derived names agree with CENC for {agree}/{total}:\n{}",
        differ.join("\n")
    );
}

#[test]
fn the_facts_record_names_the_bundled_catalogue_and_grid() {
    // bulletin.md's "数据来源" and the manifest say where the history and the elevation came
    // from: the bundled ISC catalogue and ETOPO5 grid by default, the operator's file otherwise.
    let assets = quakecast_testkit::assets();
    let dem = quakecast_testkit::bundled_dem();
    let bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/samples/cenc-record-2022-09-05-luding.json"
    ))
    .expect("Luding sample");
    let event = parse_report(&bytes).expect("parses");
    let around = quakecast_testkit::bundled_catalog().for_event(&event);
    let facts = Facts::compute(&event, assets, Some(&around)).with_elevation(&event, Some(&dem));
    let rec = facts_record(&event, &facts, Lang::Zh);
    let history = rec.history_source.expect("history source").data;
    let elevation = rec.elevation_source.expect("elevation source").data;
    assert!(
        history.contains("ISC Bulletin") && history.contains("M3.5"),
        "{history}"
    );
    assert!(
        elevation.contains("ETOPO5") && !elevation.contains("--dem"),
        "{elevation}"
    );
    let text = bulletin_text(&event, &facts, Lang::Zh);
    assert!(
        !text.contains("--catalog") && !text.contains("--dem"),
        "{text}"
    );
}
