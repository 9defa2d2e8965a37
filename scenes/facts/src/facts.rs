//! [`Facts`]: everything a bulletin states beyond the report itself (nearby places, predicted
//! intensity, recent seismicity, elevation, the place name), and the situation the safety
//! advice addresses. Numbers and structures only: the wording is the scenes crate's
//! (`quakecast_scenes::phrases`).
use serde::{Deserialize, Serialize};

use crate::elevation::{Dem, ElevationSummary, ELEVATION_RADIUS_KM};
use crate::faults::NearestFault;
use crate::history::{Catalog, History};
use crate::intensity::IntensitySummary;
use crate::nearby::Nearby;
use crate::placename::PlaceName;
use crate::{Assets, Event};

/// Everything a bulletin states beyond the report itself, computed once per event (pure; the
/// storyboard keeps it, so frames and narration read the same numbers).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Facts {
    /// Nearby seats and cities ([`crate::nearby`]); `None` without a seat table or gazetteer.
    pub nearby: Option<Nearby>,
    /// Predicted shaking ([`crate::intensity::summary`]).
    pub intensity: Option<IntensitySummary>,
    /// Recent seismicity ([`crate::history`]); `None` without a catalogue.
    pub history: Option<History>,
    /// Mean elevation within [`ELEVATION_RADIUS_KM`] of the epicentre ([`crate::elevation`]);
    /// `None` without a DEM (`--dem`) or where the DEM does not cover the circle well enough.
    /// `serde(default)`: facts stored before this field existed still load.
    #[serde(default)]
    pub elevation: Option<ElevationSummary>,
    /// Where it struck, in both languages ([`crate::placename`]); the report's own text when no
    /// map data is loaded. `serde(default)`: facts stored before this field existed still load.
    #[serde(default)]
    pub place: PlaceName,
    /// The mapped active fault nearest the epicentre within
    /// [`crate::faults::NEAR_FAULT_KM`] ([`crate::faults::nearest_fault`]); its strike orients
    /// the intensity ellipses. `None` without fault data or with no fault that near.
    #[serde(default)]
    pub fault: Option<NearestFault>,
    /// Operator-provided notes on the area (introduction, weather; [`crate::area`]); empty
    /// without providers.
    #[serde(default)]
    pub area: crate::area::AreaNotes,
    /// The platform's located users around the epicentre ([`crate::heat`]); `None` without an
    /// audience index.
    #[serde(default)]
    pub heat: Option<crate::heat::UserHeat>,
}

impl Facts {
    /// What the event alone gives: the intensity prediction.
    pub fn from_event(event: &Event) -> Facts {
        Facts {
            nearby: None,
            intensity: Some(crate::intensity::summary(event)),
            history: None,
            elevation: None,
            place: PlaceName::from_report(event),
            fault: None,
            area: Default::default(),
            heat: None,
        }
    }

    /// All facts: places from `assets` (seat table and gazetteer, when loaded), intensity, and
    /// history when a catalogue is given.
    pub fn compute(event: &Event, assets: &Assets, catalog: Option<&Catalog>) -> Facts {
        let nearby = crate::nearby::nearby(event, assets);
        let fault = crate::faults::nearest_fault(
            &assets.faults,
            event.lon,
            event.lat,
            crate::faults::NEAR_FAULT_KM,
        );
        let mut model = crate::intensity::IntensityModel::for_event(event);
        if let Some(f) = &fault {
            model = model.with_strike(f.strike_deg);
        }
        let mut intensity = crate::intensity::summary_of(&model);
        intensity.seats = crate::intensity::seats_by_level(&model, &assets.seats);
        Facts {
            nearby: (!nearby.is_empty()).then_some(nearby),
            intensity: Some(intensity),
            history: catalog.map(|c| crate::history::history(event, c)),
            elevation: None,
            place: crate::placename::place_name(event, assets),
            fault,
            area: Default::default(),
            heat: None,
        }
    }

    /// These facts with the mean elevation within [`ELEVATION_RADIUS_KM`] of the epicentre from
    /// `dem` (the operator's `--dem` file). With no DEM, or one that does not cover the circle
    /// (see [`Dem::mean_within`]), the fact is absent: nothing is estimated.
    pub fn with_elevation(mut self, event: &Event, dem: Option<&Dem>) -> Facts {
        self.elevation = dem.and_then(|d| d.mean_within(event.lat, event.lon, ELEVATION_RADIUS_KM));
        self
    }

    /// These facts with the platform-user heat from `source` (none without one).
    pub fn with_heat(
        mut self,
        event: &Event,
        source: Option<&dyn crate::heat::HeatSource>,
    ) -> Facts {
        self.heat = source.and_then(|s| s.heat(event.lat, event.lon, crate::heat::HEAT_RADIUS_KM));
        self
    }

    /// These facts with the operator's notes on the area.
    pub fn with_area(mut self, area: crate::area::AreaNotes) -> Facts {
        self.area = area;
        self
    }
}

/// What the safety advice is to address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Situation {
    /// Predicted epicentral intensity VI or more: damage possible.
    Strong,
    /// Felt (IV–V) but damage unlikely.
    Felt,
    /// Weak or far away.
    Minor,
}

/// The level from which the advice speaks of strong shaking (VI: slight damage begins).
pub const STRONG_LEVEL: u8 = 6;
/// From this level the event is "felt" for the advice.
pub const FELT_ADVICE_LEVEL: u8 = 4;

/// The situation from the predicted epicentral intensity.
pub fn situation(facts: &Facts) -> Situation {
    match facts.intensity.as_ref().map(|i| i.epicentral_level) {
        Some(l) if l >= STRONG_LEVEL => Situation::Strong,
        Some(l) if l >= FELT_ADVICE_LEVEL => Situation::Felt,
        _ => Situation::Minor,
    }
}

/// Whether the epicentre lies in the box around China (73–136°E, 3–54°N) the bulletin frames
/// as "China": the map then starts from the whole-country view. A box, so it also takes in
/// parts of neighbouring countries, which is what a Chinese audience wants for those events too.
pub fn in_china_frame(lon: f64, lat: f64) -> bool {
    (73.0..=136.0).contains(&lon) && (3.0..=54.0).contains(&lat)
}
