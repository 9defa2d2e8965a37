//! The push audience: tier boundaries by hand, the antimeridian, the poles, an event at sea,
//! selection against a brute-force scan, malformed snapshots, incremental rebuilds, the CLI.
// Helpers outside #[test] functions panic on failure too: that is what a test helper is for.
#![allow(clippy::unwrap_used)]
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use arrow_array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray, UInt64Array};
use arrow_schema::{DataType, Field, Schema};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ArrowWriter;
use quakecast_audience::generate::{GenerateOptions, Synthetic};
use quakecast_audience::index::BuildOptions;
use quakecast_audience::{
    build_index, select, summary, AudienceError, Gazetteer, SelectOptions, Selection, Snapshot,
    Tiers, UserIndex, UserRow,
};
use quakecast_facts::intensity::{IntensityModel, Relation};

/// [`quakecast_facts::geo::destination`] in the user rows' (lat, lon) order.
fn destination(lat: f64, lon: f64, azimuth_deg: f64, d_km: f64) -> (f64, f64) {
    let (lo, la) = quakecast_facts::geo::destination(lon, lat, azimuth_deg, d_km);
    (la, lo)
}

/// [`quakecast_facts::geo::distance_km`] in the user rows' (lat, lon) order.
fn distance_km(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    quakecast_facts::geo::distance_km((lon1, lat1), (lon2, lat2))
}
use quakecast_facts::cities::Place;

const LUDING: (f64, f64, f64, f64) = (29.59, 102.08, 16.0, 6.8);

fn luding() -> IntensityModel {
    let (lat, lon, depth, m) = LUDING;
    IntensityModel::new(Relation::ChinaWest, m, depth, lat, lon)
}

fn write_csv(path: &Path, rows: &[UserRow]) {
    let mut s = String::from("user_id,lat,lon,last_seen\n");
    for r in rows {
        let seen = r.seen.map(|v| v.to_string()).unwrap_or_default();
        s.push_str(&format!("{},{},{},{}\n", r.id, r.lat, r.lon, seen));
    }
    std::fs::write(path, s).unwrap();
}

fn row(id: u64, (lat, lon): (f64, f64)) -> UserRow {
    UserRow {
        id,
        lat,
        lon,
        seen: None,
    }
}

fn index_of(dir: &Path, rows: &[UserRow]) -> UserIndex {
    let csv = dir.join("users.csv");
    write_csv(&csv, rows);
    let out = dir.join("users.qcx");
    build_index(&csv, &out, &BuildOptions::default()).unwrap();
    UserIndex::open(&out).unwrap()
}

fn picked(sel: &Selection) -> BTreeMap<u64, u8> {
    sel.users.iter().map(|u| (u.id, u.tier)).collect()
}

/// What a scan of every user (positions as stored, f32) would select.
fn brute_force(rows: &[UserRow], model: &IntensityModel, tiers: &Tiers) -> BTreeMap<u64, u8> {
    rows.iter()
        .filter_map(|r| {
            let s = model.sample(f64::from(r.lat as f32), f64::from(r.lon as f32));
            tiers.tier_of(s.intensity).map(|t| (r.id, t))
        })
        .collect()
}

