//! The pages in a real browser: headless Chromium, driven over WebDriver by ChromeDriver,
//! through the real server over HTTP, on SQLite and on PostgreSQL. One journey, in English
//! and in French: an officer logs an incident with two victims and a perpetrator and submits
//! it, a second officer verifies it, a legal officer opens a case and moves it to `charged`,
//! leadership sees both in the summary and downloads the CSV. In French, no English word of
//! the pages may remain. Screenshots of the main pages go to `target/screenshots/` (or
//! `PKR_SCREENSHOTS`).
//!
//! Without `chromium` and `chromedriver` these tests say so and pass, except under CI, where
//! they fail: `.ci/run` installs both (`scripts/install-browser.sh`).

use crate::common;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use actix_web::HttpServer;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use common::{Backend, PASSWORD, TestApp};
use peacekeeper_registry::app;
use peacekeeper_registry::domain::access::{Clearance, Role};
use peacekeeper_registry::domain::case::{CaseStatus, allowed_moves};
use peacekeeper_registry::web::i18n::Lang;

on_both_backends!(the_journey_in_english, the_journey_in_french);

async fn the_journey_in_english(backend: Backend) {
    journey(backend, "en").await;
}

async fn the_journey_in_french(backend: Backend) {
    journey(backend, "fr").await;
}

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

/// ChromeDriver on a free port, stopped when dropped.
pub(crate) struct Driver {
    child: Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

pub(crate) fn start_driver() -> Option<Driver> {
    if !Path::new(CHROMEDRIVER).exists() || !Path::new(CHROMIUM).exists() {
        if std::env::var_os("CI").is_some() {
            panic!(
                "CI must have {CHROMIUM} and {CHROMEDRIVER}: the browser tests never skip there"
            );
        }
        eprintln!("chromium or chromedriver is missing: the browser tests did not run");
        return None;
    }
    let port = free_port();
    let child = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let driver = Driver { child, port };
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "chromedriver did not listen");
        std::thread::sleep(Duration::from_millis(100));
    }
    Some(driver)
}

fn screenshot_folder() -> PathBuf {
    let folder = std::env::var_os("PKR_SCREENSHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots"));
    std::fs::create_dir_all(&folder).expect("screenshot folder");
    folder
}

/// A browser signed in as nobody yet, over the server at `base`.
pub(crate) struct Browser {
    client: Client,
    base: String,
    lang: &'static str,
    label: String,
    downloads: PathBuf,
}

