//! Mean elevation within 5 km: DEMs generated here (ESRI ASCII grids and an SRTM tile) whose
//! means are known by hand, the coverage rules, header errors, the wording, and the Map cue.
use chrono::{TimeZone, Utc};
use quakecast_facts::elevation::{
    ElevationSummary, ELEVATION_RADIUS_KM, HGT_VOID, MIN_VALID_FRACTION,
};
use quakecast_facts::{Dem, DemError, Event, Facts, ReportStatus, Source};
use quakecast_scenes::narration::{script, script_for};
use quakecast_scenes::phrases::{
    elevation_sentence_en, elevation_sentence_en_spoken, elevation_sentence_zh,
    elevation_sentence_zh_spoken,
};
use quakecast_scenes::{SceneKind, Theme};

/// A 21 × 21 grid of 0.01° cells centred on (0°, 100.1°E): row 10 is the equator, column 10
/// the centre meridian. `z(row, col)`: `None` writes the NODATA value.
fn equator_grid(z: impl Fn(usize, usize) -> Option<f64>) -> String {
    let mut s = String::from(
        "ncols        21\nnrows        21\nxllcenter    100.0\nyllcenter    -0.1\n\
         cellsize     0.01\nNODATA_value -9999\n",
    );
    for r in 0..21 {
        let row: Vec<String> = (0..21)
            .map(|c| z(r, c).map_or("-9999".to_string(), |v| v.to_string()))
            .collect();
        s.push_str(&row.join(" "));
        s.push('\n');
    }
    s
}

/// The cells of the equator grid within 5 km of its centre, as (row, col). On the equator a
/// 0.01° step is 1.112 km, and at these sizes the sphere is flat to 1e-6: a cell at offsets
/// (i, j) is inside when √(i² + j²) · 1.112 ≤ 5, i.e. i² + j² ≤ 20 (the next value, 25, is far
/// out; 20 is 2 % inside).
fn cells_in_circle() -> Vec<(usize, usize)> {
    let mut v = Vec::new();
    for i in -5i32..=5 {
        for j in -5i32..=5 {
            if i * i + j * j <= 20 {
                v.push(((10 + i) as usize, (10 + j) as usize));
            }
        }
    }
    v
}

fn event(lat: f64, lon: f64, source: Source) -> Event {
    Event {
        source,
        event_id: "dem".into(),
        status: ReportStatus::Official,
        revision: 0,
        origin_time: Utc.with_ymd_and_hms(2022, 5, 20, 0, 36, 0).unwrap(),
        lat,
        lon,
        depth_km: 20.0,
        magnitude: 4.8,
        magnitude_type: "M".into(),
        region: if source == Source::Cenc {
            "四川雅安市汉源县".into()
        } else {
            "45 km SW of Ya'an, China".into()
        },
        revised: false,
    }
}

fn summary(mean_m: f64) -> ElevationSummary {
    ElevationSummary {
        mean_m,
        min_m: mean_m - 100.0,
        max_m: mean_m + 100.0,
        cells: 69,
        radius_km: ELEVATION_RADIUS_KM,
        source: None,
        interpolated: false,
    }
}

#[test]
fn the_hand_count_of_cells() {
    assert_eq!(cells_in_circle().len(), 69);
}

#[test]
fn plane_rising_southwards_averages_to_the_centre_row() {
    // z = 1000 + 10·row: the circle is symmetric about the equator, so the mean is the centre
    // row's height; the rows reached are 10 ± 4 (5 rows would be 5.56 km).
    let dem = Dem::from_esri_ascii(&equator_grid(|r, _| Some(1000.0 + 10.0 * r as f64)))
        .expect("grid parses");
    assert_eq!(dem.size(), (21, 21));
    let s = dem.mean_within(0.0, 100.1, 5.0).expect("covered");
    assert!((s.mean_m - 1100.0).abs() < 1e-9, "{s:?}");
    assert_eq!((s.min_m, s.max_m), (1060.0, 1140.0));
    assert_eq!(s.cells, 69);
    assert_eq!(s.radius_km, 5.0);
    assert_eq!(s.rounded_m(), 1100);
    // Along a parallel the grid is symmetric at any latitude: z = column.
    let dem = Dem::from_esri_ascii(&equator_grid(|_, c| Some(c as f64))).expect("grid parses");
    let s = dem.mean_within(0.0, 100.1, 5.0).expect("covered");
    assert!((s.mean_m - 10.0).abs() < 1e-9, "{s:?}");
    assert_eq!((s.min_m, s.max_m), (6.0, 14.0));
}