#[test]
fn users_just_inside_and_outside_each_tier_boundary() {
    let dir = tempfile::tempdir().unwrap();
    let (lat, lon, ..) = LUDING;
    let circular = luding();
    // Hand-computed equal-area radii (western China, M6.8, natural log): √(Ra·Rb) with
    // Ra = e^((5.643 + 1.538·6.8 − I)/2.109) − 25, Rb = min(e^((2.941 + 1.363·6.8 − I)/1.494) − 7, Ra):
    // VI 95.2609 × 56.8301, IV 285.4367 × 236.4503, III 473.7667 × 468.4478.
    let hand = [(6.0, 73.5778), (4.0, 259.7915), (3.0, 471.0997)];
    for (level, r) in hand {
        assert!(
            (circular.radii(level).equivalent_km - r).abs() < 1e-3,
            "{level}"
        );
    }
    // Inside / outside by 50 m (positions are stored as f32: < 1 m of error here).
    let expect = |level: f64, inside: bool| -> Option<u8> {
        match (level as u8, inside) {
            (6, true) => Some(0),
            (6, false) | (4, true) => Some(1),
            (4, false) | (3, true) => Some(2),
            _ => None,
        }
    };
    let mut rows = Vec::new();
    let mut want = BTreeMap::new();
    let mut id = 1;
    for (level, r) in hand {
        for az in [0.0, 77.0, 200.0, 300.0] {
            for inside in [true, false] {
                let d = if inside { r - 0.05 } else { r + 0.05 };
                rows.push(row(id, destination(lat, lon, az, d)));
                if let Some(t) = expect(level, inside) {
                    want.insert(id, t);
                }
                id += 1;
            }
        }
    }
    let ix = index_of(dir.path(), &rows);
    let sel = select(&ix, &circular, &SelectOptions::default()).unwrap();
    assert_eq!(picked(&sel), want);
    assert_eq!(sel.tier_counts, vec![4, 8, 8]);

    // Elliptical (long axis 40°): along the long axis at Ra(6) ± 50 m, across it at Rb(6) ± 50 m.
    let ell = luding().with_long_axis_azimuth(40.0);
    let r6 = ell.radii(6.0);
    assert!((r6.long_km - 95.2609).abs() < 1e-3 && (r6.short_km - 56.8301).abs() < 1e-3);
    let rows = vec![
        row(1, destination(lat, lon, 40.0, r6.long_km - 0.05)),
        row(2, destination(lat, lon, 40.0, r6.long_km + 0.05)),
        row(3, destination(lat, lon, 220.0, r6.long_km - 0.05)),
        row(4, destination(lat, lon, 130.0, r6.short_km - 0.05)),
        row(5, destination(lat, lon, 130.0, r6.short_km + 0.05)),
        row(6, destination(lat, lon, 310.0, r6.short_km + 0.05)),
    ];
    let ix = index_of(dir.path(), &rows);
    let sel = select(&ix, &ell, &SelectOptions::default()).unwrap();
    let want: BTreeMap<u64, u8> = [(1, 0), (2, 1), (3, 0), (4, 0), (5, 1), (6, 1)].into();
    assert_eq!(picked(&sel), want);
    for u in &sel.users {
        let r = &rows[(u.id - 1) as usize];
        let d = distance_km(lat, lon, f64::from(r.lat as f32), f64::from(r.lon as f32));
        assert!((f64::from(u.distance_km) - d).abs() < 0.01);
    }
}

/// A grid of users around a point, plus far-away ones.
fn grid(lat0: f64, lon0: f64, half_deg: f64, step: f64) -> Vec<UserRow> {
    let mut rows = Vec::new();
    let n = (2.0 * half_deg / step).round() as i64;
    let mut id = 1;
    for i in 0..=n {
        for j in 0..=n {
            let lat = (lat0 - half_deg + i as f64 * step).clamp(-90.0, 90.0);
            let mut lon = lon0 - half_deg + j as f64 * step;
            lon = (lon + 180.0).rem_euclid(360.0) - 180.0;
            rows.push(row(id, (lat, lon)));
            id += 1;
        }
    }
    for (k, far) in [(0.0, 0.0), (45.0, -100.0), (-45.0, 60.0)]
        .into_iter()
        .enumerate()
    {
        rows.push(row(1_000_000 + k as u64, far));
    }
    rows
}

#[test]
fn antimeridian_users_on_both_sides_are_selected() {
    let dir = tempfile::tempdir().unwrap();
    let model = IntensityModel::new(
        Relation::for_epicenter(-17.5, 179.8),
        7.0,
        10.0,
        -17.5,
        179.8,
    );
    assert_eq!(model.relation, Relation::Aww2012Hypo);
    let rows = grid(-17.5, 180.0, 4.0, 0.1);
    let ix = index_of(dir.path(), &rows);
    let tiers = Tiers::default();
    let sel = select(&ix, &model, &SelectOptions::default()).unwrap();
    let got = picked(&sel);
    assert_eq!(got, brute_force(&rows, &model, &tiers));
    let west = sel
        .users
        .iter()
        .filter(|u| rows[(u.id - 1) as usize].lon < 0.0)
        .count();
    let east = sel
        .users
        .iter()
        .filter(|u| rows[(u.id - 1) as usize].lon > 0.0)
        .count();
    assert!(west > 1000 && east > 1000, "west {west} east {east}");
    // 0.3° west of the antimeridian is 0.5° from the epicentre: ≈53 km, not ≈36,000.
    let u = rows
        .iter()
        .find(|r| (r.lat + 17.5).abs() < 1e-9 && (r.lon + 179.7).abs() < 1e-6)
        .unwrap();
    let s = sel.users.iter().find(|s| s.id == u.id).unwrap();
    assert!(
        (f64::from(s.distance_km) - 53.0).abs() < 0.5,
        "{}",
        s.distance_km
    );
}