impl Browser {
    pub(crate) async fn open(
        driver: &Driver,
        base: String,
        lang: &'static str,
        label: String,
    ) -> Browser {
        let downloads = tempfile::tempdir().expect("download folder").keep();
        let accept = if lang == "fr" { "fr-FR,fr" } else { "en-GB,en" };
        let capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                         "--disable-gpu", "--window-size=1200,1800", format!("--lang={lang}")],
                "prefs": {
                    "intl.accept_languages": accept,
                    "download.default_directory": downloads.display().to_string(),
                    "download.prompt_for_download": false,
                },
            },
        });
        let serde_json::Value::Object(capabilities) = capabilities else {
            unreachable!()
        };
        let client = ClientBuilder::native()
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{}", driver.port))
            .await
            .expect("a browser session");
        Browser {
            client,
            base,
            lang,
            label,
            downloads,
        }
    }

    pub(crate) async fn goto(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .expect("page opens");
    }

    pub(crate) fn by_name(name: &str) -> String {
        format!("[name=\"{name}\"]")
    }

    pub(crate) async fn fill(&self, name: &str, value: &str) {
        let field = self
            .client
            .find(Locator::Css(&Self::by_name(name)))
            .await
            .unwrap_or_else(|_| panic!("a field {name}"));
        field.clear().await.expect("cleared");
        field.send_keys(value).await.expect("typed");
    }

    /// Sets a field the way a date picker would (typing into it depends on the locale).
    pub(crate) async fn set(&self, name: &str, value: &str) {
        let field = self
            .client
            .find(Locator::Css(&Self::by_name(name)))
            .await
            .unwrap_or_else(|_| panic!("a field {name}"));
        self.client
            .execute(
                "arguments[0].value = arguments[1];",
                vec![serde_json::to_value(&field).expect("element"), json!(value)],
            )
            .await
            .expect("value set");
    }

    pub(crate) async fn choose(&self, name: &str, value: &str) {
        self.client
            .find(Locator::Css(&Self::by_name(name)))
            .await
            .unwrap_or_else(|_| panic!("a list {name}"))
            .select_by_value(value)
            .await
            .unwrap_or_else(|_| panic!("{value} in {name}"));
    }

    /// Clicks what leads to another page, and waits until that page has replaced this one.
    pub(crate) async fn click(&self, css: &str) {
        let this_page = self
            .client
            .find(Locator::Css("html"))
            .await
            .expect("a page");
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|_| panic!("something to click: {css}"))
            .click()
            .await
            .expect("clicked");
        let deadline = Instant::now() + Duration::from_secs(20);
        while this_page.tag_name().await.is_ok() {
            assert!(
                Instant::now() < deadline,
                "no new page after clicking {css}"
            );
            actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        }
        self.client
            .wait()
            .at_most(Duration::from_secs(20))
            .for_element(Locator::Css("main h1"))
            .await
            .expect("the next page");
    }

    pub(crate) async fn text(&self) -> String {
        self.client
            .find(Locator::Css("body"))
            .await
            .expect("a body")
            .text()
            .await
            .expect("its text")
    }

    pub(crate) async fn path(&self) -> String {
        self.client
            .current_url()
            .await
            .expect("a URL")
            .path()
            .to_string()
    }

    /// The current page printed by Chromium on A4, as PDF.
    pub(crate) async fn print_a4(&self) -> Vec<u8> {
        let configuration = fantoccini::wd::PrintConfiguration::builder()
            .size(fantoccini::wd::PrintSize::A4)
            .build()
            .expect("a print configuration");
        self.client.print(configuration).await.expect("a PDF")
    }

    /// Where this browser's screenshot named `name` goes.
    pub(crate) fn screenshot_path(&self, name: &str) -> PathBuf {
        screenshot_folder().join(format!("{}-{}-{name}.png", self.label, self.lang))
    }

    pub(crate) async fn screenshot(&self, name: &str) {
        let png = self.client.screenshot().await.expect("a screenshot");
        let file = screenshot_folder().join(format!("{}-{}-{name}.png", self.label, self.lang));
        std::fs::write(file, png).expect("screenshot written");
    }

    /// The page and its assets weigh under 100 KB, and it fits a phone's width (390 CSS
    /// pixels) without scrolling sideways.
    pub(crate) async fn assert_light_and_fits_a_phone(&self) {
        let weight = self
            .client
            .execute(
                "return performance.getEntriesByType('navigation')[0].encodedBodySize \
                 + performance.getEntriesByType('resource').reduce((sum, e) => sum + e.encodedBodySize, 0);",
                vec![],
            )
            .await
            .expect("the page's weight");
        let bytes = weight.as_f64().expect("a number of bytes");
        assert!(
            bytes > 0.0 && bytes < 100.0 * 1024.0,
            "{} weighs {bytes} bytes",
            self.path().await
        );
        self.client
            .set_window_size(390, 844)
            .await
            .expect("phone-sized");
        let widths = self
            .client
            .execute(
                "return [document.documentElement.scrollWidth, window.innerWidth];",
                vec![],
            )
            .await
            .expect("the widths");
        let (content, window) = (widths[0].as_f64().unwrap(), widths[1].as_f64().unwrap());
        assert!(
            content <= window,
            "{} is {content} wide on a {window} screen",
            self.path().await
        );
        self.client
            .set_window_size(1200, 1800)
            .await
            .expect("back to a desk");
    }

    pub(crate) async fn sign_in(&self, username: &str) {
        self.goto("/login").await;
        self.fill("username", username).await;
        self.fill("password", PASSWORD).await;
        self.click("main form button[type=submit]").await;
        assert_eq!(self.path().await, "/", "{username} is signed in");
    }

    /// Signs in an account with a second factor, with the code of the server's clock.
    pub(crate) async fn sign_in_with_code(&self, username: &str, code: &str) {
        self.goto("/login").await;
        self.fill("username", username).await;
        self.fill("password", PASSWORD).await;
        self.fill("code", code).await;
        self.click("main form button[type=submit]").await;
        assert_eq!(self.path().await, "/", "{username} is signed in");
    }

    /// Opens every folded part of the page (`<details>`), as a person would to reach a form.
    pub(crate) async fn unfold(&self) {
        self.client
            .execute(
                "document.querySelectorAll('details').forEach(d => d.open = true);",
                vec![],
            )
            .await
            .expect("unfolded");
    }

    /// Picks a file for a file field, as a person choosing it would.
    pub(crate) async fn attach(&self, name: &str, file: &Path) {
        self.client
            .find(Locator::Css(&Self::by_name(name)))
            .await
            .unwrap_or_else(|_| panic!("a file field {name}"))
            .send_keys(&file.display().to_string())
            .await
            .expect("file chosen");
    }

    pub(crate) async fn close(self) {
        self.client.close().await.expect("browser closed");
    }

    pub(crate) async fn sign_out(&self) {
        self.click("header form[action=\"/logout\"] button").await;
        assert_eq!(self.path().await, "/login");
    }

    /// The English words of the pages that differ in French must not appear in a French page.
    pub(crate) async fn assert_no_english(&self, english: &[String]) {
        if self.lang != "fr" {
            return;
        }
        let text = self.text().await;
        let left: Vec<&String> = english
            .iter()
            .filter(|word| contains_word(&text, word))
            .collect();
        assert!(
            left.is_empty(),
            "English left on the French page {}: {left:?}",
            self.path().await
        );
    }
}

