//! Predicted seismic intensity: the intensity prediction equations shared by the bulletin's map
//! rings and the push audience.
//!
//! Two families of published relations are implemented:
//!
//! - **Mainland China**: elliptical relations for western and eastern China, in the form
//!   `I = A + B·M − C·ln(R + R0)` (natural log) along the long axis (a) and the short axis (b) of
//!   the elliptical isoseismals, with
//!
//!   | region | axis  | A     | B     | C     | R0 (km) |
//!   |--------|-------|-------|-------|-------|---------|
//!   | west   | long  | 5.643 | 1.538 | 2.109 | 25      |
//!   | west   | short | 2.941 | 1.363 | 1.494 | 7       |
//!   | east   | long  | 6.046 | 1.480 | 2.081 | 25      |
//!   | east   | short | 2.617 | 1.435 | 1.441 | 7       |
//!
//!   `M` is the surface-wave magnitude Ms (CENC's "M"), `R` the epicentral distance in km, `I` the
//!   China seismic intensity (GB/T 17742).
//!
//!   *Where these numbers come from.* They are attributed to 汪素云, 俞言祥, 高阿甲, 时振梁
//!   (2000), "中国分区地震动衰减关系的确定", 中国地震 16(2): 99–106, the relations behind
//!   GB 18306-2001, but that paper's table could not be consulted here, so the attribution rests
//!   on secondary sources:
//!   - semicloud/cas (a Chinese rapid earthquake-assessment system), commit
//!     `324d73433e774438d0161779fe5a62436d073979`:
//!     `cas_shared/src/main/java/org/semicloud/cas/shared/intensity/oval/M03.java` (中国西部:
//!     `5.643, 1.538, -2.109, 25.0` and `2.941, 1.363, -1.494, 7.0`), `…/oval/M01.java` (华东:
//!     `6.046,1.48,-2.08,25.0` and `2.617, 1.435,-1.441,7.0`) and `…/oval/MComputer.java`
//!     (`exp((i - a - b * m) / c) - r`, i.e. natural log). These files cite no paper.
//!   - Several smaller projects quoting the same numbers as 汪素云 et al. (2000) / GB 18306-2001,
//!     with the eastern long-axis C as 2.081 (semicloud/cas has 2.08; the difference is under
//!     0.01 intensity units out to 1,000 km). We use 2.081.
//!
//!   No standard deviation was found for this set in the sources consulted, so none is given
//!   ([`EllipticalCoefficients::sigma`] is `None`); we do not make one up.
//!
//!   An earlier version of this module used a log10 set (west 5.253/1.398/4.164/26 and
//!   2.019/1.398/2.943/8, east 5.019/1.446/4.136/24 and 2.240/1.446/3.070/9, σ 0.531/0.500)
//!   under the same attribution. No public source for it was found, and its two axes giving the
//!   same epicentral intensity at every M suggests it was constructed rather than transcribed, so
//!   it was replaced.
//!
//!   The west/east boundary is taken as **105°E** inside mainland China (the paper's regions are
//!   divided along the north–south seismic belt; 105°E is our simplification of that line).
//!   "Mainland China" is the Natural Earth 1:110m outline of China (mainland and Hainan) plus a
//!   100 km margin on the coastal side (east of 107°E and south of 41°N: Gulf of Tonkin to the
//!   Bohai), so coastal-sea events use the Chinese relation too while events just across a land
//!   border (Nepal, Myanmar, Mongolia...) do not.
//!
//! - **Elsewhere**: Allen, Wald & Worden (2012), "Intensity attenuation for active crustal
//!   regions", *J. Seismol.* 16: 409–433, hypocentral-distance form (their Table 2):
//!   `MMI = c0 + c1·M + c2·ln(√(R_hyp² + R_M²)) [+ c4·ln(R_hyp/50) for R_hyp > 50 km]`,
//!   `R_M = m1 + m2·exp(M − 5)`, with c0 = 2.085, c1 = 1.428, c2 = −1.402, c4 = 0.078,
//!   m1 = −0.209, m2 = 2.042; σ = s1 + s2 / (1 + (R/s3)²), s1 = 0.82, s2 = 0.37, s3 = 22.9.
//!   `M` is moment magnitude. This form has no azimuthal term, so it is circular. (The paper's
//!   rupture-distance form, with `(1 + c3·exp(M − 5))` as the near-source term, needs a fault
//!   geometry that a quick report does not carry, so it is not used.) Coefficients and form were
//!   checked against OpenQuake's implementation, gem/oq-engine
//!   `openquake/hazardlib/gsim/allen_2012_ipe.py` (`AllenEtAl2012Rhypo`, including the strict
//!   `> 50` km breakpoint), and the outputs against its test tables
//!   `openquake/hazardlib/tests/gsim/data/a12ipe/AWW_IPE_RHYPO_MEAN.csv` and `_SIGMA.csv`
//!   (M 5/6/7 × R_hyp 1–300 km; see the test `aww2012_matches_openquake_tables`).
//!
//! Decisions that are ours, not the papers':
//!
//! - **Epicentral intensity.** The two axes of the Chinese set do not agree at R = 0 (west M4.8:
//!   long 6.24, short 6.58; west M6.8: long 9.31, short 9.30 — in the west the short axis is
//!   higher below M ≈ 6.74; in the east it is higher below M ≈ 10). The model's epicentral
//!   intensity `i0` is the **lower** of the two, so that below `i0` both axis radii are positive
//!   and the isoseismal through a point is a proper ellipse. The solvers search `(i0 − 40, i0)`;
//!   their function is +∞ at `i0` (one radius is 0 there) for every point off the epicentre,
//!   so the bracket holds the root, except on the long axis itself within `Ra(i0)` when `i0` is
//!   the short axis's (west, M ≳ 6.74: 0.13 km for M6.8, 2.8 km for M8), where the answer is `i0`. Nothing
//!   is predicted above `i0`: [`IntensityModel::radii`] is all zero from `i0` up, even where one
//!   axis alone would still have a radius.
//! - **Crossing axes.** The short-axis radius is capped at the long-axis radius, so where the
//!   short-axis equation would give the larger radius the isoseismal is a circle instead of an
//!   ellipse with swapped axes. With this set that happens twice: close to the epicentre when
//!   the short axis has the higher epicentral intensity (west M4.8: above I ≈ 5.95, within
//!   ≈4 km), and far out at low intensity (west M6.8: below I ≈ 2.94, beyond ≈490 km; east
//!   M6.8: below I ≈ 4.26, beyond ≈270 km).
//! - **Unknown orientation.** The long axis follows the fault strike. Without a strike (a quick
//!   report has none), the model is circular with the *equal-area* radius `√(Ra·Rb)`; with
//!   [`IntensityModel::with_long_axis_azimuth`] (or a strike) it is elliptical.
//! - **Intensity at a point** off the axes (elliptical case) is the level of the isoseismal ellipse
//!   through the point: the `I` solving `(x/Ra(I))² + (y/Rb(I))² = 1`, found by safeguarded Newton
//!   iteration (a few steps; 1e-9 tolerance).
//! - **Levels.** A real-valued prediction `I` is at level `⌊I⌋` (intensity VI means `I ≥ 6`), the
//!   way the isoseismal for VI is drawn at `I = 6`. [`level`] and [`roman`] follow that.
use serde::{Deserialize, Serialize};

/// Mean Earth radius (IUGG), km.
pub use crate::geo::EARTH_RADIUS_KM;

/// Longitude (degrees east) dividing the western and eastern Chinese relations.
pub const CHINA_WEST_EAST_BOUNDARY_LON: f64 = 105.0;

/// How far offshore (km) an epicentre still counts as Chinese for choosing the relation (on the
/// coastal side only, see [`in_mainland_china`]).
pub const CHINA_OFFSHORE_MARGIN_KM: f64 = 100.0;

/// `I = a + b·M − c·ln(R + r0)` (natural log) along one axis.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct AxisCoefficients {
    pub a: f64,
    pub b: f64,
    pub c: f64,
    /// Near-field saturation distance, km.
    pub r0: f64,
}

impl AxisCoefficients {
    /// Intensity at epicentral distance `r_km` along this axis.
    pub fn intensity(&self, magnitude: f64, r_km: f64) -> f64 {
        self.a + self.b * magnitude - self.c * (r_km.max(0.0) + self.r0).ln()
    }

    /// Distance (km) at which this axis reaches `intensity`, `exp((a + b·M − I)/c) − r0`; 0 above
    /// this axis's intensity at R = 0.
    pub fn radius(&self, magnitude: f64, intensity: f64) -> f64 {
        (((self.a + self.b * magnitude - intensity) / self.c).exp() - self.r0).max(0.0)
    }
}

/// An elliptical relation: one equation per axis, and the standard deviation of the fit.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct EllipticalCoefficients {
    pub long: AxisCoefficients,
    pub short: AxisCoefficients,
    /// Standard deviation of intensity, intensity units; `None` where the sources consulted give
    /// none (the Chinese sets, see the module docs).
    pub sigma: Option<f64>,
}

/// Western China, attributed to 汪素云 et al. (2000); as in semicloud/cas `oval/M03.java` (see
/// the module docs). No σ was found.
pub const CHINA_WEST: EllipticalCoefficients = EllipticalCoefficients {
    long: AxisCoefficients {
        a: 5.643,
        b: 1.538,
        c: 2.109,
        r0: 25.0,
    },
    short: AxisCoefficients {
        a: 2.941,
        b: 1.363,
        c: 1.494,
        r0: 7.0,
    },
    sigma: None,
};