#[test]
fn users_around_the_poles() {
    let dir = tempfile::tempdir().unwrap();
    // Hand (Allen et al. 2012, M6.5, depth 10 km, R_M = −0.209 + 2.042·e^1.5 = 8.94 km):
    // event 0.4° from the north pole: the pole (44.5 km, MMI 5.98) and a user 0.1° beyond it
    // (100 km, MMI 4.95) are both felt; event 0.2° from the south pole: the pole (22.2 km,
    // MMI 6.80) and a user 0.1° beyond (33.4 km, MMI 6.35) are both strong.
    for (lat0, lon0, beyond_lon, want_tier) in
        [(89.6, 30.0, -150.0, 1u8), (-89.8, -120.0, 60.0, 0u8)]
    {
        let model = IntensityModel::new(Relation::Aww2012Hypo, 6.5, 10.0, lat0, lon0);
        let pole = lat0.signum() * 90.0;
        let mut rows = vec![
            row(1, (pole, 0.0)),
            row(2, (pole - lat0.signum() * 0.1, beyond_lon)),
            row(3, (pole - lat0.signum() * 1.0, 120.0)),
            row(4, (pole - lat0.signum() * 2.0, -60.0)),
            row(5, (pole - lat0.signum() * 5.0, 179.99)),
            row(6, (0.0, 0.0)),
        ];
        let mut id = 10;
        for k in 0..36 {
            for dlat in [0.5, 1.5, 3.0, 6.0, 9.0] {
                rows.push(row(
                    id,
                    (pole - lat0.signum() * dlat, -180.0 + 10.0 * f64::from(k)),
                ));
                id += 1;
            }
        }
        let ix = index_of(dir.path(), &rows);
        let tiers = Tiers::default();
        let sel = select(&ix, &model, &SelectOptions::default()).unwrap();
        let got = picked(&sel);
        assert_eq!(got, brute_force(&rows, &model, &tiers), "event at {lat0}");
        assert_eq!(got.get(&1), Some(&want_tier), "event at {lat0}");
        assert_eq!(got.get(&2), Some(&want_tier), "event at {lat0}");
        assert!(!got.contains_key(&6));
        assert!(got.len() > 100, "{}", got.len());
    }
}

fn test_places() -> Vec<Place> {
    let p =
        |id: u64, name: &str, zh: Option<&str>, cc: &str, lat: f64, lon: f64, population: u64| {
            Place {
                geonameid: id,
                name: name.into(),
                name_zh: zh.map(String::from),
                country: cc.into(),
                lon,
                lat,
                population,
                unit: [0.0; 3],
            }
        };
    vec![
        p(1, "Chengdu", Some("成都"), "CN", 30.66, 104.06, 7_415_590),
        p(2, "Chongqing", Some("重庆"), "CN", 29.56, 106.55, 7_457_600),
        p(3, "Kunming", Some("昆明"), "CN", 25.04, 102.72, 3_855_346),
        p(4, "Ya'an", Some("雅安"), "CN", 29.98, 103.00, 340_000),
        p(5, "Kangding", Some("康定"), "CN", 30.00, 101.96, 130_000),
        p(6, "Moxi", None, "CN", 29.65, 102.11, 8_000),
        p(7, "Lhasa", Some("拉萨"), "CN", 29.65, 91.10, 118_721),
        p(8, "Beijing", Some("北京"), "CN", 39.91, 116.40, 11_716_620),
        p(9, "Tokyo", Some("東京"), "JP", 35.69, 139.69, 8_336_599),
        p(10, "Los Angeles", None, "US", 34.05, -118.24, 3_971_883),
    ]
}

fn synthetic(places: &[Place], users: u64) -> Vec<UserRow> {
    let mut g = Synthetic::new(
        places,
        GenerateOptions {
            users,
            ..Default::default()
        },
    )
    .unwrap();
    let (mut all, mut batch) = (Vec::new(), Vec::new());
    while g.fill(&mut batch) {
        all.extend_from_slice(&batch);
    }
    all
}

