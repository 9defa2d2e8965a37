//! The kinds of scene a bulletin is made of, and the default lengths of those every bulletin
//! has. A leaf module (the theme, the facts' lineup, the narration and the storyboard use it).
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum SceneKind {
    Header,
    Parameters,
    Map,
    Closing,
    /// Nearby county seats and cities with distances (needs a seat table or gazetteer).
    Places,
    /// Predicted intensity: epicentral intensity, felt radius, isoseismal rings.
    Intensity,
    /// Recent seismicity within 200 km (needs a catalogue).
    History,
}

/// Default scene lengths in seconds of the scenes every bulletin has (the default theme's
/// `crate::theme::DEFAULT_DURATIONS` has them all).
pub const DEFAULT_SCENE_SECS: [(SceneKind, f64); 4] = [
    (SceneKind::Header, 2.5),
    (SceneKind::Parameters, 4.0),
    (SceneKind::Map, 4.5),
    (SceneKind::Closing, 3.0),
];
