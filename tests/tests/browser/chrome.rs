//! `Browser`: one headless Chromium behind its own chromedriver (own port, own process group,
//! own profile directory), with a fantoccini session, console and network checks, and
//! screenshots. Dropping it kills chromedriver and the Chromium it started.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::elements::Element;
use fantoccini::wd::{TimeoutConfiguration, WindowHandle};
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use tempfile::TempDir;

use super::{WAIT, driver_http, eventually};

/// The browser the tests drive (Debian's `chromium` package).
pub const CHROMIUM: &str = "/usr/bin/chromium";
/// Its `WebDriver` (Debian's `chromium-driver` package), looked up on `PATH`.
pub const CHROMEDRIVER: &str = "chromedriver";
/// What to do when either is missing.
const INSTALL_HINT: &str = "install them with `sudo apt-get update && sudo apt-get install -y \
chromium chromium-driver` (Debian), or run `scripts/test`, which installs them when missing";

/// How big the page is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Viewport {
    /// A 1280×900 desktop window.
    Desktop,
    /// A 375×667 phone at 2× (Chrome's mobile emulation: headless windows cannot be narrower
    /// than 500 px).
    Phone,
}

/// A console message the page logged.
#[derive(Debug, Clone)]
pub struct ConsoleEntry {
    /// `SEVERE`, `WARNING`, `INFO`…
    pub level: String,
    /// The text (source location first).
    pub message: String,
}

/// One browser (think: one person's laptop or phone).
pub struct Browser {
    /// Who uses it, for failure messages.
    pub name: String,
    client: Client,
    driver_port: u16,
    session: String,
    server: SocketAddr,
    _driver: Driver,
    // Last field: removed after the browser is gone.
    _profile: TempDir,
}

impl Browser {
    /// Starts chromedriver and a fresh Chromium session for the server at `server`.
    /// Panics with installation instructions when either program cannot start.
    pub async fn start(name: &str, viewport: Viewport, server: SocketAddr) -> Self {
        assert!(
            Path::new(CHROMIUM).exists(),
            "{CHROMIUM} not found: the browser tests need Chromium and chromedriver; {INSTALL_HINT}"
        );
        let profile = tempfile::tempdir().expect("create profile dir");
        let (driver, driver_port) = spawn_driver().await;
        let caps = capabilities(viewport, &profile);
        let mut builder = ClientBuilder::new(HttpConnector::new());
        builder.capabilities(caps);
        let url = format!("http://127.0.0.1:{driver_port}");
        let connected = builder.connect(&url);
        let client = match tokio::time::timeout(Duration::from_secs(30), connected).await {
            Ok(Ok(client)) => client,
            Ok(Err(e)) => {
                panic!(
                    "Chromium ({CHROMIUM}) did not start under chromedriver: {e}; {INSTALL_HINT}"
                )
            }
            Err(elapsed) => {
                panic!("Chromium ({CHROMIUM}) did not start: {elapsed} (30 s); {INSTALL_HINT}")
            }
        };
        // Bounds on what the driver itself waits for: a page load (also after a click that
        // navigates) and a script. Element waits poll instead (implicit wait 0).
        let timeouts = TimeoutConfiguration::new(
            Some(Duration::from_secs(10)),
            Some(Duration::from_secs(15)),
            Some(Duration::ZERO),
        );
        client
            .update_timeouts(timeouts)
            .await
            .expect("set WebDriver timeouts");
        let session = client
            .session_id()
            .await
            .expect("session id")
            .expect("a WebDriver session");
        let browser = Self {
            name: name.to_owned(),
            client,
            driver_port,
            session,
            server,
            _driver: driver,
            _profile: profile,
        };
        browser.probe_logs().await;
        browser
    }

    /// Proves the two logs the scenario-8 checks read actually record: loads the server's
    /// `/healthz`, logs a console error from a script, and expects to find both. Leaves both
    /// logs drained (the start page's own entries are not the app's).
    async fn probe_logs(&self) {
        const PROBE: &str = "e2e log probe";
        self.goto("/healthz").await;
        self.exec::<Value>(
            "console.error(arguments[0]); return null;",
            vec![json!(PROBE)],
        )
        .await;
        let console = self.drain_console().await;
        assert!(
            console
                .iter()
                .any(|e| e.level == "SEVERE" && e.message.contains(PROBE)),
            "{}: chromedriver's browser log did not record a console.error: {console:?}",
            self.name
        );
        let healthz = format!("http://{}/healthz", self.server);
        let urls = self.drain_requests().await;
        assert!(
            urls.contains(&healthz),
            "{}: chromedriver's performance log did not record {healthz}: {urls:?}",
            self.name
        );
    }

