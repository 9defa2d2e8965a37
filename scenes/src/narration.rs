//! Narration: the spoken script and subtitles of a bulletin, Mandarin number reading, CJK line breaking.
//!
//! Pure text work. [`script`] turns an [`Event`] into one [`Cue`] per scene (Header, Parameters,
//! Map, Closing): what the voice says and what the subtitle shows. The renderer's audio module
//! synthesizes the cues, measures how long each one speaks, and hands the durations back through
//! [`scene_min_frames`] so that every scene lasts at least as long as its spoken part.
//!
//! Why numbers are spelled out in the spoken text: the offline voice (espeak-ng) reads Arabic digits
//! inside Mandarin text inconsistently (and some Debian voices switch to English for them), so the
//! script writes 4.8级 as 四点八级 itself; the subtitle keeps the digits, as CENC writes them.
use chrono::{DateTime, Datelike, FixedOffset, Timelike, Utc};
use serde::{Deserialize, Serialize};

use crate::facts::Facts;
use crate::theme::Theme;
use crate::{Event, ReportStatus, SceneKind, Source};

/// Spoken language of a script.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Lang {
    /// Mandarin Chinese (zh-CN), times in Beijing time.
    Zh,
    /// American English (en-US); Beijing time for China, local time elsewhere, with UTC.
    En,
}

impl Lang {
    /// BCP 47 tag, as written into WebVTT headers and sent to HTTP voices.
    pub fn bcp47(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en-US",
        }
    }
}

/// One scene's narration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Cue {
    pub scene: SceneKind,
    /// What the voice says: numbers spelled out (四点八级). For an English script
    /// ([`Script::lang`] = [`Lang::En`]) this holds the English text; the name is the issue's.
    pub text_zh: String,
    /// What the subtitle shows: digits as the agency writes them (4.8级), one line, unbroken;
    /// break it with [`break_lines`].
    pub subtitle: String,
}

/// The narration of one bulletin, cues in scene order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Script {
    pub lang: Lang,
    pub cues: Vec<Cue>,
}

/// A cue placed on the timeline: the times are those of the measured speech, so the subtitle is
/// on screen exactly while the voice speaks.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TimedCue {
    pub scene: SceneKind,
    /// Start of the speech, seconds from the start of the video.
    pub start_secs: f64,
    /// End of the speech (exclusive), seconds.
    pub end_secs: f64,
    /// Subtitle lines, already broken with [`break_lines`].
    pub lines: Vec<String>,
}

/// Silence from a scene's start to its speech, seconds.
pub const LEAD_IN_SECS: f64 = 0.4;
/// Silence after a scene's speech before the next scene may start, seconds.
pub const TAIL_SECS: f64 = 0.6;
/// Subtitle line length in full-width characters used for the SRT/WebVTT files; at 720 px wide
/// and a 40 px font this is the 90 % title-safe width (see [`max_chars_per_line`]).
pub const SUBTITLE_MAX_CHARS: usize = 16;

/// The script language for an event: Mandarin for CENC reports and for any report whose region
/// is written in Chinese, English otherwise.
pub fn script_lang(event: &Event) -> Lang {
    if event.source == Source::Cenc || event.region.chars().any(is_cjk) {
        Lang::Zh
    } else {
        Lang::En
    }
}

/// The narration script of an event (language from [`script_lang`]): the four scenes every
/// bulletin has (Header, Parameters, Map, Closing), whatever else the storyboard shows, so it
/// fits any storyboard of the event. For the full script see [`script_for`].
pub fn script(event: &Event) -> Script {
    let mut s = script_for(event, &Facts::from_event(event), &Theme::default());
    s.cues.retain(|c| {
        matches!(
            c.scene,
            SceneKind::Header | SceneKind::Parameters | SceneKind::Map | SceneKind::Closing
        )
    });
    s
}

/// How much a script says: the full wording, or the tighter one a bulletin falls back to when
/// the full speech does not fit its length band (the same must-say facts in fewer words: one
/// nearest place instead of three, no UTC repeat, the caveat left to the screen).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Wording {
    #[default]
    Full,
    Tight,
}

/// Cues that may go unspoken when even the tight wording is too long for the bulletin, in the
/// order they go (their scenes stay on screen with their text). Every other cue must be spoken;
/// the intensity cue too from M6 or a predicted epicentral intensity of VI ([`must_speak`]).
pub const UNSPOKEN_FIRST: [SceneKind; 3] =
    [SceneKind::History, SceneKind::Map, SceneKind::Intensity];

/// Whether the cue of `kind` must be spoken: status and source (Header), time, place, magnitude
/// and depth (Parameters), the nearest place with its distance (Places), the safety advice
/// (Closing), and for M ≥ 6 or a predicted epicentral intensity ≥ VI the intensity and felt
/// radius (Intensity).
pub fn must_speak(kind: SceneKind, event: &Event, facts: &Facts) -> bool {
    match kind {
        SceneKind::Map | SceneKind::History => false,
        SceneKind::Intensity => {
            event.magnitude >= 6.0
                || facts
                    .intensity
                    .as_ref()
                    .is_some_and(|i| i.epicentral_level >= crate::facts::STRONG_LEVEL)
        }
        SceneKind::Header | SceneKind::Parameters | SceneKind::Places | SceneKind::Closing => true,
    }
}

/// The language of `event`'s bulletin under `theme`: the theme's when it sets one, else
/// [`script_lang`].
pub fn lang_for(event: &Event, theme: &Theme) -> Lang {
    theme.lang.unwrap_or_else(|| script_lang(event))
}

/// The script of the storyboard `Storyboard::compose(event, facts, theme, …)` builds: one cue
/// per scene, in its order (places, intensity and history spoken too), in the theme's language
/// when it sets one, else [`script_lang`].
pub fn script_for(event: &Event, facts: &Facts, theme: &Theme) -> Script {
    script_for_wording(event, facts, theme, Wording::Full)
}

