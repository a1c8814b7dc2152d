//! One simulated user: a socket that sends (through an [`Outbox`]), receives,
//! checks order, disconnects on schedule, reconnects to wherever the server now
//! listens, resumes after the last id it saw and resends what was not acknowledged.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::sync::watch;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;

use crate::conn::{Event, OrderCheck, Outbox, Stream, open, resume_frame};

/// Pause between connection attempts while the server is down.
const RETRY: Duration = Duration::from_millis(20);
/// A connection silent this long while work is pending is dropped and reopened.
const STALL: Duration = Duration::from_secs(5);
/// How often a waiting peer looks at the stop signal and the deadline.
const POLL: Duration = Duration::from_millis(100);

/// What one peer does.
pub struct Plan {
    pub name: String,
    pub cookie: String,
    /// `None`: only receives.
    pub outbox: Option<Outbox>,
    /// Messages to create; `u64::MAX` sends until the stop signal.
    pub limit: u64,
    /// Drop the connection (no Close frame) once this many messages were received
    /// or acknowledged in total; ascending.
    pub disconnect_at: Vec<u64>,
    /// Reconnect after the connection ends (otherwise return).
    pub reconnect: bool,
    /// Receive-only peers: done once this many distinct messages arrived.
    pub expect: Option<usize>,
    /// Give up (with an error) after this.
    pub deadline: Instant,
}

/// What one peer saw.
#[derive(Debug, Default)]
pub struct Report {
    pub name: String,
    pub outbox: Option<Outbox>,
    /// Distinct ids of other users' messages, in arrival order.
    pub received: Vec<i64>,
    pub duplicates: Vec<i64>,
    pub out_of_order: Vec<(i64, i64)>,
    pub connections: usize,
    /// How each connection ended: a Close code, `None` for a drop or a close without code.
    pub endings: Vec<Option<u16>>,
}

/// Runs `plan` until done; `addr` follows server restarts, `stop` ends sending.
pub async fn run(
    mut plan: Plan,
    addr: watch::Receiver<SocketAddr>,
    stop: watch::Receiver<bool>,
) -> Result<Report, String> {
    let mut state = State {
        report: Report {
            name: plan.name.clone(),
            ..Report::default()
        },
        seen: HashSet::new(),
        events: 0,
        last_id: 0,
        resuming: false,
    };
    let mut disconnects = std::mem::take(&mut plan.disconnect_at)
        .into_iter()
        .peekable();
    loop {
        if state.done(&plan, &stop) {
            break;
        }
        if Instant::now() > plan.deadline {
            return Err(format!(
                "{}: not done by the deadline: {}",
                plan.name,
                state.summary(&plan)
            ));
        }
        let target = *addr.borrow();
        let Ok((ws, hello_last_id)) = open(target, &plan.cookie).await else {
            tokio::time::sleep(RETRY).await;
            continue;
        };
        state.report.connections += 1;
        let disconnect_at = disconnects.peek().copied();
        let ending = state
            .connection(&mut plan, ws, hello_last_id, disconnect_at, &stop)
            .await?;
        if matches!(ending, Ending::Scheduled) {
            disconnects.next();
        }
        if let Ending::Closed(code) = ending {
            state.report.endings.push(code);
            if !plan.reconnect {
                break;
            }
        }
    }
    state.report.outbox = plan.outbox.take();
    Ok(state.report)
}

enum Ending {
    Done,
    Scheduled,
    Closed(Option<u16>),
}

struct State {
    report: Report,
    seen: HashSet<i64>,
    /// Messages received plus acknowledgements, over all connections.
    events: u64,
    /// Every message up to this id has arrived: where a resume starts.
    last_id: i64,
    /// A `resume` was sent on this connection and its `resumed` has not come yet.
    resuming: bool,
}

impl State {
    fn done(&self, plan: &Plan, stop: &watch::Receiver<bool>) -> bool {
        let sent = plan
            .outbox
            .as_ref()
            .is_none_or(|o| o.settled() && (o.created() >= plan.limit || *stop.borrow()));
        let received = plan.expect.is_none_or(|n| self.seen.len() >= n);
        let receive_only_stopped = plan.outbox.is_some() || plan.expect.is_some() || *stop.borrow();
        sent && received && receive_only_stopped
    }