    /// The `WebDriver` session.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Loads `path` of the server under test.
    pub async fn goto(&self, path: &str) {
        let url = format!("http://{}{path}", self.server);
        self.client
            .goto(&url)
            .await
            .unwrap_or_else(|e| panic!("{}: open {url}: {e}", self.name));
    }

    /// Runs `script` (a function body; `arguments` are `args`) and decodes its result.
    pub async fn exec<T: DeserializeOwned>(&self, script: &str, args: Vec<Value>) -> T {
        let value = self
            .client
            .execute(script, args)
            .await
            .unwrap_or_else(|e| panic!("{}: script failed: {e}\nscript: {script}", self.name));
        serde_json::from_value(value.clone())
            .unwrap_or_else(|e| panic!("{}: script result {value} did not decode: {e}", self.name))
    }

    /// Makes `tab` (a window of this browser) the one commands go to.
    pub async fn switch_to(&self, tab: &WindowHandle) {
        self.client
            .switch_to_window(tab.clone())
            .await
            .unwrap_or_else(|e| panic!("{}: switch tab: {e}", self.name));
    }

    /// Saves a PNG of the viewport as `target/e2e/{name}.png`; returns the path.
    pub async fn save_screenshot(&self, name: &str) -> PathBuf {
        let path = super::artifacts_dir().join(format!("{name}.png"));
        self.screenshot(&path).await;
        path
    }

    /// Waits (bounded) for an element matching `css`.
    pub async fn find(&self, css: &str) -> Element {
        eventually(
            format!("{}: an element `{css}`", self.name),
            WAIT,
            async || {
                self.client
                    .find(Locator::Css(css))
                    .await
                    .map_err(|e| e.to_string())
            },
        )
        .await
    }

    /// Waits for `css` and clicks it.
    pub async fn click(&self, css: &str) {
        let element = self.find(css).await;
        element
            .click()
            .await
            .unwrap_or_else(|e| panic!("{}: click `{css}`: {e}", self.name));
    }

    /// Waits for `css` and types `text` into it.
    pub async fn type_into(&self, css: &str, text: &str) {
        let element = self.find(css).await;
        element
            .send_keys(text)
            .await
            .unwrap_or_else(|e| panic!("{}: type into `{css}`: {e}", self.name));
    }

    /// Saves a PNG of the viewport to `path`.
    pub async fn screenshot(&self, path: &Path) {
        let png = self
            .client
            .screenshot()
            .await
            .unwrap_or_else(|e| panic!("{}: screenshot: {e}", self.name));
        std::fs::write(path, png).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    }

    /// The console messages logged since the last drain.
    pub async fn drain_console(&self) -> Vec<ConsoleEntry> {
        let entries = driver_http::drain_log(self.driver_port, &self.session, "browser").await;
        entries
            .iter()
            .map(|e| ConsoleEntry {
                level: e["level"].as_str().unwrap_or_default().to_owned(),
                message: e["message"].as_str().unwrap_or_default().to_owned(),
            })
            .collect()
    }

    /// Every URL the browser requested (`WebSocket`s included) since the last drain.
    pub async fn drain_requests(&self) -> Vec<String> {
        let entries = driver_http::drain_log(self.driver_port, &self.session, "performance").await;
        entries
            .iter()
            .filter_map(|e| serde_json::from_str::<Value>(e["message"].as_str()?).ok())
            .filter_map(|m| {
                let m = &m["message"];
                match m["method"].as_str()? {
                    "Network.requestWillBeSent" => m["params"]["request"]["url"].as_str(),
                    "Network.webSocketCreated" => m["params"]["url"].as_str(),
                    _ => None,
                }
                .map(str::to_owned)
            })
            .collect()
    }

