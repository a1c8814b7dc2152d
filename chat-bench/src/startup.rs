//! `startup`: starts the server binary on a free port, times spawn → first
//! `200` from `/healthz` (polled every millisecond from the moment of spawn),
//! then reads its idle RSS and stops it with SIGTERM.

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use http::StatusCode;

use crate::BenchError;
use crate::http::HttpConn;
use crate::measure::rss_kib;

/// What `startup` is asked to do.
#[derive(Debug, Clone, clap::Args)]
pub struct StartupArgs {
    /// The server binary.
    #[arg(long, default_value = "target/release/chat-server")]
    pub server: PathBuf,
    /// Database file (a fresh path measures a first start, migrations included).
    #[arg(long)]
    pub db: PathBuf,
    /// Pin the server to this core (through `taskset -c`).
    #[arg(long)]
    pub cpu: Option<u32>,
    /// Seconds to let the server idle before reading its RSS.
    #[arg(long, default_value_t = 1.0)]
    pub idle: f64,
}

/// Runs `startup`.
pub fn run(args: &StartupArgs) -> Result<serde_json::Value, BenchError> {
    let addr = free_port()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let started = Instant::now();
    let mut child = spawn(args, addr)?;
    let pid = child.id();
    let answered = runtime.block_on(wait_for_healthz(addr, started));
    let Some(healthz) = answered else {
        stop(&mut child);
        return Err(BenchError::Timeout("/healthz after 10 s"));
    };
    let rss_at_healthz = rss_kib(pid).ok();
    std::thread::sleep(Duration::from_secs_f64(args.idle.max(0.0)));
    let rss_idle = rss_kib(pid).ok();
    stop(&mut child);
    let ms = healthz.as_secs_f64() * 1000.0;
    println!(
        "startup: /healthz answered {ms:.1} ms after spawn; RSS {} KiB then, {} KiB after {:.1} s idle",
        rss_at_healthz.map_or_else(|| "?".to_owned(), |v| v.to_string()),
        rss_idle.map_or_else(|| "?".to_owned(), |v| v.to_string()),
        args.idle
    );
    Ok(serde_json::json!({
        "healthz_ms": ms,
        "rss_at_healthz_kib": rss_at_healthz,
        "rss_idle_kib": rss_idle,
    }))
}

fn spawn(args: &StartupArgs, addr: SocketAddr) -> Result<Child, BenchError> {
    let mut cmd = match args.cpu {
        Some(cpu) => {
            let mut c = Command::new("taskset");
            c.args(["-c", &cpu.to_string()]).arg(&args.server);
            c
        }
        None => Command::new(&args.server),
    };
    let mut child = cmd
        .args([
            "serve",
            "--addr",
            &addr.to_string(),
            "--msg-rate",
            "0",
            "--db",
        ])
        .arg(&args.db)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    // Drain stdout so the server never blocks on it.
    if let Some(out) = child.stdout.take() {
        std::thread::spawn(move || for _ in BufReader::new(out).lines() {});
    }
    Ok(child)
}

/// Time from `started` to the first `200` from `/healthz`, or `None` after 10 s.
async fn wait_for_healthz(addr: SocketAddr, started: Instant) -> Option<Duration> {
    while started.elapsed() < Duration::from_secs(10) {
        if let Ok(mut conn) = HttpConn::open(addr).await
            && let Ok(r) = conn.get("/healthz", None).await
            && r.status == StatusCode::OK
        {
            return Some(started.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    None
}

/// SIGTERM (through `kill`), then SIGKILL if it has not exited within 5 s.
fn stop(child: &mut Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let _ = child.kill();
    let _ = child.wait();
}

fn free_port() -> Result<SocketAddr, BenchError> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?)
}