/// Eastern China, attributed to 汪素云 et al. (2000); as in semicloud/cas `oval/M01.java` (华东)
/// except C = 2.081 for 2.08 on the long axis (see the module docs). No σ was found.
pub const CHINA_EAST: EllipticalCoefficients = EllipticalCoefficients {
    long: AxisCoefficients {
        a: 6.046,
        b: 1.480,
        c: 2.081,
        r0: 25.0,
    },
    short: AxisCoefficients {
        a: 2.617,
        b: 1.435,
        c: 1.441,
        r0: 7.0,
    },
    sigma: None,
};

/// Allen, Wald & Worden (2012) coefficients, hypocentral-distance form.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Aww2012Coefficients {
    pub c0: f64,
    pub c1: f64,
    pub c2: f64,
    /// Anelastic term, applied beyond 50 km.
    pub c4: f64,
    pub m1: f64,
    pub m2: f64,
    pub s1: f64,
    pub s2: f64,
    pub s3: f64,
}

/// Allen, Wald & Worden (2012), Table 2, hypocentral distance (as OpenQuake's
/// `AllenEtAl2012Rhypo`).
pub const AWW2012_HYPO: Aww2012Coefficients = Aww2012Coefficients {
    c0: 2.085,
    c1: 1.428,
    c2: -1.402,
    c4: 0.078,
    m1: -0.209,
    m2: 2.042,
    s1: 0.82,
    s2: 0.37,
    s3: 22.9,
};

impl Aww2012Coefficients {
    /// MMI at hypocentral distance `r_hyp_km`.
    pub fn intensity(&self, magnitude: f64, r_hyp_km: f64) -> f64 {
        let r = r_hyp_km.max(0.0);
        let rm = self.m1 + self.m2 * (magnitude - 5.0).exp();
        let mut i = self.c0 + self.c1 * magnitude + self.c2 * (r * r + rm * rm).sqrt().ln();
        if r > 50.0 {
            i += self.c4 * (r / 50.0).ln();
        }
        i
    }

    /// Standard deviation (MMI units) at hypocentral distance `r_hyp_km`.
    pub fn sigma(&self, r_hyp_km: f64) -> f64 {
        self.s1 + self.s2 / (1.0 + (r_hyp_km / self.s3).powi(2))
    }
}

/// Which intensity prediction equation applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Relation {
    /// 汪素云 et al. (2000), western China (west of 105°E), elliptical.
    ChinaWest,
    /// 汪素云 et al. (2000), eastern China (east of 105°E), elliptical.
    ChinaEast,
    /// Allen, Wald & Worden (2012), active crustal regions, hypocentral, circular.
    Aww2012Hypo,
}

impl Relation {
    /// The relation for an epicentre: Chinese west/east inside mainland China (plus the offshore
    /// margin), Allen et al. (2012) elsewhere.
    pub fn for_epicenter(lat: f64, lon: f64) -> Relation {
        if in_mainland_china(lat, lon) {
            if lon < CHINA_WEST_EAST_BOUNDARY_LON {
                Relation::ChinaWest
            } else {
                Relation::ChinaEast
            }
        } else {
            Relation::Aww2012Hypo
        }
    }

    /// Short machine name (`china-west`, `china-east`, `aww2012-hypo`).
    pub fn key(self) -> &'static str {
        match self {
            Relation::ChinaWest => "china-west",
            Relation::ChinaEast => "china-east",
            Relation::Aww2012Hypo => "aww2012-hypo",
        }
    }

    /// Parse [`Relation::key`].
    pub fn from_key(key: &str) -> Option<Relation> {
        [
            Relation::ChinaWest,
            Relation::ChinaEast,
            Relation::Aww2012Hypo,
        ]
        .into_iter()
        .find(|r| r.key() == key)
    }

    /// Citation, for captions and the review page.
    pub fn citation(self) -> &'static str {
        match self {
            Relation::ChinaWest => {
                "汪素云, 俞言祥, 高阿甲, 时振梁 (2000), 中国地震 16(2): 99–106 — western China, elliptical (coefficients as quoted by secondary sources; see module docs)"
            }
            Relation::ChinaEast => {
                "汪素云, 俞言祥, 高阿甲, 时振梁 (2000), 中国地震 16(2): 99–106 — eastern China, elliptical (coefficients as quoted by secondary sources; see module docs)"
            }
            Relation::Aww2012Hypo => {
                "Allen, Wald & Worden (2012), J. Seismol. 16: 409–433 — active crust, hypocentral"
            }
        }
    }

    /// The intensity scale the relation predicts.
    pub fn scale(self) -> &'static str {
        match self {
            Relation::ChinaWest | Relation::ChinaEast => "China seismic intensity (GB/T 17742)",
            Relation::Aww2012Hypo => "Modified Mercalli intensity",
        }
    }

    /// Standard deviation of a prediction at epicentral distance `r_km` (depth for AWW); `None`
    /// for the Chinese relations, whose sources give none.
    pub fn sigma(self, r_km: f64, depth_km: f64) -> Option<f64> {
        match self {
            Relation::ChinaWest => CHINA_WEST.sigma,
            Relation::ChinaEast => CHINA_EAST.sigma,
            Relation::Aww2012Hypo => Some(AWW2012_HYPO.sigma(r_km.hypot(depth_km))),
        }
    }

    /// Whether the relation's isoseismals are ellipses (the Chinese relations).
    pub fn is_elliptical(self) -> bool {
        self.elliptical().is_some()
    }

    fn elliptical(self) -> Option<&'static EllipticalCoefficients> {
        match self {
            Relation::ChinaWest => Some(&CHINA_WEST),
            Relation::ChinaEast => Some(&CHINA_EAST),
            Relation::Aww2012Hypo => None,
        }
    }
}

/// Radii of one isoseismal, km from the epicentre.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Radii {
    /// Along the long axis.
    pub long_km: f64,
    /// Along the short axis (capped at `long_km`).
    pub short_km: f64,
    /// Radius of the circle with the same area, `√(long·short)`: what a model without an
    /// orientation uses.
    pub equivalent_km: f64,
}

/// A point in an event's frame.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Offset {
    /// Great-circle distance from the epicentre, km.
    pub distance_km: f64,
    /// Along the long axis (north when circular), km.
    pub along_km: f64,
    /// Across the long axis, km.
    pub across_km: f64,
}

/// A prediction at one point.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    /// Great-circle distance from the epicentre, km.
    pub distance_km: f64,
    pub intensity: f64,
}

/// Predicted intensity around one event.
///
/// Build it once per event ([`IntensityModel::for_event`]) and ask it for many points: the
/// epicentre's frame and the relation's constants are precomputed.
#[derive(Clone, Debug, PartialEq)]
pub struct IntensityModel {
    pub relation: Relation,
    pub magnitude: f64,
    pub depth_km: f64,
    pub lat: f64,
    pub lon: f64,
    /// Long axis azimuth, degrees clockwise from north; `None`: circular (equal-area radius).
    pub long_axis_azimuth_deg: Option<f64>,
    frame: Frame,
    /// `(sin, cos)` of the long axis azimuth.
    axis: (f64, f64),
    /// Intensity at the epicentre; for the Chinese relations the lower of the two axes' R = 0
    /// intensities (see the module docs).
    i0: f64,
    /// Circular Chinese model at `TABLE_N` log-spaced distances: Newton's first guess (empty for
    /// other relations).
    table: Vec<f64>,
}

/// Bisection/Newton bracket below the epicentral intensity, intensity units.
const SOLVE_SPAN: f64 = 40.0;
const SOLVE_TOL: f64 = 1e-9;
const NEWTON_STOP: f64 = 1e-7;

/// The first-guess table of the circular Chinese model: intensity at `TABLE_N` distances evenly
/// spaced in ln(km) from `TABLE_LN_MIN` (0.01 km) to `TABLE_LN_MAX` (≈40,000 km).
const TABLE_N: usize = 256;
const TABLE_LN_MIN: f64 = -4.6;
const TABLE_LN_MAX: f64 = 10.6;

impl IntensityModel {
    /// A model for an explicit relation.
    pub fn new(relation: Relation, magnitude: f64, depth_km: f64, lat: f64, lon: f64) -> Self {
        let mut m = IntensityModel {
            relation,
            magnitude,
            depth_km: depth_km.max(0.0),
            lat,
            lon,
            long_axis_azimuth_deg: None,
            frame: Frame::new(lat, lon),
            axis: (0.0, 1.0),
            i0: 0.0,
            table: Vec::new(),
        };
        // The axes disagree at R = 0; the lower value is where both radii are still positive
        // just below it, which keeps the solvers' bracket (i0 − SOLVE_SPAN, i0) valid.
        m.i0 = match relation.elliptical() {
            Some(c) => c
                .long
                .intensity(magnitude, 0.0)
                .min(c.short.intensity(magnitude, 0.0)),
            None => AWW2012_HYPO.intensity(magnitude, m.depth_km),
        };
        if let Some(c) = relation.elliptical() {
            let step = (TABLE_LN_MAX - TABLE_LN_MIN) / (TABLE_N - 1) as f64;
            m.table = (0..TABLE_N)
                .map(|k| {
                    let d = (TABLE_LN_MIN + step * k as f64).exp();
                    solve_circular(c, magnitude, m.i0, d, None)
                })
                .collect();
        }
        m
    }

