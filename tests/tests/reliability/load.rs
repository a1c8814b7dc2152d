//! Load generation for the slow-consumer and overload tests: senders that stamp
//! each body with its send time (so a receiver in the same process measures
//! send → peer latency), closed-loop (a window of unacknowledged sends) or open
//! loop (a fixed schedule), and receivers that count and time what arrives.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::sync::Semaphore;
use tokio::time::Instant;

use crate::conn::{Event, Stream, event, send_frame};

/// Numbers each `send` call, for unique client ids.
static RUNS: AtomicU64 = AtomicU64::new(0);

/// Send → peer latencies, and how many messages arrived within a time window.
#[derive(Debug, Default)]
pub struct Received {
    /// Latencies of messages sent within the window.
    pub latencies: Vec<Duration>,
    /// Messages that arrived within the window.
    pub in_window: u64,
    pub total: u64,
    /// Whether the socket ended before `until`, and its Close code if it sent one.
    pub closed: bool,
    pub close_code: Option<u16>,
}

/// How the load is offered.
#[derive(Debug, Clone, Copy)]
pub enum Pace {
    /// At most this many unacknowledged sends.
    Window(usize),
    /// This many sends per second, whatever comes back.
    Rate(u64),
}

/// Sends stamped messages on `ws` to `thread` from now until `until`; returns how
/// many were sent and acknowledged. Acks are read concurrently so the server never
/// has to hold them. Client ids are unique per call: a reused one would be
/// answered from the store and never delivered.
pub async fn send(
    ws: Stream,
    thread: i64,
    pace: Pace,
    epoch: Instant,
    until: Instant,
) -> (u64, u64) {
    let (mut sink, mut stream) = ws.split();
    let acked = Arc::new(AtomicU64::new(0));
    let window = Arc::new(Semaphore::new(match pace {
        Pace::Window(n) => n,
        Pace::Rate(_) => 0,
    }));
    let closed_loop = matches!(pace, Pace::Window(_));
    let run = RUNS.fetch_add(1, Ordering::Relaxed);
    let reader = {
        let (acked, window) = (Arc::clone(&acked), Arc::clone(&window));
        tokio::spawn(async move {
            loop {
                match event(stream.next().await) {
                    Event::Message(m) if m.client_id.is_some() => {
                        acked.fetch_add(1, Ordering::Relaxed);
                        if closed_loop {
                            window.add_permits(1);
                        }
                    }
                    Event::Closed(_) => return,
                    _ => {}
                }
            }
        })
    };
    // `seq` is the schedule's position, `sent` what went out (a schedule more than a
    // second behind skips ahead: that load is not offered).
    let (mut seq, mut sent) = (0_u64, 0_u64);
    let mut tick = tokio::time::interval(Duration::from_millis(5));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let started = Instant::now();
    while Instant::now() < until {
        let due = match pace {
            Pace::Window(_) => {
                let Ok(Ok(permit)) = tokio::time::timeout_at(until, window.acquire()).await else {
                    break;
                };
                permit.forget();
                // Every free slot at once: one flush for the batch, as a busy client would.
                let more = window.available_permits();
                if let Ok(extra) = window.try_acquire_many(u32::try_from(more).unwrap_or(0)) {
                    extra.forget();
                }
                seq + 1 + u64::try_from(more).unwrap_or(0)
            }
            Pace::Rate(rate) => {
                tick.tick().await;
                let elapsed = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
                let due = elapsed.saturating_mul(rate) / 1_000_000;
                seq = seq.max(due.saturating_sub(rate));
                due
            }
        };
        while seq < due {
            let stamp = epoch.elapsed().as_micros();
            let body = format!("t {stamp} {seq}");
            let client_id = format!("{run}-{seq}");
            if sink
                .feed(send_frame(thread, &body, &client_id))
                .await
                .is_err()
            {
                return (sent, acked.load(Ordering::Relaxed));
            }
            seq += 1;
            sent += 1;
        }
        if sink.flush().await.is_err() {
            break;
        }
    }
    // Let the last acknowledgements arrive, then close.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let _ = sink.close().await;
    reader.abort();
    (sent, acked.load(Ordering::Relaxed))
}

/// Reads `ws` until `until` or `enough` messages, timing stamped messages; counts
/// arrivals within `window` (offsets from `epoch`), and latencies of messages sent
/// within it.
pub async fn receive(
    mut ws: Stream,
    epoch: Instant,
    window: (Duration, Duration),
    until: Instant,
    enough: u64,
) -> Received {
    let mut received = Received::default();
    while received.total < enough {
        let Ok(item) = tokio::time::timeout_at(until, ws.next()).await else {
            return received;
        };
        let now = epoch.elapsed();
        match event(item) {
            Event::Message(m) => {
                received.total += 1;
                if (window.0..window.1).contains(&now) {
                    received.in_window += 1;
                }
                let sent_at = m
                    .body
                    .strip_prefix("t ")
                    .and_then(|rest| rest.split(' ').next())
                    .and_then(|micros| micros.parse::<u64>().ok())
                    .map(Duration::from_micros);
                if let Some(sent_at) = sent_at
                    && (window.0..window.1).contains(&sent_at)
                {
                    received.latencies.push(now.saturating_sub(sent_at));
                }
            }
            Event::Closed(code) => {
                received.closed = true;
                received.close_code = code;
                return received;
            }
            _ => {}
        }
    }
    received
}

/// Sends `n` messages of about `len` bytes with at most `window` unacknowledged;
/// returns how many were acknowledged (all of them unless the socket ended).
pub async fn send_bodies(ws: Stream, thread: i64, n: u64, window: u64, len: usize) -> u64 {
    let (mut sink, mut stream) = ws.split();
    let padding = "x".repeat(len);
    let (mut sent, mut acked) = (0, 0);
    while acked < n {
        while sent < n && sent - acked < window {
            let body = format!("{sent:05} {padding}");
            if sink
                .feed(send_frame(thread, &body, &format!("f{sent}")))
                .await
                .is_err()
            {
                return acked;
            }
            sent += 1;
        }
        if sink.flush().await.is_err() {
            return acked;
        }
        let next = tokio::time::timeout(Duration::from_secs(10), stream.next()).await;
        match next.map(event) {
            Ok(Event::Message(m)) if m.client_id.is_some() => acked += 1,
            Ok(Event::Closed(_)) | Err(_) => return acked,
            Ok(_) => {}
        }
    }
    let _ = sink.close().await;
    acked
}