/// [`script_for`] in the given wording.
pub fn script_for_wording(event: &Event, facts: &Facts, theme: &Theme, wording: Wording) -> Script {
    let mut s = match lang_for(event, theme) {
        Lang::Zh => script_zh_with(event, facts, wording),
        Lang::En => script_en_with(event, facts, wording),
    };
    let kinds = crate::storyboard::scene_list(event, facts, theme);
    s.cues.retain(|c| kinds.contains(&c.scene));
    s.cues
        .sort_by_key(|c| kinds.iter().position(|k| *k == c.scene));
    s
}

/// The Mandarin script of the four classic scenes. Times are Beijing time (UTC+8) in China, as
/// CENC publishes them; elsewhere the local time at the epicentre and UTC.
/// publishes them.
pub fn script_zh(event: &Event) -> Script {
    let mut s = script_zh_with(event, &Facts::from_event(event), Wording::Full);
    s.cues.retain(|c| !matches!(c.scene, SceneKind::Intensity));
    s
}

/// The English script of the four classic scenes. Times are Beijing time for China, local time
/// elsewhere, with UTC.
pub fn script_en(event: &Event) -> Script {
    let mut s = script_en_with(event, &Facts::from_event(event), Wording::Full);
    s.cues.retain(|c| !matches!(c.scene, SceneKind::Intensity));
    s
}

/// Every Mandarin cue the facts allow.
fn script_zh_with(event: &Event, facts: &Facts, wording: Wording) -> Script {
    let tight = wording == Wording::Tight;
    let agency = match event.source {
        Source::Cenc => "中国地震台网",
        Source::Usgs => "美国地质调查局",
        Source::Emsc => "欧洲地中海地震中心",
    };
    let status = match event.status {
        ReportStatus::Automatic => "自动测定",
        ReportStatus::Official => "正式测定",
    };
    let header = format!("{agency}{status}");
    let (header_show, header_say) = match crate::facts::revision_note_zh(event) {
        Some(_) if tight => (format!("{header}（修订）"), format!("{header}，修订消息。")),
        Some(note) => (format!("{header}（修订）"), format!("{header}。{note}。")),
        None => (header.clone(), format!("{header}。")),
    };

    // Beijing time in China; elsewhere the local time at the epicentre and UTC.
    let (when_show, when_say) = if crate::facts::uses_beijing_time(event) {
        let (show, say) = zh_datetime(&beijing(event.origin_time));
        (format!("北京时间{show}"), format!("北京时间{say}"))
    } else {
        let local = crate::facts::local_time(event);
        let (show, say) = zh_datetime(&local.time);
        let u = event.origin_time;
        (
            format!("当地时间{show}（UTC {:02}:{:02}）", u.hour(), u.minute()),
            if tight {
                format!("当地时间{say}")
            } else {
                format!(
                    "当地时间{say}，协调世界时{}时{}分",
                    zh_integer(u.hour().into()),
                    zh_integer(u.minute().into())
                )
            },
        )
    };
    let mag = format!("{:.1}", event.magnitude);
    let depth = fmt_trimmed(event.depth_km.max(0.0), 1);
    let region = facts.place.in_lang(Lang::Zh);
    let region_say = zh_read_numbers_in(region);
    let params_show = format!("{when_show}，{region}发生{mag}级地震，震源深度{depth}千米。");
    let params_say = format!(
        "{when_say}，{region_say}发生{}级地震，震源深度{}千米。",
        zh_read_number(&mag),
        zh_read_number(&depth)
    );

    let (lat_word, lon_word) = (
        if event.lat < 0.0 { "南纬" } else { "北纬" },
        if event.lon < 0.0 { "西经" } else { "东经" },
    );
    let lat = fmt_trimmed(event.lat.abs(), 2);
    let lon = fmt_trimmed(event.lon.abs(), 2);
    let mut map_show = format!("震中位于{lat_word}{lat}度，{lon_word}{lon}度。");
    let mut map_say = format!(
        "震中位于{lat_word}{}度，{lon_word}{}度。",
        zh_read_number(&lat),
        zh_read_number(&lon)
    );
    if let Some(el) = &facts.elevation {
        map_show.push_str(&crate::facts::elevation_sentence_zh(el));
        map_say.push_str(&crate::facts::elevation_sentence_zh_spoken(el));
    }

    let safety = crate::facts::safety_zh(event, facts);
    let closing = match event.status {
        ReportStatus::Automatic if !tight => {
            format!("以上为自动测定结果，以正式测定为准。{safety}。")
        }
        ReportStatus::Automatic => format!("{safety}。"),
        // The closing scene shows "以上信息来源：…" on screen; the voice keeps to the advice, which
        // leaves the 25 s for the places.
        ReportStatus::Official => format!("{safety}。"),
    };

    let mut cues = vec![
        cue(SceneKind::Header, header_say, header_show),
        cue(SceneKind::Parameters, params_say, params_show),
        cue(SceneKind::Map, map_say, map_show),
    ];
    if let Some(n) = &facts.nearby {
        let (show, say) = if tight {
            (n.nearest_zh(), n.nearest_zh_spoken())
        } else {
            (n.brief_zh(), n.brief_zh_spoken())
        };
        if let (Some(show), Some(say)) = (show, say) {
            cues.push(cue(SceneKind::Places, say, show));
        }
    }
    if let Some(i) = &facts.intensity {
        let felt = i.felt_radius_rounded_km();
        let lvl = i.epicentral_level;
        if lvl >= 1 {
            cues.push(cue(
                SceneKind::Intensity,
                format!(
                    "预计震中烈度{}度，有感范围约{}公里。",
                    zh_integer(lvl.into()),
                    zh_integer(felt.into())
                ),
                format!(
                    "预计震中烈度{}度，有感范围约{felt}公里。",
                    crate::intensity::roman(lvl).unwrap_or("")
                ),
            ));
        }
    }
    if let Some(h) = &facts.history {
        cues.push(cue(
            SceneKind::History,
            h.sentence_zh_spoken(),
            h.sentence_zh(),
        ));
    }
    cues.push(cue(SceneKind::Closing, closing.clone(), closing));
    Script {
        lang: Lang::Zh,
        cues,
    }
}

