//! Which scenes a bulletin plays: the theme's list for the magnitude band, less the scenes the
//! facts have no data for.
use quakecast_facts::{Event, Facts};

use crate::kind::{SceneKind, DEFAULT_SCENE_SECS};
use crate::theme::Theme;

/// Whether `facts` has what a scene of this kind needs.
pub fn has_scene(facts: &Facts, kind: SceneKind) -> bool {
    match kind {
        SceneKind::Places => facts.nearby.as_ref().is_some_and(|n| !n.is_empty()),
        SceneKind::Intensity => facts.intensity.is_some(),
        SceneKind::History => facts.history.is_some(),
        SceneKind::Header | SceneKind::Parameters | SceneKind::Map | SceneKind::Closing => true,
    }
}

/// The scenes `theme` plays for `event`, less those `facts` has no data for.
pub fn scene_list(event: &Event, facts: &Facts, theme: &Theme) -> Vec<SceneKind> {
    let mut kinds: Vec<SceneKind> = theme
        .scenes_for(event.magnitude)
        .iter()
        .copied()
        .filter(|k| has_scene(facts, *k))
        .collect();
    if kinds.is_empty() {
        kinds = DEFAULT_SCENE_SECS.iter().map(|(k, _)| *k).collect();
    }
    kinds
}
