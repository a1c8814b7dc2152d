//! `soak`: a long run at a steady, moderate load (half the 5,000 msg/s target by
//! default) while a share of the sockets (10% a minute) drop and reconnect, resume
//! after the last id they saw and resend what was not acknowledged. Passes when
//! nothing is lost, duplicated or reordered, the server's RSS drifts less than 5%
//! from its level after the first minute, and its open files are back to the
//! baseline once every socket is closed.

mod user;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::{Notify, watch};
use tokio::time::Instant;

use crate::BenchError;
use crate::body;
use crate::ledger::{StreamLedger, Tally};
use crate::measure::{open_fds, rss_kib};
use crate::state::{State, random_hex};
use user::{SoakUser, UserOutcome};

/// Most RSS drift allowed (percent), from the level after the first minute.
const RSS_DRIFT_MAX_PERCENT: f64 = 5.0;
/// Time for the server to release closed sockets before the final count of files.
const SETTLE: Duration = Duration::from_secs(3);

/// What `soak` is asked to do.
#[derive(Debug, Clone, clap::Args)]
pub struct SoakArgs {
    /// Use the first N users of the state file (default: all).
    #[arg(long)]
    pub users: Option<usize>,
    /// Total messages per second offered (default: half the 5,000 msg/s target).
    #[arg(long, default_value_t = 2500.0)]
    pub rate: f64,
    /// Seconds of sending.
    #[arg(long, default_value_t = 1800.0)]
    pub duration: f64,
    /// Percent of the sockets dropped (no Close frame) and reopened each minute.
    #[arg(long, default_value_t = 10.0)]
    pub reconnect_percent: f64,
    /// Seconds between samples of the server's RSS and open files.
    #[arg(long, default_value_t = 10.0)]
    pub sample_every: f64,
    /// Seconds to wait after the last send for acknowledgements and deliveries.
    #[arg(long, default_value_t = 15.0)]
    pub grace: f64,
    /// Pad message bodies to at least this many bytes.
    #[arg(long, default_value_t = 0)]
    pub body_size: usize,
}

/// What every user task shares.
pub(crate) struct Shared {
    pub run: String,
    pub addr: SocketAddr,
    pub per_user_period: Duration,
    pub body_size: usize,
    pub origin: Instant,
    pub stop_sending: Instant,
    pub sent: AtomicU64,
    pub acked: AtomicU64,
    pub peer_received: AtomicU64,
}

/// One sample of the server.
#[derive(Debug, Clone, Copy, serde::Serialize)]
struct Sample {
    t_s: u64,
    rss_kib: u64,
    fds: usize,
}

/// Runs `soak`; needs the server's pid for its RSS and open files.
pub async fn run(
    addr: SocketAddr,
    state: &State,
    args: &SoakArgs,
    server_pid: Option<u32>,
) -> Result<serde_json::Value, BenchError> {
    let pid =
        server_pid.ok_or_else(|| BenchError::Protocol("soak needs --server-pid".to_owned()))?;
    let n_users = args
        .users
        .unwrap_or(state.users.len())
        .min(state.users.len());
    let specs = crate::chat::user_specs(state, n_users);
    if specs.is_empty() || args.rate <= 0.0 {
        return Err(BenchError::Protocol(
            "soak needs users and a rate above 0".to_owned(),
        ));
    }
    let baseline_fds = open_fds(pid)?;
    #[allow(clippy::cast_precision_loss)]
    let per_user_period = Duration::from_secs_f64(specs.len() as f64 / args.rate);
    let origin = Instant::now();
    let shared = Arc::new(Shared {
        run: body::new_run()?,
        addr,
        per_user_period,
        body_size: args.body_size,
        origin,
        stop_sending: origin + Duration::from_secs_f64(args.duration.max(1.0)),
        sent: AtomicU64::new(0),
        acked: AtomicU64::new(0),
        peer_received: AtomicU64::new(0),
    });
    println!(
        "soak: {} users, {:.0} msg/s offered for {:.0} s, {}% of sockets reconnecting a minute; \
         server pid {pid}, {baseline_fds} open files before",
        specs.len(),
        args.rate,
        args.duration,
        args.reconnect_percent
    );
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut drops = Vec::with_capacity(specs.len());
    let mut tasks = Vec::with_capacity(specs.len());
    for spec in &specs {
        let drop_signal = Arc::new(Notify::new());
        drops.push(Arc::clone(&drop_signal));
        let user = SoakUser {
            spec: *spec,
            session: state.users[spec.idx as usize].session.clone(),
            shared: Arc::clone(&shared),
            drop_signal,
        };
        tasks.push(tokio::spawn(user.run(stop_rx.clone())));
    }
    let reconnecting = tokio::spawn(schedule_drops(
        drops,
        args.reconnect_percent,
        shared.stop_sending,
    ));
    let samples = sample(pid, &shared, args.sample_every).await;
    let drained = drain(&shared, args.grace).await;
    let _ = stop_tx.send(true);
    let dropped = reconnecting.await.unwrap_or(0);
    let mut outcomes = Vec::with_capacity(tasks.len());
    for task in tasks {
        outcomes.push(task.await.unwrap_or_default());
    }
    tokio::time::sleep(SETTLE).await;
    let final_fds = open_fds(pid)?;
    Ok(summarise(
        &outcomes,
        &samples,
        baseline_fds,
        final_fds,
        dropped,
        drained,
    ))
}