    /// The circular model's intensity at distance `d_km`, interpolated from the table.
    fn table_guess(&self, d_km: f64) -> Option<f64> {
        if self.table.len() != TABLE_N || d_km <= 0.0 {
            return None;
        }
        let step = (TABLE_LN_MAX - TABLE_LN_MIN) / (TABLE_N - 1) as f64;
        let t = ((d_km.ln() - TABLE_LN_MIN) / step).clamp(0.0, (TABLE_N - 1) as f64);
        let k = (t.floor() as usize).min(TABLE_N - 2);
        let f = t - k as f64;
        Some(self.table[k] * (1.0 - f) + self.table[k + 1] * f)
    }

    /// The model for an event, with the relation chosen from its epicentre
    /// ([`Relation::for_epicenter`]); circular until an orientation is given.
    pub fn for_event(event: &crate::Event) -> Self {
        let relation = Relation::for_epicenter(event.lat, event.lon);
        Self::new(
            relation,
            event.magnitude,
            event.depth_km,
            event.lat,
            event.lon,
        )
    }

    /// Orient the long axis (degrees clockwise from north). Ignored by circular relations.
    pub fn with_long_axis_azimuth(mut self, azimuth_deg: f64) -> Self {
        let az = azimuth_deg.rem_euclid(180.0);
        self.long_axis_azimuth_deg = Some(az);
        self.axis = az.to_radians().sin_cos();
        self
    }

    /// Orient the long axis along a fault strike (degrees clockwise from north).
    pub fn with_strike(self, strike_deg: f64) -> Self {
        self.with_long_axis_azimuth(strike_deg)
    }

    /// Whether predictions depend on azimuth (an elliptical relation with an orientation).
    pub fn is_elliptical(&self) -> bool {
        self.relation.elliptical().is_some() && self.long_axis_azimuth_deg.is_some()
    }

    /// Predicted intensity at the epicentre.
    pub fn epicentral_intensity(&self) -> f64 {
        self.i0
    }

    /// Radii of the isoseismal for `intensity` (all zero from the epicentral intensity up).
    pub fn radii(&self, intensity: f64) -> Radii {
        match self.relation.elliptical() {
            // Between the two axes' R = 0 intensities one axis alone would still have a radius.
            Some(_) if intensity >= self.i0 => Radii {
                long_km: 0.0,
                short_km: 0.0,
                equivalent_km: 0.0,
            },
            Some(c) => {
                let (long_km, short_km) = axis_radii(c, self.magnitude, intensity);
                Radii {
                    long_km,
                    short_km,
                    equivalent_km: (long_km * short_km).sqrt(),
                }
            }
            None => {
                let r = self.aww_radius(intensity);
                Radii {
                    long_km: r,
                    short_km: r,
                    equivalent_km: r,
                }
            }
        }
    }

    /// The farthest epicentral distance (km) at which `intensity` is reached in any direction.
    pub fn max_radius_km(&self, intensity: f64) -> f64 {
        let r = self.radii(intensity);
        if self.is_elliptical() {
            r.long_km
        } else {
            r.equivalent_km
        }
    }

    /// The highest intensity predicted at epicentral distance `distance_km` in any direction
    /// (along the long axis when elliptical). Non-increasing in distance, so it bounds every
    /// point of a region no nearer than `distance_km`.
    pub fn max_intensity_at_distance(&self, distance_km: f64) -> f64 {
        if self.is_elliptical() {
            self.intensity_at_offset(distance_km.max(0.0), 0.0)
        } else {
            self.intensity_at_offset(0.0, distance_km.max(0.0))
        }
    }

    /// Predicted intensity at a point given in the event's frame: `along_km` along the long axis,
    /// `across_km` across it (only the distance matters for a circular model).
    ///
    /// (Plain `sqrt(x² + y²)` rather than `hypot` in this hot path: glibc's `hypot` was 7 % of a
    /// selection's time, and no overflow is possible at terrestrial distances.)
    pub fn intensity_at_offset(&self, along_km: f64, across_km: f64) -> f64 {
        match self.relation.elliptical() {
            None => {
                let r = (along_km * along_km + across_km * across_km).sqrt();
                AWW2012_HYPO.intensity(
                    self.magnitude,
                    (r * r + self.depth_km * self.depth_km).sqrt(),
                )
            }
            Some(c) if self.long_axis_azimuth_deg.is_some() => {
                // First guess: the circular level at the distance where the equal-area circle
                // meets this direction of an ellipse of the circular guess's aspect ratio.
                let d = (along_km * along_km + across_km * across_km).sqrt();
                let guess = self.table_guess(d).map(|g| {
                    let (ra, rb) = axis_radii(c, self.magnitude, g);
                    if ra > 0.0 && rb > 0.0 && d > 0.0 {
                        let q = rb / ra;
                        let (cos, sin) = (along_km / d, across_km / d);
                        let k = (q * cos * cos + sin * sin / q).sqrt();
                        self.table_guess(d * k).unwrap_or(g)
                    } else {
                        g
                    }
                });
                solve_elliptical(c, self.magnitude, self.i0, along_km, across_km, guess)
            }
            Some(c) => {
                let d = (along_km * along_km + across_km * across_km).sqrt();
                solve_circular(c, self.magnitude, self.i0, d, self.table_guess(d))
            }
        }
    }

    /// Predicted intensity at a point.
    pub fn intensity_at(&self, lat: f64, lon: f64) -> f64 {
        self.sample(lat, lon).intensity
    }

    /// Distance from the epicentre and predicted intensity at a point.
    pub fn sample(&self, lat: f64, lon: f64) -> Sample {
        let o = self.offset(lat, lon);
        Sample {
            distance_km: o.distance_km,
            intensity: self.intensity_at_offset(o.along_km, o.across_km),
        }
    }

    /// Where a point lies in the event's frame (no intensity computed).
    pub fn offset(&self, lat: f64, lon: f64) -> Offset {
        let (distance_km, east, north) = self.frame.offset(lat, lon);
        let (s, c) = self.axis;
        // Unit direction (east, north) projected on the long axis (sin az, cos az) and across it.
        Offset {
            distance_km,
            along_km: distance_km * (east * s + north * c),
            across_km: distance_km * (east * c - north * s),
        }
    }

    /// Whether a point is inside the isoseismal with radii `r` (from [`IntensityModel::radii`]),
    /// by geometry alone: a cheap test before [`IntensityModel::intensity_at_offset`]. Agrees
    /// with comparing the intensity to that level except within ~1e-9 km of the isoseismal.
    pub fn inside(&self, o: &Offset, r: &Radii) -> bool {
        if self.is_elliptical() {
            if r.short_km <= 0.0 {
                return false;
            }
            (o.along_km / r.long_km).powi(2) + (o.across_km / r.short_km).powi(2) <= 1.0
        } else {
            o.distance_km <= r.equivalent_km
        }
    }

    /// The isoseismal for `intensity` as a closed ring of `points` (lat, lon) vertices, for map
    /// rings; empty above the epicentral intensity.
    pub fn isoseismal(&self, intensity: f64, points: usize) -> Vec<(f64, f64)> {
        let r = self.radii(intensity);
        if r.long_km <= 0.0 || points < 3 {
            return Vec::new();
        }
        let (a, b) = if self.is_elliptical() {
            (r.long_km, r.short_km)
        } else {
            (r.equivalent_km, r.equivalent_km)
        };
        let az0 = self.long_axis_azimuth_deg.unwrap_or(0.0).to_radians();
        (0..=points)
            .map(|k| {
                let t = std::f64::consts::TAU * (k % points) as f64 / points as f64;
                let (x, y) = (a * t.cos(), b * t.sin());
                let d = x.hypot(y);
                let az = az0 + y.atan2(x);
                let (lon, lat) = crate::geo::destination(self.lon, self.lat, az.to_degrees(), d);
                (lat, lon)
            })
            .collect()
    }

    fn aww_radius(&self, intensity: f64) -> f64 {
        if intensity > self.i0 {
            return 0.0;
        }
        // MMI decreases monotonically with distance (c2 < 0, |c2| > c4): bisect.
        let f = |r: f64| AWW2012_HYPO.intensity(self.magnitude, r.hypot(self.depth_km));
        let (mut lo, mut hi) = (0.0, 1.0);
        while f(hi) >= intensity && hi < 40_000.0 {
            lo = hi;
            hi *= 2.0;
        }
        for _ in 0..100 {
            let mid = 0.5 * (lo + hi);
            if f(mid) >= intensity {
                lo = mid;
            } else {
                hi = mid;
            }
            if hi - lo < 1e-9 {
                break;
            }
        }
        0.5 * (lo + hi)
    }
}

/// Long- and short-axis radii (short capped at long).
fn axis_radii(c: &EllipticalCoefficients, m: f64, intensity: f64) -> (f64, f64) {
    let ra = c.long.radius(m, intensity);
    let rb = c.short.radius(m, intensity).min(ra);
    (ra, rb)
}