/// Every English cue the facts allow.
fn script_en_with(event: &Event, facts: &Facts, wording: Wording) -> Script {
    let tight = wording == Wording::Tight;
    let (agency_show, agency_say) = match event.source {
        Source::Cenc => ("CENC", "China Earthquake Networks Center"),
        Source::Usgs => ("USGS", "U.S. Geological Survey"),
        Source::Emsc => ("EMSC", "European-Mediterranean Seismological Centre"),
    };
    let status = match event.status {
        ReportStatus::Automatic => "automatic",
        ReportStatus::Official => "reviewed",
    };
    // Beijing time in China; elsewhere the local time at the epicentre; UTC always.
    let u = event.origin_time;
    let (t, zone) = if crate::facts::uses_beijing_time(event) {
        (beijing(u), "Beijing time".to_string())
    } else {
        let l = crate::facts::local_time(event);
        (l.time, format!("local time ({})", l.utc_label()))
    };
    let when = format!(
        "{:02}:{:02} {zone} on {} {}, {} ({:02}:{:02} UTC)",
        t.hour(),
        t.minute(),
        MONTHS_EN[t.month0() as usize],
        t.day(),
        t.year(),
        u.hour(),
        u.minute()
    );
    // Spoken clock times read as a person says them ("11 AM", "2:05 PM"): a voice reads
    // "11:00" as "eleven zero zero".
    let clock = |h: u32, m: u32| {
        let (h12, ampm) = match h {
            0 => (12, "AM"),
            1..=11 => (h, "AM"),
            12 => (12, "PM"),
            _ => (h - 12, "PM"),
        };
        if m == 0 {
            format!("{h12} {ampm}")
        } else {
            format!("{h12}:{m:02} {ampm}")
        }
    };
    let zone_say = if crate::facts::uses_beijing_time(event) {
        "Beijing time"
    } else {
        "local time"
    };
    let when_full_say = format!(
        "{} {zone} on {} {}, {} ({} UTC)",
        clock(t.hour(), t.minute()),
        MONTHS_EN[t.month0() as usize],
        t.day(),
        t.year(),
        clock(u.hour(), u.minute()),
    );
    // Tight: no year (the screen shows it), no UTC repeat.
    let when_tight = format!(
        "{} {zone_say} on {} {}",
        clock(t.hour(), t.minute()),
        MONTHS_EN[t.month0() as usize],
        t.day(),
    );
    let mag = format!("{:.1}", event.magnitude);
    let depth = fmt_trimmed(event.depth_km.max(0.0), 1);
    let km = if depth == "1" {
        "kilometer"
    } else {
        "kilometers"
    };
    let region = facts.place.in_lang(Lang::En);
    let params_show = format!("M{mag} earthquake, {region}, {when}, depth {depth} km.");
    let when_say = when_full_say
        .replace("UTC−", "UTC minus ")
        .replace("UTC+", "UTC plus ");
    let params_say = if tight {
        format!(
            "Magnitude {mag}, {}, at {when_tight}, {depth} {km} deep.",
            en_near_region(region)
        )
    } else {
        format!(
            "A magnitude {mag} earthquake struck {}, at {when_say}, at a depth of {depth} {km}.",
            en_expand_region(region)
        )
    };
    let (ns, ew) = (
        if event.lat < 0.0 { "south" } else { "north" },
        if event.lon < 0.0 { "west" } else { "east" },
    );
    let lat = fmt_trimmed(event.lat.abs(), 2);
    let lon = fmt_trimmed(event.lon.abs(), 2);
    let mut map_show = format!(
        "Epicenter {lat}°{}, {lon}°{}.",
        &ns[..1].to_uppercase(),
        &ew[..1].to_uppercase()
    );
    let mut map_say = format!("The epicenter was at {lat} degrees {ns}, {lon} degrees {ew}.");
    if let Some(el) = &facts.elevation {
        map_show.push(' ');
        map_show.push_str(&crate::facts::elevation_sentence_en(el));
        map_say.push(' ');
        map_say.push_str(&crate::facts::elevation_sentence_en_spoken(el));
    }
    let safety = crate::facts::safety_en(event, facts);
    let closing = match event.status {
        _ if tight => safety.to_string(),
        ReportStatus::Automatic => {
            format!("This is an automatic solution and may be revised. {safety}")
        }
        ReportStatus::Official => format!("{safety} Source: {agency_show}."),
    };
    let revised = if event.revised {
        ", revised, superseding the earlier report"
    } else {
        ""
    };
    let header_say = if tight {
        let revised = if event.revised { ", revised" } else { "" };
        format!("{agency_show}, {status} report{revised}.")
    } else {
        format!("{agency_say}, {status} earthquake report{revised}.")
    };
    let mut cues = vec![
        cue(
            SceneKind::Header,
            header_say,
            format!("{agency_show} {status} earthquake report{revised}"),
        ),
        cue(SceneKind::Parameters, params_say, params_show),
        cue(SceneKind::Map, map_say, map_show),
    ];
    let places = facts
        .nearby
        .as_ref()
        .and_then(|n| if tight { n.nearest_en() } else { n.brief_en() });
    if let Some(s) = places {
        cues.push(cue(SceneKind::Places, en_spoken_km(&s), s));
    }
    if let Some(i) = facts.intensity.as_ref().filter(|i| i.epicentral_level >= 1) {
        let r = crate::intensity::roman(i.epicentral_level).unwrap_or("");
        // Spoken as a number: a voice reads "VII" letter by letter.
        let n = EN_NUMBERS
            .get(usize::from(i.epicentral_level))
            .copied()
            .unwrap_or(r);
        let felt = i.felt_radius_rounded_km();
        let say = if tight {
            format!("Predicted intensity {n}, felt up to {felt} kilometers away.")
        } else {
            format!(
                "Predicted intensity near the epicenter: {n}. Shaking may be felt up to about {felt} kilometers away."
            )
        };
        cues.push(cue(
            SceneKind::Intensity,
            say,
            format!("Predicted intensity {r} at the epicenter; felt up to about {felt} km."),
        ));
    }
    if let Some(h) = &facts.history {
        let s = h.sentence_en();
        cues.push(cue(SceneKind::History, s.clone(), s));
    }
    cues.push(cue(SceneKind::Closing, closing.clone(), closing));
    Script {
        lang: Lang::En,
        cues,
    }
}