#[test]
fn selection_equals_a_brute_force_scan_and_counts_places() {
    let dir = tempfile::tempdir().unwrap();
    let places = test_places();
    let rows = synthetic(&places, 200_000);
    let ix = index_of(dir.path(), &rows);
    assert_eq!(ix.users(), 200_000);
    let tiers = Tiers::default();
    for model in [luding(), luding().with_long_axis_azimuth(150.0)] {
        let sel = select(&ix, &model, &SelectOptions::default()).unwrap();
        let want = brute_force(&rows, &model, &tiers);
        assert_eq!(picked(&sel), want);
        assert!(
            sel.tier_counts.iter().all(|&c| c > 100),
            "{:?}",
            sel.tier_counts
        );
        // Highest tier first.
        assert!(sel.users.windows(2).all(|w| w[0].tier <= w[1].tier));
        // Only the region was read.
        assert!(
            sel.stats.records_read < ix.users() * 3 / 4,
            "{:?}",
            sel.stats
        );
        assert!(sel.stats.coarse_cells_visited < 30_000);

        let gaz = Gazetteer::from_places(places.clone());
        let event = quakecast_facts::parse_report(&luding_report()).unwrap();
        let doc = summary::summary(&event, &model, &tiers, Some(&sel), Some(&gaz), None);
        let listed = doc["places"]["listed"].as_array().unwrap();
        let names: Vec<&str> = listed.iter().map(|p| p["name"].as_str().unwrap()).collect();
        for n in ["成都", "雅安", "康定", "Moxi"] {
            assert!(names.contains(&n), "{n} missing from {names:?}");
        }
        assert!(!names.contains(&"北京") && !names.contains(&"東京"));
        let total: u64 = listed
            .iter()
            .map(|p| p["users"].as_u64().unwrap())
            .sum::<u64>()
            + doc["places"]["other_places"]["users"].as_u64().unwrap()
            + doc["places"]["no_place_nearby"]["users"].as_u64().unwrap();
        assert_eq!(total, sel.users.len() as u64);
        let gz = &doc["exposure"]["estimates"]["gazetteer_based"];
        assert!(gz["label"].as_str().unwrap().starts_with("gazetteer-based"));
        // Moxi (3 km), Kangding (~13 km), Ya'an (~110 km) and Chengdu (~230 km) are within III.
        assert!(gz["total"].as_u64().unwrap() > 7_000_000, "{gz}");
        let users = &doc["exposure"]["estimates"]["platform_users"];
        assert!(users["label"]
            .as_str()
            .unwrap()
            .starts_with("platform users"));
        assert_eq!(users["total"].as_u64().unwrap(), sel.users.len() as u64);
    }
}

fn luding_report() -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "format": "cenc-quick-report/1",
        "event_id": "CC20220905124552",
        "status": "official",
        "origin_time": "2022-09-05T12:52:18+08:00",
        "latitude": 29.59,
        "longitude": 102.08,
        "depth_km": 16,
        "magnitude": 6.8,
        "magnitude_type": "M",
        "region": "四川甘孜州泸定县",
    }))
    .unwrap()
}

#[test]
fn last_seen_filter_keeps_unknowns_and_recent_users() {
    let dir = tempfile::tempdir().unwrap();
    let (lat, lon, ..) = LUDING;
    let at = |km: f64| destination(lat, lon, 10.0, km);
    let rows = vec![
        UserRow {
            seen: Some(1_662_000_000),
            ..row(1, at(5.0))
        },
        UserRow {
            seen: Some(1_600_000_000),
            ..row(2, at(5.0))
        },
        UserRow {
            seen: None,
            ..row(3, at(5.0))
        },
    ];
    let ix = index_of(dir.path(), &rows);
    assert!(ix.header.has_seen());
    let opts = SelectOptions {
        seen_since: Some(1_650_000_000),
        ..Default::default()
    };
    let sel = select(&ix, &luding(), &opts).unwrap();
    assert_eq!(picked(&sel).keys().copied().collect::<Vec<_>>(), vec![1, 3]);
    assert_eq!(sel.stats.users_skipped_last_seen, 1);
}

#[test]
fn an_event_at_sea_with_no_users_writes_empty_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let rows = synthetic(&test_places(), 20_000);
    let csv = dir.path().join("users.csv");
    write_csv(&csv, &rows);
    let index = dir.path().join("users.qcx");
    let report = serde_json::json!({
        "type": "Feature",
        "id": "us7000sea1",
        "properties": {
            "mag": 6.1, "magType": "mww", "place": "central East Pacific Rise",
            "time": 1_662_353_538_000i64, "status": "reviewed",
        },
        "geometry": { "type": "Point", "coordinates": [-140.0, 0.0, 10.0] },
    });
    let event = dir.path().join("sea.json");
    std::fs::write(&event, serde_json::to_vec(&report).unwrap()).unwrap();
    let out = dir.path().join("out");
    cli(
        &["audience", "index"],
        &[csv.as_path(), Path::new("--index"), &index],
    );
    cli(
        &["audience", "select"],
        &[
            event.as_path(),
            Path::new("--index"),
            &index,
            Path::new("--out"),
            &out,
            Path::new("--no-places"),
        ],
    );
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["users"]["total"], 0);
    assert_eq!(summary["model"]["relation"], "aww2012-hypo");
    assert_eq!(summary["stats"]["records_read"], 0);
    let f = std::fs::File::open(out.join("audience.parquet")).unwrap();
    let reader = ParquetRecordBatchReaderBuilder::try_new(f).unwrap();
    assert_eq!(reader.metadata().file_metadata().num_rows(), 0);
    assert_eq!(reader.schema().field(1).name(), "tier");
    // The sea still has tier cells (the push service targets ships and islands by cell).
    let cells: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("cells.json")).unwrap()).unwrap();
    assert!(!cells["tiers"][1]["cells"].as_array().unwrap().is_empty());
}