#[test]
fn constant_grid_at_30_degrees() {
    // 41 × 41 cells of 0.005° around (30°N, 102.5°E), heights as integers.
    let mut text = String::from(
        "NCOLS 41\r\nNROWS 41\r\nXLLCORNER 102.3975\r\nYLLCORNER 29.8975\r\nCELLSIZE 0.005\r\n",
    );
    for _ in 0..41 {
        text.push_str(&vec!["2534"; 41].join(" "));
        text.push_str("\r\n");
    }
    let dem = Dem::from_esri_ascii(&text).expect("grid parses");
    let s = dem.mean_within(30.0, 102.5, 5.0).expect("covered");
    assert_eq!((s.mean_m, s.min_m, s.max_m), (2534.0, 2534.0, 2534.0));
    assert_eq!(s.rounded_m(), 2530);
    // ~0.48 × 0.56 km cells: π·5² / 0.27 ≈ 290 cells.
    assert!((250..330).contains(&s.cells), "{}", s.cells);
}

#[test]
fn nodata_cells_are_left_out_up_to_the_coverage_rule() {
    let circle = cells_in_circle();
    // 69 cells: 56 valid (81 %) is enough, 55 (79.7 %) is not.
    let need = MIN_VALID_FRACTION * circle.len() as f64;
    assert!(56.0 >= need && 55.0 < need, "{need}");
    let with_voids = |n: usize| {
        let voids = &circle[..n];
        let text = equator_grid(|r, c| (!voids.contains(&(r, c))).then_some(500.0));
        Dem::from_esri_ascii(&text).expect("grid parses")
    };
    let s = with_voids(13)
        .mean_within(0.0, 100.1, 5.0)
        .expect("81 % valid");
    assert_eq!((s.mean_m, s.cells), (500.0, 56));
    assert_eq!(with_voids(14).mean_within(0.0, 100.1, 5.0), None);
    // Voids outside the circle do not count.
    let text = equator_grid(|r, c| (r > 1 && c > 1).then_some(500.0));
    let s = Dem::from_esri_ascii(&text)
        .expect("grid parses")
        .mean_within(0.0, 100.1, 5.0)
        .expect("covered");
    assert_eq!(s.cells, 69);
    // A grid without NODATA_value uses ESRI's default, -9999 (the equator row, 9 cells of the
    // circle); `nan` is a void too (one cell north of the centre).
    let text = equator_grid(|r, c| match (r, c) {
        (10, _) => None,
        (9, 10) => Some(501.0),
        _ => Some(500.0),
    })
    .replace("NODATA_value -9999\n", "")
    .replace("501", "nan");
    assert!(!text.contains("NODATA") && text.contains(" nan "));
    let s = Dem::from_esri_ascii(&text)
        .expect("grid parses")
        .mean_within(0.0, 100.1, 5.0)
        .expect("covered");
    assert_eq!((s.mean_m, s.cells), (500.0, 59));
}

#[test]
fn circle_not_covered_by_the_grid() {
    let dem = Dem::from_esri_ascii(&equator_grid(|_, _| Some(700.0))).expect("grid parses");
    // The grid reaches 0.105°N; a circle of 0.045° around 0.07°N reaches 0.115°N.
    assert_eq!(dem.mean_within(0.07, 100.1, 5.0), None);
    assert_eq!(dem.mean_within(0.0, 100.17, 5.0), None);
    assert_eq!(dem.mean_within(35.0, 100.1, 5.0), None);
    // Just inside: 0.105 - 0.045 = 0.06.
    assert!(dem.mean_within(0.059, 100.1, 5.0).is_some());
    // A radius smaller than the cells' spacing can hold no cell centre.
    assert_eq!(dem.mean_within(0.005, 100.105, 0.1), None);
    assert_eq!(dem.mean_within(0.0, 100.1, 0.0), None);
    assert_eq!(dem.mean_within(f64::NAN, 100.1, 5.0), None);
}

/// A 1201 × 1201 SRTM tile, big-endian, `z(row, col)`.
fn hgt(z: impl Fn(usize, usize) -> i16) -> Vec<u8> {
    let mut b = Vec::with_capacity(1201 * 1201 * 2);
    for r in 0..1201 {
        for c in 0..1201 {
            b.extend_from_slice(&z(r, c).to_be_bytes());
        }
    }
    b
}