const EN_NUMBERS: [&str; 13] = [
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve",
];

/// "Hualien City 18 km" as spoken: "18 kilometers".
fn en_spoken_km(s: &str) -> String {
    s.replace(" 1 km", " 1 kilometer")
        .replace(" km", " kilometers")
}

fn cue(scene: SceneKind, text_zh: String, subtitle: String) -> Cue {
    Cue {
        scene,
        text_zh,
        subtitle,
    }
}

const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

fn beijing(t: DateTime<Utc>) -> DateTime<FixedOffset> {
    // +08:00 is always a valid offset; the fallback (UTC) is unreachable.
    match FixedOffset::east_opt(8 * 3600) {
        Some(offset) => t.with_timezone(&offset),
        None => t.fixed_offset(),
    }
}

/// `x` with at most `decimals` decimals, trailing zeros (and a bare point) removed:
/// 20.0 → "20", 29.670 → "29.67".
pub fn fmt_trimmed(x: f64, decimals: usize) -> String {
    let s = format!("{x:.decimals$}");
    if s.contains('.') {
        let s = s.trim_end_matches('0').trim_end_matches('.');
        if s == "-0" {
            "0".to_string()
        } else {
            s.to_string()
        }
    } else {
        s
    }
}

/// Display and spoken forms of a date and time: `2022年5月20日8时36分` and
/// `二零二二年五月二十日八时三十六分`. A full hour reads `8时整` / `八时整`.
pub fn zh_datetime<T: Datelike + Timelike>(t: &T) -> (String, String) {
    let (h, m) = (t.hour(), t.minute());
    let show_time = if m == 0 {
        format!("{h}时整")
    } else {
        format!("{h}时{m}分")
    };
    let say_time = if m == 0 {
        format!("{}时整", zh_integer(h.into()))
    } else {
        format!("{}时{}分", zh_integer(h.into()), zh_integer(m.into()))
    };
    let show = format!("{}年{}月{}日{show_time}", t.year(), t.month(), t.day());
    let say = format!(
        "{}年{}月{}日{say_time}",
        zh_digits(&t.year().to_string()),
        zh_integer(t.month().into()),
        zh_integer(t.day().into())
    );
    (show, say)
}

const ZH_DIGITS: [char; 10] = ['零', '一', '二', '三', '四', '五', '六', '七', '八', '九'];

/// Each ASCII digit as its Chinese digit (years, digits after a decimal point): "2022" → 二零二二.
/// Other characters are kept.
pub fn zh_digits(s: &str) -> String {
    s.chars()
        .map(|c| match c.to_digit(10) {
            Some(d) => ZH_DIGITS[d as usize],
            None => c,
        })
        .collect()
}

/// An integer read as a number: 10 → 十, 15 → 十五, 105 → 一百零五, 2005 → 两千零五,
/// 12000 → 一万两千, −3 → 负三. 两 is used for a leading 2 before 千, 万 and 亿; 二 elsewhere.
pub fn zh_integer(n: i64) -> String {
    if n == 0 {
        return "零".to_string();
    }
    let mut out = String::new();
    if n < 0 {
        out.push('负');
    }
    let mut v = n.unsigned_abs();
    // 4-digit groups, low to high: units, 万, 亿, 万亿 (u64 fits in five groups).
    let mut groups = Vec::new();
    while v > 0 {
        groups.push((v % 10_000) as u32);
        v /= 10_000;
    }
    const GROUP_UNITS: [&str; 5] = ["", "万", "亿", "万亿", "亿亿"];
    let top = groups.len() - 1;
    let mut zero_pending = false;
    for (i, &g) in groups.iter().enumerate().rev() {
        if g == 0 {
            zero_pending = true;
            continue;
        }
        if i != top && (zero_pending || g < 1000) {
            out.push('零');
        }
        zero_pending = false;
        zh_group(g, i == top, i > 0, &mut out);
        out.push_str(GROUP_UNITS[i]);
    }
    out
}

/// One group of up to four digits. `leading`: first group of the number (a lone 1 before 十
/// is dropped: 十五, not 一十五); `before_unit`: the group is followed by 万/亿 (a lone 2 reads 两).
fn zh_group(g: u32, leading: bool, before_unit: bool, out: &mut String) {
    if g == 2 && before_unit {
        out.push('两');
        return;
    }
    let digits = [g / 1000, g / 100 % 10, g / 10 % 10, g % 10];
    const UNITS: [&str; 4] = ["千", "百", "十", ""];
    let mut started = false;
    let mut zero = false;
    for (pos, &d) in digits.iter().enumerate() {
        if d == 0 {
            zero = started;
            continue;
        }
        if zero {
            out.push('零');
            zero = false;
        }
        let first_of_number = leading && !started;
        match (d, pos) {
            (2, 0) => out.push('两'),
            (1, 2) if first_of_number => {}
            _ => out.push(ZH_DIGITS[d as usize]),
        }
        out.push_str(UNITS[pos]);
        started = true;
    }
}

