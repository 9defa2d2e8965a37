//! The map decoders on the real data files (`bash scripts/setup.sh` fetches them).

use quakecast_facts::basemap::{decode_echarts_map, LOD_TOLERANCES_DEG};
use quakecast_facts::{LayerKind, MapData, MapError, ASSET_FILES};
use quakecast_scenes::projection::{distance_km, lonlat};
use quakecast_testkit::{assets, read_data, read_data_bytes};

/// Even-odd point-in-polygon in the plane of (lon, lat).
fn inside(ring: &[[f32; 2]], p: (f64, f64)) -> bool {
    let mut c = false;
    let n = ring.len();
    for i in 0..n {
        let (a, b) = (ring[i], ring[(i + n - 1) % n]);
        let (ax, ay, bx, by) = (
            f64::from(a[0]),
            f64::from(a[1]),
            f64::from(b[0]),
            f64::from(b[1]),
        );
        if (ay > p.1) != (by > p.1) && p.0 < (bx - ax) * (p.1 - ay) / (by - ay) + ax {
            c = !c;
        }
    }
    c
}

#[test]
fn echarts_provinces_decode_to_china() {
    let rings = decode_echarts_map(&read_data(ASSET_FILES[2])).expect("china.js decodes");
    let mut names: Vec<&str> = rings.iter().map(|(n, _)| n.as_str()).collect();
    names.dedup();
    assert_eq!(names.len(), 34, "{names:?}");
    for want in ["四川", "新疆", "台湾", "海南", "香港", "澳门", "北京"] {
        assert!(names.contains(&want), "{want} missing");
    }
    // Every point lies in China's extent.
    for (name, r) in &rings {
        for p in r {
            assert!(
                (73.0..136.0).contains(&p[0]) && (3.0..54.0).contains(&p[1]),
                "{name}: {p:?}"
            );
        }
    }
    // Hanyuan is in Sichuan, Chengdu too; Lhasa in Tibet and not in Sichuan.
    let in_prov = |name: &str, p: (f64, f64)| {
        rings.iter().filter(|(n, _)| n == name).any(|(_, r)| {
            let r32: Vec<[f32; 2]> = r.iter().map(|q| [q[0] as f32, q[1] as f32]).collect();
            inside(&r32, p)
        })
    };
    assert!(in_prov("四川", (102.48, 29.67)));
    assert!(in_prov("四川", (104.07, 30.67)));
    assert!(in_prov("西藏", (91.13, 29.65)));
    assert!(!in_prov("四川", (91.13, 29.65)));
    assert!(in_prov("台湾", (121.0, 23.7)));
}

#[test]
fn land_and_borders_decode() {
    let map = &assets().map;
    let land = map.layer(LayerKind::Land).expect("land layer");
    let water = map.layer(LayerKind::Water).expect("water layer");
    let countries = map.layer(LayerKind::Country).expect("country layer");
    let provinces = map.layer(LayerKind::Province).expect("province layer");
    assert!(land.rings.len() > 1000, "{} land rings", land.rings.len());
    assert!(
        countries.rings.len() > 300,
        "{} border lines",
        countries.rings.len()
    );
    assert!(provinces.rings.len() > 34);
    // Land: Sichuan and Valparaíso are on land, the middle of the Pacific is not.
    let on_land =
        |p| land.rings.iter().any(|r| inside(r, p)) && !water.rings.iter().any(|r| inside(r, p));
    assert!(on_land((102.48, 29.67)));
    assert!(on_land((-71.4, -33.1)));
    assert!(on_land((2.35, 48.85)));
    assert!(!on_land((-150.0, 0.0)));
    assert!(!on_land((50.5, 42.0)), "the Caspian Sea is water");
    // Points are real coordinates.
    for r in land.rings.iter().chain(&countries.rings) {
        for p in r {
            assert!(p[0].abs() <= 180.0 && p[1].abs() <= 90.0, "{p:?}");
        }
    }
}

#[test]
fn borders_with_china_come_from_the_provinces_only() {
    let countries = assets()
        .map
        .layer(LayerKind::Country)
        .expect("country layer");
    // Points on China's land borders (Erenhot on the Mongolian border, Khorgos on the Kazakh
    // one, Zhangmu on the Nepalese one, the Khunjerab pass on the Pakistani one) are not in the
    // country layer.
    for (name, p) in [
        ("Erenhot", (111.98, 43.65)),
        ("Khorgos", (80.25, 44.2)),
        ("Zhangmu", (85.98, 27.98)),
        ("Khunjerab", (75.42, 36.85)),
    ] {
        let near = countries
            .rings
            .iter()
            .flatten()
            .map(|q| distance_km(p, (f64::from(q[0]), f64::from(q[1]))))
            .fold(f64::MAX, f64::min);
        assert!(
            near > 15.0,
            "{name}: a country border passes {near:.1} km away"
        );
    }
    // Others are kept: the France–Spain border near Andorra.
    let near = countries
        .rings
        .iter()
        .flatten()
        .map(|q| distance_km((1.52, 42.5), (f64::from(q[0]), f64::from(q[1]))))
        .fold(f64::MAX, f64::min);
    assert!(near < 15.0, "{near}");
}