    fn summary(&self, plan: &Plan) -> String {
        let outbox = plan.outbox.as_ref().map_or_else(String::new, |o| {
            format!("{} created, {} unacknowledged; ", o.created(), o.unacked())
        });
        format!(
            "{outbox}{} received, {} connections",
            self.seen.len(),
            self.report.connections
        )
    }

    async fn connection(
        &mut self,
        plan: &mut Plan,
        ws: Stream,
        hello_last_id: i64,
        disconnect_at: Option<u64>,
        stop: &watch::Receiver<bool>,
    ) -> Result<Ending, String> {
        let (mut sink, mut stream) = ws.split();
        let mut order = OrderCheck::new(hello_last_id, self.last_id);
        let mut outgoing: Vec<Message> = Vec::new();
        // Always resume: messages may have been stored between this user's last
        // frame (or its start) and this socket's `hello`.
        outgoing.push(resume_frame(self.last_id));
        self.resuming = true;
        if let Some(outbox) = plan.outbox.as_mut() {
            outgoing.extend(outbox.resend());
        }
        let mut last_frame = Instant::now();
        let ending = loop {
            if let Some(outbox) = plan.outbox.as_mut() {
                let limit = if *stop.borrow() {
                    outbox.created()
                } else {
                    plan.limit
                };
                outgoing.extend(outbox.fill(limit));
            }
            if !outgoing.is_empty() && send_all(&mut sink, &mut outgoing).await.is_err() {
                // The server may have closed first: its Close frame may still be unread.
                break Ending::Closed(closing_code(&mut stream).await);
            }
            if self.done(plan, stop) {
                let _ = sink.close().await;
                break Ending::Done;
            }
            if disconnect_at.is_some_and(|at| self.events >= at) {
                break Ending::Scheduled; // dropping both halves closes TCP without a Close frame
            }
            if Instant::now() > plan.deadline {
                break Ending::Closed(None); // the caller reports the deadline
            }
            let item = match tokio::time::timeout(POLL, stream.next()).await {
                Ok(item) => {
                    last_frame = Instant::now();
                    item
                }
                Err(_) if last_frame.elapsed() > STALL && !self.done(plan, stop) => {
                    break Ending::Closed(None);
                }
                Err(_) => continue,
            };
            match crate::conn::event(item) {
                Event::Message(msg) => self.on_message(plan, &msg, &mut order)?,
                Event::Error(error) => return Err(format!("{}: {error}", plan.name)),
                Event::Closed(code) => break Ending::Closed(code),
                Event::Resumed {
                    truncated: true, ..
                } => {
                    return Err(format!(
                        "{}: resume truncated (more than 1,000 missed)",
                        plan.name
                    ));
                }
                Event::Resumed { last_id, .. } => {
                    // Everything up to `last_id` has now arrived: live frames newer
                    // than the hello, and the replay of the older ones.
                    self.last_id = self.last_id.max(last_id);
                    self.resuming = false;
                }
                Event::Other => {}
            }
        };
        self.report.out_of_order.extend(order.violations);
        Ok(ending)
    }

    fn on_message(
        &mut self,
        plan: &mut Plan,
        msg: &crate::conn::Msg,
        order: &mut OrderCheck,
    ) -> Result<(), String> {
        self.events += 1;
        let in_order = if msg.sender == plan.name {
            match plan.outbox.as_mut() {
                Some(outbox) => outbox.on_message(msg)?,
                None => true,
            }
        } else {
            if self.seen.insert(msg.id) {
                self.report.received.push(msg.id);
            } else {
                self.report.duplicates.push(msg.id);
            }
            true
        };
        if in_order {
            order.saw(msg.id);
            // Until `resumed`, live frames may be ahead of a replay still to come:
            // resuming from them would skip it.
            if !self.resuming {
                self.last_id = self.last_id.max(msg.id);
            }
        }
        Ok(())
    }
}

async fn send_all<S>(sink: &mut S, outgoing: &mut Vec<Message>) -> Result<(), S::Error>
where
    S: SinkExt<Message> + Unpin,
{
    for message in outgoing.drain(..) {
        sink.feed(message).await?;
    }
    sink.flush().await
}

/// After a failed write: the code of a Close frame still in the read buffer, if any.
async fn closing_code<S>(stream: &mut S) -> Option<u16>
where
    S: StreamExt<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    let drain = async {
        loop {
            if let Event::Closed(code) = crate::conn::event(stream.next().await) {
                return code;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(1), drain)
        .await
        .ok()
        .flatten()
}
