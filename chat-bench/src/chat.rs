//! `chat`: every user holds one socket and sends into their 1:1 thread, paced
//! (`--rate`, total messages/s offered) or closed-loop (`--closed-loop`, a
//! window of unanswered sends per user). Measures send → peer receipt and
//! send → own echo latency, delivered messages/s, and lost, duplicated and
//! out-of-order messages.

mod summary;
pub(crate) mod user;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{StreamExt, stream};
use hdrhistogram::Histogram;
use tokio::sync::watch;
use tokio::time::Instant;

use crate::measure::{CpuMeter, latency_histogram};
use crate::state::State;
use crate::ws::{self, Target};
use crate::{BenchError, body};
use user::UserSpec;

/// What `chat` is asked to do.
#[derive(Debug, Clone, clap::Args)]
pub struct ChatArgs {
    /// Use the first N users of the state file (default: all).
    #[arg(long)]
    pub users: Option<usize>,
    /// Total messages per second offered, spread evenly over the users.
    #[arg(
        long,
        conflicts_with = "closed_loop",
        required_unless_present = "closed_loop"
    )]
    pub rate: Option<f64>,
    /// Each user sends again as soon as a send is answered (its echo arrives).
    #[arg(long)]
    pub closed_loop: bool,
    /// Unanswered sends per user in closed-loop mode.
    #[arg(long, default_value_t = 1)]
    pub window: u32,
    /// Seconds measured.
    #[arg(long, default_value_t = 10.0)]
    pub duration: f64,
    /// Seconds of sending before measuring starts.
    #[arg(long, default_value_t = 2.0)]
    pub warmup: f64,
    /// Seconds to wait after the last send for messages still in flight.
    #[arg(long, default_value_t = 5.0)]
    pub grace: f64,
    /// Pad message bodies to at least this many bytes.
    #[arg(long, default_value_t = 0)]
    pub body_size: usize,
    /// Socket upgrades in flight at once while connecting.
    #[arg(long, default_value_t = 64)]
    pub connect_concurrency: usize,
    /// Connect the second member of every thread to this address instead: another
    /// server process on the same database (`--redis`), so every message crosses
    /// processes.
    #[arg(long)]
    pub peer_addr: Option<SocketAddr>,
}

/// How users pace their sends.
#[derive(Debug, Clone, Copy)]
enum Pacing {
    Rate { per_user_period: Duration },
    ClosedLoop { window: u32 },
}

/// What every user task shares: the clock, the counters, the histograms.
struct Shared {
    run: String,
    pacing: Pacing,
    body_size: usize,
    n_users: u32,
    origin: Instant,
    start: Instant,
    measure_from_us: u64,
    stop_sending: Instant,
    stop_sending_us: u64,
    sent: AtomicU64,
    echoed: AtomicU64,
    peer_received: AtomicU64,
    rejected: AtomicU64,
    peer_in_window: AtomicU64,
    echo_in_window: AtomicU64,
    peer_latency: Mutex<Histogram<u64>>,
    echo_latency: Mutex<Histogram<u64>>,
    /// Open loop: how late sends were against their schedule.
    send_lag: Mutex<Histogram<u64>>,
}

impl Shared {
    fn micros_at(&self, t: Instant) -> u64 {
        u64::try_from(t.saturating_duration_since(self.origin).as_micros()).unwrap_or(u64::MAX)
    }

    fn in_window(&self, us: u64) -> bool {
        (self.measure_from_us..self.stop_sending_us).contains(&us)
    }
}

/// Runs `chat`.
pub async fn run(
    addr: SocketAddr,
    state: &State,
    args: &ChatArgs,
    server_pid: Option<u32>,
) -> Result<serde_json::Value, BenchError> {
    let n_users = args
        .users
        .unwrap_or(state.users.len())
        .min(state.users.len());
    let specs = user_specs(state, n_users);
    let pacing = pacing(args, specs.len())?;
    println!(
        "chat: {} users in {} threads, {}; the server must run with --msg-rate 0",
        specs.len(),
        specs.len() / 2,
        describe(pacing, args)
    );
    let addrs = [addr, args.peer_addr.unwrap_or(addr)];
    if let Some(peer) = args.peer_addr {
        println!("two processes: first members on {addr}, second members on {peer}");
    }
    let sockets = connect_all(addrs, state, &specs, args.connect_concurrency).await?;
    let shared = shared_clock(args, pacing, &specs)?;
    let (stop_tx, stop_rx) = watch::channel(false);
    let tasks: Vec<_> = sockets
        .into_iter()
        .zip(&specs)
        .map(|(ws, &spec)| tokio::spawn(user::run(ws, spec, Arc::clone(&shared), stop_rx.clone())))
        .collect();

    tokio::time::sleep_until(shared.origin + Duration::from_micros(shared.measure_from_us)).await;
    let meter = CpuMeter::start(server_pid);
    report_progress(&shared).await;
    let cpu = meter.finish();
    let drained = drain(&shared, args.grace).await;
    let _ = stop_tx.send(true);
    let mut outcomes = Vec::with_capacity(tasks.len());
    for task in tasks {
        outcomes.push(task.await.unwrap_or_default());
    }
    Ok(summary::summarise(&shared, args, &outcomes, cpu, drained))
}

/// Pairs every user of a thread among the first `n_users` with its peer.
pub(crate) fn user_specs(state: &State, n_users: usize) -> Vec<UserSpec> {
    state
        .threads_among(n_users)
        .iter()
        .flat_map(|t| {
            [
                UserSpec {
                    idx: t.a,
                    peer: t.b,
                    thread: t.id,
                },
                UserSpec {
                    idx: t.b,
                    peer: t.a,
                    thread: t.id,
                },
            ]
        })
        .collect()
}