fn contains_word(text: &str, word: &str) -> bool {
    text.match_indices(word).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + word.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

/// Every English text of the catalogues (words, field labels, code labels) that differs from
/// its French counterpart.
pub(crate) fn english_only_words() -> Vec<String> {
    let french = Lang::from_code("fr").expect("French is built in");
    let french: Vec<(&str, &str)> = french.words().collect();
    let mut words: Vec<String> = Lang::ENGLISH
        .words()
        .filter(|(key, _)| *key != "language_name")
        .filter(|(key, english)| french.iter().any(|(k, fr)| k == key && fr != english))
        .map(|(_, english)| english.to_string())
        .collect();
    words.retain(|w| w.trim().len() > 2);
    assert!(
        words.len() > 300,
        "the catalogues were read: {}",
        words.len()
    );
    words
}

async fn journey(backend: Backend, lang: &'static str) {
    let Some(driver) = start_driver() else {
        return;
    };
    let t = TestApp::new(backend);
    for (name, role, missions) in [
        ("officer.ada", Role::SecurityOfficer, vec!["MINUSCA"]),
        ("officer.ben", Role::SecurityOfficer, vec!["MINUSCA"]),
        ("legal.chloe", Role::LegalOfficer, vec!["MINUSCA"]),
        ("leader.dan", Role::Leadership, vec![]),
    ] {
        t.create_user(name, role, Clearance::Confidential, &missions);
    }
    let state = t.state.clone();
    let server = HttpServer::new(move || app(state.clone()))
        .workers(2)
        .bind(("127.0.0.1", 0))
        .expect("the server binds");
    let address = server.addrs()[0];
    let server = server.run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    let label = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    let browser = Browser::open(
        &driver,
        format!("http://{address}"),
        lang,
        label.to_string(),
    )
    .await;
    let english = english_only_words();
    // What the officers type, in the journey's language.
    let typed = |en: &'static str, fr: &'static str| if lang == "fr" { fr } else { en };
    let (summary, narrative, actor, authority, note) = (
        typed(
            "Patrol ambushed near the bridge",
            "Patrouille prise en embuscade au pont",
        ),
        typed(
            "The patrol came under fire.",
            "La patrouille a essuyé des tirs.",
        ),
        typed("Armed group X", "Groupe armé X"),
        typed("Bangui prosecutor", "Procureur de Bangui"),
        typed("Indictment filed", "Acte d’accusation déposé"),
    );

    // A security officer logs an incident with two victims and a perpetrator, and submits it.
    browser.goto("/login").await;
    browser.assert_no_english(&english).await;
    browser.screenshot("sign-in").await;
    browser.sign_in("officer.ada").await;
    browser.assert_no_english(&english).await;
    browser.goto("/incidents/new").await;
    browser.assert_no_english(&english).await;
    let occurred = (t.now() - chrono::TimeDelta::days(2))
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    browser.set("occurred_at", &occurred).await;
    browser.choose("attack_type", "ambush").await;
    browser.choose("location_type", "patrol").await;
    browser.fill("place_name", "Bambari").await;
    browser.fill("summary", summary).await;
    let script = "<script>document.title='run'</script>";
    browser
        .fill("narrative", &format!("{narrative} {script}"))
        .await;
    browser.choose("victims[0].outcome", "killed").await;
    browser
        .choose("victims[0].personnel_type", "military")
        .await;
    browser.fill("victims[0].nationality", "BGD").await;
    browser.choose("victims[0].gender", "male").await;
    // Without script, adding a row posts the form back with one more empty victim.
    browser.click("button[value=\"add:victims\"]").await;
    browser.choose("victims[1].outcome", "injured").await;
    browser.choose("victims[1].personnel_type", "police").await;
    browser.fill("victims[1].nationality", "EGY").await;
    browser.choose("victims[1].gender", "female").await;
    browser.fill("perpetrators[0].actor_name", actor).await;
    browser
        .choose("perpetrators[0].actor_type", "armed_group")
        .await;
    browser
        .choose("perpetrators[0].attribution", "likely")
        .await;
    browser.assert_no_english(&english).await;
    browser.assert_light_and_fits_a_phone().await;
    browser.screenshot("incident-form").await;
    browser.click("button[value=\"submit\"]").await;
    let incident_path = browser.path().await;
    assert!(
        incident_path.starts_with("/incidents/") && !incident_path.ends_with("/new"),
        "the incident page follows, not {incident_path}"
    );
    let page = browser.text().await;
    let submitted = if lang == "fr" { "soumis" } else { "submitted" };
    assert!(page.contains(submitted), "{page}");
    assert!(page.contains("BGD") && page.contains("EGY") && page.contains(actor));
    // The script typed into the narrative is shown as text and never ran.
    assert!(page.contains(script));
    let title = browser.client.title().await.expect("a title");
    assert_ne!(title, "run");
    browser.assert_no_english(&english).await;
    browser.assert_light_and_fits_a_phone().await;
    browser.sign_out().await;

    // A second officer verifies it; whoever reported it could not.
    browser.sign_in("officer.ben").await;
    browser.goto(&incident_path).await;
    browser.click("form[action$=\"/verify\"] button").await;
    let verified = if lang == "fr" {
        "vérifié"
    } else {
        "verified"
    };
    assert!(browser.text().await.contains(verified));
    browser.assert_no_english(&english).await;
    browser.sign_out().await;

    // A legal officer opens a case on it and moves it to `charged`.
    browser.sign_in("legal.chloe").await;
    browser.goto(&incident_path).await;
    browser.click("a[href^=\"/cases/new\"]").await;
    browser.assert_no_english(&english).await;
    browser.fill("jurisdiction", "CAF").await;
    browser.fill("authority", authority).await;
    browser.click("main form button[type=submit]").await;
    let case_path = browser.path().await;
    assert!(case_path.starts_with("/cases/"), "{case_path}");
    // The form offers exactly the statuses the lifecycle allows from `opened`.
    let offered: Vec<String> = {
        let options = browser
            .client
            .find_all(Locator::Css("select[name=\"to\"] option"))
            .await
            .expect("the move's options");
        let mut values = Vec::new();
        for option in options {
            let value = option
                .attr("value")
                .await
                .expect("a value")
                .unwrap_or_default();
            if !value.is_empty() {
                values.push(value);
            }
        }
        values
    };
    let allowed: Vec<String> = allowed_moves(CaseStatus::Opened)
        .into_iter()
        .map(|s| s.code().to_string())
        .collect();
    assert_eq!(offered, allowed);
    browser.choose("to", "charged").await;
    browser.fill("note", note).await;
    browser.click("form[action$=\"/move\"] button").await;
    let charged = if lang == "fr" {
        "mise en accusation"
    } else {
        "charged"
    };
    let page = browser.text().await;
    assert!(page.contains(charged) && page.contains(note), "{page}");
    browser.assert_no_english(&english).await;
    browser.assert_light_and_fits_a_phone().await;
    browser.screenshot("case-page").await;
    browser.sign_out().await;

    // Leadership sees the incident and the case in the summary and downloads the CSV.
    browser.sign_in("leader.dan").await;
    browser.goto("/summary").await;
    let charts = browser
        .client
        .find_all(Locator::Css("svg.chart"))
        .await
        .expect("charts");
    assert_eq!(charts.len(), 4);
    let figures = browser
        .client
        .find(Locator::Css("dl.figures"))
        .await
        .expect("the figures")
        .text()
        .await
        .expect("their text");
    // One attack, one killed, one injured, one with a case.
    let numbers: Vec<&str> = figures
        .lines()
        .filter(|l| l.chars().all(|c| c.is_ascii_digit()))
        .collect();
    assert_eq!(numbers, vec!["1", "1", "1", "0", "1", "0"], "{figures}");
    let funnel = browser
        .client
        .find_all(Locator::Css("svg.chart"))
        .await
        .expect("charts")[2]
        .text()
        .await
        .expect("the funnel's text");
    assert!(funnel.contains('1'), "{funnel}");
    browser.assert_no_english(&english).await;
    browser.assert_light_and_fits_a_phone().await;
    browser.screenshot("summary").await;
    browser
        .client
        .find(Locator::Css("a[href^=\"/summary/download?what=summary\"]"))
        .await
        .expect("the CSV button")
        .click()
        .await
        .expect("clicked");
    let csv = wait_for_file(&browser.downloads.join("summary.csv")).await;
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().expect("a header").split(',').collect();
    let minusca = lines
        .find(|l| l.starts_with("MINUSCA,"))
        .expect("a MINUSCA row");
    let cells: Vec<&str> = minusca.split(',').collect();
    let column = |name: &str| header.iter().position(|h| *h == name).expect(name);
    assert_eq!(cells[column("incidents")], "1");
    assert_eq!(cells[column("killed")], "1");
    assert_eq!(cells[column("cases_charged")], "1");

    if lang == "en" {
        api_reference(&browser).await;
    }

    browser.client.close().await.expect("browser closed");
    handle.stop(true).await;
    drop(driver);
}

/// The API's reference shows every operation of the document, and everything the page loads
/// comes from the server itself.
async fn api_reference(browser: &Browser) {
    browser.goto("/api/docs/").await;
    let document: serde_json::Value =
        serde_json::from_str(peacekeeper_registry::api::openapi::document_json()).unwrap();
    let operations: usize = document["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|item| item.as_object().unwrap().len())
        .sum();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let shown = browser
            .client
            .find_all(Locator::Css(".opblock"))
            .await
            .map(|found| found.len())
            .unwrap_or(0);
        if shown == operations {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the reference shows {shown} of {operations} operations"
        );
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    let loaded = browser
        .client
        .execute(
            "return performance.getEntriesByType('resource').map(e => e.name);",
            vec![],
        )
        .await
        .expect("the resources loaded");
    let loaded: Vec<String> = serde_json::from_value(loaded).expect("a list of addresses");
    assert!(
        loaded
            .iter()
            .any(|name| name.ends_with("/api/v1/openapi.json")),
        "{loaded:?}"
    );
    for name in &loaded {
        assert!(
            name.starts_with(&browser.base),
            "loaded from elsewhere: {name}"
        );
    }
    browser.screenshot("api-reference").await;
}

async fn wait_for_file(path: &Path) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(text) = std::fs::read_to_string(path)
            && !text.is_empty()
        {
            return text;
        }
        assert!(
            Instant::now() < deadline,
            "{} was not downloaded",
            path.display()
        );
        actix_web::rt::time::sleep(Duration::from_millis(200)).await;
    }
}