fn cli(args: &[&str], paths: &[&Path]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_quakecast"))
        .args(args)
        .args(paths)
        .env("QUAKECAST_LOG", "warn")
        .output()
        .expect("run quakecast");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{args:?} failed: {stderr}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn cli_select_writes_the_audience_parquet_the_library_selects() {
    let dir = tempfile::tempdir().unwrap();
    let rows = synthetic(&test_places(), 50_000);
    let csv = dir.path().join("users.csv");
    write_csv(&csv, &rows);
    let index = dir.path().join("users.qcx");
    let event = dir.path().join("luding.json");
    std::fs::write(&event, luding_report()).unwrap();
    let out = dir.path().join("out");
    cli(
        &["audience", "index"],
        &[csv.as_path(), Path::new("--index"), &index],
    );
    cli(
        &[
            "audience",
            "select",
            "--no-places",
            "--tiers",
            "strong=VI,felt=IV,weak=III",
        ],
        &[
            event.as_path(),
            Path::new("--index"),
            &index,
            Path::new("--out"),
            &out,
        ],
    );
    let ix = UserIndex::open(&index).unwrap();
    let want = select(&ix, &luding(), &SelectOptions::default()).unwrap();
    let f = std::fs::File::open(out.join("audience.parquet")).unwrap();
    let mut got = Vec::new();
    for batch in ParquetRecordBatchReaderBuilder::try_new(f)
        .unwrap()
        .build()
        .unwrap()
    {
        let b = batch.unwrap();
        let ids = b.column(0).as_any().downcast_ref::<UInt64Array>().unwrap();
        let tiers = b.column(1).as_any().downcast_ref::<StringArray>().unwrap();
        for i in 0..b.num_rows() {
            got.push((ids.value(i), tiers.value(i).to_string()));
        }
    }
    let names = ["strong", "felt", "weak"];
    let want: Vec<(u64, String)> = want
        .users
        .iter()
        .map(|u| (u.id, names[usize::from(u.tier)].to_string()))
        .collect();
    assert_eq!(got, want);
    let gj: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("cells.geojson")).unwrap()).unwrap();
    assert_eq!(gj["type"], "FeatureCollection");
    assert_eq!(gj["features"][0]["properties"]["tier"], "strong");
}

fn expect_err(path: &Path) -> AudienceError {
    let snap = match Snapshot::open(path, None) {
        Ok(s) => s,
        Err(e) => return e,
    };
    snap.read_all().expect_err("should be rejected")
}

#[test]
fn malformed_csv_snapshots_are_rejected_precisely() {
    let dir = tempfile::tempdir().unwrap();
    let case = |name: &str, body: &str| -> String {
        let p = dir.path().join(name);
        std::fs::write(&p, body).unwrap();
        expect_err(&p).to_string()
    };
    let e = case("lat.csv", "user_id,lat,lon\n1,30.0,104.0\n2,95.5,104.0\n");
    assert!(
        e.contains("lat.csv: row 2 (line 3), column `lat`: latitude 95.5 is outside −90..=90"),
        "{e}"
    );
    let e = case("lon.csv", "user_id,lat,lon\n1,30.0,-181\n");
    assert!(
        e.contains("row 1 (line 2), column `lon`: longitude -181 is outside"),
        "{e}"
    );
    let e = case("missing.csv", "user_id,latitude,long\n1,30,104\n");
    assert!(e.contains("missing column `lon` (accepted names: lon, lng, longitude; found: user_id, latitude, long)"), "{e}");
    let e = case(
        "text.csv",
        "user_id,lat,lon\n1,30.0,104.0\n2,thirty,104.0\n",
    );
    assert!(
        e.contains("row 2 (line 3), column `lat`: \"thirty\" is not a number"),
        "{e}"
    );
    let e = case("id.csv", "uid,lat,lon\n1,30,104\n-4,30,104\n");
    assert!(
        e.contains("row 2 (line 3), column `uid`: \"-4\" is not an unsigned integer id"),
        "{e}"
    );
    let e = case("empty.csv", "user_id,lat,lon\n1,,104\n");
    assert!(
        e.contains("row 1 (line 2), column `lat`: empty; a number is required"),
        "{e}"
    );
    let e = case("ragged.csv", "user_id,lat,lon\n1,30,104\n2,30\n");
    assert!(e.contains("line 3: 2 fields where the header has 3"), "{e}");
    let e = case(
        "seen.csv",
        "user_id,lat,lon,last_seen\n1,30,104,yesterday\n",
    );
    assert!(
        e.contains(
            "column `last_seen`: \"yesterday\" is neither Unix seconds nor an RFC 3339 time"
        ),
        "{e}"
    );
    let e = case("nan.csv", "user_id,lat,lon\n1,NaN,104\n");
    assert!(e.contains("column `lat`: latitude NaN is outside"), "{e}");
    let e = case("nothing.csv", "");
    assert!(
        e.contains("missing column `user_id`") && e.contains("found: no columns"),
        "{e}"
    );
    let e = Snapshot::open(&dir.path().join("users.txt"), None)
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("cannot tell the snapshot format"), "{e}");
    // RFC 3339 and empty last_seen are fine.
    let p = dir.path().join("ok.csv");
    std::fs::write(
        &p,
        "user_id,lat,lon,last_seen\n1,30,104,2022-09-05T04:52:18Z\n2,30,104,\n",
    )
    .unwrap();
    let rows = Snapshot::open(&p, None).unwrap().read_all().unwrap();
    assert_eq!(rows[0].seen, Some(1_662_353_538));
    assert_eq!(rows[1].seen, None);
}