fn pacing(args: &ChatArgs, n_users: usize) -> Result<Pacing, BenchError> {
    if args.closed_loop {
        return Ok(Pacing::ClosedLoop {
            window: args.window.max(1),
        });
    }
    let rate = args
        .rate
        .filter(|r| *r > 0.0)
        .ok_or(BenchError::Protocol("--rate must be above 0".to_owned()))?;
    #[allow(clippy::cast_precision_loss)]
    let per_user_period = Duration::from_secs_f64(n_users.max(1) as f64 / rate);
    Ok(Pacing::Rate { per_user_period })
}

fn describe(pacing: Pacing, args: &ChatArgs) -> String {
    let mode = match pacing {
        Pacing::ClosedLoop { window } => format!("closed loop, window {window} per user"),
        Pacing::Rate { .. } => format!("{} messages/s offered", args.rate.unwrap_or(0.0)),
    };
    format!(
        "{mode}, {:.1} s measured after {:.1} s warm-up",
        args.duration, args.warmup
    )
}

/// Opens every user's socket and waits for its `hello`: first members of a
/// thread on `addrs[0]`, second members on `addrs[1]`.
async fn connect_all(
    addrs: [SocketAddr; 2],
    state: &State,
    specs: &[UserSpec],
    concurrency: usize,
) -> Result<Vec<ws::Ws>, BenchError> {
    let started = Instant::now();
    let results: Vec<Result<ws::Ws, BenchError>> = stream::iter(specs.iter().enumerate())
        .map(|(i, spec)| async move {
            let target = Target {
                addr: addrs[i % 2],
                path: "/ws",
                session: &state.users[spec.idx as usize].session,
                source: None,
            };
            let (mut socket, _) = ws::connect(target).await?;
            ws::expect_hello(&mut socket).await?;
            Ok(socket)
        })
        .buffered(concurrency.max(1))
        .collect()
        .await;
    let mut failures: BTreeMap<String, u64> = BTreeMap::new();
    let mut sockets = Vec::with_capacity(results.len());
    for result in results {
        match result {
            Ok(s) => sockets.push(s),
            Err(e) => *failures.entry(e.kind()).or_default() += 1,
        }
    }
    if !failures.is_empty() {
        return Err(BenchError::Protocol(format!(
            "some sockets failed to open: {failures:?}"
        )));
    }
    println!(
        "opened {} sockets in {:.2} s",
        sockets.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(sockets)
}

fn shared_clock(
    args: &ChatArgs,
    pacing: Pacing,
    specs: &[UserSpec],
) -> Result<Arc<Shared>, BenchError> {
    let origin = Instant::now();
    let start = origin + Duration::from_millis(100);
    let measure_from = start + Duration::from_secs_f64(args.warmup.max(0.0));
    let stop_sending = measure_from + Duration::from_secs_f64(args.duration.max(0.1));
    let us = |t: Instant| u64::try_from(t.duration_since(origin).as_micros()).unwrap_or(u64::MAX);
    Ok(Arc::new(Shared {
        run: body::new_run()?,
        pacing,
        body_size: args.body_size,
        n_users: u32::try_from(specs.len()).unwrap_or(u32::MAX),
        origin,
        start,
        measure_from_us: us(measure_from),
        stop_sending,
        stop_sending_us: us(stop_sending),
        sent: AtomicU64::new(0),
        echoed: AtomicU64::new(0),
        peer_received: AtomicU64::new(0),
        rejected: AtomicU64::new(0),
        peer_in_window: AtomicU64::new(0),
        echo_in_window: AtomicU64::new(0),
        peer_latency: Mutex::new(latency_histogram()),
        echo_latency: Mutex::new(latency_histogram()),
        send_lag: Mutex::new(latency_histogram()),
    }))
}

/// Prints a line a second until sending stops.
async fn report_progress(shared: &Shared) {
    let mut last = (
        shared.sent.load(Ordering::Relaxed),
        shared.peer_received.load(Ordering::Relaxed),
    );
    let mut second = 0;
    while Instant::now() < shared.stop_sending {
        let next = (Instant::now() + Duration::from_secs(1)).min(shared.stop_sending);
        let span = next
            .saturating_duration_since(Instant::now())
            .as_secs_f64()
            .max(1e-3);
        tokio::time::sleep_until(next).await;
        second += 1;
        let now = (
            shared.sent.load(Ordering::Relaxed),
            shared.peer_received.load(Ordering::Relaxed),
        );
        #[allow(clippy::cast_precision_loss)]
        let (sent, delivered) = (
            (now.0 - last.0) as f64 / span,
            (now.1 - last.1) as f64 / span,
        );
        println!("  t+{second:>3}s  sent {sent:>9.0}/s  delivered to peer {delivered:>9.0}/s");
        last = now;
    }
}

/// Waits until every accepted send reached both members, or `grace` seconds.
async fn drain(shared: &Shared, grace: f64) -> bool {
    let deadline = Instant::now() + Duration::from_secs_f64(grace.max(0.0));
    loop {
        let sent = shared.sent.load(Ordering::Relaxed) - shared.rejected.load(Ordering::Relaxed);
        let done = shared.echoed.load(Ordering::Relaxed) >= sent
            && shared.peer_received.load(Ordering::Relaxed) >= sent;
        if done {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
