//! One simulated user: holds one socket, sends (paced or closed-loop), and books
//! every message frame it receives.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, PoisonError};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::sync::watch;
use tokio::time::{Instant, Interval, MissedTickBehavior};
use tokio_tungstenite::tungstenite::Message;

use super::{Pacing, Shared};
use crate::body::{self, BenchBody};
use crate::ledger::{Receipt, StreamLedger};
use crate::measure;
use crate::ws::{ServerFrame, Ws, send_frame};

/// Who this user is and whom they talk to.
#[derive(Debug, Clone, Copy)]
pub struct UserSpec {
    pub idx: u32,
    pub peer: u32,
    pub thread: i64,
}

/// What one user saw by the end.
#[derive(Debug, Default)]
pub struct UserOutcome {
    pub spec: Option<UserSpec>,
    pub sent: u64,
    /// The user's own messages as echoed back (the acknowledgements).
    pub echo: StreamLedger,
    /// The peer's messages as received.
    pub from_peer: StreamLedger,
    /// Messages of other runs or users (should stay 0 in a fresh thread).
    pub foreign: u64,
    /// Echoes without the right `client_id`, or peer copies carrying one.
    pub bad_client_id: u64,
    /// `error` frames by code.
    pub errors: BTreeMap<String, u64>,
    /// Sends answered by an `error` frame (no echo will come).
    pub rejected: u64,
    /// The socket closed or failed before the run ended.
    pub closed_early: Option<String>,
}

struct User {
    spec: UserSpec,
    shared: Arc<Shared>,
    ws: Ws,
    next_seq: u64,
    out: UserOutcome,
}

