//! One soak user: sends on a fixed schedule, drops its socket when told, then
//! reconnects, resumes after the last id it saw and resends every send not yet
//! acknowledged (same client id), as the browser client does.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::sync::{Notify, watch};
use tokio::time::{Instant, MissedTickBehavior};
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

use super::Shared;
use crate::body::{self, BenchBody};
use crate::chat::user::UserSpec;
use crate::ledger::{Receipt, StreamLedger};
use crate::ws::{self, ServerFrame, Target, Ws, send_frame};

/// Connection attempts before a user gives up.
const CONNECT_ATTEMPTS: u32 = 20;

/// Everything one user needs.
pub(crate) struct SoakUser {
    pub spec: UserSpec,
    pub session: String,
    pub shared: Arc<Shared>,
    pub drop_signal: Arc<Notify>,
}

/// What one user saw.
#[derive(Debug, Default)]
pub(crate) struct UserOutcome {
    pub spec: Option<UserSpec>,
    pub sent: u64,
    /// Own messages acknowledged (echoed with their client id).
    pub acked: StreamLedger,
    /// The peer's messages received.
    pub from_peer: StreamLedger,
    pub duplicated_from_peer: u64,
    /// Messages against the per-connection order rule (live in id order; the
    /// replay after `resume` in id order).
    pub out_of_order: u64,
    pub reconnects: u64,
    /// Sends never acknowledged by the end.
    pub unacked: u64,
    pub failed: Option<String>,
}

/// Per-connection order bookkeeping.
struct Order {
    hello_last_id: i64,
    last_history: i64,
    last_live: i64,
}

struct Session {
    user: SoakUser,
    out: UserOutcome,
    /// Sent, not acknowledged: seq → the body and client id as first sent.
    pending: BTreeMap<u64, (String, String)>,
    /// Resent on the current connection (their answers may come out of id order).
    resent: BTreeSet<u64>,
    next_seq: u64,
    /// Every message up to this id has arrived: where a resume starts.
    last_id: i64,
    /// A `resume` was sent on this connection and its `resumed` has not come yet.
    resuming: bool,
}

impl SoakUser {
    /// Runs until `stop` turns true; sending ends at the shared `stop_sending`.
    pub async fn run(self, mut stop: watch::Receiver<bool>) -> UserOutcome {
        let spec = self.spec;
        let mut session = Session {
            user: self,
            out: UserOutcome {
                spec: Some(spec),
                ..UserOutcome::default()
            },
            pending: BTreeMap::new(),
            resent: BTreeSet::new(),
            next_seq: 0,
            last_id: 0,
            resuming: false,
        };
        let mut ticker = tokio::time::interval(session.user.shared.per_user_period);
        ticker.set_missed_tick_behavior(MissedTickBehavior::Burst);
        let mut first = true;
        while !*stop.borrow() {
            let Some((ws, hello_last_id)) = session.connect().await else {
                break;
            };
            if !first {
                session.out.reconnects += 1;
            }
            first = false;
            if session
                .serve(ws, hello_last_id, &mut ticker, &mut stop)
                .await
            {
                break;
            }
        }
        session.out.unacked = session.pending.len() as u64;
        session.out
    }
}

impl Session {
    async fn connect(&mut self) -> Option<(Ws, i64)> {
        let mut last_error = String::new();
        for attempt in 0..CONNECT_ATTEMPTS {
            let target = Target {
                addr: self.user.shared.addr,
                path: "/ws",
                session: &self.user.session,
                source: None,
            };
            match ws::connect(target).await {
                Ok((mut socket, _)) => match ws::expect_hello(&mut socket).await {
                    Ok(last_id) => return Some((socket, last_id)),
                    Err(e) => last_error = e.to_string(),
                },
                Err(e) => last_error = e.to_string(),
            }
            tokio::time::sleep(Duration::from_millis(50 << attempt.min(5))).await;
        }
        self.out.failed = Some(format!("cannot reconnect: {last_error}"));
        None
    }

