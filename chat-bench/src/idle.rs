//! `idle`: opens C authenticated sockets, holds them, and reports how many were
//! held and how much the server's RSS grew per socket.
//!
//! A process here may hold at most 20,000 files, so the sockets are spread
//! over worker processes (`chat-bench idle-worker`, at most `--per-process`
//! sockets each), each binding its own source address 127.0.0.x so no single
//! address runs out of ephemeral ports. Workers talk to the parent over
//! stdin/stdout, one JSON line per step.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures_util::{StreamExt, stream};
use serde::{Deserialize, Serialize};

use crate::BenchError;
use crate::measure::{CpuMeter, open_fds, rss_kib};
use crate::state::State;
use crate::ws::{self, Target};

/// What `idle` is asked to do.
#[derive(Debug, Clone, clap::Args)]
pub struct IdleArgs {
    /// Sockets to open.
    #[arg(long, default_value_t = 19_000)]
    pub connections: usize,
    /// Most sockets per worker process.
    #[arg(long, default_value_t = 5_000)]
    pub per_process: usize,
    /// Seconds to hold the sockets after they are all open.
    #[arg(long, default_value_t = 10.0)]
    pub hold: f64,
    /// Upgrades in flight at once per worker.
    #[arg(long, default_value_t = 64)]
    pub connect_concurrency: usize,
    /// The server keeps at most this many sockets per user (closing the oldest):
    /// `idle` warns when the state file has too few users for `--connections`.
    #[arg(long, default_value_t = 16)]
    pub max_per_user: usize,
    /// Last byte of the first source address; worker w binds 127.0.0.(this + w).
    #[arg(long, default_value_t = 2)]
    pub first_source: u8,
}

