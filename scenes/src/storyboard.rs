//! Event → storyboard of timed scenes → draw list for frame n.
//!
//! A storyboard is scenes back to back, chosen by the [`Theme`] for the event's magnitude band
//! and the [`Facts`] at hand (Header, Parameters, Map, Places, Intensity, History, Closing; a
//! scene whose data is missing is left out). [`Storyboard::compose`] is the full constructor;
//! [`Storyboard::new`] and [`Storyboard::with_durations`] use the default theme and the facts
//! computable from the event alone. Narration lengthens scenes to hold their speech. Between scenes the outgoing scene dips to the background over its last
//! [`FADE_SECS`] and the incoming one rises from it over its first [`FADE_SECS`]; both are
//! computed from the frame number alone, so any frame can be rendered on its own, by any worker.
use serde::{Deserialize, Serialize};

pub use crate::kind::{SceneKind, DEFAULT_SCENE_SECS};
use crate::layout::{progress, Canvas};
pub use crate::lineup::scene_list;
use crate::scene::{self, Ctx};
pub use crate::settings::RenderSettings;
use crate::theme::{Theme, Transition};
use crate::{Assets, DrawList, Event, Fill, Prim, TextMeasure};
use quakecast_facts::Facts;

/// Length of the dip to the background between two scenes, seconds (on each side of the cut).
pub const FADE_SECS: f64 = 0.3;

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
    /// Subtitles burned into the frames (empty: none), times in seconds from the start; see
    /// [`Storyboard::with_subtitles`].
    #[serde(default)]
    pub subtitles: Vec<crate::subtitles::TimedCue>,
    /// What the scenes state beyond the report (places, intensity, history), computed once.
    #[serde(default)]
    pub facts: Facts,
    #[serde(default)]
    pub theme: Theme,
    /// The wording the narration was fitted with ([`crate::narration::Wording`]), so that a farm
    /// worker speaks the same script again.
    #[serde(default)]
    pub wording: crate::narration::Wording,
    /// The material library's assets behind the card scenes and the closing card, and the
    /// record of every asset used ([`crate::backdrop::Materials`]); empty without a library.
    #[serde(default)]
    pub materials: crate::backdrop::Materials,
}

impl Storyboard {
    /// The storyboard with default scene lengths.
    pub fn new(event: &Event, settings: RenderSettings) -> Self {
        Self::with_durations(event, settings, &[])
    }

    /// The storyboard where each scene lasts the larger of its default length and the frames
    /// given for it in `min_frames` (e.g. from `narration::scene_min_frames`, so that every scene
    /// holds its speech). Scenes not listed keep their default; repeated entries take the largest.
    pub fn with_durations(
        event: &Event,
        settings: RenderSettings,
        min_frames: &[(SceneKind, u32)],
    ) -> Self {
        Self::compose(
            event,
            &Facts::from_event(event),
            &Theme::default(),
            settings,
            min_frames,
        )
    }

    /// The full constructor: the scenes `theme` plays for the event's magnitude, less those
    /// `facts` has no data for ([`Facts::has_scene`]), each lasting the larger of the theme's
    /// length and `min_frames` (from `narration::scene_min_frames` of
    /// `narration::script_for(event, facts, theme)`).
    pub fn compose(
        event: &Event,
        facts: &Facts,
        theme: &Theme,
        settings: RenderSettings,
        min_frames: &[(SceneKind, u32)],
    ) -> Self {
        let fps = settings.fps.max(1);
        let mut start = 0;
        let kinds = scene_list(event, facts, theme);
        let mut scenes = Vec::with_capacity(kinds.len());
        for kind in kinds {
            let secs = theme.secs(kind);
            let default = (secs * f64::from(fps)).round().max(1.0) as u32;
            let need = min_frames
                .iter()
                .filter(|(k, _)| *k == kind)
                .map(|(_, f)| *f)
                .max()
                .unwrap_or(0);
            let frames = default.max(need);
            scenes.push(SceneSpan {
                kind,
                start,
                frames,
            });
            start += frames;
        }
        Self {
            settings,
            event: event.clone(),
            scenes,
            total_frames: start,
            subtitles: Vec::new(),
            facts: facts.clone(),
            theme: theme.clone(),
            wording: crate::narration::Wording::Full,
            materials: Default::default(),
        }
    }

    /// The same scenes re-timed so that each lasts at least `min_frames` (once the narration of
    /// this storyboard's script has been measured).
    pub fn retimed(&self, min_frames: &[(SceneKind, u32)]) -> Self {
        Self::compose(
            &self.event,
            &self.facts,
            &self.theme,
            self.settings,
            min_frames,
        )
        .with_subtitles(self.subtitles.clone())
    }

    /// The kinds of the scenes, in playing order.
    pub fn kinds(&self) -> Vec<SceneKind> {
        self.scenes.iter().map(|s| s.kind).collect()
    }

    /// This storyboard with `cues` burned in: each cue's lines show at the bottom of the safe
    /// area from its `start_secs` to its `end_secs` (the measured speech, so the text is on
    /// screen exactly while the voice speaks).
    pub fn with_subtitles(mut self, cues: Vec<crate::subtitles::TimedCue>) -> Self {
        self.subtitles = cues;
        self
    }

    /// Length in seconds.
    pub fn duration_secs(&self) -> f64 {
        f64::from(self.total_frames) / f64::from(self.settings.fps.max(1))
    }

    /// The scene showing at frame `n` (the last one for `n` past the end) and `n`'s frame
    /// number within it.
    pub fn scene_at(&self, n: u32) -> (&SceneSpan, u32) {
        let n = n.min(self.total_frames.saturating_sub(1));
        let span = self
            .scenes
            .iter()
            .find(|s| n < s.start + s.frames)
            .or(self.scenes.last())
            .unwrap_or_else(|| unreachable!("a storyboard always has scenes"));
        (span, n.saturating_sub(span.start))
    }

