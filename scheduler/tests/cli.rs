//! The CLI refuses bad reports precisely (exit 2, the field named) and writes nothing.
use std::path::Path;
use std::process::Command;

fn sample() -> serde_json::Value {
    serde_json::from_slice(quakecast_core::SAMPLE_REPORT).expect("sample is JSON")
}

fn run_render(report: &[u8], dir: &Path) -> (i32, String) {
    let file = dir.join("report.json");
    std::fs::write(&file, report).expect("write report");
    let out = Command::new(env!("CARGO_BIN_EXE_quakecast"))
        .args(["render"])
        .arg(&file)
        .arg("--out")
        .arg(dir.join("out"))
        .env("QUAKECAST_LOG", "warn")
        .output()
        .expect("run quakecast");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A named change to the sample report and the field the error must name.
type Case = (
    &'static str,
    Box<dyn Fn(&mut serde_json::Value)>,
    &'static str,
);

#[test]
fn malformed_reports_exit_2_naming_the_field_and_write_nothing() {
    let cases: Vec<Case> = vec![
        (
            "latitude 91",
            Box::new(|v| v["latitude"] = 91.0.into()),
            "/latitude",
        ),
        (
            "depth -11 (above sea level by more than the -10 km allowed)",
            Box::new(|v| v["depth_km"] = (-11.0).into()),
            "/depth_km",
        ),
        (
            "magnitude 15",
            Box::new(|v| v["magnitude"] = 15.0.into()),
            "/magnitude",
        ),
        (
            "missing origin time",
            Box::new(|v| {
                v.as_object_mut().expect("object").remove("origin_time");
            }),
            "/origin_time",
        ),
        (
            "longitude as a string",
            Box::new(|v| v["longitude"] = "102.48".into()),
            "/longitude",
        ),
    ];
    for (what, mutate, field) in cases {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut v = sample();
        mutate(&mut v);
        let (code, stderr) = run_render(&serde_json::to_vec(&v).expect("json"), dir.path());
        assert_eq!(code, 2, "{what}: exit code; stderr: {stderr}");
        assert!(
            stderr.contains(field),
            "{what}: stderr should name {field}: {stderr}"
        );
        assert!(
            !dir.path().join("out").exists(),
            "{what}: nothing may be written for a refused report"
        );
    }
}

#[test]
fn not_json_is_refused_with_exit_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (code, stderr) = run_render(b"<quakeml>not json</quakeml>", dir.path());
    assert_eq!(code, 2, "{stderr}");
    assert!(!dir.path().join("out").exists());
}

fn run_cmd(args: &[&str], file: &Path) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_quakecast"))
        .args(args)
        .arg(file)
        .env("QUAKECAST_LOG", "warn")
        .output()
        .expect("run quakecast");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const SAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../scenes/samples");

/// `validate` detects each format and prints it with the event.
#[test]
fn validate_prints_the_detected_format_of_every_sample() {
    for (file, format) in [
        ("cenc-2022-05-20-hanyuan.json", "cenc-quick-report"),
        ("cenc-record-2022-09-05-luding.json", "cenc-record"),
        ("emsc-2023-02-06-kahramanmaras.json", "emsc-message"),
        ("usgs-sample-feature.json", "usgs-feature"),
        ("quakeml-2019-07-06-ridgecrest.xml", "quakeml"),
    ] {
        let (code, stdout, stderr) = run_cmd(&["validate"], &Path::new(SAMPLES).join(file));
        assert_eq!(code, 0, "{file}: {stderr}");
        let v: serde_json::Value = serde_json::from_str(&stdout).expect("JSON on stdout");
        assert_eq!(v["format"], format, "{file}: {v}");
        assert_eq!(v["message"]["kind"], "event", "{file}: {v}");
        assert!(stderr.contains(&format!("format: {format}")), "{stderr}");
    }
}

/// A withdrawal is not an error in the report: `render` and `validate` say which event it
/// withdraws and exit 3, and nothing is rendered or written.
#[test]
fn withdrawals_exit_3_and_render_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut v = sample();
    v["deleted"] = true.into();
    let body = serde_json::to_vec(&v).expect("json");
    let (code, stderr) = run_render(&body, dir.path());
    assert_eq!(code, 3, "{stderr}");
    assert!(
        stderr.contains("withdrawal of CENC event CC20220520083600"),
        "{stderr}"
    );
    assert!(!dir.path().join("out").exists());
    let file = dir.path().join("report.json");
    let (code, stdout, stderr) = run_cmd(&["validate"], &file);
    assert_eq!(code, 3, "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).expect("JSON on stdout");
    assert_eq!(v["message"]["kind"], "withdrawal");
    assert_eq!(v["message"]["event_id"], "CC20220520083600");
    let usgs = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../scenes/tests/corpus/withdrawals/usgs-deleted.json");
    let (code, _, stderr) = run_cmd(&["validate"], &usgs);
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.contains("USGS event ok2025xdio"), "{stderr}");
}

#[test]
fn bad_flags_are_refused_before_work() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = Command::new(env!("CARGO_BIN_EXE_quakecast"))
        .args(["demo", "--size", "640x480", "--out"])
        .arg(dir.path().join("out"))
        .output()
        .expect("run quakecast");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--size"), "{stderr}");
    assert!(!dir.path().join("out").exists());
}

/// A theme, catalogue or elevation file that cannot be used stops the command before any work,
/// naming the flag, the file and what is wrong with it.
#[test]
fn bad_content_files_are_refused_naming_the_flag() {
    let dir = tempfile::tempdir().expect("tempdir");
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).expect("write");
        p
    };
    let cases = [
        (
            "--theme",
            write("theme.json", "{\"name\": 3}"),
            "not a theme",
        ),
        (
            "--catalog",
            write("catalog.txt", "this is not a catalogue\n1,2\n"),
            "not a catalogue",
        ),
        (
            "--dem",
            write("dem.asc", "ncols 4\nnrows x\n"),
            "not an elevation model",
        ),
        ("--dem", dir.path().join("missing.asc"), "could not be read"),
    ];
    for (flag, path, what) in cases {
        let out = Command::new(env!("CARGO_BIN_EXE_quakecast"))
            .args(["demo", flag])
            .arg(&path)
            .arg("--out")
            .arg(dir.path().join("out"))
            .output()
            .expect("run quakecast");
        assert!(!out.status.success(), "{flag} {}", path.display());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(flag)
                && stderr.contains(what)
                && stderr.contains(&*path.to_string_lossy()),
            "{flag}: {stderr}"
        );
        assert!(!dir.path().join("out").exists());
    }
}

#[test]
fn an_unknown_language_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = Command::new(env!("CARGO_BIN_EXE_quakecast"))
        .args(["demo", "--lang", "fr-FR", "--out"])
        .arg(dir.path().join("out"))
        .output()
        .expect("run quakecast");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--lang \"fr-FR\": expected auto, zh-CN or en-US"),
        "{stderr}"
    );
    assert!(!dir.path().join("out").exists());
}
