//! Event → storyboard of timed scenes → draw list for frame n.
use serde::{Deserialize, Serialize};

use crate::{Assets, DrawList, Event, TextMeasure};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RenderSettings {
    pub width: u32,
    pub height: u32,
    pub fps: u32,
}

impl Default for RenderSettings {
    fn default() -> Self {
        Self {
            width: 720,
            height: 1280,
            fps: 30,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SceneKind {
    Header,
    Parameters,
    Map,
    Closing,
}

/// One scene occupying frames `start .. start + frames`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SceneSpan {
    pub kind: SceneKind,
    pub start: u32,
    pub frames: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Storyboard {
    pub settings: RenderSettings,
    pub event: Event,
    pub scenes: Vec<SceneSpan>,
    pub total_frames: u32,
}

impl Storyboard {
    pub fn new(event: &Event, settings: RenderSettings) -> Self {
        let _ = (event, settings);
        todo!("scenes helper")
    }

    /// The draw list of frame `n` (0-based, `n < total_frames`): a pure function of
    /// the storyboard, the assets and `n`.
    pub fn frame(&self, n: u32, assets: &Assets, measure: &dyn TextMeasure) -> DrawList {
        let _ = (n, assets, measure);
        todo!("scenes helper")
    }
}