/// Every minute, drops `percent` of the sockets, at random moments within it.
async fn schedule_drops(drops: Vec<Arc<Notify>>, percent: f64, until: Instant) -> u64 {
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let per_minute = ((drops.len() as f64 * percent / 100.0).round() as usize).min(drops.len());
    let mut rng = Rng::new();
    let mut dropped = 0;
    let mut minute = Instant::now();
    while minute < until {
        let mut at: Vec<(Duration, usize)> = (0..per_minute)
            .map(|_| {
                let offset = Duration::from_millis(rng.below(60_000));
                (
                    offset,
                    usize::try_from(rng.below(drops.len() as u64)).unwrap_or(0),
                )
            })
            .collect();
        at.sort_unstable();
        for (offset, who) in at {
            let when = minute + offset;
            if when >= until {
                break;
            }
            tokio::time::sleep_until(when).await;
            drops[who].notify_one();
            dropped += 1;
        }
        minute += Duration::from_mins(1);
        tokio::time::sleep_until(minute.min(until)).await;
    }
    dropped
}

/// Samples the server every `every` seconds until sending stops, printing each.
#[allow(clippy::cast_precision_loss)]
async fn sample(pid: u32, shared: &Shared, every: f64) -> Vec<Sample> {
    let every = Duration::from_secs_f64(every.max(1.0));
    let mut samples = Vec::new();
    let mut next = Instant::now();
    let mut last_sent = 0;
    while next <= shared.stop_sending {
        tokio::time::sleep_until(next).await;
        let (Ok(rss_kib), Ok(fds)) = (rss_kib(pid), open_fds(pid)) else {
            println!("  server {pid} is gone");
            break;
        };
        let t_s = next.duration_since(shared.origin).as_secs();
        let sent = shared.sent.load(Ordering::Relaxed);
        println!(
            "  t+{t_s:>5}s  rss {rss_kib:>8} KiB  files {fds:>6}  sent {:>9}  acked {:>9}  delivered {:>9}  ({:.0}/s)",
            sent,
            shared.acked.load(Ordering::Relaxed),
            shared.peer_received.load(Ordering::Relaxed),
            (sent - last_sent) as f64 / every.as_secs_f64()
        );
        last_sent = sent;
        samples.push(Sample { t_s, rss_kib, fds });
        next += every;
    }
    samples
}