#[test]
fn srtm_tile_orientation_and_mean() {
    // z = row − col: a flipped or transposed reading gives other heights at these samples.
    let dem = Dem::from_hgt("N29E102.hgt", &hgt(|r, c| r as i16 - c as i16)).expect("tile");
    assert_eq!(dem.size(), (1201, 1201));
    let [w, s, e, n] = dem.extent();
    let half = 1.0 / 2400.0;
    assert!((w - (102.0 - half)).abs() < 1e-12 && (e - (103.0 + half)).abs() < 1e-12);
    assert!((s - (29.0 - half)).abs() < 1e-12 && (n - (30.0 + half)).abs() < 1e-12);
    for (r, c) in [(100usize, 200usize), (1000, 300), (600, 900)] {
        let (lat, lon) = (30.0 - r as f64 / 1200.0, 102.0 + c as f64 / 1200.0);
        // 50 m around a sample: that sample alone (neighbours are ≥ 80 m away).
        let s = dem.mean_within(lat, lon, 0.05).expect("covered");
        assert_eq!(
            (s.mean_m, s.cells),
            (r as f64 - c as f64, 1),
            "sample ({r}, {c})"
        );
        assert_eq!(dem.height_at(lat, lon), Some(r as f64 - c as f64));
    }
    // z = 2000 + col: symmetric along the parallel, so the 5 km mean is the centre column's.
    let dem = Dem::from_hgt("N29E102.hgt", &hgt(|_, c| 2000 + c as i16)).expect("tile");
    let s = dem.mean_within(29.5, 102.5, 5.0).expect("covered");
    assert!((s.mean_m - 2600.0).abs() < 1e-9, "{s:?}");
    assert_eq!(s.max_m - 2600.0, 2600.0 - s.min_m);
    // 3″ cells at 29.5°N are 92.7 m × 80.6 m: π·5² km² / that ≈ 10,500 cells.
    assert!((10_000..11_000).contains(&s.cells), "{}", s.cells);
    // Southern and western hemispheres, a path before the name.
    let dem = Dem::from_hgt("/data/dem/S09W075.hgt", &hgt(|_, _| 100)).expect("tile");
    let [w, s, _, n] = dem.extent();
    assert!((w + 75.0).abs() < 1e-3 && (s + 9.0).abs() < 1e-3 && (n + 8.0).abs() < 1e-3);
    assert_eq!(
        dem.mean_within(-8.5, -74.5, 5.0).map(|s| s.mean_m),
        Some(100.0)
    );
}

#[test]
fn srtm_voids() {
    // A void stripe of 200 columns through the centre: far more than 20 % of the circle.
    let dem = Dem::from_hgt(
        "N29E102.hgt",
        &hgt(|_, c| {
            if (500..700).contains(&c) {
                HGT_VOID
            } else {
                1500
            }
        }),
    )
    .expect("tile");
    assert_eq!(dem.mean_within(29.5, 102.5, 5.0), None);
    assert_eq!(dem.height_at(29.5, 102.5), None);
    // Away from the stripe the tile is fine.
    let s = dem.mean_within(29.5, 102.2, 5.0).expect("covered");
    assert_eq!(s.mean_m, 1500.0);
}

#[test]
fn srtm_errors_name_the_tile_and_the_sizes() {
    let err = Dem::from_hgt("N29E102.hgt", &[0u8; 1000]).expect_err("refused");
    assert_eq!(
        err,
        DemError::TileSize {
            name: "N29E102.hgt".into(),
            len: 1000
        }
    );
    assert_eq!(
        err.to_string(),
        "`N29E102.hgt`: 1000 bytes is not an SRTM tile: expected 2884802 (1201 × 1201 samples, \
         3″) or 25934402 (3601 × 3601 samples, 1″)"
    );
    let err = Dem::from_hgt("dem/elevation.hgt", &hgt(|_, _| 0)).expect_err("refused");
    assert_eq!(
        err.to_string(),
        "`elevation.hgt`: not an SRTM tile name: expected the south-west corner as in \
         `N29E102.hgt` (N/S, 2-digit latitude, E/W, 3-digit longitude)"
    );
    assert!(!err.is_retryable());
}

fn esri_err(text: &str) -> String {
    Dem::from_esri_ascii(text)
        .expect_err("the grid is refused")
        .to_string()
}

