//! Mandarin numbers: how digits are read aloud (四点八级, 两千零五) and shown without needless
//! decimals. A leaf: used by the facts' own sentences, the narration and the subtitles.
use chrono::{Datelike, Timelike};

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