/// `ln R(I)` and its derivative for one axis (R > 0 assumed; NaN above the axis's R = 0
/// intensity).
fn ln_radius_and_slope(c: &AxisCoefficients, m: f64, i: f64) -> (f64, f64) {
    let p = ((c.a + c.b * m - i) / c.c).exp(); // R + r0
    let r = p - c.r0;
    // dR/dI = −(R + r0)/c, so d(ln R)/dI = −(R + r0)/(c·R).
    (r.ln(), -p / (c.c * r))
}

/// The short axis's `(ln R, slope)` capped at the long axis's. A NaN on either axis (an
/// intensity above its R = 0 value, which the solvers' bracket excludes but rounding can reach)
/// is passed on, so the solver treats that intensity as too high.
fn capped_short(long: (f64, f64), short: (f64, f64)) -> (f64, f64) {
    if short.0 > long.0 || long.0.is_nan() {
        long
    } else {
        short
    }
}

/// Solve `phi(I) = 0` for I in (i0 − SOLVE_SPAN, i0) where `phi` increases with I and is +∞ at i0.
/// Newton steps from `guess`, falling back to bisection when a step leaves the bracket.
fn solve(i0: f64, guess: f64, phi: impl Fn(f64) -> (f64, f64)) -> f64 {
    let (mut lo, mut hi) = (i0 - SOLVE_SPAN, i0);
    let mut i = guess.clamp(lo, hi);
    for _ in 0..200 {
        if i <= lo || i >= hi {
            i = 0.5 * (lo + hi);
        }
        let (v, d) = phi(i);
        if !v.is_finite() || v > 0.0 {
            hi = i;
        } else {
            lo = i;
        }
        if v == 0.0 || hi - lo < SOLVE_TOL {
            return i;
        }
        let next = if v.is_finite() && d > 0.0 {
            i - v / d
        } else {
            f64::NAN
        };
        // Newton converges quadratically here: a step below NEWTON_STOP leaves an error of
        // order NEWTON_STOP² (≈1e-14), far below SOLVE_TOL.
        if (next - i).abs() < NEWTON_STOP && next > lo && next < hi {
            return next;
        }
        i = if next > lo && next < hi {
            next
        } else {
            0.5 * (lo + hi)
        };
    }
    i
}

/// Intensity of the isoseismal ellipse through (x along, y across).
fn solve_elliptical(
    c: &EllipticalCoefficients,
    m: f64,
    i0: f64,
    x: f64,
    y: f64,
    guess: Option<f64>,
) -> f64 {
    let (x2, y2) = (x * x, y * y);
    if x2 + y2 == 0.0 {
        return i0;
    }
    // phi(I) = ln((x/Ra)² + (y/Rb)²); Rb is capped at Ra.
    let phi = |i: f64| {
        let (la, sa) = ln_radius_and_slope(&c.long, m, i);
        let (lb, sb) = capped_short((la, sa), ln_radius_and_slope(&c.short, m, i));
        // A zero coordinate contributes nothing, even where its radius is 0 (0·∞).
        let ta = if x2 == 0.0 {
            0.0
        } else {
            x2 * (-2.0 * la).exp()
        };
        let tb = if y2 == 0.0 {
            0.0
        } else {
            y2 * (-2.0 * lb).exp()
        };
        let q = ta + tb;
        // d/dI ln q = (−2·ta·sa − 2·tb·sb) / q
        let dq = if ta > 0.0 { -2.0 * ta * sa } else { 0.0 }
            + if tb > 0.0 { -2.0 * tb * sb } else { 0.0 };
        (q.ln(), dq / q)
    };
    let d = (x2 + y2).sqrt();
    let guess = guess.unwrap_or_else(|| 0.5 * (c.long.intensity(m, d) + c.short.intensity(m, d)));
    solve(i0, guess, phi)
}

/// Intensity at distance `d` of the equal-area circular model: `Ra(I)·Rb(I) = d²`.
fn solve_circular(c: &EllipticalCoefficients, m: f64, i0: f64, d: f64, guess: Option<f64>) -> f64 {
    if d <= 0.0 {
        return i0;
    }
    let ld = 2.0 * d.ln();
    // phi(I) = 2 ln d − ln Ra − ln Rb (increasing in I).
    let phi = |i: f64| {
        let (la, sa) = ln_radius_and_slope(&c.long, m, i);
        let (lb, sb) = capped_short((la, sa), ln_radius_and_slope(&c.short, m, i));
        (ld - la - lb, -sa - sb)
    };
    let guess = guess.unwrap_or_else(|| 0.5 * (c.long.intensity(m, d) + c.short.intensity(m, d)));
    solve(i0, guess, phi)
}

/// The lowest level drawn as a ring on the bulletin's map.
pub const LOWEST_RING_LEVEL: u8 = 4;
/// The level taken as the edge of the felt area (有感范围): III, "felt indoors by a few" on
/// both the Chinese scale (GB/T 17742) and MMI.
pub const FELT_LEVEL: u8 = 3;

/// One isoseismal ring of the summary.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Ring {
    pub level: u8,
    /// Equal-area radius of the isoseismal, km: the circle drawn when the orientation is unknown
    /// (a quick report gives no strike, see the module docs), and the radius stated.
    pub radius_km: f64,
    /// Semi-axes of the isoseismal ellipse, km, when [`IntensitySummary::long_axis_azimuth_deg`]
    /// is known (equal to `radius_km` otherwise). `serde(default)`: older facts still load.
    #[serde(default)]
    pub long_km: f64,
    #[serde(default)]
    pub short_km: f64,
}

/// What the bulletin says about predicted shaking.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IntensitySummary {
    pub relation: Relation,
    /// Predicted intensity at the epicentre (real-valued).
    pub epicentral: f64,
    /// Its level ([`level`]).
    pub epicentral_level: u8,
    /// Equal-area radius of the felt area (level [`FELT_LEVEL`]), km.
    pub felt_radius_km: f64,
    /// Rings from the epicentral level down to [`LOWEST_RING_LEVEL`], highest first; rings
    /// under 1 km are left out (too small to draw or to say).
    pub rings: Vec<Ring>,
    /// Azimuth of the ellipses' long axis, degrees clockwise from north, when the relation is
    /// elliptical and a strike is known (the nearest mapped fault's, `crate::faults`); `None`:
    /// the rings are circles of the equal-area radius.
    #[serde(default)]
    pub long_axis_azimuth_deg: Option<f64>,
    /// China's county seats inside each ring ([`seats_by_level`]), highest level first; empty
    /// without a seat table or outside China. `serde(default)`: older facts still load.
    #[serde(default)]
    pub seats: Vec<RingSeats>,
}

/// The county-level seats whose predicted intensity is at one level (inside that ring and
/// outside the next one up).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RingSeats {
    pub level: u8,
    /// Seat names (泸定县, 康定市), nearest the epicentre first, at most
    /// [`MAX_SEATS_PER_RING`].
    pub names: Vec<String>,
    /// How many seats the ring holds in all (may exceed `names.len()`).
    pub total: usize,
}

/// Seats named per ring at most.
pub const MAX_SEATS_PER_RING: usize = 6;

/// The county-level seats (counties, county-level cities, banners; not urban districts, which
/// would crowd the list) in each ring of `m` from [`LOWEST_RING_LEVEL`] up, by the seat's
/// predicted intensity ([`IntensityModel::intensity_at`], so elliptical rings count along
/// their axes). Highest level first; levels without a seat are left out.
pub fn seats_by_level(m: &IntensityModel, seats: &[crate::seats::Seat]) -> Vec<RingSeats> {
    let reach = m.max_radius_km(f64::from(LOWEST_RING_LEVEL));
    let mut found: Vec<(u8, f64, &str)> = Vec::new();
    for seat in seats {
        if seat.level != crate::seats::SeatLevel::County || seat.name.ends_with('区') {
            continue;
        }
        let sample = m.sample(seat.lat, seat.lon);
        if sample.distance_km.is_nan() || sample.distance_km > reach {
            continue;
        }
        let l = level(sample.intensity);
        if l >= LOWEST_RING_LEVEL {
            found.push((l, sample.distance_km, seat.name.as_str()));
        }
    }
    found.sort_by(|a, b| {
        b.0.cmp(&a.0)
            .then(a.1.total_cmp(&b.1))
            .then_with(|| a.2.cmp(b.2))
    });
    let mut out: Vec<RingSeats> = Vec::new();
    for (l, _, name) in found {
        match out.last_mut() {
            Some(r) if r.level == l => {
                r.total += 1;
                if r.names.len() < MAX_SEATS_PER_RING {
                    r.names.push(name.to_string());
                }
            }
            _ => out.push(RingSeats {
                level: l,
                names: vec![name.to_string()],
                total: 1,
            }),
        }
    }
    out
}

impl IntensitySummary {
    /// The felt radius as the bulletin says it: to 10 km above 100 km, to 5 km above 20 km,
    /// whole kilometres below ("有感范围约100公里").
    pub fn felt_radius_rounded_km(&self) -> u32 {
        let r = self.felt_radius_km.max(0.0);
        let step = if r >= 100.0 {
            10.0
        } else if r >= 20.0 {
            5.0
        } else {
            1.0
        };
        ((r / step).round() * step) as u32
    }
}

/// The summary for an event ([`IntensityModel::for_event`], circular).
pub fn summary(event: &crate::Event) -> IntensitySummary {
    summary_of(&IntensityModel::for_event(event))
}