    /// Scenario 8 at one checkpoint: no console error since the last check, and every
    /// request since then (and every resource of the current page) stayed on 127.0.0.1.
    /// `expected_errors` are console-error substrings this checkpoint tolerates.
    pub async fn assert_clean_except(&self, context: &str, expected_errors: &[&str]) {
        let errors: Vec<String> = self
            .drain_console()
            .await
            .into_iter()
            .filter(|e| e.level == "SEVERE")
            .map(|e| e.message)
            .filter(|m| !expected_errors.iter().any(|x| m.contains(x)))
            .collect();
        assert!(
            errors.is_empty(),
            "{}: console errors {context}:\n{}",
            self.name,
            errors.join("\n")
        );
        let mut urls = self.drain_requests().await;
        urls.extend(
            self.exec::<Vec<String>>(
                "return performance.getEntriesByType('navigation')
                   .concat(performance.getEntriesByType('resource')).map((e) => e.name);",
                vec![],
            )
            .await,
        );
        let away: Vec<&String> = urls.iter().filter(|u| !stays_local(u)).collect();
        assert!(
            away.is_empty(),
            "{}: requests left 127.0.0.1 {context}: {away:?}",
            self.name
        );
    }

    /// [`Self::assert_clean_except`] with nothing tolerated.
    pub async fn assert_clean(&self, context: &str) {
        self.assert_clean_except(context, &[]).await;
    }

    /// Ends the `WebDriver` session (Chromium exits); chromedriver is killed on drop.
    pub async fn quit(self) {
        let Self { name, client, .. } = self;
        if let Err(e) = client.close().await {
            panic!("{name}: closing the session: {e}");
        }
    }
}

/// A running chromedriver, leader of its own process group; dropping it kills the group
/// (chromedriver and the Chromium processes it started), also when a test fails midway.
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let group = format!("-{}", self.0.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.0.wait();
    }
}

/// The session's capabilities: the brief's Chromium flags, a fresh profile, console and
/// network logs.
fn capabilities(viewport: Viewport, profile: &TempDir) -> serde_json::Map<String, Value> {
    let mut args = vec![
        "--headless".to_owned(),
        "--no-sandbox".to_owned(),
        "--disable-gpu".to_owned(),
        "--disable-background-networking".to_owned(),
        "--disable-component-update".to_owned(),
        "--disable-sync".to_owned(),
        "--no-first-run".to_owned(),
        "--disable-quic".to_owned(),
        "--disable-dev-shm-usage".to_owned(),
        format!("--user-data-dir={}", profile.path().display()),
        "--window-size=1280,900".to_owned(),
    ];
    args.push("--lang=en-US".to_owned());
    let mut options = json!({ "binary": CHROMIUM, "args": args });
    if viewport == Viewport::Phone {
        options["mobileEmulation"] =
            json!({ "deviceMetrics": { "width": 375, "height": 667, "pixelRatio": 2 } });
    }
    let caps = json!({
        "browserName": "chrome",
        "goog:chromeOptions": options,
        "goog:loggingPrefs": { "browser": "ALL", "performance": "ALL" },
    });
    match caps {
        Value::Object(map) => map,
        _ => unreachable!("a JSON object literal"),
    }
}

/// Starts `chromedriver --port=0` in its own process group and reads the port it chose.
async fn spawn_driver() -> (Driver, u16) {
    let mut child = Command::new(CHROMEDRIVER)
        .arg("--port=0")
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run `{CHROMEDRIVER}`: {e}; {INSTALL_HINT}"));
    let stdout = child.stdout.take().expect("chromedriver stdout");
    let driver = Driver(child);
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let mut tx = Some(tx);
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let port = line
                .split_once("started successfully on port ")
                .and_then(|(_, rest)| rest.trim_end_matches('.').trim().parse::<u16>().ok());
            if let Some(port) = port
                && let Some(tx) = tx.take()
            {
                let _ = tx.send(port);
            }
        }
    });
    match tokio::time::timeout(Duration::from_secs(10), rx).await {
        Ok(Ok(port)) => (driver, port),
        _ => {
            panic!("`{CHROMEDRIVER} --port=0` did not report its port within 10 s; {INSTALL_HINT}")
        }
    }
}

/// Whether a request to `url` stays on this machine: HTTP(S)/WS(S) to 127.0.0.1, or a URL
/// that never touches the network (`about:`, `data:`, `blob:`, and `chrome:` — Chromium's own
/// start page, which loads in the background when the session opens).
fn stays_local(url: &str) -> bool {
    let Some((scheme, rest)) = url.split_once(':') else {
        return false;
    };
    match scheme {
        "about" | "data" | "blob" | "chrome" => true,
        "http" | "https" | "ws" | "wss" => {
            let authority = rest.trim_start_matches("//").split(['/', '?', '#']).next();
            let host = authority.map(|a| a.rsplit_once(':').map_or(a, |(h, _)| h));
            host == Some("127.0.0.1")
        }
        _ => false,
    }
}