fn write_parquet(path: &Path, fields: Vec<(&str, ArrayRef)>) {
    let schema = Arc::new(Schema::new(
        fields
            .iter()
            .map(|(n, a)| Field::new(*n, a.data_type().clone(), true))
            .collect::<Vec<_>>(),
    ));
    let batch =
        RecordBatch::try_new(schema.clone(), fields.into_iter().map(|(_, a)| a).collect()).unwrap();
    let mut w = ArrowWriter::try_new(std::fs::File::create(path).unwrap(), schema, None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
}

#[test]
fn malformed_parquet_snapshots_are_rejected_precisely() {
    let dir = tempfile::tempdir().unwrap();
    let ids = || -> ArrayRef { Arc::new(UInt64Array::from(vec![1, 2, 3])) };
    let lats = || -> ArrayRef { Arc::new(Float64Array::from(vec![30.0, 31.0, 32.0])) };
    let lons = || -> ArrayRef { Arc::new(Float64Array::from(vec![104.0, 105.0, 106.0])) };
    let case = |name: &str, fields: Vec<(&str, ArrayRef)>| -> String {
        let p = dir.path().join(name);
        write_parquet(&p, fields);
        expect_err(&p).to_string()
    };
    let e = case(
        "type.parquet",
        vec![
            ("user_id", ids()),
            ("lat", Arc::new(StringArray::from(vec!["30", "31", "32"]))),
            ("lon", lons()),
        ],
    );
    assert!(e.contains("type.parquet: column `lat` has type Utf8; expected a floating-point number (Float64 or Float32)"), "{e}");
    let e = case("missing.parquet", vec![("user_id", ids()), ("lat", lats())]);
    assert!(
        e.contains(
            "missing column `lon` (accepted names: lon, lng, longitude; found: user_id, lat)"
        ),
        "{e}"
    );
    let e = case(
        "range.parquet",
        vec![
            ("user_id", ids()),
            ("lat", lats()),
            ("lon", Arc::new(Float64Array::from(vec![104.0, 185.0, 1.0]))),
        ],
    );
    assert!(
        e.contains("range.parquet: row 2, column `lon`: longitude 185 is outside −180..=180"),
        "{e}"
    );
    let e = case(
        "null.parquet",
        vec![
            ("user_id", ids()),
            (
                "lat",
                Arc::new(Float64Array::from(vec![Some(30.0), Some(31.0), None])),
            ),
            ("lon", lons()),
        ],
    );
    assert!(
        e.contains("row 3, column `lat`: null; a value is required"),
        "{e}"
    );
    let e = case(
        "negative.parquet",
        vec![
            ("uid", Arc::new(Int64Array::from(vec![5, -7, 9]))),
            ("lat", lats()),
            ("lon", lons()),
        ],
    );
    assert!(e.contains("row 2, column `uid`: -7 is negative"), "{e}");
    let e = case(
        "idtype.parquet",
        vec![
            ("user_id", Arc::new(Float64Array::from(vec![1.0, 2.0, 3.0]))),
            ("lat", lats()),
            ("lon", lons()),
        ],
    );
    assert!(
        e.contains("column `user_id` has type Float64; expected an integer"),
        "{e}"
    );
    let p = dir.path().join("garbage.parquet");
    std::fs::write(&p, b"PAR1 not really").unwrap();
    let e = expect_err(&p).to_string();
    assert!(
        e.contains("garbage.parquet: not a readable Parquet file"),
        "{e}"
    );
    // Extra columns are ignored; Int64 last_seen is Unix seconds.
    let p = dir.path().join("ok.parquet");
    write_parquet(
        &p,
        vec![
            ("name", Arc::new(StringArray::from(vec!["a", "b", "c"]))),
            ("longitude", lons()),
            ("latitude", lats()),
            ("user_id", ids()),
            (
                "last_seen",
                Arc::new(Int64Array::from(vec![Some(10), None, Some(30)])),
            ),
        ],
    );
    let rows = Snapshot::open(&p, None).unwrap().read_all().unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(
        (rows[1].id, rows[1].lat, rows[1].lon, rows[1].seen),
        (2, 31.0, 105.0, None)
    );
    assert_eq!(rows[2].seen, Some(30));
    let _ = DataType::Null;
}

#[test]
fn parquet_and_csv_snapshots_give_identical_indexes() {
    let dir = tempfile::tempdir().unwrap();
    let places = test_places();
    let pq = dir.path().join("users.parquet");
    let opts = GenerateOptions {
        users: 30_000,
        ..Default::default()
    };
    quakecast_audience::generate::generate(
        &places,
        &opts,
        &pq,
        quakecast_audience::SnapshotFormat::Parquet,
    )
    .unwrap();
    let csv = dir.path().join("users.csv");
    quakecast_audience::generate::generate(
        &places,
        &opts,
        &csv,
        quakecast_audience::SnapshotFormat::Csv,
    )
    .unwrap();
    let (a, b) = (dir.path().join("a.qcx"), dir.path().join("b.qcx"));
    build_index(&pq, &a, &BuildOptions::default()).unwrap();
    build_index(&csv, &b, &BuildOptions::default()).unwrap();
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    assert_eq!(
        Snapshot::open(&pq, None).unwrap().read_all().unwrap(),
        synthetic(&places, 30_000)
    );
}

#[test]
fn rebuild_copies_unchanged_partitions_and_equals_a_full_build() {
    let dir = tempfile::tempdir().unwrap();
    let places = test_places();
    let mut rows = synthetic(&places, 60_000);
    let csv = dir.path().join("users.csv");
    write_csv(&csv, &rows);
    let index = dir.path().join("users.qcx");
    let first = build_index(&csv, &index, &BuildOptions::default()).unwrap();
    assert_eq!(first.partitions_reused, 0);
    assert_eq!(first.partitions_rebuilt, first.partitions);

    // The same snapshot again: everything is reused.
    let again = build_index(&csv, &index, &BuildOptions::default()).unwrap();
    assert_eq!(again.partitions_reused, again.partitions);
    assert_eq!(again.users_rebuilt, 0);

    // Users near Lhasa move 2 km east, one leaves and one joins: only Lhasa's partitions change.
    let lhasa = |r: &UserRow| distance_km(r.lat, r.lon, 29.65, 91.10) < 50.0;
    let moved = rows.iter().filter(|r| lhasa(r)).count();
    assert!(moved > 10);
    for r in rows.iter_mut().filter(|r| lhasa(r)) {
        r.lon += 0.02;
    }
    let gone = rows.iter().position(lhasa).unwrap();
    rows.remove(gone);
    rows.push(row(42, (29.66, 91.11)));
    write_csv(&csv, &rows);
    let inc = build_index(&csv, &index, &BuildOptions::default()).unwrap();
    assert!(
        inc.partitions_rebuilt >= 1 && inc.partitions_rebuilt <= 4,
        "{inc:?}"
    );
    assert!(inc.partitions_reused >= inc.partitions - 4, "{inc:?}");
    assert!(inc.users_rebuilt < 2 * moved as u64, "{inc:?}");
    let full = dir.path().join("full.qcx");
    build_index(
        &csv,
        &full,
        &BuildOptions {
            full: true,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(
        std::fs::read(&index).unwrap(),
        std::fs::read(&full).unwrap()
    );

    // The rebuilt index answers like a fresh one.
    let ix = UserIndex::open(&index).unwrap();
    let sel = select(
        &ix,
        &IntensityModel::new(Relation::ChinaWest, 6.0, 10.0, 29.65, 91.10),
        &SelectOptions::default(),
    )
    .unwrap();
    assert!(picked(&sel).contains_key(&42));
}

#[test]
fn an_empty_snapshot_gives_an_empty_index() {
    let dir = tempfile::tempdir().unwrap();
    let ix = index_of(dir.path(), &[]);
    assert_eq!(ix.users(), 0);
    assert_eq!(ix.cell_count(), 0);
    let sel = select(&ix, &luding(), &SelectOptions::default()).unwrap();
    assert!(sel.users.is_empty());
    assert_eq!(sel.tier_counts, vec![0, 0, 0]);
}

#[test]
fn corrupt_index_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let ix = index_of(dir.path(), &synthetic(&test_places(), 1_000));
    let bytes = std::fs::read(&ix.path).unwrap();
    let p: PathBuf = dir.path().join("cut.qcx");
    std::fs::write(&p, &bytes[..bytes.len() - 10]).unwrap();
    let e = UserIndex::open(&p).err().unwrap().to_string();
    assert!(e.contains("truncated or inconsistent"), "{e}");
    std::fs::write(&p, b"hello").unwrap();
    let e = UserIndex::open(&p).err().unwrap().to_string();
    assert!(e.contains("shorter than its 4096-byte header"), "{e}");
    let e = UserIndex::open(&dir.path().join("absent.qcx"))
        .err()
        .unwrap();
    assert!(e.is_retryable());
}

#[test]
fn heat_cells_count_the_users_under_them_and_hide_small_cells() {
    use quakecast_audience::heat::IndexHeat;
    use quakecast_facts::heat::{HeatSource, HEAT_MIN_USERS};
    let dir = tempfile::tempdir().unwrap();
    // A town of 400 users within 2 km of (29.9, 102.2), 5 lone users elsewhere in the circle
    // (cells under the minimum), and 300 users 400 km away (outside it).
    let mut rows = Vec::new();
    for i in 0..400u64 {
        let (lat, lon) = destination(29.9, 102.2, (i * 37 % 360) as f64, (i % 20) as f64 * 0.1);
        rows.push(row(i, (lat, lon)));
    }
    for i in 0..5u64 {
        rows.push(row(
            1000 + i,
            destination(29.59, 102.08, i as f64 * 72.0, 60.0),
        ));
    }
    for i in 0..300u64 {
        rows.push(row(2000 + i, destination(33.0, 104.0, i as f64, 1.0)));
    }
    let csv = dir.path().join("users.csv");
    write_csv(&csv, &rows);
    let out = dir.path().join("users.qcx");
    build_index(&csv, &out, &BuildOptions::default()).unwrap();
    let heat = IndexHeat::open(&out).unwrap();
    let h = heat.heat(29.59, 102.08, 150.0).expect("the town's cells");
    assert!(h.cells.iter().all(|c| c.users >= HEAT_MIN_USERS), "{h:?}");
    assert_eq!(
        h.users, 400,
        "the town, not the lone users nor the far ones"
    );
    assert_eq!(h.cells.iter().map(|c| c.users).sum::<u64>(), 400);
    assert!(h.cells.iter().all(|c| c.boundary.len() >= 5));
    assert!(h.resolution <= 7);
    // Nothing to show far from everyone.
    assert!(heat.heat(-40.0, -120.0, 150.0).is_none());
    assert!(h.legend(quakecast_facts::Lang::Zh).contains("每格≥10人"));
}

/// The gazetteer decoded around an epicentre (`Gazetteer::load_near`, what `audience select`
/// and `audience cells` load: the other places' names are never decoded) gives the summary the
/// whole gazetteer gives: the same gazetteer-based exposure and the same places near the
/// epicentre, for quakes large and small, in China and abroad, on land and at sea.
#[test]
fn the_gazetteer_around_an_epicentre_gives_what_the_whole_one_gives() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/geonames/cities1000.json");
    let whole = Gazetteer::load(&path).expect("gazetteer: run scripts/setup.sh");
    let tiers = Tiers::default();
    for (lat, lon, depth, m) in [
        LUDING,
        (37.23, 37.01, 10.0, 7.8),   // Kahramanmaraş
        (37.50, 137.27, 10.0, 7.5),  // Noto
        (39.90, 116.40, 10.0, 4.1),  // a small quake under Beijing
        (35.77, -117.60, 8.0, 7.1),  // Ridgecrest
        (-20.0, -175.0, 200.0, 6.0), // Tonga, at sea
        (89.0, 0.0, 10.0, 8.0),      // near the pole
    ] {
        let model = IntensityModel::new(Relation::for_epicenter(lat, lon), m, depth, lat, lon);
        let radius = model.max_radius_km(tiers.min_intensity()).max(0.0) + 100.0;
        let near = Gazetteer::load_near(&path, lat, lon, radius).expect("near");
        assert!(near.places.len() <= whole.places.len());
        assert_eq!(
            summary::gazetteer_exposure(&model, &tiers, &near),
            summary::gazetteer_exposure(&model, &tiers, &whole),
            "exposure around ({lat}, {lon}) M{m}"
        );
        let ids = |g: &Gazetteer| {
            let n = g.near(lat, lon, radius);
            n.indices()
                .map(|i| n.place(i).geonameid)
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(&near), ids(&whole), "places around ({lat}, {lon})");
        eprintln!(
            "({lat}, {lon}) M{m}: {} of {} places decoded, {} within {radius:.0} km",
            near.places.len(),
            whole.places.len(),
            ids(&whole).len()
        );
    }
}
