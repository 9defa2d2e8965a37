//! CJK-aware line breaking for subtitles and cards: balanced lines, kinsoku (no closing
//! punctuation at a line start, no opening one at a line end), numbers kept with their units.
//! A leaf module.
use quakecast_facts::lang::is_cjk;

/// How many full-width characters fit on a subtitle line: 90 % of the frame width (the
/// title-safe area) divided by the font size.
pub fn max_chars_per_line(frame_width_px: u32, font_px: f32) -> usize {
    if font_px <= 0.0 {
        return 1;
    }
    ((frame_width_px as f32 * 0.9 / font_px).floor() as usize).max(1)
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