#[test]
fn esri_header_errors_name_the_line() {
    let body = "1 2\n3 4\n";
    let ok = "ncols 2\nnrows 2\nxllcorner 10\nyllcorner 20\ncellsize 0.5\n";
    assert!(Dem::from_esri_ascii(&format!("{ok}{body}")).is_ok());

    assert_eq!(
        esri_err(&format!(
            "ncols 2\nnrows two\nxllcorner 10\nyllcorner 20\ncellsize 0.5\n{body}"
        )),
        "ESRI ASCII grid line 2: `nrows` = `two` is not a positive whole number"
    );
    assert_eq!(
        esri_err(&format!(
            "ncols 0\nnrows 2\nxllcorner 10\nyllcorner 20\ncellsize 0.5\n{body}"
        )),
        "ESRI ASCII grid line 1: `ncols` = `0` is not a positive whole number"
    );
    assert_eq!(
        esri_err(&format!(
            "ncols 2\nnrows 2\nxllcorner 10\nyllcorner 20\ncellsize -1\n{body}"
        )),
        "ESRI ASCII grid line 5: `cellsize` = `-1` must be positive"
    );
    assert_eq!(
        esri_err(&format!("{ok}ncols 3\n{body}")),
        "ESRI ASCII grid line 6: `ncols` repeats (first given on line 1)"
    );
    assert_eq!(
        esri_err(&format!("{ok}xllcenter 10\n{body}")),
        "ESRI ASCII grid line 6: `xllcenter` repeats (first given on line 3)"
    );
    assert_eq!(
        esri_err(&format!("{ok}byteorder LSBFIRST\n{body}")),
        "ESRI ASCII grid line 6: unknown header keyword `byteorder`: expected one of ncols, \
         nrows, xllcorner, xllcenter, yllcorner, yllcenter, cellsize, dx, dy, NODATA_value"
    );
    assert_eq!(
        esri_err(&format!("{ok}NODATA_value\n{body}")),
        "ESRI ASCII grid line 6: `NODATA_value` is not a header line: expected a keyword and \
         one value"
    );
    assert_eq!(
        esri_err(&format!(
            "ncols 2\nnrows 2\nxllcorner 10\ncellsize 0.5\n{body}"
        )),
        "ESRI ASCII grid: missing header `yllcorner`"
    );
    assert_eq!(
        esri_err(&format!(
            "ncols 2\nnrows 2\nxllcorner 10\nyllcorner 20\ndx 0.5\n{body}"
        )),
        "ESRI ASCII grid: missing header `dy`"
    );
    assert_eq!(esri_err(""), "ESRI ASCII grid: missing header `ncols`");
}

#[test]
fn esri_value_errors() {
    let ok = "ncols 2\nnrows 2\nxllcorner 10\nyllcorner 20\ncellsize 0.5\n";
    assert_eq!(
        esri_err(&format!("{ok}1 2\n3 x4\n")),
        "ESRI ASCII grid line 7: `x4` is not a number (row 2, column 2)"
    );
    assert_eq!(
        Dem::from_esri_ascii(&format!("{ok}1 2\n3\n")).expect_err("refused"),
        DemError::ValueCount {
            nrows: 2,
            ncols: 2,
            expected: 4,
            found: 3
        }
    );
    assert_eq!(
        esri_err(&format!("{ok}1 2\n3 4 5\n")),
        "ESRI ASCII grid: 5 values after the header, expected 4 (2 rows × 2 columns)"
    );
    // A projected grid (UTM metres) is refused with what to do.
    assert_eq!(
        esri_err("ncols 2\nnrows 2\nxllcorner 500000\nyllcorner 3300000\ncellsize 30\n1 2\n3 4\n"),
        "ESRI ASCII grid: line 3: the grid spans longitudes 500000 to 500060, outside −180° to \
         360°: the grid must be in geographic degrees (EPSG:4326); reproject with \
         `gdalwarp -t_srs EPSG:4326`"
    );
}

#[test]
fn non_square_cells_and_a_grid_in_0_to_360() {
    // dx/dy as gdal_translate writes them for Copernicus tiles above 50°N; longitudes 0–360.
    let mut text =
        String::from("ncols 21\nnrows 21\nxllcenter 199.9\nyllcenter 59.9\ndx 0.02\ndy 0.01\n");
    for r in 0..21 {
        let row: Vec<String> = (0..21).map(|c| (r * 100 + c).to_string()).collect();
        text.push_str(&row.join(" "));
        text.push('\n');
    }
    let dem = Dem::from_esri_ascii(&text).expect("grid parses");
    assert_eq!(dem.cell_deg(), (0.02, 0.01));
    // 160.1°W is 199.9 + 0.2 = 200.1°E: column 10, row 10 (60.0°N).
    assert_eq!(dem.height_at(60.0, -159.9), Some(1010.0));
    let s = dem.mean_within(60.0, -159.9, 0.3).expect("covered");
    assert_eq!((s.mean_m, s.cells), (1010.0, 1));
}

