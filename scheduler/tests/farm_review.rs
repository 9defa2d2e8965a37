//! The review page in headless Chromium (Debian's `chromium` + `chromium-driver`), driven through
//! chromedriver's W3C WebDriver HTTP API: load the queue with a reviewer token, click approve,
//! see the state change on the page, in the API and in the audit log; then the push happens.
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

#[test]
fn reviewer_approves_in_chromium_and_the_bulletin_is_pushed() {
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
            "--push-url",
            &rx.url,
            "--push-secret",
            PUSH_SECRET,
        ]
        .iter()
        .map(|s| s.to_string()),
    );
    let srv = spawn(dir.path(), "serve", &args, &[]);
    let id = srv.post_event(&report("T-REVIEW", "official", 0)).body["job"]["id"]
        .as_str()
        .expect("id")
        .to_string();
    let rejected = srv.post_event(&report("T-REVIEW-2", "official", 0)).body["job"]["id"]
        .as_str()
        .expect("id")
        .to_string();
    srv.wait_state(&id, &["awaiting_review"], Duration::from_secs(180));
    srv.wait_state(&rejected, &["awaiting_review"], Duration::from_secs(180));

    // The API refuses without a valid token, and a rejection without a reason.
    let r = srv.post_json(&format!("/v1/jobs/{id}/approve"), None, &json!({}));
    assert_eq!(
        (r.status, r.body["error"]["code"].as_str()),
        (401, Some("token_missing")),
        "{r:?}"
    );
    let r = srv.post_json(
        &format!("/v1/jobs/{id}/approve"),
        Some("not-a-reviewer-token"),
        &json!({}),
    );
    assert_eq!(
        (r.status, r.body["error"]["code"].as_str()),
        (401, Some("token_invalid")),
        "{r:?}"
    );
    let r = srv.post_json(
        &format!("/v1/jobs/{rejected}/reject"),
        Some(REVIEWER_TOKEN),
        &json!({"reason": " "}),
    );
    assert_eq!(
        (r.status, r.body["error"]["field"].as_str()),
        (422, Some("reason")),
        "{r:?}"
    );

    driver.go(&format!("{}/review", srv.base));
    let token = driver.find("#token");
    driver.type_into(&token, REVIEWER_TOKEN);
    driver.click(&driver.find("#load"));
    let state = driver.find(&format!("#job-{id} .state"));
    assert_eq!(driver.text(&state), "awaiting_review");
    // The page shows the player, facts, audience and the report.
    let video = driver.find(&format!("#job-{id} video"));
    let src = wd(
        "GET",
        &driver.url(&format!("/element/{video}/attribute/src")),
        None,
    );
    // A signed link: the player sends no token.
    let src = src["value"].as_str().unwrap_or_default();
    assert!(
        src.starts_with(&format!("/v1/jobs/{id}/video?exp=")) && src.contains("&sig="),
        "{src}"
    );
    let page = driver.text(&driver.find(&format!("#job-{id}")));
    assert!(
        page.contains("h3_cells_by_tier")
            && page.contains("population_by_tier")
            && page.contains("震中距泸定县36公里")
            && page.contains("CENC"),
        "{page}"
    );

    driver.type_into(
        &driver.find(&format!("#job-{id} .reason")),
        "facts match the CENC report",
    );
    driver.click(&driver.find(&format!("#job-{id} .approve")));
    let t = Instant::now();
    while driver.text(&state) != "approved" {
        assert!(
            t.elapsed() < Duration::from_secs(20),
            "page state: {}",
            driver.text(&state)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // Reject the other one on the page, with a reason.
    driver.type_into(
        &driver.find(&format!("#job-{rejected} .reason")),
        "wrong region name",
    );
    driver.click(&driver.find(&format!("#job-{rejected} .reject")));
    let state2 = driver.find(&format!("#job-{rejected} .state"));
    let t = Instant::now();
    while driver.text(&state2) != "rejected" {
        assert!(
            t.elapsed() < Duration::from_secs(20),
            "page state: {}",
            driver.text(&state2)
        );
        std::thread::sleep(Duration::from_millis(100));
    }

    let j = srv.wait_state(&id, &["pushed"], Duration::from_secs(60));
    assert_eq!(j["reviewer"], "alice");
    assert_eq!(j["review_reason"], "facts match the CENC report");
    assert_eq!(rx.keys(), vec![format!("push-{id}")]);
    let audit = srv.get(&format!("/v1/jobs/{id}/audit")).body;
    let rows: Vec<(String, String)> = audit["audit"]
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
    assert!(
        rows.contains(&("alice".into(), "approve".into())),
        "{rows:?}"
    );
    assert!(
        rows.contains(&("pusher".into(), "pushed".into())),
        "{rows:?}"
    );
    let r = srv.job(&rejected);
    assert_eq!(
        (r["state"].as_str(), r["reason"].as_str()),
        (Some("rejected"), Some("wrong region name"))
    );
}