/// Waits until every send is acknowledged and delivered, or `grace` seconds.
async fn drain(shared: &Shared, grace: f64) -> bool {
    let deadline = Instant::now() + Duration::from_secs_f64(grace.max(0.0));
    loop {
        let sent = shared.sent.load(Ordering::Relaxed);
        if shared.acked.load(Ordering::Relaxed) >= sent
            && shared.peer_received.load(Ordering::Relaxed) >= sent
        {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[allow(clippy::cast_precision_loss)]
fn summarise(
    outcomes: &[UserOutcome],
    samples: &[Sample],
    baseline_fds: usize,
    final_fds: usize,
    dropped: u64,
    drained: bool,
) -> serde_json::Value {
    let empty = StreamLedger::default();
    let by_user: BTreeMap<u32, &UserOutcome> = outcomes
        .iter()
        .filter_map(|o| o.spec.map(|s| (s.idx, o)))
        .collect();
    let mut tally = Tally::default();
    for o in outcomes {
        let Some(spec) = o.spec else { continue };
        let peer = by_user.get(&spec.peer).map_or(&empty, |p| &p.from_peer);
        // Own echoes may repeat after a resend (the client dedupes by client id):
        // only the peer's copies count as duplicates.
        tally.lost += peer.missing_from(&o.acked);
        tally.duplicated += o.duplicated_from_peer;
        tally.out_of_order += o.out_of_order;
    }
    let sum = |f: fn(&UserOutcome) -> u64| outcomes.iter().map(f).sum::<u64>();
    let unacked = sum(|o| o.unacked);
    let failed: Vec<&str> = outcomes
        .iter()
        .filter_map(|o| o.failed.as_deref())
        .collect();
    // Drift: from the first sample after a minute (caches warm, every socket open)
    // to the last one.
    let first = samples.iter().find(|s| s.t_s >= 60).or(samples.first());
    let last = samples.last();
    let drift = match (first, last) {
        (Some(a), Some(b)) if a.rss_kib > 0 => {
            (b.rss_kib as f64 - a.rss_kib as f64) * 100.0 / a.rss_kib as f64
        }
        _ => 0.0,
    };
    let fds_ok = final_fds <= baseline_fds;
    let passed = tally.is_clean()
        && unacked == 0
        && failed.is_empty()
        && drift.abs() < RSS_DRIFT_MAX_PERCENT
        && fds_ok;
    println!(
        "sent {}, acknowledged {}, delivered {}; {dropped} sockets dropped and reopened ({} reconnects)",
        sum(|o| o.sent),
        sum(|o| o.acked.distinct()),
        sum(|o| o.from_peer.distinct()),
        sum(|o| o.reconnects)
    );
    println!(
        "lost {}, duplicated {}, out-of-order {}; unacknowledged {unacked}{}",
        tally.lost,
        tally.duplicated,
        tally.out_of_order,
        if drained {
            ""
        } else {
            " (grace period ran out)"
        }
    );
    if let Some(first) = failed.first() {
        println!("{} users failed; first: {first}", failed.len());
    }
    println!(
        "server RSS {} → {} KiB (drift {drift:+.2}%, limit ±{RSS_DRIFT_MAX_PERCENT}%); open files {baseline_fds} before, {final_fds} after",
        first.map_or(0, |s| s.rss_kib),
        last.map_or(0, |s| s.rss_kib)
    );
    println!("SOAK PASSED: {}", if passed { "yes" } else { "NO" });
    serde_json::json!({
        "passed": passed,
        "sent": sum(|o| o.sent),
        "lost": tally.lost,
        "duplicated": tally.duplicated,
        "out_of_order": tally.out_of_order,
        "unacked": unacked,
        "dropped_sockets": dropped,
        "reconnects": sum(|o| o.reconnects),
        "failed_users": failed.len(),
        "rss_first_kib": first.map_or(0, |s| s.rss_kib),
        "rss_last_kib": last.map_or(0, |s| s.rss_kib),
        "rss_drift_percent": drift,
        "fds_before": baseline_fds,
        "fds_after": final_fds,
        "samples": samples,
    })
}

/// xorshift64*, seeded from the kernel: which sockets drop, and when.
struct Rng(u64);

impl Rng {
    fn new() -> Self {
        let seed = random_hex(8)
            .ok()
            .and_then(|hex| u64::from_str_radix(&hex, 16).ok())
            .unwrap_or(0x9e37_79b9_7f4a_7c15);
        Rng(seed | 1)
    }

    fn below(&mut self, n: u64) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D) % n.max(1)
    }
}