/// The summary for an event whose long axis follows `strike_deg` (degrees clockwise from
/// north) when one is known: elliptical rings for the elliptical (Chinese) relations, circles
/// otherwise. The equal-area radii, the felt radius and the epicentral intensity are the same
/// as [`summary`]'s: orientation changes only the shape drawn.
pub fn summary_with_strike(event: &crate::Event, strike_deg: Option<f64>) -> IntensitySummary {
    let m = IntensityModel::for_event(event);
    summary_of(&match strike_deg {
        Some(s) if s.is_finite() => m.with_strike(s),
        _ => m,
    })
}

/// The summary of a model.
pub fn summary_of(m: &IntensityModel) -> IntensitySummary {
    let i0 = m.epicentral_intensity();
    let top = level(i0);
    let elliptical = m.is_elliptical();
    let rings = (LOWEST_RING_LEVEL..=top)
        .rev()
        .map(|l| {
            let r = m.radii(f64::from(l));
            let (long_km, short_km) = if elliptical {
                (r.long_km, r.short_km)
            } else {
                (r.equivalent_km, r.equivalent_km)
            };
            Ring {
                level: l,
                radius_km: r.equivalent_km,
                long_km,
                short_km,
            }
        })
        .filter(|r| r.radius_km >= 1.0)
        .collect();
    IntensitySummary {
        relation: m.relation,
        epicentral: i0,
        epicentral_level: top,
        felt_radius_km: m.radii(f64::from(FELT_LEVEL)).equivalent_km,
        rings,
        long_axis_azimuth_deg: if elliptical {
            m.long_axis_azimuth_deg
        } else {
            None
        },
        seats: Vec::new(),
    }
}

/// The level of a predicted intensity: `⌊I⌋` clamped to 0..=12 (0: below I).
pub fn level(intensity: f64) -> u8 {
    if intensity.is_nan() {
        return 0;
    }
    intensity.floor().clamp(0.0, 12.0) as u8
}

/// Roman numeral of an intensity level 1..=12.
pub fn roman(level: u8) -> Option<&'static str> {
    const R: [&str; 12] = [
        "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII",
    ];
    R.get(usize::from(level).checked_sub(1)?).copied()
}

/// Parse a level written as a Roman numeral (`VI`) or an integer (`6`).
pub fn parse_level(s: &str) -> Option<u8> {
    let t = s.trim();
    if let Ok(n) = t.parse::<u8>() {
        return (1..=12).contains(&n).then_some(n);
    }
    (1..=12u8).find(|&l| roman(l).is_some_and(|r| r.eq_ignore_ascii_case(t)))
}

/// The epicentre's local frame: its unit vector and the east/north unit vectors there.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Frame {
    e: [f64; 3],
    east: [f64; 3],
    north: [f64; 3],
}

impl Frame {
    fn new(lat: f64, lon: f64) -> Self {
        let (sp, cp) = lat.to_radians().sin_cos();
        let (sl, cl) = lon.to_radians().sin_cos();
        Frame {
            e: [cp * cl, cp * sl, sp],
            east: [-sl, cl, 0.0],
            north: [-sp * cl, -sp * sl, cp],
        }
    }

    /// Great-circle distance (km) to a point and the unit direction (east, north) towards it.
    /// At the poles "north" is the direction of the epicentre's meridian; at the epicentre the
    /// direction is (0, 1).
    fn offset(&self, lat: f64, lon: f64) -> (f64, f64, f64) {
        let (sp, cp) = lat.to_radians().sin_cos();
        let (sl, cl) = lon.to_radians().sin_cos();
        let p = [cp * cl, cp * sl, sp];
        let dot = |a: &[f64; 3], b: &[f64; 3]| a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
        let (x, y, z) = (dot(&p, &self.east), dot(&p, &self.north), dot(&p, &self.e));
        let s = (x * x + y * y).sqrt();
        let d = s.atan2(z) * EARTH_RADIUS_KM;
        if s == 0.0 {
            (d, 0.0, 1.0)
        } else {
            (d, x / s, y / s)
        }
    }
}

/// Whether an epicentre is in mainland China (Natural Earth 1:110m outline, mainland and Hainan)
/// or, on the coastal side (east of 107°E, south of 41°N), within [`CHINA_OFFSHORE_MARGIN_KM`]
/// of it.
pub fn in_mainland_china(lat: f64, lon: f64) -> bool {
    // Cheap reject: the outline's bounding box grown by the margin.
    if !(17.0..=55.0).contains(&lat) || !(72.0..=136.5).contains(&lon) {
        return false;
    }
    let coastal = lon >= 107.0 && lat <= 41.0;
    [CHINA_MAINLAND, CHINA_HAINAN].iter().any(|ring| {
        point_in_ring(lon, lat, ring)
            || coastal && ring_distance_km(lat, lon, ring) <= CHINA_OFFSHORE_MARGIN_KM
    })
}