    /// The cover image of the bulletin ([`crate::scene::PosterShape`]) at `width` pixels: the
    /// map at rest with the key parameters, in the bulletin's language and theme.
    pub fn poster(
        &self,
        shape: crate::scene::PosterShape,
        width: u32,
        assets: &Assets,
        measure: &dyn TextMeasure,
    ) -> DrawList {
        let c = shape.canvas(width);
        let (width, height) = (c.width, c.height);
        let p = &self.theme.palette;
        let ctx = Ctx {
            c,
            m: measure,
            e: &self.event,
            assets,
            t: 10.0,
            p,
            f: &self.facts,
            lang: crate::narration::lang_for(&self.event, &self.theme),
        };
        let mut prims = vec![scene::background(p, width, height, 1.0)];
        scene::poster::draw(&ctx, shape, &mut prims);
        DrawList {
            width,
            height,
            clear: p.bg_bottom,
            prims,
        }
    }

    /// The draw list of frame `n` (0-based, `n < total_frames`; later frames repeat the last):
    /// a pure function of the storyboard, the assets and `n`.
    pub fn frame(&self, n: u32, assets: &Assets, measure: &dyn TextMeasure) -> DrawList {
        let RenderSettings { width, height, fps } = self.settings;
        let fps = f64::from(fps.max(1));
        let (span, local) = self.scene_at(n);
        let t = f64::from(local) / fps;
        let dur = f64::from(span.frames) / fps;
        let p = &self.theme.palette;
        let ctx = Ctx {
            c: Canvas::new(width, height),
            m: measure,
            e: &self.event,
            assets,
            t: t as f32,
            p,
            f: &self.facts,
            lang: crate::narration::lang_for(&self.event, &self.theme),
        };
        let mut prims = Vec::with_capacity(256);
        prims.push(scene::background(p, width, height, 1.0));
        if let Some(b) = self.materials.for_scene(span.kind, &self.theme.materials) {
            prims.push(crate::backdrop::draw(
                b,
                &self.theme.materials,
                p,
                width,
                height,
                t as f32,
                dur as f32,
            ));
        }
        match span.kind {
            SceneKind::Header => scene::header::draw(&ctx, &mut prims),
            SceneKind::Parameters => scene::parameters::draw(&ctx, &mut prims),
            SceneKind::Map => scene::map::draw(&ctx, &mut prims),
            SceneKind::Places => scene::places::draw(&ctx, &mut prims),
            SceneKind::Intensity => scene::intensity::draw(&ctx, &mut prims),
            SceneKind::History => scene::history::draw(&ctx, &mut prims),
            SceneKind::Closing => scene::closing::draw(&ctx, &mut prims),
        }
        // The cut: in after one (not for the first scene, whose first frame is the cover
        // picture), out before one (not for the last scene, which holds to the end).
        let first = span.start == 0;
        let last = span.start + span.frames >= self.total_frames;
        // Frame times are sampled at frame starts: the incoming side starts covered at frame
        // 0, the outgoing side ends fully covered on the scene's last frame.
        let end_t = dur - 1.0 / fps;
        let fade = FADE_SECS as f32;
        let u_in = if first {
            1.0
        } else {
            progress(t as f32, 0.0, fade)
        };
        let u_out = if last {
            1.0
        } else {
            progress((end_t - t) as f32, 0.0, fade)
        };
        let veil = |k: f32| Fill::Vertical(p.bg_top.fade(k), p.bg_bottom.fade(k));
        match self.theme.transition {
            Transition::Dip => {
                let k = u_in.min(u_out);
                if k < 1.0 {
                    prims.push(Prim::Rect {
                        x: 0.0,
                        y: 0.0,
                        w: width as f32,
                        h: height as f32,
                        radius: 0.0,
                        fill: veil(1.0 - k),
                    });
                }
            }
            Transition::Wipe => {
                // Covered span [x0, x1] of the width: the panel enters from the right over the
                // outgoing scene and leaves to the left over the incoming one.
                let w = width as f32;
                let ease = |u: f32| u * u * (3.0 - 2.0 * u);
                let span_x = if u_out < 1.0 {
                    Some((w * (1.0 - ease(1.0 - u_out)), w, true))
                } else if u_in < 1.0 {
                    Some((0.0, w * (1.0 - ease(u_in)), false))
                } else {
                    None
                };
                if let Some((x0, x1, entering)) = span_x.filter(|(a, b, _)| b - a > 0.0) {
                    prims.push(Prim::Rect {
                        x: x0,
                        y: 0.0,
                        w: x1 - x0,
                        h: height as f32,
                        radius: 0.0,
                        fill: veil(1.0),
                    });
                    // The accent edge: leading on the way in, trailing on the way out.
                    let bar = (w * 0.012).max(2.0);
                    let bx = if entering { x0 - bar } else { x1 };
                    prims.push(Prim::Rect {
                        x: bx.max(0.0),
                        y: 0.0,
                        w: (bx + bar).min(w) - bx.max(0.0),
                        h: height as f32,
                        radius: 0.0,
                        fill: Fill::Solid(p.accent),
                    });
                }
            }
        }
        // Subtitles stay on top of the dips between scenes: speech may run across a cut.
        let t_abs = f64::from(n) / fps;
        if let Some(cue) =
            crate::subtitles::active_cue(&self.subtitles, t_abs).filter(|_| self.theme.subtitles)
        {
            scene::subtitle::draw(&ctx, cue, t_abs, &mut prims);
        }
        DrawList {
            width,
            height,
            clear: p.bg_bottom,
            prims,
        }
    }
}
