//! The real map data (built once per test binary) and sample events.
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use chrono::{TimeZone, Utc};
use quakecast_facts::history::PackedCatalog;
use quakecast_facts::{parse_report, Assets, Dem, Event, ReportStatus, Source, ASSET_FILES};

pub fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data")
}

/// Read a file under `data/`, failing with what to do when it is missing.
pub fn read_data(rel: &str) -> String {
    let p = data_dir().join(rel);
    std::fs::read_to_string(&p).unwrap_or_else(|e| {
        panic!(
            "cannot read {}: {e}. The map data is not there: run `bash scripts/setup.sh` \
             from the repository root to fetch it.",
            p.display()
        )
    })
}

pub fn assets() -> &'static Assets {
    static A: OnceLock<Assets> = OnceLock::new();
    A.get_or_init(|| {
        Assets::from_sources(
            &read_data(ASSET_FILES[0]),
            &read_data(ASSET_FILES[1]),
            &read_data(ASSET_FILES[2]),
        )
        .expect("map data decodes")
        .with_south_china_sea(&read_data(quakecast_facts::SOUTH_CHINA_SEA_FILE))
        .expect("South China Sea data decodes")
        .with_places(&read_data(quakecast_facts::cities::PLACES_FILE))
        .expect("gazetteer decodes")
        .with_seats(&read_data(quakecast_facts::seats::SEATS_FILE))
        .expect("seat table decodes")
        .with_counties(&read_data(quakecast_facts::regions::COUNTIES_FILE))
        .expect("county outlines decode")
        .with_faults(&read_data(quakecast_facts::faults::FAULTS_FILE))
        .expect("active faults decode")
        .with_rivers(&read_data_bytes(quakecast_facts::rivers::RIVERS_FILE))
        .expect("rivers and lakes decode")
        .with_relief(bundled_dem())
    })
}

/// Read a binary file under `data/`.
pub fn read_data_bytes(rel: &str) -> Vec<u8> {
    let p = data_dir().join(rel);
    std::fs::read(&p).unwrap_or_else(|e| {
        panic!(
            "cannot read {}: {e}. Run `bash scripts/setup.sh` from the repository root.",
            p.display()
        )
    })
}

/// The bundled ETOPO5 grid (`data/dem`), read once.
pub fn bundled_dem() -> Arc<Dem> {
    static D: OnceLock<Arc<Dem>> = OnceLock::new();
    D.get_or_init(|| {
        Arc::new(
            Dem::from_bundled(
                &read_data("dem/meta.json"),
                &read_data_bytes("dem/etopo5.i16"),
            )
            .expect("bundled DEM decodes"),
        )
    })
    .clone()
}

/// The bundled ISC catalogue (`data/catalog`), read once.
pub fn bundled_catalog() -> &'static PackedCatalog {
    static C: OnceLock<PackedCatalog> = OnceLock::new();
    C.get_or_init(|| {
        PackedCatalog::from_bytes(&read_data_bytes("catalog/isc.qcat"), "ISC Bulletin")
            .expect("bundled catalogue decodes")
    })
}

pub fn hanyuan() -> Event {
    parse_report(include_bytes!(
        "../../../scenes/samples/cenc-2022-05-20-hanyuan.json"
    ))
    .expect("sample")
}

pub fn usgs_sample() -> Event {
    parse_report(include_bytes!(
        "../../../scenes/samples/usgs-sample-feature.json"
    ))
    .expect("sample")
}

pub fn event(
    lon: f64,
    lat: f64,
    mag: f64,
    region: &str,
    source: Source,
    status: ReportStatus,
) -> Event {
    Event {
        source,
        event_id: format!("test-{lon}-{lat}"),
        status,
        revision: 0,
        origin_time: Utc.with_ymd_and_hms(2024, 1, 1, 16, 30, 0).unwrap(),
        lat,
        lon,
        depth_km: 10.0,
        magnitude: mag,
        magnitude_type: "mww".into(),
        region: region.into(),
        revised: false,
    }
}

/// Events chosen to stress layout and the map: long names, English names, automatic status,
/// big magnitudes, the antimeridian, high latitudes, the southern hemisphere.
pub fn stress_events() -> Vec<Event> {
    vec![
        hanyuan(),
        usgs_sample(),
        event(
            75.6,
            39.7,
            5.2,
            "新疆维吾尔自治区克孜勒苏柯尔克孜自治州阿图什市与喀什地区交界处",
            Source::Cenc,
            ReportStatus::Automatic,
        ),
        event(
            -71.4,
            -33.1,
            7.6,
            "35 km WNW of Valparaíso, Región de Valparaíso, Chile",
            Source::Usgs,
            ReportStatus::Automatic,
        ),
        event(
            -178.2,
            -17.9,
            6.4,
            "Fiji region",
            Source::Usgs,
            ReportStatus::Official,
        ),
        event(
            -150.1,
            61.3,
            7.1,
            "Southern Alaska",
            Source::Usgs,
            ReportStatus::Official,
        ),
        event(
            86.9,
            28.0,
            8.1,
            "尼泊尔",
            Source::Cenc,
            ReportStatus::Official,
        ),
        event(
            121.9,
            24.0,
            7.3,
            "台湾花莲县海域",
            Source::Cenc,
            ReportStatus::Official,
        ),
        event(
            0.0,
            0.0,
            -0.5,
            "Gulf of Guinea",
            Source::Emsc,
            ReportStatus::Automatic,
        ),
    ]
}
