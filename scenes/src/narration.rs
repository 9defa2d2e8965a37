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

use crate::theme::Theme;
use crate::{Event, ReportStatus, SceneKind, Source};
use quakecast_facts::lang::{is_cjk, Lang};
use quakecast_facts::zh::{
    fmt_trimmed, zh_datetime, zh_integer, zh_read_number, zh_read_numbers_in,
};
use quakecast_facts::Facts;

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
                    .is_some_and(|i| i.epicentral_level >= quakecast_facts::facts::STRONG_LEVEL)
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
    let kinds = crate::lineup::scene_list(event, facts, theme);
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
    let (header_show, header_say) = match crate::phrases::revision_note_zh(event) {
        Some(_) if tight => (format!("{header}（修订）"), format!("{header}，修订消息。")),
        Some(note) => (format!("{header}（修订）"), format!("{header}。{note}。")),
        None => (header.clone(), format!("{header}。")),
    };

    // Beijing time in China; elsewhere the local time at the epicentre and UTC.
    let (when_show, when_say) = if quakecast_facts::time::uses_beijing_time(event) {
        let (show, say) = zh_datetime(&beijing(event.origin_time));
        (format!("北京时间{show}"), format!("北京时间{say}"))
    } else {
        let local = quakecast_facts::time::local_time(event);
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
        map_show.push_str(&crate::phrases::elevation_sentence_zh(el));
        map_say.push_str(&crate::phrases::elevation_sentence_zh_spoken(el));
    }

    let safety = crate::phrases::safety_zh(event, facts);
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
        if let (Some(mut show), Some(mut say)) = (show, say) {
            // The weather there (an operator's weather service), in the full wording only.
            if let Some(w) = facts.area.weather.as_ref().filter(|_| !tight) {
                let w = w.in_lang(Lang::Zh).trim_end_matches(['。', '.']);
                show.push_str(&format!("震区天气：{w}。"));
                say.push_str(&format!(
                    "震区天气：{}。",
                    zh_read_numbers_in(&w.replace("°C", "摄氏度").replace('℃', "摄氏度"))
                ));
            }
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
                    quakecast_facts::intensity::roman(lvl).unwrap_or("")
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
    let (t, zone) = if quakecast_facts::time::uses_beijing_time(event) {
        (beijing(u), "Beijing time".to_string())
    } else {
        let l = quakecast_facts::time::local_time(event);
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
    let zone_say = if quakecast_facts::time::uses_beijing_time(event) {
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
        map_show.push_str(&crate::phrases::elevation_sentence_en(el));
        map_say.push(' ');
        map_say.push_str(&crate::phrases::elevation_sentence_en_spoken(el));
    }
    let safety = crate::phrases::safety_en(event, facts);
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
    if let Some(mut s) = places {
        // The weather there (an operator's weather service), in the full wording only.
        if let Some(w) = facts.area.weather.as_ref().filter(|_| !tight) {
            let w = w.in_lang(Lang::En).trim_end_matches(['。', '.']);
            s.push_str(&format!(" Weather there: {w}."));
        }
        cues.push(cue(
            SceneKind::Places,
            en_spoken_km(&s).replace("°C", " degrees Celsius"),
            s,
        ));
    }
    if let Some(i) = facts.intensity.as_ref().filter(|i| i.epicentral_level >= 1) {
        let r = quakecast_facts::intensity::roman(i.epicentral_level).unwrap_or("");
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
}