    /// Serves one connection; true when the user is done (stopped or failed).
    async fn serve(
        &mut self,
        mut ws: Ws,
        hello_last_id: i64,
        ticker: &mut tokio::time::Interval,
        stop: &mut watch::Receiver<bool>,
    ) -> bool {
        let mut order = Order {
            hello_last_id,
            last_history: self.last_id,
            last_live: hello_last_id,
        };
        // Always resume, on the first connection too: the peer may have sent
        // before this socket's `hello`.
        if self.resume_and_resend(&mut ws).await.is_err() {
            return false;
        }
        let drop_signal = Arc::clone(&self.user.drop_signal);
        loop {
            let sending = Instant::now() < self.user.shared.stop_sending;
            tokio::select! {
                biased;
                _ = stop.changed() => {
                    let _ = tokio::time::timeout(Duration::from_secs(1), ws.close(None)).await;
                    return true;
                }
                () = drop_signal.notified() => return false, // dropped: no Close frame
                item = ws.next() => match item {
                    Some(Ok(Message::Text(text))) => self.on_text(text.as_str(), &mut order),
                    Some(Ok(_)) => {}
                    Some(Err(_)) | None => return false,
                },
                _ = ticker.tick(), if sending => {
                    if self.send_new(&mut ws).await.is_err() {
                        return false;
                    }
                }
            }
        }
    }

    async fn resume_and_resend(&mut self, ws: &mut Ws) -> Result<(), ()> {
        let resume = format!("{{\"type\":\"resume\",\"after\":{}}}", self.last_id);
        ws.feed(Message::Text(Utf8Bytes::from(resume)))
            .await
            .map_err(drop)?;
        self.resuming = true;
        self.resent = self.pending.keys().copied().collect();
        for (text, client_id) in self.pending.values() {
            let frame = send_frame(self.user.spec.thread, text, client_id).map_err(drop)?;
            ws.feed(frame).await.map_err(drop)?;
        }
        ws.flush().await.map_err(drop)
    }

    async fn send_new(&mut self, ws: &mut Ws) -> Result<(), ()> {
        let shared = &self.user.shared;
        let seq = self.next_seq;
        let bench = BenchBody {
            run: &shared.run,
            sender: self.user.spec.idx,
            seq,
            sent_us: u64::try_from(shared.origin.elapsed().as_micros()).unwrap_or(u64::MAX),
        };
        let text = bench.encode(shared.body_size);
        let client_id = bench.client_id();
        let frame = send_frame(self.user.spec.thread, &text, &client_id).map_err(drop)?;
        // Pending from now on: if the write fails, the reconnect resends it
        // (same text, same client id).
        self.pending.insert(seq, (text, client_id));
        self.next_seq += 1;
        self.out.sent += 1;
        shared.sent.fetch_add(1, Ordering::Relaxed);
        ws.send(frame).await.map_err(drop)
    }

    fn on_text(&mut self, text: &str, order: &mut Order) {
        let Ok(frame) = serde_json::from_str::<ServerFrame<'_>>(text) else {
            return;
        };
        if frame.kind == "resumed" {
            // Everything up to `last_id` has now arrived (live frames newer than
            // the hello, and the replay of the older ones).
            self.last_id = self.last_id.max(frame.last_id.unwrap_or(0));
            self.resuming = false;
            return;
        }
        if frame.kind != "message" {
            return;
        }
        let (Some(id), Some(bench)) = (frame.id, frame.body.as_deref().and_then(body::parse))
        else {
            return;
        };
        let shared = &self.user.shared;
        if bench.run != shared.run {
            return;
        }
        let spec = self.user.spec;
        let in_order = if bench.sender == spec.idx {
            let first = self.out.acked.record(bench.seq) != Receipt::Duplicate;
            if self.pending.remove(&bench.seq).is_some() && first {
                shared.acked.fetch_add(1, Ordering::Relaxed);
            }
            !self.resent.contains(&bench.seq)
        } else if bench.sender == spec.peer {
            if self.out.from_peer.record(bench.seq) == Receipt::Duplicate {
                self.out.duplicated_from_peer += 1;
            } else {
                shared.peer_received.fetch_add(1, Ordering::Relaxed);
            }
            true
        } else {
            false
        };
        if in_order {
            let last = if id <= order.hello_last_id {
                &mut order.last_history
            } else {
                &mut order.last_live
            };
            if id <= *last {
                self.out.out_of_order += 1;
            }
            *last = (*last).max(id);
            // Until `resumed`, live frames may be ahead of a replay still to come.
            if !self.resuming {
                self.last_id = self.last_id.max(id);
            }
        }
    }
}