/// A decimal number written with ASCII digits read in Mandarin: "4.8" → 四点八, "-12.05" →
/// 负十二点零五, "102.67" → 一百零二点六七. The integer part is read as a number, the decimals
/// digit by digit. Anything that is not such a number is returned unchanged.
pub fn zh_read_number(s: &str) -> String {
    let (neg, body) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (int_part, frac) = match body.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (body, None),
    };
    let valid = !int_part.is_empty()
        && int_part.len() <= 18
        && int_part.bytes().all(|b| b.is_ascii_digit())
        && frac.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()));
    let Ok(int) = int_part.parse::<i64>() else {
        return s.to_string();
    };
    if !valid {
        return s.to_string();
    }
    let mut out = String::new();
    if neg {
        out.push('负');
    }
    out.push_str(&zh_integer(int));
    if let Some(f) = frac {
        out.push('点');
        out.push_str(&zh_digits(f));
    }
    out
}

/// Every run of ASCII digits (with one inner decimal point) in `text` read with
/// [`zh_read_number`]; a `-` directly before a number that does not follow a letter or digit
/// (not an ASCII letter or digit) is read as 负. Used for free text such as region names.
pub fn zh_read_numbers_in(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let minus = c == '-'
            && chars.get(i + 1).is_some_and(|n| n.is_ascii_digit())
            && (i == 0 || !chars[i - 1].is_ascii_alphanumeric());
        if c.is_ascii_digit() || minus {
            let start = i;
            i += 1;
            let mut seen_point = false;
            while i < chars.len() {
                let d = chars[i];
                if d.is_ascii_digit() {
                    i += 1;
                } else if d == '.'
                    && !seen_point
                    && chars.get(i + 1).is_some_and(|n| n.is_ascii_digit())
                {
                    seen_point = true;
                    i += 1;
                } else {
                    break;
                }
            }
            let run: String = chars[start..i].iter().collect();
            out.push_str(&zh_read_number(&run));
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// USGS-style region text made speakable: "45 km SW of Ya'an, China" →
/// "45 kilometers southwest of Ya'an, China".
pub fn en_expand_region(region: &str) -> String {
    const DIRS: [(&str, &str); 16] = [
        ("N", "north"),
        ("NNE", "north-northeast"),
        ("NE", "northeast"),
        ("ENE", "east-northeast"),
        ("E", "east"),
        ("ESE", "east-southeast"),
        ("SE", "southeast"),
        ("SSE", "south-southeast"),
        ("S", "south"),
        ("SSW", "south-southwest"),
        ("SW", "southwest"),
        ("WSW", "west-southwest"),
        ("W", "west"),
        ("WNW", "west-northwest"),
        ("NW", "northwest"),
        ("NNW", "north-northwest"),
    ];
    // USGS writes "101km SSE of …" in QuakeML and "101 km SSE of …" in GeoJSON.
    let spaced: String = region
        .split(' ')
        .map(|w| match w.strip_suffix("km") {
            Some(n) if !n.is_empty() && n.parse::<f64>().is_ok() => format!("{n} km"),
            _ => w.to_string(),
        })
        .collect::<Vec<_>>()
        .join(" ");
    let words: Vec<&str> = spaced.split(' ').collect();
    let mut out = Vec::with_capacity(words.len());
    for (i, w) in words.iter().enumerate() {
        let next_is_of = words.get(i + 1) == Some(&"of");
        let prev_is_number = i > 0 && words[i - 1].parse::<f64>().is_ok();
        let word = match *w {
            "km" if prev_is_number => {
                if words[i - 1] == "1" {
                    "kilometer"
                } else {
                    "kilometers"
                }
            }
            d if next_is_of => DIRS
                .iter()
                .find(|(abbr, _)| *abbr == d)
                .map_or(d, |(_, full)| *full),
            other => other,
        };
        out.push(word);
    }
    out.join(" ")
}

/// The tight wording's place: a USGS "101 km SSE of Little Sitkin Island, Alaska" becomes "near
/// Little Sitkin Island, Alaska" (the places cue says the distance to the nearest place).
pub fn en_near_region(region: &str) -> String {
    let spaced = en_expand_region(region);
    match spaced.split_once(" of ") {
        Some((head, tail))
            if head
                .split(' ')
                .next()
                .is_some_and(|n| n.parse::<f64>().is_ok()) =>
        {
            format!("near {tail}")
        }
        _ => spaced,
    }
}

/// The minimum length in frames of each scene so that it holds its speech: lead-in
/// ([`LEAD_IN_SECS`]) + speech + tail ([`TAIL_SECS`]), rounded up to whole frames. Several
/// entries for one scene add up; scenes come out in the order of their first entry.
///
/// The storyboard takes, per scene, the larger of its own default length and this one
/// (`Storyboard::with_durations`), which keeps the timeline a pure function of the event and the
/// measured durations.
pub fn scene_min_frames(cue_secs: &[(SceneKind, f64)], fps: u32) -> Vec<(SceneKind, u32)> {
    let mut totals: Vec<(SceneKind, f64)> = Vec::new();
    for &(kind, secs) in cue_secs {
        let secs = if secs.is_finite() { secs.max(0.0) } else { 0.0 };
        match totals.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, t)) => *t += secs,
            None => totals.push((kind, secs)),
        }
    }
    totals
        .into_iter()
        .map(|(kind, secs)| {
            let need = (LEAD_IN_SECS + secs + TAIL_SECS) * f64::from(fps);
            // Tolerate float noise so that an exact frame count is not rounded up by one.
            (kind, (need - 1e-6).ceil().max(1.0) as u32)
        })
        .collect()
}

/// How many full-width characters fit on a subtitle line: 90 % of the frame width (the
/// title-safe area) divided by the font size.
pub fn max_chars_per_line(frame_width_px: u32, font_px: f32) -> usize {
    if font_px <= 0.0 {
        return 1;
    }
    ((frame_width_px as f32 * 0.9 / font_px).floor() as usize).max(1)
}