#[test]
fn sentences() {
    let s = summary(2534.4);
    assert_eq!(
        elevation_sentence_zh(&s),
        "震中5公里范围内平均海拔约2530米。"
    );
    assert_eq!(
        elevation_sentence_zh_spoken(&s),
        "震中五公里范围内平均海拔约两千五百三十米。"
    );
    assert_eq!(
        elevation_sentence_en(&s),
        "Mean elevation within 5 km of the epicenter: about 2,530 m."
    );
    assert_eq!(
        elevation_sentence_en_spoken(&s),
        "The mean elevation within 5 kilometers of the epicenter is about 2,530 meters."
    );
    let cases = [
        (3316.0, "3320米", "三千三百二十米"),
        (1765.0, "1770米", "一千七百七十米"),
        (205.0, "210米", "二百一十米"),
        (4004.0, "4000米", "四千米"),
        (12.0, "10米", "十米"),
        // Below sea level: the sea floor's depth, "平均水深约20米".
        (-23.0, "20米", "二十米"),
    ];
    for (m, show, say) in cases {
        let s = summary(m);
        assert!(
            elevation_sentence_zh(&s).ends_with(&format!("约{show}。")),
            "{m}"
        );
        assert!(
            elevation_sentence_zh_spoken(&s).ends_with(&format!("约{say}。")),
            "{m}"
        );
    }
    assert!(elevation_sentence_zh(&summary(-23.0)).contains("平均水深约20米"));
    assert_eq!(
        elevation_sentence_en(&summary(-23.0)),
        "Mean water depth within 5 km of the epicenter: about 20 m."
    );
}

#[test]
fn map_cue_says_the_elevation_only_when_there_is_one() {
    let dem = Dem::from_esri_ascii(&equator_grid(|r, _| Some(2500.0 + 10.0 * r as f64)))
        .expect("grid parses");
    let theme = Theme::default();

    let e = event(0.0, 100.1, Source::Cenc);
    let without = Facts::from_event(&e);
    let with = Facts::from_event(&e).with_elevation(&e, Some(&dem));
    assert_eq!(with.elevation.as_ref().map(|s| s.rounded_m()), Some(2600));
    assert_eq!(Facts::from_event(&e).with_elevation(&e, None), without);

    let map = |f: &Facts| {
        script_for(&e, f, &theme)
            .cues
            .into_iter()
            .find(|c| c.scene == SceneKind::Map)
            .expect("map cue")
    };
    let plain = map(&without);
    assert_eq!(plain.subtitle, "震中位于北纬0度，东经100.1度。");
    assert!(!plain.subtitle.contains("海拔"));
    assert_eq!(plain, script(&e).cues[2], "unchanged without a DEM");
    let cue = map(&with);
    assert_eq!(
        cue.subtitle,
        "震中位于北纬0度，东经100.1度。震中5公里范围内平均海拔约2600米。"
    );
    assert_eq!(
        cue.text_zh,
        format!("{}震中五公里范围内平均海拔约两千六百米。", plain.text_zh)
    );
    assert!(!cue.text_zh.chars().any(|c| c.is_ascii_alphanumeric()));
    // Only the Map cue changes.
    let (a, b) = (
        script_for(&e, &without, &theme),
        script_for(&e, &with, &theme),
    );
    assert_eq!(a.cues.len(), b.cues.len());
    for (x, y) in a.cues.iter().zip(&b.cues) {
        assert!(x == y || x.scene == SceneKind::Map);
    }

    // Outside the grid: no fact, no sentence.
    let far = event(29.67, 102.48, Source::Cenc);
    let f = Facts::from_event(&far).with_elevation(&far, Some(&dem));
    assert_eq!(f.elevation, None);

    // English.
    let e = event(0.0, 100.1, Source::Usgs);
    let with = Facts::from_event(&e).with_elevation(&e, Some(&dem));
    let cue = script_for(&e, &with, &theme)
        .cues
        .into_iter()
        .find(|c| c.scene == SceneKind::Map)
        .expect("map cue");
    assert_eq!(
        cue.subtitle,
        "Epicenter 0°N, 100.1°E. Mean elevation within 5 km of the epicenter: about 2,600 m."
    );
    assert!(cue.text_zh.ends_with(
        " The mean elevation within 5 kilometers of the epicenter is about 2,600 meters."
    ));
    let plain = script_for(&e, &Facts::from_event(&e), &theme);
    assert!(!plain.cues.iter().any(|c| c.subtitle.contains("elevation")));
}

#[test]
fn facts_without_the_field_still_deserialize() {
    let e = event(0.0, 100.1, Source::Cenc);
    let mut v = serde_json::to_value(Facts::from_event(&e)).expect("serialize");
    v.as_object_mut().expect("object").remove("elevation");
    let f: Facts = serde_json::from_value(v).expect("deserialize");
    assert_eq!(f.elevation, None);
}