#[test]
fn levels_of_detail_shrink_and_stay_on_the_sphere() {
    // The South China Sea islands and dashes keep one unsimplified level (tests/south_china_sea.rs).
    let simplified = assets()
        .map
        .layers
        .iter()
        .filter(|l| !matches!(l.kind, Some(LayerKind::Islands) | Some(LayerKind::Dashes)));
    for layer in simplified {
        // County borders, rivers and lakes are only drawn at regional zooms: the finer levels
        // only.
        let county = matches!(
            layer.kind,
            Some(LayerKind::County | LayerKind::River | LayerKind::Lake)
        );
        if county {
            assert!(layer.lods.len() >= 4 && layer.lods.len() < LOD_TOLERANCES_DEG.len());
        } else {
            assert_eq!(layer.lods.len(), LOD_TOLERANCES_DEG.len());
        }
        let counts: Vec<usize> = layer.lods.iter().map(|l| l.points).collect();
        assert!(
            counts.windows(2).all(|w| w[1] <= w[0]),
            "{:?}: {counts:?}",
            layer.kind
        );
        assert!(
            counts[counts.len() - 1] * if county { 2 } else { 5 } < counts[0],
            "{:?}: coarsest level too big: {counts:?}",
            layer.kind
        );
        for lod in &layer.lods {
            for s in &lod.shapes {
                // Caps contain their points.
                for p in &s.points {
                    let n = (p[0] * p[0] + p[1] * p[1] + p[2] * p[2]).sqrt();
                    assert!((n - 1.0).abs() < 1e-5);
                    let d: f64 = p
                        .iter()
                        .zip(s.cap_center)
                        .map(|(a, b)| f64::from(*a) * f64::from(b))
                        .sum();
                    assert!(d.clamp(-1.0, 1.0).acos() <= f64::from(s.cap_radius));
                }
            }
        }
    }
    // The finest level is the source: its first land ring maps back to the stored lon/lat.
    let land = assets().map.layer(LayerKind::Land).expect("land");
    let (p, q) = (land.lods[0].shapes[0].points[0], land.rings[0][0]);
    let (lon, lat) = lonlat([f64::from(p[0]), f64::from(p[1]), f64::from(p[2])]);
    assert!((lon - f64::from(q[0])).abs() < 1e-4 && (lat - f64::from(q[1])).abs() < 1e-4);
}

#[test]
fn bad_sources_are_refused_with_the_source_named() {
    let countries = read_data(ASSET_FILES[0]);
    let land = read_data(ASSET_FILES[1]);
    let china = read_data(ASSET_FILES[2]);
    // Swapped arguments: land has no `countries` object.
    match MapData::from_sources(&land, &land, &china) {
        Err(e @ MapError::NotFound { .. }) => assert!(e.to_string().starts_with("countries")),
        other => panic!("{:?}", other.map(|_| ())),
    }
    match MapData::from_sources(&countries, &land, "not a map") {
        Err(e @ MapError::NotFound { .. }) => assert!(e.to_string().starts_with("china")),
        other => panic!("{:?}", other.map(|_| ())),
    }
    match MapData::from_sources(&countries, &land[..land.len() / 2], &china) {
        Err(e @ MapError::Syntax { .. }) => assert!(e.to_string().starts_with("land")),
        other => panic!("{:?}", other.map(|_| ())),
    }
}

#[test]
fn gazetteer_gives_simplified_chinese_labels() {
    let places = &assets().places;
    assert!(places.len() > 20_000, "{} places", places.len());
    assert!(places
        .windows(2)
        .all(|w| w[0].population >= w[1].population));
    let label = |name: &str, cc: &str| {
        places
            .iter()
            .find(|p| p.name == name && p.country == cc)
            .and_then(|p| p.label_zh())
            .map(str::to_string)
    };
    assert_eq!(label("Beijing", "CN").as_deref(), Some("北京"));
    assert_eq!(label("Shenzhen", "CN").as_deref(), Some("深圳"));
    assert_eq!(label("Mianyang", "CN").as_deref(), Some("绵阳"));
    assert_eq!(label("Xiamen", "CN").as_deref(), Some("厦门"));
    assert_eq!(label("Chengdu", "CN").as_deref(), Some("成都"));
    // Every label of a place in mainland China is in simplified characters.
    let traditional: Vec<&str> = places
        .iter()
        .filter(|p| p.country == "CN")
        .filter_map(|p| p.label_zh())
        .filter(|l| !l.chars().all(quakecast_facts::cities::is_gb2312_hanzi))
        .collect();
    assert!(
        traditional.len() * 50 < places.iter().filter(|p| p.country == "CN").count(),
        "{} traditional labels: {:?}",
        traditional.len(),
        &traditional[..traditional.len().min(20)]
    );
}

#[test]
fn rivers_and_lakes_decode_global_with_the_dadu_and_qinghai_lake() {
    let d = quakecast_facts::rivers::decode_rivers(&read_data_bytes(
        quakecast_facts::rivers::RIVERS_FILE,
    ))
    .expect("rivers.qriv decodes");
    let (river_pts, lake_pts) = d.points();
    assert!(
        d.rivers.len() > 20_000 && river_pts > 150_000,
        "{river_pts}"
    );
    assert!(d.lakes.len() > 5_000 && lake_pts > 80_000, "{lake_pts}");
    // The Dadu river passes Luding (102.23°E 29.91°N) and Hanyuan's Pubugou reservoir.
    let near = |p: (f64, f64), shapes: &[Vec<[f64; 2]>]| {
        shapes
            .iter()
            .flatten()
            .map(|q| distance_km(p, (q[0], q[1])))
            .fold(f64::MAX, f64::min)
    };
    assert!(near((102.23, 29.91), &d.rivers) < 5.0);
    // Qinghai Lake (~100 km across): its shore passes within 30 km of its centre (100.2°E 36.9°N).
    assert!(near((100.2, 36.9), &d.lakes) < 30.0);
    // Both layers are built, at the county layer's levels.
    for kind in [LayerKind::River, LayerKind::Lake] {
        let l = assets().map.layer(kind).expect("layer");
        assert!(l.lods[0].shapes.len() > 5_000, "{kind:?}");
    }
}