/// The cue whose speech is under way at time `t_secs`, if any (for burning subtitles in).
pub fn active_cue(cues: &[TimedCue], t_secs: f64) -> Option<&TimedCue> {
    cues.iter()
        .find(|c| c.start_secs <= t_secs && t_secs < c.end_secs)
}

/// Is `c` a wide (CJK, full-width) character?
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x115F
        | 0x2E80..=0x303E
        | 0x3041..=0x33FF
        | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF
        | 0xA000..=0xA4CF
        | 0xAC00..=0xD7A3
        | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F
        | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6
        | 0x20000..=0x3FFFD)
}

/// Punctuation that must not start a line (kinsoku: closing brackets, stops, commas).
fn no_line_start(c: char) -> bool {
    "，。、；：！？）》」』】〕〉…—·,.;:!?)]}%°'\"’”～".contains(c)
}

/// Punctuation that must not end a line (opening brackets and quotes).
fn no_line_end(c: char) -> bool {
    "（《「『【〔〈([{‘“".contains(c)
}

/// Width in half-width units: 2 for a CJK character, 1 otherwise.
fn char_units(c: char) -> usize {
    if is_cjk(c) {
        2
    } else {
        1
    }
}

/// An unbreakable piece of text: a run of Latin letters/digits (a word or a number such as
/// 102.67), one CJK character, or punctuation glued to its neighbour.
struct Group {
    text: String,
    units: usize,
    /// A space preceded this group in the source (dropped at a line break).
    space_before: bool,
}

fn groups(text: &str) -> Vec<Group> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens: Vec<(String, bool)> = Vec::new(); // (text, space_before)
    let mut space = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            space = true;
            i += 1;
            continue;
        }
        let start = i;
        if c.is_ascii_alphanumeric() {
            i += 1;
            while i < chars.len() {
                let d = chars[i];
                let joiner = ".,:'-/".contains(d)
                    && chars.get(i + 1).is_some_and(|n| n.is_ascii_alphanumeric());
                if d.is_ascii_alphanumeric() || joiner {
                    i += 1;
                } else {
                    break;
                }
            }
        } else {
            i += 1;
        }
        tokens.push((chars[start..i].iter().collect(), space));
        space = false;
    }
    // Glue: closing punctuation to the group before it, opening punctuation to the one after,
    // and a number to the CJK character right after it (its unit: 4.8级, 29.67度, 36分).
    let mut out: Vec<Group> = Vec::new();
    let mut carry: Option<Group> = None; // opening punctuation waiting for its group
    for (text, space_before) in tokens {
        let first = text.chars().next().unwrap_or(' ');
        let units: usize = text.chars().map(char_units).sum();
        let after_number = out
            .last()
            .is_some_and(|g| g.text.chars().last().is_some_and(|c| c.is_ascii_digit()));
        let unit_of_number = is_cjk(first) && after_number && !no_line_end(first);
        if (no_line_start(first) || unit_of_number) && !space_before && carry.is_none() {
            if let Some(last) = out.last_mut() {
                last.text.push_str(&text);
                last.units += units;
                continue;
            }
        }
        let g = match carry.take() {
            Some(mut open) => {
                open.text.push_str(&text);
                open.units += units;
                open
            }
            None => Group {
                text,
                units,
                space_before,
            },
        };
        if g.text.chars().last().is_some_and(no_line_end) {
            carry = Some(g);
            continue;
        }
        out.push(g);
    }
    if let Some(open) = carry {
        out.push(open);
    }
    out
}

