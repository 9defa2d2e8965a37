//! The duty reviewer's console in headless Chromium (Debian's `chromium` + `chromium-driver`),
//! driven through chromedriver's W3C WebDriver HTTP API against the real `quakecast serve`:
//! a job arriving live without a reload, the audience map with its tier cells, key frames,
//! subtitles and sourced facts, a push-copy edit (refused past the limit, then saved and
//! pushed), keyboard approve and reject, an automatic report replaced by the official one with
//! its differences highlighted, a second reviewer's decision refused with a clear message, both
//! languages, and screenshots at desktop and phone sizes (`QUAKECAST_SCREENSHOTS=dir` keeps
//! them; docs/review-console-*.png were made so).
mod farm_support;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use farm_support::*;
use serde_json::{json, Value};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

struct Driver {
    child: Child,
    base: String,
    session: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = agent()
            .delete(format!("{}/session/{}", self.base, self.session))
            .call();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn wd(method: &str, url: &str, body: Option<Value>) -> Value {
    let a = agent();
    let resp = match method {
        "GET" => a.get(url).call(),
        _ => a
            .post(url)
            .header("content-type", "application/json")
            .send(&serde_json::to_vec(&body.unwrap_or(json!({}))).expect("json")[..]),
    };
    let mut resp = resp.expect("webdriver request");
    let text = resp.body_mut().read_to_string().expect("body");
    serde_json::from_str(&text).expect("webdriver JSON")
}

impl Driver {
    fn start(profile: &Path) -> Option<Driver> {
        let (Ok(_), Ok(_)) = (which("chromedriver"), which("chromium")) else {
            farm_support::missing(
                "farm_review",
                "chromium and chromium-driver are not installed",
            );
            return None;
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("port");
        let child = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver");
        let base = format!("http://127.0.0.1:{port}");
        let t = Instant::now();
        while agent().get(format!("{base}/status")).call().is_err() {
            assert!(
                t.elapsed() < Duration::from_secs(20),
                "chromedriver did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         format!("--user-data-dir={}", profile.display())]
            }
        }}});
        let v = wd("POST", &format!("{base}/session"), Some(caps));
        let session = v["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {v}"))
            .to_string();
        Some(Driver {
            child,
            base,
            session,
        })
    }

    fn url(&self, path: &str) -> String {
        format!("{}/session/{}{path}", self.base, self.session)
    }

    fn go(&self, url: &str) {
        wd("POST", &self.url("/url"), Some(json!({"url": url})));
    }

    /// Wait for an element by CSS selector.
    fn find(&self, css: &str) -> String {
        let t = Instant::now();
        loop {
            let v = wd(
                "POST",
                &self.url("/element"),
                Some(json!({"using": "css selector", "value": css})),
            );
            if let Some(id) = v["value"][ELEMENT].as_str() {
                return id.to_string();
            }
            assert!(
                t.elapsed() < Duration::from_secs(30),
                "no element {css}: {v}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn type_into(&self, el: &str, text: &str) {
        wd(
            "POST",
            &self.url(&format!("/element/{el}/value")),
            Some(json!({"text": text})),
        );
    }

    fn click(&self, el: &str) {
        wd("POST", &self.url(&format!("/element/{el}/click")), None);
    }

    fn all(&self, css: &str) -> Vec<String> {
        let v = wd(
            "POST",
            &self.url("/elements"),
            Some(json!({"using": "css selector", "value": css})),
        );
        v["value"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| e[ELEMENT].as_str().map(str::to_string))
            .collect()
    }

    /// Wait until at least `n` elements match.
    fn wait_all(&self, css: &str, n: usize, timeout: Duration) -> Vec<String> {
        let t = Instant::now();
        loop {
            let found = self.all(css);
            if found.len() >= n {
                return found;
            }
            assert!(
                t.elapsed() < timeout,
                "{} of {n} elements {css} after {timeout:?}",
                found.len()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Wait until the text of `css` contains `needle`.
    fn wait_text(&self, css: &str, needle: &str, timeout: Duration) -> String {
        let t = Instant::now();
        loop {
            let text = self
                .all(css)
                .first()
                .map(|el| self.text(el))
                .unwrap_or_default();
            if text.contains(needle) {
                return text;
            }
            assert!(
                t.elapsed() < timeout,
                "{css} does not say {needle:?} after {timeout:?}: {text:?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn attr(&self, el: &str, name: &str) -> Value {
        wd(
            "GET",
            &self.url(&format!("/element/{el}/attribute/{name}")),
            None,
        )["value"]
            .clone()
    }

    fn script(&self, code: &str) -> Value {
        wd(
            "POST",
            &self.url("/execute/sync"),
            Some(json!({"script": code, "args": []})),
        )["value"]
            .clone()
    }

    /// Press one key on whatever has the focus (the page's shortcuts listen on the document).
    fn press(&self, key: &str) {
        wd(
            "POST",
            &self.url("/actions"),
            Some(
                json!({"actions": [{"type": "key", "id": "keyboard", "actions": [
                {"type": "keyDown", "value": key}, {"type": "keyUp", "value": key}]}]}),
            ),
        );
    }

    fn clear(&self, el: &str) {
        wd("POST", &self.url(&format!("/element/{el}/clear")), None);
    }

    fn window(&self, width: u32, height: u32) {
        wd(
            "POST",
            &self.url("/window/rect"),
            Some(json!({"width": width, "height": height})),
        );
    }

    /// A PNG of the whole page (Chromium's DevTools capture beyond the viewport), or of the
    /// viewport where that is refused.
    fn screenshot(&self, path: &Path) {
        use base64::Engine as _;
        let v = wd(
            "POST",
            &self.url("/goog/cdp/execute"),
            Some(json!({"cmd": "Page.captureScreenshot",
                        "params": {"format": "png", "captureBeyondViewport": true}})),
        );
        let data = v["value"]["data"]
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| {
                wd("GET", &self.url("/screenshot"), None)["value"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string()
            });
        let png = base64::engine::general_purpose::STANDARD
            .decode(data)
            .expect("screenshot base64");
        assert!(png.starts_with(b"\x89PNG"), "not a PNG");
        std::fs::write(path, png).expect("write screenshot");
    }

    fn text(&self, el: &str) -> String {
        wd("GET", &self.url(&format!("/element/{el}/text")), None)["value"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }
}

fn which(bin: &str) -> Result<(), ()> {
    let ok = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(bin).exists()))
        .unwrap_or(false);
    if ok {
        Ok(())
    } else {
        Err(())
    }
}

const BOB_TOKEN: &str = "bob-token-9876543210";

/// The sample report with another magnitude and epicentre (an automatic solution).
fn report_with(event_id: &str, status: &str, magnitude: f64, lat: f64) -> Vec<u8> {
    let mut v: Value = serde_json::from_slice(&report(event_id, status, 0)).expect("report");
    v["magnitude"] = json!(magnitude);
    v["latitude"] = json!(lat);
    serde_json::to_vec(&v).expect("json")
}

fn job_id(r: &Resp) -> String {
    r.body["job"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no job id: {r:?}"))
        .to_string()
}

fn shots_dir(tmp: &Path) -> std::path::PathBuf {
    match std::env::var_os("QUAKECAST_SCREENSHOTS") {
        Some(d) => {
            std::fs::create_dir_all(&d).expect("screenshot dir");
            d.into()
        }
        None => tmp.to_path_buf(),
    }
}

#[test]
fn duty_reviewer_console_in_chromium() {
    let dir = tempfile::tempdir().expect("tempdir");
    let Some(driver) = Driver::start(&dir.path().join("chromium-profile")) else {
        return;
    };
    let rx = Receiver::start(0);
    let mut args = vec!["serve".to_string()];
    args.extend(common_flags(
        dir.path(),
        &format!("sqlite://{}", dir.path().join("farm.db").display()),
        &dir.path().join("store").display().to_string(),
    ));
    args.extend(serve_flags(4));
    args.extend(
        [
            "--workers",
            "1",
            "--audio",
            "--reviewer",
            &format!("bob:{BOB_TOKEN}"),
            "--push-url",
            &rx.url,
            "--push-secret",
            PUSH_SECRET,
        ]
        .iter()
        .map(|s| s.to_string()),
    );
    let srv = spawn(dir.path(), "serve", &args, &[]);

    // The API refuses the stream and the console view without a reviewer token.
    let r = srv.get_as("/v1/review/stream", None);
    assert_eq!(r.status, 401, "{r:?}");
    let r = srv.get_as("/v1/review/jobs/x", Some("not-a-reviewer-token"));
    assert_eq!(r.status, 401, "{r:?}");

    // An open console, English, desktop size, before any job exists.
    driver.window(1280, 1000);
    driver.go(&format!("{}/review", srv.base));
    driver.script("localStorage.setItem('quakecast-lang', 'en'); return 1;");
    driver.go(&format!("{}/review", srv.base));
    driver.type_into(&driver.find("#token"), REVIEWER_TOKEN);
    driver.click(&driver.find("#connect"));
    driver.find("#live.on");
    driver.wait_text("#empty", "Nothing awaits review", Duration::from_secs(5));

    // 1. Live arrival: the job appears on the open page, no reload.
    let a = job_id(&srv.post_event(&report("T-CONSOLE", "official", 0)));
    let job_a = srv.wait_state(&a, &["awaiting_review"], Duration::from_secs(240));
    let entry = driver.wait_all(
        &format!("#queue .entry[data-job='{a}']"),
        1,
        Duration::from_secs(10),
    );
    let seen_ms = driver.attr(&entry[0], "data-seen-ms");
    let seen_ms: i64 = seen_ms
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("data-seen-ms");
    let ready_ms = job_a["timings"]["ready_at_ms"]
        .as_i64()
        .expect("ready_at_ms");
    let latency = seen_ms - ready_ms;
    eprintln!("console: job ready → visible on the open console in {latency} ms");
    assert!((0..10_000).contains(&latency), "{latency} ms");
    let text = driver.text(&entry[0]);
    assert!(
        text.contains("M 4.8") && text.contains("since origin"),
        "{text}"
    );

    // 2. The bulletin's view: it is selected (first in the queue).
    driver.find(&format!("#detail[data-job='{a}']"));
    let cells = driver.wait_all("#map svg g.tier path.cell", 1, Duration::from_secs(20));
    let tiers: Vec<String> = driver
        .all("#map svg g.tier")
        .iter()
        .filter_map(|g| driver.attr(g, "data-tier").as_str().map(str::to_string))
        .collect();
    assert!(tiers.contains(&"felt".to_string()), "{tiers:?}");
    assert!(!driver.all("#map svg path.ring").is_empty());
    assert!(!driver.all("#map svg polygon.epicentre").is_empty());
    assert!(!driver.all("#map svg path.provinces").is_empty());
    let legend = driver.text(&driver.find("#tiers"));
    assert!(
        legend.contains("felt") && legend.contains("H3 cells"),
        "{legend}"
    );
    // The gazetteer-based population of each tier is counted, on the page and on the map.
    let pop = driver.text(&driver.find("#tiers tr[data-tier='weak']"));
    assert!(
        pop.split_whitespace()
            .last()
            .is_some_and(|n| n.parse::<u64>().is_ok_and(|n| n > 0)),
        "{pop}"
    );
    let map_legend = driver.text(&driver.find("#map svg g.legend"));
    assert!(map_legend.contains("people"), "{map_legend}");
    eprintln!("console: map with {} tier cells", cells.len());
    let scenes = job_a["timeline"]["scenes"]
        .as_array()
        .expect("scenes")
        .len();
    driver.wait_all("#keyframes img", scenes, Duration::from_secs(5));
    // Every still is a real picture (cut from the stored video on first request).
    let t = Instant::now();
    loop {
        let loaded = driver.script(
            "return [...document.querySelectorAll('#keyframes img')].filter(i => i.complete && i.naturalWidth > 0).length;",
        );
        if loaded.as_u64() == Some(scenes as u64) {
            break;
        }
        assert!(
            t.elapsed() < Duration::from_secs(30),
            "stills loaded: {loaded}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(!driver.all("#subtitles li").is_empty());
    let facts = driver.text(&driver.find("#facts"));
    assert!(
        facts.contains("Luding") && facts.contains("source:") && facts.contains("cpca"),
        "{facts}"
    );
    let src = driver.attr(&driver.find("#video"), "src");
    let src = src.as_str().unwrap_or_default();
    assert!(
        src.starts_with(&format!("/v1/jobs/{a}/video?exp=")) && src.contains("&sig="),
        "{src}"
    );

    // 3. Push copy: too long is refused with the limit; a valid edit is saved and audited.
    let title = driver.find("#copy-title");
    let body = driver.find("#copy-body");
    let original_body = driver.script("return document.getElementById('copy-body').value;");
    driver.script("document.getElementById('copy-title').removeAttribute('maxlength'); return 1;");
    driver.clear(&title);
    driver.type_into(&title, &"震".repeat(25));
    driver.click(&driver.find("#copy-save"));
    driver.wait_text("#copy-msg", "at most 20", Duration::from_secs(5));
    driver.clear(&title);
    driver.type_into(&title, "四川汉源4.8级地震");
    driver.click(&driver.find("#copy-save"));
    driver.wait_text("#copy-msg", "saved", Duration::from_secs(5));
    let _ = body;

    // 4. Keyboard approve: a reason, Escape out of the field, then A.
    driver.type_into(&driver.find("#reason"), "facts match the CENC report");
    driver.press("\u{E00C}"); // Escape
    driver.press("a");
    driver.wait_text("#decision-msg", "approved", Duration::from_secs(10));
    let j = srv.wait_state(&a, &["pushed"], Duration::from_secs(60));
    assert_eq!(j["reviewer"], "alice");
    assert_eq!(j["review_reason"], "facts match the CENC report");
    let pushed = rx.requests.lock().expect("lock").clone();
    assert_eq!(pushed.len(), 1);
    assert_eq!(pushed[0].0, format!("push-{a}"));
    assert_eq!(pushed[0].1["copy"]["title"], "四川汉源4.8级地震");
    assert_eq!(pushed[0].1["copy"]["body"], original_body);
    let audit = srv.get(&format!("/v1/jobs/{a}/audit")).body;
    let actions: Vec<(String, String)> = audit["audit"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| {
            (
                r["actor"].as_str().unwrap_or_default().into(),
                r["action"].as_str().unwrap_or_default().into(),
            )
        })
        .collect();
    for want in [
        ("alice", "edit_push_copy"),
        ("alice", "approve"),
        ("pusher", "pushed"),
    ] {
        assert!(
            actions.contains(&(want.0.into(), want.1.into())),
            "{actions:?}"
        );
    }
    // The decided job leaves the queue on the open page.
    let t = Instant::now();
    while !driver
        .all(&format!("#queue .entry[data-job='{a}']"))
        .is_empty()
    {
        assert!(t.elapsed() < Duration::from_secs(10), "still listed");
        std::thread::sleep(Duration::from_millis(50));
    }

    // 5. An automatic report, then the official one replacing it: the differences.
    let auto = job_id(&srv.post_event(&report_with("T-REV", "automatic", 6.6, 29.70)));
    srv.wait_state(&auto, &["awaiting_review"], Duration::from_secs(240));
    let official = job_id(&srv.post_event(&report("T-REV", "official", 0)));
    srv.wait_state(&auto, &["superseded"], Duration::from_secs(30));
    srv.wait_state(&official, &["awaiting_review"], Duration::from_secs(240));
    let e = driver.wait_all(
        &format!("#queue .entry[data-job='{official}']"),
        1,
        Duration::from_secs(10),
    );
    driver.click(&e[0]);
    driver.find(&format!("#detail[data-job='{official}']"));
    driver.wait_all(
        "#diff tr.changed[data-field='magnitude']",
        1,
        Duration::from_secs(10),
    );
    driver.find("#diff tr.changed[data-field='report']");
    driver.find("#diff tr.changed[data-field='epicentre']");
    let same = driver.find("#diff tr[data-field='depth_km']");
    assert_eq!(
        driver.attr(&same, "class"),
        Value::Null,
        "depth did not change"
    );
    let diff = driver.text(&driver.find("#diff"));
    assert!(diff.contains("M 6.6") || diff.contains("6.6"), "{diff}");
    driver.wait_all("#map svg g.tier path.cell", 1, Duration::from_secs(20));

    // Screenshots: desktop and phone, English and Chinese, with the diff on screen.
    let shots = shots_dir(dir.path());
    let t = Instant::now();
    while driver
        .script("return [...document.querySelectorAll('#keyframes img')].every(i => i.complete && i.naturalWidth > 0);")
        != Value::Bool(true)
    {
        assert!(t.elapsed() < Duration::from_secs(30), "stills of the revision");
        std::thread::sleep(Duration::from_millis(100));
    }
    driver.screenshot(&shots.join("review-console-desktop-en.png"));
    driver.click(&driver.find("#lang"));
    driver.wait_text("#queue-pane h2", "待审队列", Duration::from_secs(5));
    driver.wait_text("#diff-box h3", "差异", Duration::from_secs(5));
    let facts = driver.wait_text("#facts", "震中距泸定县", Duration::from_secs(5));
    assert!(facts.contains("来源"), "{facts}");
    driver.wait_all("#map svg text", 1, Duration::from_secs(10));
    driver.screenshot(&shots.join("review-console-desktop-zh.png"));
    driver.window(390, 844);
    let w = driver.script("return window.innerWidth;");
    assert!(w.as_u64().is_some_and(|w| w <= 500), "phone width: {w}");
    // One column: the map is no wider than the screen.
    let overflow = driver.script(
        "return document.documentElement.scrollWidth - document.documentElement.clientWidth;",
    );
    assert!(
        overflow.as_i64().is_some_and(|o| o <= 0),
        "page scrolls sideways by {overflow}"
    );
    driver.screenshot(&shots.join("review-console-phone-zh.png"));
    driver.click(&driver.find("#lang"));
    driver.wait_text("#queue-pane h2", "Queue", Duration::from_secs(5));
    driver.screenshot(&shots.join("review-console-phone-en.png"));
    driver.window(1280, 1000);

    // 6. A second reviewer decides first: the page's decision is refused, saying by whom.
    let r = srv.post_json(
        &format!("/v1/jobs/{official}/approve"),
        Some(BOB_TOKEN),
        &json!({"reason": "checked on the phone"}),
    );
    assert_eq!(r.status, 200, "{r:?}");
    driver.type_into(&driver.find("#reason"), "wrong place");
    driver.click(&driver.find("#reject"));
    driver.wait_text(
        "#decision-msg",
        "already approved by bob",
        Duration::from_secs(10),
    );
    driver.wait_text("#banner", "bob", Duration::from_secs(10));
    let r = srv.post_json(
        &format!("/v1/jobs/{official}/reject"),
        Some(REVIEWER_TOKEN),
        &json!({"reason": "late"}),
    );
    assert_eq!(
        (
            r.status,
            r.body["error"]["code"].as_str(),
            r.body["error"]["decided_by"].as_str()
        ),
        (409, Some("not_awaiting_review"), Some("bob")),
        "{r:?}"
    );
    srv.wait_state(&official, &["pushed"], Duration::from_secs(60));

    // 7. Keyboard reject needs a reason: R alone asks for one, then R rejects.
    // Two waiting at once: the stronger one (M 6.6, intensity IX) is listed first although it
    // came second.
    let c = job_id(&srv.post_event(&report("T-CONSOLE-2", "official", 0)));
    let big = job_id(&srv.post_event(&report_with("T-BIG", "official", 6.6, 29.70)));
    srv.wait_state(&c, &["awaiting_review"], Duration::from_secs(240));
    srv.wait_state(&big, &["awaiting_review"], Duration::from_secs(240));
    driver.wait_all("#queue .entry", 2, Duration::from_secs(10));
    let order: Vec<String> = driver
        .all("#queue .entry")
        .iter()
        .filter_map(|el| driver.attr(el, "data-job").as_str().map(str::to_string))
        .collect();
    assert_eq!(
        order,
        vec![big.clone(), c.clone()],
        "queue order by urgency"
    );
    let e = driver.wait_all(
        &format!("#queue .entry[data-job='{c}']"),
        1,
        Duration::from_secs(10),
    );
    driver.click(&e[0]);
    driver.find(&format!("#detail[data-job='{c}']"));
    driver.click(&driver.find("#headline"));
    driver.press("r");
    driver.wait_text("#decision-msg", "needs a reason", Duration::from_secs(5));
    driver.type_into(&driver.find("#reason"), "wrong region name");
    driver.press("\u{E00C}");
    driver.press("r");
    driver.wait_text("#decision-msg", "rejected", Duration::from_secs(10));
    let r = srv.job(&c);
    assert_eq!(
        (
            r["state"].as_str(),
            r["reason"].as_str(),
            r["reviewer"].as_str()
        ),
        (Some("rejected"), Some("wrong region name"), Some("alice"))
    );
}
