//! The scenes of a bulletin and their shared look (colours, top strip, context).
//!
//! Each scene is a function of its [`Ctx`] (event, assets, canvas, seconds since the scene
//! began) that appends primitives in design units mapped through
//! [`Canvas`]; none keeps state, so any frame can be drawn on its own.
use crate::layout::{fit, lines, text, Canvas, DESIGN_W};
use crate::theme::Palette;
use crate::{Align, Assets, Color, Event, Fill, Prim, ReportStatus, TextMeasure};
use quakecast_facts::Facts;
use quakecast_facts::Lang;

pub(crate) mod closing;
pub(crate) mod header;
pub(crate) mod history;
pub(crate) mod intensity;
pub(crate) mod map;
pub(crate) mod parameters;
pub(crate) mod places;
pub(crate) mod poster;
pub(crate) mod subtitle;
pub(crate) mod words;

pub use intensity::{intensity_camera, level_zh, INTENSITY_PANEL};
pub use map::{
    camera, south_china_sea_inset, MapCamera, SeaInset, CHINA_VIEW_CENTER, CHINA_VIEW_KM_PER_UNIT,
    DASH_WIDTH, MAP_MOVE_END_SECS, MAP_MOVE_START_SECS, MAP_PANEL, RINGS_IN_SECS, SCS_INSET_BOUNDS,
    SCS_INSET_H,
};
pub use places::{places_camera, PLACES_PANEL};
pub use poster::PosterShape;
pub use subtitle::{page_at, PAGE_LINES, SUBTITLE_TOP};

/// Colours of the default theme: a dark navy public-service look with one red-orange accent.
/// Scenes draw with the storyboard's [`crate::theme::Palette`]; these are its defaults' names.
pub mod style {
    use crate::Color;

    pub const BG_TOP: Color = Color::hex(0x0c1f3f);
    pub const BG_BOTTOM: Color = Color::hex(0x050e1f);
    pub const TEXT: Color = Color::hex(0xffffff);
    pub const MUTED: Color = Color::hex(0xa7b6cf);
    /// Magnitude, marker, accents.
    pub const ACCENT: Color = Color::hex(0xff4a2b);
    /// Automatic-report badge and caveat.
    pub const WARN: Color = Color::hex(0xffa133);
    pub const BADGE: Color = Color::hex(0x21406b);
    pub const RULE: Color = Color::rgba(1.0, 1.0, 1.0, 0.14);
    pub const SEA: Color = Color::hex(0x0a2445);
    pub const LAND: Color = Color::hex(0x1b3253);
    pub const CHINA_LAND: Color = Color::hex(0x26466f);
    pub const PROVINCE_LINE: Color = Color::hex(0x55779f);
    pub const COUNTRY_LINE: Color = Color::hex(0x98acc8);
    pub const RING_LINE: Color = Color::rgba(1.0, 1.0, 1.0, 0.7);
    pub const LABEL_BG: Color = Color::rgba(0.02, 0.06, 0.13, 0.75);
}

/// What a scene draws from.
pub(crate) struct Ctx<'a> {
    pub c: Canvas,
    pub m: &'a dyn TextMeasure,
    pub e: &'a Event,
    pub assets: &'a Assets,
    /// Seconds since the scene began.
    pub t: f32,
    /// The theme's colours.
    pub p: &'a Palette,
    /// The storyboard's facts (places, intensity, history).
    pub f: &'a Facts,
    /// The bulletin's language ([`crate::narration::lang_for`]): every card's text follows it,
    /// as the narration and subtitles do ([`words`]).
    pub lang: Lang,
}

/// The background: a vertical navy gradient over the whole frame.
pub(crate) fn background(p: &Palette, width: u32, height: u32, k: f32) -> Prim {
    Prim::Rect {
        x: 0.0,
        y: 0.0,
        w: width as f32,
        h: height as f32,
        radius: 0.0,
        fill: Fill::Vertical(p.bg_top.fade(k), p.bg_bottom.fade(k)),
    }
}

/// Left edge and width of the content column (the safe area), design units.
pub(crate) const COL_X: f32 = DESIGN_W * crate::layout::SAFE_MARGIN;
pub(crate) const COL_W: f32 = DESIGN_W - 2.0 * COL_X;
/// Top of the safe area, design units.
pub(crate) const TOP_Y: f32 = crate::layout::DESIGN_H * crate::layout::SAFE_MARGIN;

/// The top strip shown on the parameter and map scenes: "地震速报" with an accent bar on the
/// left, the status badge ("正式测定" / "自动测定") on the right, in the bulletin's language.
/// Returns its bottom (units).
pub(crate) fn strip(x: &Ctx, alpha: f32, out: &mut Vec<Prim>) -> f32 {
    let c = &x.c;
    let y = TOP_Y + 4.0;
    out.push(Prim::Rect {
        x: c.x(COL_X),
        y: c.y(y),
        w: c.len(6.0),
        h: c.len(34.0),
        radius: c.len(2.0),
        fill: Fill::Solid(x.p.accent.fade(alpha)),
    });
    let title = fit(x.m, words::title(x.lang), COL_W * 0.5, 1, 30.0, 20.0);
    lines(
        c,
        &title,
        COL_X + 18.0,
        y + 2.0,
        1.2,
        x.p.text.fade(alpha),
        Align::Left,
        out,
    );
    let badge = words::status_badge(x.e, x.lang);
    let (fill, ink) = match x.e.status {
        ReportStatus::Official => (x.p.badge, x.p.text),
        ReportStatus::Automatic => (x.p.warn, x.p.bg_bottom),
    };
    let size = 22.0;
    let pad = 12.0;
    let w = x.m.width(badge, c.len(size)) / c.s;
    let right = COL_X + COL_W;
    out.push(Prim::Rect {
        x: c.x(right - w - 2.0 * pad),
        y: c.y(y + 1.0),
        w: c.len(w + 2.0 * pad),
        h: c.len(size + 12.0),
        radius: c.len(6.0),
        fill: Fill::Solid(fill.fade(alpha)),
    });
    out.push(text(
        c,
        badge,
        right - pad,
        y + 7.0,
        size,
        ink.fade(alpha),
        Align::Right,
    ));
    y + 40.0
}

/// A thin horizontal rule (design units).
pub(crate) fn rule(c: &Canvas, x: f32, y: f32, w: f32, color: Color) -> Prim {
    Prim::Rect {
        x: c.x(x),
        y: c.y(y),
        w: c.len(w),
        h: c.len(1.5).max(1.0),
        radius: 0.0,
        fill: Fill::Solid(color),
    }
}