fn greedy(groups: &[Group], max_units: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut width = 0;
    for g in groups {
        let gap = usize::from(g.space_before && !line.is_empty());
        if !line.is_empty() && width + gap + g.units > max_units {
            lines.push(std::mem::take(&mut line));
            width = 0;
        }
        if line.is_empty() && g.units > max_units {
            // A single word longer than a line: cut it by characters.
            for c in g.text.chars() {
                let u = char_units(c);
                if width + u > max_units && !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                    width = 0;
                }
                line.push(c);
                width += u;
            }
            continue;
        }
        if g.space_before && !line.is_empty() {
            line.push(' ');
            width += 1;
        }
        line.push_str(&g.text);
        width += g.units;
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// Break `text` into lines of at most `max_full_width` full-width characters (a Latin letter or
/// digit counts half). Breaks fall between CJK characters or at spaces, never inside a number or
/// a Latin word (unless the word alone is longer than a line) nor between a number and the CJK
/// character after it (its unit: 4.8级, 29.67度); no line starts with closing
/// punctuation (，。、）…) and none ends with opening punctuation (（《…). The lines are balanced:
/// the fewest lines greedy breaking needs, made as even as possible (no one-character last line).
pub fn break_lines(text: &str, max_full_width: usize) -> Vec<String> {
    let max_units = max_full_width.max(1) * 2;
    let gs = groups(text);
    let first = greedy(&gs, max_units);
    if first.len() <= 1 {
        return first;
    }
    // The narrowest width that still needs no more lines evens them out.
    let (mut lo, mut hi) = (1, max_units);
    while lo < hi {
        let mid = (lo + hi) / 2;
        if greedy(&gs, mid).len() <= first.len() {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    greedy(&gs, hi)
}

/// Width of `line` in full-width characters (Latin counts half).
pub fn line_width(line: &str) -> f32 {
    line.chars().map(char_units).sum::<usize>() as f32 / 2.0
}

fn srt_time(secs: f64) -> String {
    let ms = (secs.max(0.0) * 1000.0).round() as u64;
    format!(
        "{:02}:{:02}:{:02},{:03}",
        ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1000 % 60,
        ms % 1000
    )
}

/// SubRip text of the cues (numbered from 1, times in milliseconds, CRLF-free).
pub fn to_srt(cues: &[TimedCue]) -> String {
    let mut out = String::new();
    for (i, c) in cues.iter().enumerate() {
        out.push_str(&format!(
            "{}\n{} --> {}\n{}\n\n",
            i + 1,
            srt_time(c.start_secs),
            srt_time(c.end_secs),
            c.lines.join("\n")
        ));
    }
    out
}

/// WebVTT text of the cues, with the language in a header comment.
pub fn to_webvtt(cues: &[TimedCue], lang: Lang) -> String {
    let mut out = format!("WEBVTT\n\nNOTE language: {}\n\n", lang.bcp47());
    for c in cues {
        out.push_str(&format!(
            "{} --> {}\n{}\n\n",
            srt_time(c.start_secs).replace(',', "."),
            srt_time(c.end_secs).replace(',', "."),
            c.lines
                .iter()
                .map(|l| l.replace('&', "&amp;").replace('<', "&lt;"))
                .collect::<Vec<_>>()
                .join("\n")
        ));
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn hanyuan() -> Event {
        Event {
            source: Source::Cenc,
            event_id: "CC20220520083601".into(),
            status: ReportStatus::Official,
            revision: 0,
            // 08:36:01 Beijing time.
            origin_time: Utc.with_ymd_and_hms(2022, 5, 20, 0, 36, 1).unwrap(),
            lat: 29.67,
            lon: 102.67,
            depth_km: 20.0,
            magnitude: 4.8,
            magnitude_type: "M".into(),
            region: "四川雅安市汉源县".into(),
            revised: false,
        }
    }

    #[test]
    fn integers() {
        let cases = [
            (0, "零"),
            (7, "七"),
            (10, "十"),
            (15, "十五"),
            (20, "二十"),
            (36, "三十六"),
            (100, "一百"),
            (102, "一百零二"),
            (105, "一百零五"),
            (110, "一百一十"),
            (200, "二百"),
            (1001, "一千零一"),
            (1010, "一千零一十"),
            (2000, "两千"),
            (2005, "两千零五"),
            (2200, "两千二百"),
            (10_010, "一万零一十"),
            (12_000, "一万两千"),
            (20_000, "两万"),
            (100_000, "十万"),
            (150_000, "十五万"),
            (1_000_001, "一百万零一"),
            (100_000_000, "一亿"),
            (200_000_000, "两亿"),
            (100_020_000, "一亿零两万"),
            (-3, "负三"),
            (-15, "负十五"),
        ];
        for (n, want) in cases {
            assert_eq!(zh_integer(n), want, "{n}");
        }
    }

    #[test]
    fn decimals_and_numbers_in_text() {
        assert_eq!(zh_read_number("4.8"), "四点八");
        assert_eq!(zh_read_number("0.5"), "零点五");
        assert_eq!(zh_read_number("29.67"), "二十九点六七");
        assert_eq!(zh_read_number("102.67"), "一百零二点六七");
        assert_eq!(zh_read_number("-12.05"), "负十二点零五");
        assert_eq!(zh_read_number("20"), "二十");
        assert_eq!(zh_read_number("abc"), "abc");
        assert_eq!(zh_read_number("1.2.3"), "1.2.3");
        assert_eq!(zh_read_numbers_in("4.8级"), "四点八级");
        assert_eq!(zh_read_numbers_in("20千米"), "二十千米");
        assert_eq!(zh_read_numbers_in("气温-5度，A-1"), "气温负五度，A-一");
        assert_eq!(zh_digits("2022"), "二零二二");
    }

    #[test]
    fn date_and_time() {
        let t = chrono::NaiveDate::from_ymd_opt(2022, 5, 20)
            .unwrap()
            .and_hms_opt(8, 36, 0)
            .unwrap();
        assert_eq!(
            zh_datetime(&t),
            (
                "2022年5月20日8时36分".to_string(),
                "二零二二年五月二十日八时三十六分".to_string()
            )
        );
        let t = chrono::NaiveDate::from_ymd_opt(2005, 10, 1)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap();
        assert_eq!(zh_datetime(&t).1, "二零零五年十月一日零时整");
    }

    #[test]
    fn hanyuan_script_zh() {
        let s = script(&hanyuan());
        assert_eq!(s.lang, Lang::Zh);
        let kinds: Vec<_> = s.cues.iter().map(|c| c.scene).collect();
        assert_eq!(
            kinds,
            [
                SceneKind::Header,
                SceneKind::Parameters,
                SceneKind::Map,
                SceneKind::Closing
            ]
        );
        assert_eq!(s.cues[0].subtitle, "中国地震台网正式测定");
        assert_eq!(
            s.cues[1].text_zh,
            "北京时间二零二二年五月二十日八时三十六分，四川雅安市汉源县发生四点八级地震，震源深度二十千米。"
        );
        assert_eq!(
            s.cues[1].subtitle,
            "北京时间2022年5月20日8时36分，四川雅安市汉源县发生4.8级地震，震源深度20千米。"
        );
        assert_eq!(
            s.cues[2].text_zh,
            "震中位于北纬二十九点六七度，东经一百零二点六七度。"
        );
        // Nothing Latin or numeric is left for the voice.
        for c in &s.cues {
            assert!(
                !c.text_zh.chars().any(|c| c.is_ascii_alphanumeric()),
                "{}",
                c.text_zh
            );
        }
    }

    #[test]
    fn automatic_wording_and_beijing_date_rollover() {
        let mut e = hanyuan();
        e.status = ReportStatus::Automatic;
        // 17:05 UTC is 01:05 the next day in Beijing.
        e.origin_time = Utc.with_ymd_and_hms(2022, 5, 19, 17, 5, 0).unwrap();
        let s = script(&e);
        assert_eq!(s.cues[0].subtitle, "中国地震台网自动测定");
        assert!(s.cues[1]
            .subtitle
            .starts_with("北京时间2022年5月20日1时5分"));
        // Outside China: local time at the epicentre (Amazonas, UTC−5 or −4) and UTC.
        e.lat = -3.5;
        e.lon = -70.25;
        let s = script(&e);
        assert!(
            s.cues[1].subtitle.starts_with("当地时间2022年5月19日1")
                && s.cues[1].subtitle.contains("（UTC 17:05）"),
            "{:?}",
            s.cues[1]
        );
        assert!(s.cues[1].text_zh.contains("协调世界时十七时五分"));
        assert!(s.cues[2].text_zh.contains("南纬三点五度"));
        assert!(s.cues[2].text_zh.contains("西经七十点二五度"));
        assert!(s.cues[3].text_zh.contains("以正式测定为准"));
    }

    #[test]
    fn english_script_for_usgs() {
        let mut e = hanyuan();
        e.source = Source::Usgs;
        e.status = ReportStatus::Automatic;
        e.magnitude = 6.1;
        e.depth_km = 10.0;
        e.origin_time = Utc.with_ymd_and_hms(2022, 5, 20, 14, 5, 0).unwrap();
        e.region = "45 km SW of Ya'an, China".into();
        let s = script(&e);
        assert_eq!(s.lang, Lang::En);
        assert_eq!(
            s.cues[1].text_zh,
            "A magnitude 6.1 earthquake struck 45 kilometers southwest of Ya'an, China, \
             at 10:05 PM Beijing time on May 20, 2022 (2:05 PM UTC), at a depth of 10 kilometers."
        );
        assert_eq!(s.cues[2].subtitle, "Epicenter 29.67°N, 102.67°E.");
        assert!(s.cues[3].subtitle.contains("automatic"));
        // A Chinese region name keeps the Mandarin script even from USGS.
        e.region = "四川汉源".into();
        assert_eq!(script_lang(&e), Lang::Zh);
    }

    #[test]
    fn min_frames_cover_speech() {
        let got = scene_min_frames(
            &[
                (SceneKind::Header, 2.0),
                (SceneKind::Parameters, 9.95),
                (SceneKind::Header, 1.0),
                (SceneKind::Map, f64::NAN),
            ],
            30,
        );
        // Header: 0.4 + 3.0 + 0.6 = 4 s = exactly 120 frames (no float round-up).
        assert_eq!(got[0], (SceneKind::Header, 120));
        // Parameters: 10.95 s = 328.5 frames → 329.
        assert_eq!(got[1], (SceneKind::Parameters, 329));
        assert_eq!(got[2], (SceneKind::Map, 30));
        for &(k, f) in &got {
            let secs: f64 = [(SceneKind::Header, 3.0), (SceneKind::Parameters, 9.95)]
                .iter()
                .filter(|(kk, _)| *kk == k)
                .map(|(_, s)| *s)
                .sum();
            assert!(f64::from(f) / 30.0 >= secs + LEAD_IN_SECS + TAIL_SECS - 1e-9);
        }
    }

    #[test]
    fn cjk_breaking() {
        let text = "北京时间2022年5月20日8时36分，四川雅安市汉源县发生4.8级地震，震源深度20千米。";
        let lines = break_lines(text, 16);
        assert_eq!(lines.concat(), text);
        for l in &lines {
            assert!(line_width(l) <= 16.0, "{l}");
            let first = l.chars().next().unwrap();
            assert!(!no_line_start(first), "line starts with {first}: {lines:?}");
        }
        // Numbers stay whole and with their units.
        for n in ["2022年", "4.8级", "20千", "36分"] {
            assert!(lines.iter().any(|l| l.contains(n)), "{n} split: {lines:?}");
        }
        // Balanced: the last line is not a stub.
        let widths: Vec<f32> = lines.iter().map(|l| line_width(l)).collect();
        let (min, max) = widths
            .iter()
            .fold((f32::MAX, 0f32), |(a, b), &w| (a.min(w), b.max(w)));
        assert!(max - min <= 4.0, "{lines:?}");
    }

    #[test]
    fn kinsoku_pushes_character_with_its_comma() {
        // 4 wide chars per line; the comma may not start line 2, so 四 moves down with it
        // (and the three lines are then evened out).
        assert_eq!(
            break_lines("一二三四，五六七", 4),
            ["一二三", "四，五", "六七"]
        );
        // An opening bracket does not end a line ("一二三（" would fit in 4).
        assert_eq!(break_lines("一二三（四）五", 4), ["一二三", "（四）五"]);
        // Latin words break at spaces, the space is dropped.
        assert_eq!(
            break_lines("This is an automatic solution", 9),
            ["This is an", "automatic solution"]
        );
        // A word longer than a line is cut.
        assert_eq!(break_lines("abcdefgh", 2), ["abcd", "efgh"]);
        assert!(break_lines("", 10).is_empty());
    }

    #[test]
    fn srt_and_vtt() {
        let cues = vec![
            TimedCue {
                scene: SceneKind::Header,
                start_secs: 0.4,
                end_secs: 2.0004,
                lines: vec!["中国地震台网正式测定".into()],
            },
            TimedCue {
                scene: SceneKind::Map,
                start_secs: 3661.25,
                end_secs: 3662.5,
                lines: vec!["a<b".into(), "c".into()],
            },
        ];
        assert_eq!(
            to_srt(&cues),
            "1\n00:00:00,400 --> 00:00:02,000\n中国地震台网正式测定\n\n\
             2\n01:01:01,250 --> 01:01:02,500\na<b\nc\n\n"
        );
        let vtt = to_webvtt(&cues, Lang::Zh);
        assert!(vtt.starts_with("WEBVTT\n\n"));
        assert!(vtt.contains("00:00:00.400 --> 00:00:02.000\n"));
        assert!(vtt.contains("a&lt;b\nc"));
        assert_eq!(
            active_cue(&cues, 1.0).map(|c| c.scene),
            Some(SceneKind::Header)
        );
        assert_eq!(active_cue(&cues, 2.5), None);
        assert_eq!(max_chars_per_line(720, 40.0), 16);
    }
}