fn point_in_ring(x: f64, y: f64, ring: &[(f64, f64)]) -> bool {
    let mut inside = false;
    let mut j = ring.len() - 1;
    for i in 0..ring.len() {
        let ((xi, yi), (xj, yj)) = (ring[i], ring[j]);
        if (yi > y) != (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi {
            inside = !inside;
        }
        j = i;
    }
    inside
}

/// Approximate distance (km) from a point to a ring's edges, in a local equirectangular plane
/// (good to a few per cent at the 100 km scale it is used for).
fn ring_distance_km(lat: f64, lon: f64, ring: &[(f64, f64)]) -> f64 {
    let kx = lat.to_radians().cos() * EARTH_RADIUS_KM.to_radians();
    let ky = EARTH_RADIUS_KM.to_radians();
    let to_xy = |(lo, la): (f64, f64)| ((lo - lon) * kx, (la - lat) * ky);
    let mut best = f64::INFINITY;
    let mut j = ring.len() - 1;
    for i in 0..ring.len() {
        let (ax, ay) = to_xy(ring[j]);
        let (bx, by) = to_xy(ring[i]);
        let (dx, dy) = (bx - ax, by - ay);
        let len2 = dx * dx + dy * dy;
        let t = if len2 > 0.0 {
            (-(ax * dx + ay * dy) / len2).clamp(0.0, 1.0)
        } else {
            0.0
        };
        best = best.min((ax + t * dx).hypot(ay + t * dy));
        j = i;
    }
    best
}

// Natural Earth 1:110m admin-0 "China" (world-atlas countries-110m.json, id 156), (lon, lat).
#[rustfmt::skip]
const CHINA_HAINAN: &[(f64, f64)] = &[(109.48, 18.20), (108.65, 18.51), (108.63, 19.37), (109.12, 19.82), (110.21, 20.10), (110.79, 20.08), (111.01, 19.70), (110.57, 19.26), (110.34, 18.68)];
#[rustfmt::skip]
const CHINA_MAINLAND: &[(f64, f64)] = &[(80.26, 42.35), (80.18, 42.92), (80.87, 43.18), (79.97, 44.92), (81.95, 45.32), (82.46, 45.54), (83.18, 47.33), (85.16, 47.00), (85.72, 47.45), (85.77, 48.46), (86.60, 48.55), (87.36, 49.22), (87.75, 49.30), (88.02, 48.60), (88.85, 48.07), (90.28, 47.69), (90.97, 46.89), (90.59, 45.72), (90.95, 45.29), (92.13, 45.12), (93.48, 44.98), (94.69, 44.35), (95.31, 44.24), (95.76, 43.32), (96.35, 42.73), (97.45, 42.75), (99.52, 42.52), (100.85, 42.66), (101.83, 42.51), (103.31, 41.91), (104.52, 41.91), (104.96, 41.60), (106.13, 42.14), (107.74, 42.48), (109.24, 42.52), (110.41, 42.87), (111.13, 43.41), (111.83, 43.74), (111.67, 44.07), (111.35, 44.46), (111.87, 45.10), (112.43, 45.01), (113.46, 44.81), (114.46, 45.34), (115.98, 45.73), (116.72, 46.39), (117.42, 46.67), (118.87, 46.80), (119.66, 46.69), (119.77, 47.05), (118.87, 47.75), (118.06, 48.07), (117.29, 47.70), (116.31, 47.85), (115.74, 47.73), (115.48, 48.14), (116.19, 49.13), (116.68, 49.89), (117.88, 49.51), (119.29, 50.14), (119.28, 50.58), (120.18, 51.64), (120.74, 51.96), (120.73, 52.52), (120.18, 52.75), (121.00, 53.25), (122.24, 53.43), (123.57, 53.46), (125.07, 53.16), (125.95, 52.79), (126.56, 51.78), (126.94, 51.35), (127.29, 50.74), (127.66, 49.76), (129.40, 49.44), (130.58, 48.73), (130.99, 47.79), (132.51, 47.79), (133.37, 48.18), (135.02, 48.48), (134.50, 47.58), (134.11, 47.21), (133.77, 46.12), (133.10, 45.14), (131.88, 45.32), (131.03, 44.97), (131.29, 44.11), (131.14, 42.93), (130.63, 42.90), (130.64, 42.40), (130.00, 42.98), (129.60, 42.42), (128.05, 41.99), (128.21, 41.47), (127.34, 41.50), (126.87, 41.82), (126.18, 41.11), (125.08, 40.57), (124.26, 39.93), (122.87, 39.64), (122.13, 39.17), (121.05, 38.90), (121.59, 39.36), (121.38, 39.75), (122.17, 40.42), (121.64, 40.95), (120.77, 40.59), (119.64, 39.90), (119.02, 39.25), (118.04, 39.20), (117.53, 38.74), (118.06, 38.06), (118.88, 37.90), (118.91, 37.45), (119.70, 37.16), (120.82, 37.87), (121.71, 37.48), (122.36, 37.46), (122.52, 36.93), (121.10, 36.65), (120.64, 36.11), (119.66, 35.61), (119.15, 34.91), (120.23, 34.36), (120.62, 33.38), (121.23, 32.46), (121.91, 31.69), (121.89, 30.95), (121.27, 30.68), (121.50, 30.14), (122.09, 29.83), (121.94, 29.02), (121.68, 28.23), (121.13, 28.14), (120.39, 27.05), (119.58, 25.74), (118.66, 24.55), (117.28, 23.63), (115.89, 22.78), (114.76, 22.67), (114.15, 22.22), (113.81, 22.55), (113.24, 22.05), (111.84, 21.55), (110.79, 21.40), (110.44, 20.34), (109.89, 20.28), (109.63, 21.01), (109.86, 21.39), (108.52, 21.71), (108.05, 21.55), (107.04, 21.81), (106.57, 22.22), (106.72, 22.79), (105.81, 22.98), (105.33, 23.35), (104.48, 22.82), (103.50, 22.70), (102.71, 22.71), (102.17, 22.46), (101.65, 22.32), (101.80, 21.17), (101.27, 21.20), (101.18, 21.44), (101.15, 21.85), (100.42, 21.56), (99.98, 21.74), (99.24, 22.12), (99.53, 22.95), (98.90, 23.14), (98.66, 24.06), (97.61, 23.90), (97.72, 25.08), (98.67, 25.92), (98.71, 26.74), (98.68, 27.51), (98.25, 27.75), (97.91, 28.34), (97.33, 28.26), (96.25, 28.41), (96.59, 28.83), (96.12, 29.45), (95.41, 29.03), (94.57, 29.28), (93.41, 28.64), (92.50, 27.90), (91.70, 27.77), (91.26, 28.04), (90.73, 28.06), (90.02, 28.30), (89.48, 28.04), (88.81, 27.30), (88.73, 28.09), (88.12, 27.88), (86.95, 27.97), (85.82, 28.20), (85.01, 28.64), (84.24, 28.84), (83.90, 29.32), (83.34, 29.46), (82.33, 30.11), (81.52, 30.42), (81.11, 30.18), (79.72, 30.88), (78.74, 31.52), (78.46, 32.62), (79.18, 32.48), (79.21, 32.99), (78.81, 33.51), (78.91, 34.32), (77.84, 35.49), (76.19, 35.90), (75.90, 36.67), (75.16, 37.13), (74.98, 37.42), (74.83, 37.99), (74.86, 38.38), (74.26, 38.61), (73.93, 38.51), (73.68, 39.43), (73.96, 39.66), (73.82, 39.89), (74.78, 40.37), (75.47, 40.56), (76.53, 40.43), (76.91, 41.07), (78.19, 41.19), (78.54, 41.58), (80.12, 42.12)];

#[cfg(test)]
mod tests {
    /// The workspace's one geodesy ([`crate::geo`]) in this module's (lat, lon) order.
    fn destination(lat: f64, lon: f64, azimuth_deg: f64, d_km: f64) -> (f64, f64) {
        let (lo, la) = crate::geo::destination(lon, lat, azimuth_deg, d_km);
        (la, lo)
    }

    fn distance_km(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
        crate::geo::distance_km((lon1, lat1), (lon2, lat2))
    }

    use super::*;

    const LUDING: (f64, f64, f64, f64) = (29.59, 102.08, 16.0, 6.8);

    fn luding() -> IntensityModel {
        let (lat, lon, depth, m) = LUDING;
        IntensityModel::new(Relation::for_epicenter(lat, lon), m, depth, lat, lon)
    }

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn chinese_epicentral_intensity_is_the_lower_axis() {
        // I(R = 0) = A + B·M − C·ln R0; ln 25 = 3.218876, ln 7 = 1.945910.
        // West M4.8: long  5.643 + 1.538·4.8 (7.3824) − 2.109·3.218876 (6.788609) = 6.236791,
        //            short 2.941 + 1.363·4.8 (6.5424) − 1.494·1.945910 (2.907190) = 6.576210.
        // West M6.8: long  5.643 + 10.4584 − 6.788609 = 9.312791,
        //            short 2.941 + 9.2684 − 2.907190 = 9.302210.
        // East M6.8: long  6.046 + 1.480·6.8 (10.064) − 2.081·3.218876 (6.698481) = 9.411519,
        //            short 2.617 + 1.435·6.8 (9.758) − 1.441·1.945910 (2.804057) = 9.570943.
        for (c, m, long, short) in [
            (CHINA_WEST, 4.8, 6.236791, 6.576210),
            (CHINA_WEST, 6.8, 9.312791, 9.302210),
            (CHINA_EAST, 6.8, 9.411519, 9.570943),
        ] {
            let a = c.long.intensity(m, 0.0);
            let b = c.short.intensity(m, 0.0);
            assert!(close(a, long, 1e-5), "{a} vs {long}");
            assert!(close(b, short, 1e-5), "{b} vs {short}");
            let relation = if c == CHINA_WEST {
                Relation::ChinaWest
            } else {
                Relation::ChinaEast
            };
            let model = IntensityModel::new(relation, m, 10.0, 30.0, 100.0);
            assert_eq!(model.epicentral_intensity(), a.min(b));
            // From the epicentral intensity up there is no isoseismal, even where one axis
            // alone would still have a radius.
            let zero = Radii {
                long_km: 0.0,
                short_km: 0.0,
                equivalent_km: 0.0,
            };
            assert_eq!(model.radii(a.min(b)), zero);
            assert_eq!(model.radii(0.5 * (a + b)), zero);
            assert!(model.radii(a.min(b) - 0.01).long_km > 0.0);
            assert!(model.radii(a.min(b) - 0.01).short_km > 0.0);
        }
        // No σ was found for this set: none is given.
        assert_eq!(CHINA_WEST.sigma, None);
        assert_eq!(Relation::ChinaEast.sigma(10.0, 10.0), None);
        assert!(Relation::Aww2012Hypo.sigma(0.0, 10.0).is_some());
    }

    #[test]
    fn short_radius_is_capped_at_the_long_radius() {
        // The uncapped short axis exceeds the long one near the epicentre (west M4.8 at VI:
        // Ra = e^((13.0254 − 6)/2.109) − 25 = e^3.331152 − 25 = 2.9706 km,
        // Rb = e^((9.4834 − 6)/1.494) − 7 = e^2.331593 − 7 = 3.2943 km) and far out (west M6.8
        // at 2.5: Ra = 607.2 km, Rb = 657.4 km). The model caps it.
        assert!(CHINA_WEST.short.radius(4.8, 6.0) > CHINA_WEST.long.radius(4.8, 6.0));
        assert!(CHINA_WEST.short.radius(6.8, 2.5) > CHINA_WEST.long.radius(6.8, 2.5));
        let r = IntensityModel::new(Relation::ChinaWest, 4.8, 20.0, 29.67, 102.48).radii(6.0);
        assert!(
            close(r.long_km, 2.9706, 1e-4) && r.short_km == r.long_km,
            "{r:?}"
        );
        for relation in [Relation::ChinaWest, Relation::ChinaEast] {
            for m in [3.0, 4.0, 4.8, 5.5, 6.0, 6.8, 7.5, 8.0] {
                let model = IntensityModel::new(relation, m, 10.0, 30.0, 100.0);
                let i0 = model.epicentral_intensity();
                for k in 0..=300 {
                    let i = i0 + 0.5 - 0.05 * f64::from(k);
                    let r = model.radii(i);
                    assert!(
                        r.short_km <= r.long_km && r.short_km >= 0.0,
                        "{relation:?} M{m} I{i}: {r:?}"
                    );
                    assert!(r.equivalent_km <= r.long_km && r.equivalent_km >= r.short_km);
                }
            }
        }
    }

    #[test]
    fn summary_of_hanyuan_and_luding() {
        // 2022-05-20 汉源 M4.8 (western China): I0 = 6.2368 (the long axis, see
        // chinese_epicentral_intensity_is_the_lower_axis).
        let mut e = crate::Event {
            source: crate::Source::Cenc,
            event_id: "x".into(),
            status: crate::ReportStatus::Official,
            revision: 0,
            origin_time: chrono::DateTime::from_timestamp(0, 0).unwrap(),
            lat: 29.67,
            lon: 102.48,
            depth_km: 20.0,
            magnitude: 4.8,
            magnitude_type: "M".into(),
            region: "四川雅安市汉源县".into(),
            revised: false,
        };
        let s = summary(&e);
        assert_eq!(s.relation, Relation::ChinaWest);
        assert!(close(s.epicentral, 6.2368, 1e-3), "{}", s.epicentral);
        assert_eq!(s.epicentral_level, 6);
        // VI: 2.97 km (short capped at long, see short_radius_is_capped_at_the_long_radius),
        // over 1 km so drawn; V and IV too.
        let levels: Vec<u8> = s.rings.iter().map(|r| r.level).collect();
        assert_eq!(levels, [6, 5, 4]);
        assert!(close(s.rings[0].radius_km, 2.9706, 1e-3), "{:?}", s.rings);
        // Felt (III): Ra = e^((5.643 + 7.3824 − 3)/2.109) − 25 = e^4.753627 − 25 = 91.0043,
        // Rb = e^((2.941 + 6.5424 − 3)/1.494) − 7 = e^4.339625 − 7 = 69.6788;
        // √(Ra·Rb) = 79.63 km → "约80公里" (to 5 km under 100).
        assert!(
            close(s.felt_radius_km, 79.6308, 1e-3),
            "{}",
            s.felt_radius_km
        );
        assert_eq!(s.felt_radius_rounded_km(), 80);
        // Luding M6.8: IX at the epicentre (9.30), rings IX..IV.
        e.lat = 29.59;
        e.lon = 102.08;
        e.magnitude = 6.8;
        let s = summary(&e);
        assert!(close(s.epicentral, 9.3022, 1e-3), "{}", s.epicentral);
        assert_eq!(s.epicentral_level, 9);
        let levels: Vec<u8> = s.rings.iter().map(|r| r.level).collect();
        assert_eq!(levels, [9, 8, 7, 6, 5, 4]);
        assert!(s.rings.windows(2).all(|w| w[0].radius_km < w[1].radius_km));
        // Felt: √(473.7667·468.4478) = 471.10 km → "约470公里".
        assert!(
            close(s.felt_radius_km, 471.0997, 1e-3),
            "{}",
            s.felt_radius_km
        );
        assert_eq!(s.felt_radius_rounded_km(), 470);
    }

    #[test]
    fn luding_radii_by_hand() {
        // Hand (A + B·M: long 5.643 + 1.538·6.8 = 16.1014, short 2.941 + 1.363·6.8 = 12.2094):
        //   Ra(6) = e^((16.1014 − 6)/2.109) − 25 = e^4.789663 − 25 = 95.2609 km,
        //   Rb(6) = e^((12.2094 − 6)/1.494) − 7 = e^4.156225 − 7 = 56.8301 km,
        //   √(Ra·Rb) = 73.5778 km.
        let m = luding();
        assert_eq!(m.relation, Relation::ChinaWest);
        let r6 = m.radii(6.0);
        assert!(close(r6.long_km, 95.2609, 1e-3), "{r6:?}");
        assert!(close(r6.short_km, 56.8301, 1e-3), "{r6:?}");
        assert!(close(r6.equivalent_km, 73.5778, 1e-3), "{r6:?}");
        // The relation's VI ellipse is π·95.26·56.83 ≈ 17,010 km². (A survey figure of
        // 19,089 km² for the VI area, quoted here before, could not be verified.)
        let area = std::f64::consts::PI * r6.long_km * r6.short_km;
        assert!(close(area, 17_007.6, 1.0), "{area}");
        // Ra(8) = e^3.841347 − 25 = 21.5882, Rb(8) = e^2.817537 − 7 = 9.7356.
        let r8 = m.radii(8.0);
        assert!(
            close(r8.long_km, 21.5882, 1e-3) && close(r8.short_km, 9.7356, 1e-3),
            "{r8:?}"
        );
        // III: Ra = e^6.212138 − 25 = 473.7667, Rb = e^6.164257 − 7 = 468.4478 (not yet
        // crossed: that happens below I ≈ 2.94).
        let r3 = m.radii(3.0);
        assert!(
            close(r3.long_km, 473.7667, 1e-3) && close(r3.short_km, 468.4478, 1e-3),
            "{r3:?}"
        );
        // At 2.5 the short axis would be the longer (657.4 vs 607.2 km): capped.
        let r25 = m.radii(2.5);
        assert!(
            close(r25.long_km, 607.2075, 1e-3) && r25.short_km == r25.long_km,
            "{r25:?}"
        );
        // I0: the short axis's 9.302210 (under the long axis's 9.312791). On the long axis
        // within Ra(I0) = e^((16.1014 − 9.302210)/2.109) − 25 = 0.126 km the ellipse degenerates:
        // the intensity there is I0.
        assert!(close(m.epicentral_intensity(), 9.302210, 1e-5));
        let oriented = luding().with_long_axis_azimuth(0.0);
        let near = oriented.intensity_at_offset(0.05, 0.0);
        assert!(close(near, m.epicentral_intensity(), 1e-8), "{near}");
        assert!(oriented.intensity_at_offset(0.05, 0.01) < near);
        assert_eq!(
            m.radii(9.5),
            Radii {
                long_km: 0.0,
                short_km: 0.0,
                equivalent_km: 0.0
            }
        );
    }

    #[test]
    fn aww2012_by_hand() {
        // Hand: R_M = −0.209 + 2.042·e^1.8 = 12.1446; at the epicentre R_hyp = 16 km:
        // 2.085 + 1.428·6.8 − 1.402·ln √(16² + 12.1446²) = 7.5893.
        let m = IntensityModel::new(Relation::Aww2012Hypo, 6.8, 16.0, 35.0, 139.0);
        assert!(close(m.epicentral_intensity(), 7.5893, 1e-4));
        // 100 km away: R_hyp = 101.27 km, plus 0.078·ln(101.27/50): 5.3663.
        assert!(close(m.intensity_at_offset(100.0, 0.0), 5.3663, 1e-4));
        assert!(close(m.intensity_at_offset(0.0, 100.0), 5.3663, 1e-4));
        // M6.0, depth 10, 30 km: 5.7909. M5.0, depth 10, 200 km: 1.9032.
        let m6 = IntensityModel::new(Relation::Aww2012Hypo, 6.0, 10.0, 0.0, 0.0);
        assert!(close(m6.intensity_at_offset(30.0, 0.0), 5.7909, 1e-4));
        let m5 = IntensityModel::new(Relation::Aww2012Hypo, 5.0, 10.0, 0.0, 0.0);
        assert!(close(m5.intensity_at_offset(200.0, 0.0), 1.9032, 1e-4));
        // The radius of a level inverts the equation.
        let r = m.radii(5.0).long_km;
        assert!(close(m.intensity_at_offset(r, 0.0), 5.0, 1e-6), "{r}");
        assert!(close(AWW2012_HYPO.sigma(0.0), 1.19, 1e-9));
    }

    #[test]
    fn aww2012_matches_openquake_tables() {
        // gem/oq-engine, openquake/hazardlib/tests/gsim/data/a12ipe/AWW_IPE_RHYPO_MEAN.csv and
        // AWW_IPE_RHYPO_SIGMA.csv (AllenEtAl2012Rhypo; "generated from independent Matlab
        // implementation"): (M, R_hyp km, MMI).
        const MEAN: [(f64, f64, f64); 21] = [
            (5.0, 1.0, 8.1928149),
            (5.0, 5.0, 6.8801720),
            (5.0, 10.0, 5.9736099),
            (5.0, 20.0, 5.0191197),
            (5.0, 50.0, 3.7394023),
            (5.0, 100.0, 2.8223814),
            (5.0, 300.0, 1.3680280),
            (6.0, 1.0, 8.2797327),
            (6.0, 5.0, 7.8627966),
            (6.0, 10.0, 7.2488079),
            (6.0, 20.0, 6.4046804),
            (6.0, 50.0, 5.1603881),
            (6.0, 100.0, 4.2486195),
            (6.0, 300.0, 2.7958320),
            (7.0, 1.0, 8.2924672),
            (7.0, 5.0, 8.2206291),
            (7.0, 10.0, 8.0343509),
            (7.0, 20.0, 7.5721877),
            (7.0, 50.0, 6.5368604),
            (7.0, 100.0, 5.6632662),
            (7.0, 300.0, 4.2223319),
        ];
        // (R_hyp km, σ); σ does not depend on M.
        const SIGMA: [(f64, f64); 7] = [
            (1.0, 1.1892958),
            (5.0, 1.1731638),
            (10.0, 1.1307441),
            (20.0, 1.0298979),
            (50.0, 0.8841552),
            (100.0, 0.8384363),
            (300.0, 0.8221434),
        ];
        for (m, r, want) in MEAN {
            let got = AWW2012_HYPO.intensity(m, r);
            assert!(close(got, want, 1e-6), "M{m} R{r}: {got} vs {want}");
            // Through the model: epicentral distance 0 at depth R, and distance R at depth 0.
            let deep = IntensityModel::new(Relation::Aww2012Hypo, m, r, 35.0, 139.0);
            assert!(close(deep.epicentral_intensity(), want, 1e-6));
            let shallow = IntensityModel::new(Relation::Aww2012Hypo, m, 0.0, 35.0, 139.0);
            assert!(close(shallow.intensity_at_offset(r, 0.0), want, 1e-6));
        }
        for (r, want) in SIGMA {
            assert!(close(AWW2012_HYPO.sigma(r), want, 1e-6), "R{r}");
            // Relation::sigma takes the epicentral distance and the depth.
            let got = Relation::Aww2012Hypo.sigma(r * 0.6, r * 0.8).unwrap();
            assert!(close(got, want, 1e-6), "R{r}: {got}");
        }
    }

    #[test]
    fn elliptical_intensity_on_and_off_the_axes() {
        let m = luding().with_long_axis_azimuth(40.0);
        assert!(m.is_elliptical());
        for level in [4.0, 5.0, 6.0, 7.0, 8.0] {
            let r = m.radii(level);
            assert!(close(m.intensity_at_offset(r.long_km, 0.0), level, 1e-6));
            assert!(close(m.intensity_at_offset(0.0, r.short_km), level, 1e-6));
            // Halfway round the ellipse (parametric angle 45°) is on the same isoseismal.
            let t = std::f64::consts::FRAC_PI_4;
            let (x, y) = (r.long_km * t.cos(), r.short_km * t.sin());
            assert!(close(m.intensity_at_offset(x, y), level, 1e-6));
            assert!(close(m.intensity_at_offset(-x, -y), level, 1e-6));
        }
        // At equal distance the long axis is the most shaken direction.
        let d = 80.0;
        let along = m.intensity_at_offset(d, 0.0);
        let diag = m.intensity_at_offset(d * 0.6, d * 0.8);
        let across = m.intensity_at_offset(0.0, d);
        assert!(along > diag && diag > across, "{along} {diag} {across}");
        assert!(close(m.max_intensity_at_distance(d), along, 1e-12));
        assert_eq!(m.intensity_at_offset(0.0, 0.0), m.epicentral_intensity());
    }

    #[test]
    fn newton_matches_bisection() {
        // Luding (I0 from the short axis), 汉源 M4.8 (I0 from the long axis, short capped near the
        // epicentre) and an eastern M5.0.
        for (relation, mag) in [
            (Relation::ChinaWest, 6.8),
            (Relation::ChinaWest, 4.8),
            (Relation::ChinaEast, 5.0),
        ] {
            let m =
                IntensityModel::new(relation, mag, 10.0, 30.0, 100.0).with_long_axis_azimuth(0.0);
            let c = relation.elliptical().unwrap();
            for &(x, y) in &[
                (0.3, 0.2),
                (1.0, 0.5),
                (2.0, 1.0),
                (20.0, 33.0),
                (150.0, 10.0),
                (5.0, 400.0),
                (700.0, 700.0),
            ] {
                let got = m.intensity_at_offset(x, y);
                let lo = bisect_level(&m, |i| {
                    let (ra, rb) = axis_radii(c, mag, i);
                    (x / ra).powi(2) + (y / rb).powi(2) <= 1.0
                });
                assert!(close(got, lo, 1e-7), "M{mag} ({x},{y}): {got} vs {lo}");
            }
        }
    }

    /// The highest level `I` (below the epicentral one) where `inside(I)` holds, by plain
    /// bisection: the reference the Newton solver is checked against.
    fn bisect_level(m: &IntensityModel, inside: impl Fn(f64) -> bool) -> f64 {
        let (mut lo, mut hi) = (
            m.epicentral_intensity() - SOLVE_SPAN,
            m.epicentral_intensity(),
        );
        for _ in 0..200 {
            let mid = 0.5 * (lo + hi);
            if inside(mid) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        lo
    }

    #[test]
    fn circular_solve_matches_bisection_at_all_distances() {
        for (relation, mag) in [
            (Relation::ChinaWest, 6.8),
            (Relation::ChinaWest, 4.8),
            (Relation::ChinaEast, 5.0),
        ] {
            let m = IntensityModel::new(relation, mag, 10.0, 30.0, 100.0);
            let c = relation.elliptical().unwrap();
            let mut prev = f64::INFINITY;
            for k in 0..400 {
                let d = 0.05 * 1.03f64.powi(k); // 0.05 km … ≈7,000 km
                let got = m.intensity_at_offset(d, 0.0);
                let lo = bisect_level(&m, |i| {
                    let (ra, rb) = axis_radii(c, mag, i);
                    ra * rb > d * d
                });
                assert!(close(got, lo, 1e-7), "M{mag} {d}: {got} vs {lo}");
                assert!(got < prev, "M{mag}: not decreasing at {d}");
                prev = got;
            }
        }
    }

    #[test]
    fn circular_uses_the_equal_area_radius() {
        let m = luding();
        assert!(!m.is_elliptical());
        for level in [3.0, 4.5, 6.0, 7.0] {
            let r = m.radii(level).equivalent_km;
            assert!(close(m.intensity_at_offset(r, 0.0), level, 1e-6), "{level}");
            assert!(close(m.intensity_at_offset(0.0, r), level, 1e-6), "{level}");
            assert!(close(m.max_radius_km(level), r, 1e-12));
        }
    }

    #[test]
    fn orientation_rotates_the_ellipse() {
        let (lat, lon, ..) = LUDING;
        let north = luding().with_long_axis_azimuth(0.0);
        let east = luding().with_strike(90.0);
        let p_north = destination(lat, lon, 0.0, 90.0);
        let p_east = destination(lat, lon, 90.0, 90.0);
        let a = north.intensity_at(p_north.0, p_north.1);
        let b = east.intensity_at(p_east.0, p_east.1);
        assert!(close(a, b, 1e-6), "{a} {b}");
        assert!(north.intensity_at(p_east.0, p_east.1) < a - 0.3);
        // Azimuths 10° and 190° are the same axis.
        assert_eq!(
            luding().with_long_axis_azimuth(190.0).long_axis_azimuth_deg,
            Some(10.0)
        );
    }

    #[test]
    fn relation_by_region() {
        assert_eq!(Relation::for_epicenter(29.59, 102.08), Relation::ChinaWest); // Luding
        assert_eq!(Relation::for_epicenter(39.63, 118.18), Relation::ChinaEast); // Tangshan
        assert_eq!(Relation::for_epicenter(43.9, 87.6), Relation::ChinaWest); // Ürümqi
        assert_eq!(Relation::for_epicenter(19.2, 109.7), Relation::ChinaEast); // Hainan
        assert_eq!(Relation::for_epicenter(38.8, 119.8), Relation::ChinaEast); // Bohai Sea
        assert_eq!(Relation::for_epicenter(21.0, 112.0), Relation::ChinaEast); // off Guangdong
        assert_eq!(Relation::for_epicenter(35.7, 139.7), Relation::Aww2012Hypo); // Tokyo
        assert_eq!(Relation::for_epicenter(47.9, 106.9), Relation::Aww2012Hypo); // Ulaanbaatar
        assert_eq!(Relation::for_epicenter(28.2, 84.7), Relation::Aww2012Hypo); // Gorkha, Nepal
        assert_eq!(Relation::for_epicenter(37.2, 37.0), Relation::Aww2012Hypo); // Kahramanmaraş
        for r in [
            Relation::ChinaWest,
            Relation::ChinaEast,
            Relation::Aww2012Hypo,
        ] {
            assert_eq!(Relation::from_key(r.key()), Some(r));
            assert_eq!(
                serde_json::to_string(&r).unwrap(),
                format!("\"{}\"", r.key())
            );
        }
    }

    #[test]
    fn inside_agrees_with_intensity() {
        for m in [luding(), luding().with_long_axis_azimuth(30.0)] {
            let r = m.radii(4.0);
            for k in 0..360 {
                let az = f64::from(k);
                for d in [10.0, 200.0, 236.0, 255.0, 262.0, 284.0, 400.0] {
                    let (la, lo) = destination(29.59, 102.08, az, d);
                    let o = m.offset(la, lo);
                    let i = m.intensity_at_offset(o.along_km, o.across_km);
                    if (i - 4.0).abs() > 1e-6 {
                        assert_eq!(m.inside(&o, &r), i >= 4.0, "az {az} d {d} i {i}");
                    }
                }
            }
        }
    }

    #[test]
    fn levels_and_numerals() {
        assert_eq!(level(5.999), 5);
        assert_eq!(level(6.0), 6);
        assert_eq!(level(-1.0), 0);
        assert_eq!(level(13.2), 12);
        assert_eq!(roman(6), Some("VI"));
        assert_eq!(roman(12), Some("XII"));
        assert_eq!(roman(0), None);
        assert_eq!(roman(13), None);
        assert_eq!(parse_level("viii"), Some(8));
        assert_eq!(parse_level("3"), Some(3));
        assert_eq!(parse_level("XIII"), None);
    }

    #[test]
    fn geodesy() {
        // Beijing – Shanghai, ≈1067 km.
        let d = distance_km(39.9042, 116.4074, 31.2304, 121.4737);
        assert!((1060.0..1075.0).contains(&d), "{d}");
        // Across the antimeridian and over the pole the distances stay short.
        assert!(close(distance_km(0.0, 179.9, 0.0, -179.9), 22.24, 0.01));
        assert!(close(distance_km(89.9, 0.0, 89.9, 180.0), 22.24, 0.01));
        let (la, lo) = destination(0.0, 179.95, 90.0, 11.1195);
        assert!(
            close(la, 0.0, 1e-9) && close(lo, -179.95, 1e-4),
            "{la} {lo}"
        );
        // The model frame agrees with the haversine.
        let m = luding();
        let s = m.sample(31.23, 121.47);
        assert!(close(
            s.distance_km,
            distance_km(29.59, 102.08, 31.23, 121.47),
            1e-6
        ));
    }

    #[test]
    fn isoseismal_ring_lies_on_its_level() {
        let m = luding().with_long_axis_azimuth(35.0);
        let ring = m.isoseismal(6.0, 36);
        assert_eq!(ring.len(), 37);
        assert_eq!(ring.first(), ring.last());
        for &(lat, lon) in &ring {
            assert!(close(m.intensity_at(lat, lon), 6.0, 0.01), "{lat} {lon}");
        }
        assert!(m.isoseismal(10.0, 36).is_empty());
    }
}
