//! The end of a `chat` run: lost / duplicated / out-of-order over every
//! sender, the latency summaries, the human lines and the JSON result.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::{Mutex, MutexGuard, PoisonError};

use hdrhistogram::Histogram;

use super::user::UserOutcome;
use super::{ChatArgs, Pacing, Shared};
use crate::ledger::{StreamLedger, Tally};
use crate::measure::{CpuUsage, LatencySummary};

#[allow(clippy::cast_precision_loss)]
pub(super) fn summarise(
    shared: &Shared,
    args: &ChatArgs,
    outcomes: &[UserOutcome],
    cpu: CpuUsage,
    drained: bool,
) -> serde_json::Value {
    let tally = tally(outcomes);
    let sum = |f: fn(&UserOutcome) -> u64| outcomes.iter().map(f).sum::<u64>();
    let sent = sum(|o| o.sent);
    let rejected = sum(|o| o.rejected);
    let unacked = sent - rejected - sum(|o| o.echo.distinct());
    let mut errors: BTreeMap<String, u64> = BTreeMap::new();
    for (code, n) in outcomes.iter().flat_map(|o| &o.errors) {
        *errors.entry(code.clone()).or_default() += n;
    }
    let closed_early: Vec<&str> = outcomes
        .iter()
        .filter_map(|o| o.closed_early.as_deref())
        .collect();
    let window_s = args.duration.max(0.1);
    let peer_per_s = shared.peer_in_window.load(Ordering::Relaxed) as f64 / window_s;
    let echo_per_s = shared.echo_in_window.load(Ordering::Relaxed) as f64 / window_s;
    let peer = LatencySummary::of(&lock(&shared.peer_latency));
    let echo = LatencySummary::of(&lock(&shared.echo_latency));
    let counts = tally.is_clean() && closed_early.is_empty();
    println!(
        "sent {sent} messages; delivered {peer_per_s:.0}/s to the peer, {echo_per_s:.0}/s echoed (measured window)"
    );
    println!("send -> peer receipt  {peer}");
    println!("send -> own echo      {echo}");
    let lag = LatencySummary::of(&lock(&shared.send_lag));
    if lag.count > 0 {
        println!("send lag vs schedule  {lag}");
    }
    println!(
        "lost {}, duplicated {}, out-of-order {}; unacked {unacked}, rejected {rejected}, \
         foreign {}, bad client_id {}, sockets closed early {}{}",
        tally.lost,
        tally.duplicated,
        tally.out_of_order,
        sum(|o| o.foreign),
        sum(|o| o.bad_client_id),
        closed_early.len(),
        if drained {
            ""
        } else {
            " (grace period ran out with messages in flight)"
        },
    );
    if !errors.is_empty() {
        println!("error frames: {errors:?}");
    }
    if let Some(first) = closed_early.first() {
        println!("first early close: {first}");
    }
    println!(
        "RUN COUNTS: {}",
        if counts {
            "yes (lost, duplicated and out-of-order all 0)"
        } else {
            "NO"
        }
    );
    println!("{cpu}");
    let mode = match shared.pacing {
        Pacing::ClosedLoop { .. } => "closed-loop",
        Pacing::Rate { .. } => "rate",
    };
    serde_json::json!({
        "mode": mode,
        "rate_offered": args.rate,
        "window": args.window,
        "users": outcomes.len(),
        "duration_s": args.duration,
        "sent": sent,
        "delivered_per_s": peer_per_s.min(echo_per_s),
        "peer_per_s": peer_per_s,
        "echo_per_s": echo_per_s,
        "peer_latency": peer,
        "echo_latency": echo,
        "send_lag": lag,
        "lost": tally.lost,
        "duplicated": tally.duplicated,
        "out_of_order": tally.out_of_order,
        "unacked": unacked,
        "rejected": rejected,
        "errors": errors,
        "closed_early": closed_early.len(),
        "counts": counts,
        "cpu": cpu,
    })
}

/// Lost, duplicated and out-of-order over every sender: each sender's echoes
/// against what its peer received from it.
fn tally(outcomes: &[UserOutcome]) -> Tally {
    let empty = StreamLedger::default();
    let mut by_user: BTreeMap<u32, &UserOutcome> = BTreeMap::new();
    for o in outcomes {
        if let Some(spec) = o.spec {
            by_user.insert(spec.idx, o);
        }
    }
    let mut total = Tally::default();
    for o in outcomes {
        let Some(spec) = o.spec else { continue };
        let peer_ledger = by_user.get(&spec.peer).map_or(&empty, |p| &p.from_peer);
        total.add(Tally::of_stream(peer_ledger, &o.echo));
    }
    total
}

fn lock(h: &Mutex<Histogram<u64>>) -> MutexGuard<'_, Histogram<u64>> {
    h.lock().unwrap_or_else(PoisonError::into_inner)
}
