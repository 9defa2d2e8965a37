//! Mutation fuzzing on stable Rust without a fuzzing crate: every report format, catalogues and
//! themes, mutated by a seeded xorshift generator (so a failure names its seed and repeats).
//! Each input is at most 64 KiB, each parse must finish within a bound, and none may panic.
//! `QUAKECAST_FUZZ_ITERS` (default 300 per sample) runs longer; `QUAKECAST_FUZZ_SEED` another
//! sequence.
use std::time::{Duration, Instant};

use quakecast_facts::{history, parse_message, Message};
use quakecast_scenes::Theme;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Pieces a hostile or broken sender writes: syntax, huge and negative numbers, extreme times,
/// multi-byte characters, NUL, entities.
const PIECES: &[&str] = &[
    "\"",
    "<",
    ">",
    "/",
    "-",
    "9",
    "0",
    ".",
    "e309",
    "1e-400",
    "NaN",
    "-0",
    "99999999999999999999999",
    "-9223372036854775808",
    "18446744073709551616",
    "10000-01-01T00:00:00Z",
    "2022",
    "+262143-12-31T23:59:59Z",
    "1899-12-31 23:59:59",
    "\u{0}",
    "\\u0000",
    "震",
    "é",
    "\u{FEFF}",
    "\u{202E}",
    "null",
    "true",
    "[",
    "]",
    "{",
    "}",
    ",",
    ":",
    "&amp;",
    "&#0;",
    "&#x110000;",
    "<!--",
    "]]>",
    "<![CDATA[",
    " ",
    "\n",
    "|",
];

fn mutate(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    let mut v = input.to_vec();
    for _ in 0..1 + rng.below(6) {
        let at = rng.below(v.len() + 1);
        match rng.below(4) {
            0 => {
                let p = PIECES[rng.below(PIECES.len())].as_bytes();
                v.splice(at..at, p.iter().copied());
            }
            1 => {
                let end = (at + 1 + rng.below(16)).min(v.len());
                v.drain(at.min(end)..end);
            }
            2 => {
                if at < v.len() {
                    v[at] = rng.next() as u8;
                }
            }
            _ => {
                let end = (at + 1 + rng.below(64)).min(v.len());
                let copy: Vec<u8> = v[at.min(end)..end].to_vec();
                let to = rng.below(v.len() + 1);
                v.splice(to..to, copy);
            }
        }
    }
    v.truncate(1 << 16);
    v
}

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn runs() -> (u64, usize) {
    (
        env_num("QUAKECAST_FUZZ_SEED", 0x5eed_c0de),
        env_num("QUAKECAST_FUZZ_ITERS", 300) as usize,
    )
}

/// Run `f` on `iters` mutations of each input, each within `bound`.
fn fuzz(name: &str, inputs: &[&[u8]], bound: Duration, mut f: impl FnMut(&[u8])) {
    let (seed, iters) = runs();
    for (k, input) in inputs.iter().enumerate() {
        let mut rng = Rng(seed ^ (k as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        for i in 0..iters {
            let m = mutate(&mut rng, input);
            let t = Instant::now();
            let res = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(&m)));
            assert!(
                res.is_ok(),
                "{name}: input {k} iteration {i} (seed {seed:#x}) panicked on {:?}",
                String::from_utf8_lossy(&m)
            );
            assert!(
                t.elapsed() < bound,
                "{name}: input {k} iteration {i} (seed {seed:#x}) took {:?}",
                t.elapsed()
            );
        }
    }
}

const FDSN: &str = "#EventID|Time|Latitude|Longitude|Depth/km|Author|Catalog|Contributor|ContributorID|MagType|Magnitude|MagAuthor|EventLocationName
a|2022-09-05T04:52:19.000|29.61|102.09|12.0|us|us|us|a|mww|6.6|us|Luding
b|2021-01-01T00:00:00|29.90|102.20|10|us|us|us|b|mb|4.1|us|Kangding
";
const CSV: &str = "time,latitude,longitude,depth,mag,place
2022-09-05T04:52:19.000Z,29.61,102.09,12,6.6,\"Luding, Sichuan\"
";

#[test]
fn mutated_reports_never_panic_or_hang() {
    let catalog = history::parse_catalog(FDSN).expect("catalogue");
    let samples: [&[u8]; 5] = [
        include_bytes!("../samples/cenc-2022-05-20-hanyuan.json"),
        include_bytes!("../samples/usgs-sample-feature.json"),
        include_bytes!("../samples/cenc-record-2022-09-05-luding.json"),
        include_bytes!("../samples/emsc-2023-02-06-kahramanmaras.json"),
        include_bytes!("../samples/quakeml-2019-07-06-ridgecrest.xml"),
    ];
    fuzz("report", &samples, Duration::from_secs(2), |m| {
        if let Ok(p) = parse_message(m) {
            if let Message::Event(e) = p.message {
                // What intake does next with an accepted event: the catalogue history, the
                // narration and the layout of its texts.
                let h = history::history(&e, &catalog);
                let _ = (h.sentence_zh(), h.sentence_en());
                let _ = quakecast_scenes::narration::script(&e);
                let _ = quakecast_scenes::layout::fit(
                    &quakecast_scenes::FixedMeasure,
                    &e.region,
                    600.0,
                    3,
                    48.0,
                    24.0,
                );
            }
        }
    });
}

#[test]
fn mutated_catalogues_never_panic_or_hang() {
    let luding = parse_message(include_bytes!(
        "../samples/cenc-record-2022-09-05-luding.json"
    ))
    .expect("sample");
    let Message::Event(event) = luding.message else {
        panic!("not an event");
    };
    fuzz(
        "catalogue",
        &[FDSN.as_bytes(), CSV.as_bytes()],
        Duration::from_secs(2),
        |m| {
            if let Ok(c) = history::parse_catalog(&String::from_utf8_lossy(m)) {
                let _ = history::history(&event, &c).sentence_zh();
            }
        },
    );
}

#[test]
fn mutated_themes_never_panic_or_hang() {
    fuzz(
        "theme",
        &[
            include_bytes!("../themes/default.json"),
            include_bytes!("../themes/night.json"),
        ],
        Duration::from_secs(2),
        |m| {
            let _ = Theme::from_json(&String::from_utf8_lossy(m));
        },
    );
}

#[test]
fn layout_of_huge_strings_is_bounded_in_time() {
    use quakecast_scenes::layout::{fit, wrap};
    let m = quakecast_scenes::FixedMeasure;
    for text in [
        "X".repeat(200_000),
        "震".repeat(200_000),
        "a ".repeat(100_000),
        "4.8级".repeat(40_000),
    ] {
        let t = Instant::now();
        let _ = fit(&m, &text, 600.0, 3, 48.0, 24.0);
        let _ = wrap(&m, &text, 600.0, 30.0);
        assert!(
            t.elapsed() < Duration::from_secs(5),
            "{:?} for {} characters",
            t.elapsed(),
            text.chars().count()
        );
    }
}
