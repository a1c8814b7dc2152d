//! Harness for the browser end-to-end tests: the real server binary, headless Chromium driven
//! through its own chromedriver per browser, page helpers that read the DOM in one `WebDriver`
//! round trip, and a Rust WebSocket client for seeding history. Every wait is bounded.

// The helpers panic on purpose: in a test a panic with a clear message is the failure report.
#![allow(clippy::expect_used, clippy::unwrap_used)]

pub mod chrome;
pub mod driver_http;
pub mod pages;
pub mod seed;
pub mod server;

use std::fmt::Display;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub use chrome::{Browser, Viewport};
pub use server::Server;

/// The default bound on a wait for something the page should do on its own.
pub const WAIT: Duration = Duration::from_secs(10);
/// How often a wait polls.
const POLL: Duration = Duration::from_millis(40);

/// A password every test account uses; it satisfies the server's password rules.
pub const PASSWORD: &str = "Tangerine-Otter-4711";

/// Polls `probe` until it returns `Ok`, at most `timeout`; on timeout panics with `what` and
/// the last `Err` the probe gave (what it saw instead).
pub async fn eventually<T>(
    what: impl Display,
    timeout: Duration,
    mut probe: impl AsyncFnMut() -> Result<T, String>,
) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        match probe().await {
            Ok(value) => return value,
            Err(seen) if Instant::now() >= deadline => {
                panic!("timed out after {timeout:?} waiting for {what}; last seen: {seen}")
            }
            Err(_) => tokio::time::sleep(POLL).await,
        }
    }
}

/// Runs a whole test under `limit`; on timeout the test's browsers and server are dropped
/// (killed) and the test fails.
pub async fn within(limit: Duration, test: impl Future<Output = ()>) {
    let finished = tokio::time::timeout(limit, test).await;
    assert!(finished.is_ok(), "the test did not finish within {limit:?}");
}

/// `Ok(())` when `cond` holds, else `Err` with the observation (for [`eventually`]).
pub fn check(cond: bool, seen: impl FnOnce() -> String) -> Result<(), String> {
    if cond { Ok(()) } else { Err(seen()) }
}

/// `target/e2e/`: where every run leaves its screenshots.
pub fn artifacts_dir() -> PathBuf {
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let target = tmp.parent().map_or_else(|| tmp.clone(), PathBuf::from);
    let dir = target.join("e2e");
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("create {}: {e}", dir.display()));
    dir
}

/// Copies `shot` to `docs/screenshot.png` (referenced by the README) when that file is
/// missing or `UPDATE_SCREENSHOT` is set, so ordinary runs leave the committed image alone.
pub fn maybe_update_docs_screenshot(shot: &Path) {
    let docs = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs");
    let target = docs.join("screenshot.png");
    if std::env::var_os("UPDATE_SCREENSHOT").is_none() && target.exists() {
        return;
    }
    std::fs::create_dir_all(&docs).unwrap_or_else(|e| panic!("create {}: {e}", docs.display()));
    std::fs::copy(shot, &target)
        .unwrap_or_else(|e| panic!("copy {} to {}: {e}", shot.display(), target.display()));
}