/// What the hidden `idle-worker` subcommand is asked to do.
#[derive(Debug, Clone, clap::Args)]
pub struct WorkerArgs {
    #[arg(long)]
    pub count: usize,
    /// Index of the first user whose session the worker uses (then cycles).
    #[arg(long)]
    pub first_user: usize,
    #[arg(long)]
    pub source: Option<IpAddr>,
    #[arg(long, default_value_t = 64)]
    pub connect_concurrency: usize,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Opened {
    opened: u64,
    failures: BTreeMap<String, u64>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Held {
    open: u64,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Finished {
    cpu_s: f64,
}

struct Worker {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

/// Runs `idle` (the parent side; blocking, no runtime of its own).
pub fn run(
    state_path: &Path,
    addr: SocketAddr,
    n_users: usize,
    args: &IdleArgs,
    server_pid: Option<u32>,
) -> Result<serde_json::Value, BenchError> {
    let per = args.per_process.max(1);
    let n_workers = args.connections.div_ceil(per);
    println!(
        "idle: {} sockets over {n_workers} worker processes (<= {per} each, source 127.0.0.{}..)",
        args.connections, args.first_source
    );
    if args.connections > n_users * args.max_per_user {
        println!(
            "warning: {} sockets over {n_users} users is more than the server's {} per user; \
             it closes the oldest beyond that (run setup with more users)",
            args.connections, args.max_per_user
        );
    }
    let meter = CpuMeter::start(server_pid);
    let rss_before = server_pid.and_then(|p| rss_kib(p).ok());
    let fds_before = server_pid.and_then(|p| open_fds(p).ok());
    let started = Instant::now();
    let mut workers = (0..n_workers)
        .map(|w| {
            let count = per.min(args.connections - w * per);
            spawn_worker(state_path, addr, args, w, count, (w * per) % n_users.max(1))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let (opened, failures) = wait_opened(&mut workers)?;
    let open_s = started.elapsed().as_secs_f64();
    println!(
        "opened {opened} of {} in {open_s:.1} s; failures {failures:?}",
        args.connections
    );
    std::thread::sleep(Duration::from_secs(2));
    let rss_open = server_pid.and_then(|p| rss_kib(p).ok());
    let fds_open = server_pid.and_then(|p| open_fds(p).ok());
    let open_at_rss = count_open(&mut workers)?;
    std::thread::sleep(Duration::from_secs_f64(args.hold.max(0.0)));
    let held = count_open(&mut workers)?;
    let rss_held = server_pid.and_then(|p| rss_kib(p).ok());
    let children_cpu_s = stop_all(workers)?;
    let cpu = meter.finish_with_children(children_cpu_s);
    let growth = rss_open.zip(rss_before).map(|(a, b)| a.saturating_sub(b));
    #[allow(clippy::cast_precision_loss)]
    let per_socket_kib = growth
        .filter(|_| open_at_rss > 0)
        .map(|g| g as f64 / open_at_rss as f64);
    println!(
        "held {held} of {opened} after {:.0} s; server RSS {} -> {} KiB ({} KiB after holding), fds {} -> {}",
        args.hold,
        show(rss_before),
        show(rss_open),
        show(rss_held),
        show(fds_before),
        show(fds_open)
    );
    if let Some(k) = per_socket_kib {
        println!("server RSS growth per socket: {k:.2} KiB (over the {open_at_rss} open then)");
    }
    println!("{cpu}");
    Ok(serde_json::json!({
        "requested": args.connections,
        "opened": opened,
        "held": held,
        "open_at_rss": open_at_rss,
        "failures": failures,
        "open_s": open_s,
        "rss_before_kib": rss_before,
        "rss_open_kib": rss_open,
        "rss_held_kib": rss_held,
        "rss_per_socket_kib": per_socket_kib,
        "fds_before": fds_before,
        "fds_open": fds_open,
        "cpu": cpu,
    }))
}

/// Runs one worker process: open, report, hold until told to stop.
pub fn run_worker(addr: SocketAddr, state: &State, args: &WorkerArgs) -> Result<(), BenchError> {
    // One runtime thread keeps reading every socket (answering pings, seeing
    // closes) while this thread waits on stdin.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    let meter = CpuMeter::start(None);
    let open = Arc::new(AtomicU64::new(0));
    let opened = runtime.block_on(open_and_hold(addr, state, args, Arc::clone(&open)));
    reply(&opened)?;
    let stdin = std::io::stdin();
    for line in stdin.lock().lines() {
        match line?.trim() {
            "check" => reply(&Held {
                open: open.load(Ordering::Relaxed),
            })?,
            _ => break,
        }
    }
    reply(&Finished {
        cpu_s: meter.finish().generator_cpu_s,
    })?;
    // Dropping the runtime drops the sockets.
    drop(runtime);
    Ok(())
}

/// Opens the worker's sockets and leaves a holder task reading each one.
async fn open_and_hold(
    addr: SocketAddr,
    state: &State,
    args: &WorkerArgs,
    open: Arc<AtomicU64>,
) -> Opened {
    let n_users = state.users.len().max(1);
    let results: Vec<Result<ws::Ws, BenchError>> = stream::iter(0..args.count)
        .map(|i| async move {
            let user = &state.users[(args.first_user + i) % n_users];
            let target = Target {
                addr,
                path: "/ws",
                session: &user.session,
                source: args.source,
            };
            let (mut socket, _) = ws::connect(target).await?;
            ws::expect_hello(&mut socket).await?;
            Ok(socket)
        })
        .buffer_unordered(args.connect_concurrency.max(1))
        .collect()
        .await;
    let mut out = Opened::default();
    for r in results {
        match r {
            Ok(mut socket) => {
                out.opened += 1;
                open.fetch_add(1, Ordering::Relaxed);
                let open = Arc::clone(&open);
                tokio::spawn(async move {
                    while let Some(Ok(_)) = socket.next().await {}
                    open.fetch_sub(1, Ordering::Relaxed);
                });
            }
            Err(e) => *out.failures.entry(e.kind()).or_default() += 1,
        }
    }
    out
}

/// Waits for every worker's "opened" report.
fn wait_opened(workers: &mut [Worker]) -> Result<(u64, BTreeMap<String, u64>), BenchError> {
    let mut opened = 0;
    let mut failures: BTreeMap<String, u64> = BTreeMap::new();
    for w in workers {
        let o: Opened = w.read()?;
        opened += o.opened;
        for (k, n) in o.failures {
            *failures.entry(k).or_default() += n;
        }
    }
    Ok((opened, failures))
}

/// How many sockets the workers still hold open.
fn count_open(workers: &mut [Worker]) -> Result<u64, BenchError> {
    let mut open = 0;
    for w in workers {
        w.say("check")?;
        open += w.read::<Held>()?.open;
    }
    Ok(open)
}

/// Stops every worker; returns the CPU seconds they used.
fn stop_all(workers: Vec<Worker>) -> Result<f64, BenchError> {
    let mut cpu_s = 0.0;
    for mut w in workers {
        w.say("stop")?;
        cpu_s += w.read::<Finished>()?.cpu_s;
        let _ = w.child.wait();
    }
    Ok(cpu_s)
}

fn spawn_worker(
    state_path: &Path,
    addr: SocketAddr,
    args: &IdleArgs,
    w: usize,
    count: usize,
    first_user: usize,
) -> Result<Worker, BenchError> {
    let last = u8::try_from(usize::from(args.first_source) + w).unwrap_or(u8::MAX);
    let source = Ipv4Addr::new(127, 0, 0, last);
    let exe: PathBuf = std::env::current_exe()?;
    let mut child = Command::new(exe)
        .arg("--state")
        .arg(state_path)
        .args(["--addr", &addr.to_string(), "idle-worker"])
        .args([
            "--count",
            &count.to_string(),
            "--first-user",
            &first_user.to_string(),
        ])
        .args(["--source", &source.to_string()])
        .args([
            "--connect-concurrency",
            &args.connect_concurrency.to_string(),
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()?;
    let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
        return Err(BenchError::Protocol("worker without pipes".to_owned()));
    };
    Ok(Worker {
        child,
        stdin,
        stdout: BufReader::new(stdout),
    })
}

impl Worker {
    fn say(&mut self, line: &str) -> Result<(), BenchError> {
        writeln!(self.stdin, "{line}")?;
        self.stdin.flush()?;
        Ok(())
    }

    fn read<T: for<'de> Deserialize<'de>>(&mut self) -> Result<T, BenchError> {
        let mut line = String::new();
        if self.stdout.read_line(&mut line)? == 0 {
            return Err(BenchError::Protocol("idle worker exited early".to_owned()));
        }
        Ok(serde_json::from_str(&line)?)
    }
}

fn reply<T: Serialize>(value: &T) -> Result<(), BenchError> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer(&mut out, value)?;
    writeln!(out)?;
    out.flush()?;
    Ok(())
}

fn show<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map_or_else(|| "?".to_owned(), |v| v.to_string())
}