/// Runs one user until `stop` turns true or the socket ends.
pub(super) async fn run(
    ws: Ws,
    spec: UserSpec,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<bool>,
) -> UserOutcome {
    let mut ticker = ticker(&shared, spec.idx);
    let mut user = User {
        spec,
        shared,
        ws,
        next_seq: 0,
        out: UserOutcome {
            spec: Some(spec),
            ..UserOutcome::default()
        },
    };
    tokio::time::sleep_until(user.shared.start).await;
    if let Pacing::ClosedLoop { window } = user.shared.pacing {
        for _ in 0..window {
            user.send_now(None).await;
        }
    }
    loop {
        let paced = ticker.is_some();
        tokio::select! {
            biased;
            _ = stop.changed() => break,
            msg = user.ws.next() => match msg {
                Some(Ok(Message::Text(text))) => user.on_text(text.as_str()).await,
                Some(Ok(Message::Close(frame))) => {
                    user.out.closed_early = Some(format!("closed by server: {frame:?}"));
                    break;
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => {
                    user.out.closed_early = Some(format!("socket error: {e}"));
                    break;
                }
                None => {
                    user.out.closed_early = Some("socket ended".to_owned());
                    break;
                }
            },
            at = tick(&mut ticker), if paced => {
                if at >= user.shared.stop_sending {
                    ticker = None;
                } else {
                    user.send_now(Some(at)).await;
                }
            }
        }
    }
    let _ = tokio::time::timeout(Duration::from_secs(1), user.ws.close(None)).await;
    user.out
}

impl User {
    /// Sends the next message, stamped with the time it is written. In open
    /// loop, how late that is against its schedule is recorded apart, so a
    /// generator that falls behind shows up instead of hiding.
    async fn send_now(&mut self, scheduled: Option<Instant>) {
        let shared = &self.shared;
        let stamp = Instant::now();
        if let Some(scheduled) = scheduled {
            let mut h = shared
                .send_lag
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            measure::record(&mut h, stamp.saturating_duration_since(scheduled));
        }
        let bench = BenchBody {
            run: &shared.run,
            sender: self.spec.idx,
            seq: self.next_seq,
            sent_us: shared.micros_at(stamp),
        };
        let text = bench.encode(shared.body_size);
        let client_id = bench.client_id();
        let Ok(frame) = send_frame(self.spec.thread, &text, &client_id) else {
            return;
        };
        if let Err(e) = self.ws.send(frame).await {
            self.out
                .closed_early
                .get_or_insert(format!("send failed: {e}"));
            return;
        }
        self.next_seq += 1;
        self.out.sent += 1;
        shared.sent.fetch_add(1, Ordering::Relaxed);
    }

    async fn on_text(&mut self, text: &str) {
        let Ok(frame) = serde_json::from_str::<ServerFrame<'_>>(text) else {
            *self
                .out
                .errors
                .entry("unparsable_frame".to_owned())
                .or_default() += 1;
            return;
        };
        match frame.kind.as_ref() {
            "message" => self.on_message(&frame).await,
            "error" => {
                let code = frame.code.as_deref().unwrap_or("?").to_owned();
                *self.out.errors.entry(code).or_default() += 1;
                if frame.client_id.is_some() {
                    self.out.rejected += 1;
                    self.shared.rejected.fetch_add(1, Ordering::Relaxed);
                    self.send_more().await;
                }
            }
            _ => {}
        }
    }

    async fn on_message(&mut self, frame: &ServerFrame<'_>) {
        let shared = Arc::clone(&self.shared);
        let Some(body) = frame.body.as_deref().and_then(body::parse) else {
            self.out.foreign += 1;
            return;
        };
        if body.run != shared.run || frame.thread != Some(self.spec.thread) {
            self.out.foreign += 1;
            return;
        }
        let now_us = shared.micros_at(Instant::now());
        let latency_us = now_us.saturating_sub(body.sent_us).max(1);
        let measured = shared.in_window(body.sent_us);
        let received_in_window = shared.in_window(now_us);
        if body.sender == self.spec.idx {
            let expected_id = body.client_id();
            if frame.client_id.as_deref() != Some(expected_id.as_str()) {
                self.out.bad_client_id += 1;
            }
            if self.out.echo.record(body.seq) == Receipt::Duplicate {
                return;
            }
            shared.echoed.fetch_add(1, Ordering::Relaxed);
            if received_in_window {
                shared.echo_in_window.fetch_add(1, Ordering::Relaxed);
            }
            if measured {
                let mut h = shared
                    .echo_latency
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner);
                h.saturating_record(latency_us);
            }
            self.send_more().await;
        } else if body.sender == self.spec.peer {
            if frame.client_id.is_some() {
                self.out.bad_client_id += 1;
            }
            if self.out.from_peer.record(body.seq) == Receipt::Duplicate {
                return;
            }
            shared.peer_received.fetch_add(1, Ordering::Relaxed);
            if received_in_window {
                shared.peer_in_window.fetch_add(1, Ordering::Relaxed);
            }
            if measured {
                let mut h = shared
                    .peer_latency
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner);
                h.saturating_record(latency_us);
            }
        } else {
            self.out.foreign += 1;
        }
    }

    /// Closed loop: one answered send makes room for the next one.
    async fn send_more(&mut self) {
        if matches!(self.shared.pacing, Pacing::ClosedLoop { .. })
            && Instant::now() < self.shared.stop_sending
        {
            self.send_now(None).await;
        }
    }
}

/// Open loop: this user's share of the offered rate, phase-shifted by user so
/// the sends spread evenly over each period.
fn ticker(shared: &Shared, idx: u32) -> Option<Interval> {
    let Pacing::Rate { per_user_period } = shared.pacing else {
        return None;
    };
    let phase = per_user_period.mul_f64(f64::from(idx) / f64::from(shared.n_users.max(1)));
    let phase = Duration::from_nanos(
        u64::try_from(phase.as_nanos()).unwrap_or(0)
            % u64::try_from(per_user_period.as_nanos())
                .unwrap_or(1)
                .max(1),
    );
    let mut interval = tokio::time::interval_at(shared.start + phase, per_user_period);
    interval.set_missed_tick_behavior(MissedTickBehavior::Burst);
    Some(interval)
}

async fn tick(ticker: &mut Option<Interval>) -> Instant {
    match ticker {
        Some(t) => t.tick().await,
        None => std::future::pending().await,
    }
}
