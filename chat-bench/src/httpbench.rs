//! `http`: `GET /threads/{id}` (the thread page, its newest 50 messages) over
//! keep-alive connections, each as a member of its thread.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use hdrhistogram::Histogram;
use http::StatusCode;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;

use crate::BenchError;
use crate::http::HttpConn;
use crate::measure::{self, CpuMeter, LatencySummary, latency_histogram};
use crate::state::{BenchThread, State, random_hex};
use crate::ws::{self, ServerFrame, Target};

/// What `http` is asked to do.
#[derive(Debug, Clone, clap::Args)]
pub struct HttpArgs {
    /// Keep-alive connections, each looping requests.
    #[arg(long, default_value_t = 50)]
    pub connections: usize,
    /// Seconds measured.
    #[arg(long, default_value_t = 10.0)]
    pub duration: f64,
    /// Seconds of requests before measuring starts.
    #[arg(long, default_value_t = 1.0)]
    pub warmup: f64,
    /// Messages sent into each thread used before measuring, so its page is full.
    #[arg(long, default_value_t = 50)]
    pub seed: usize,
    /// Use at most this many distinct threads (connections share them round-robin).
    #[arg(long, default_value_t = 10)]
    pub threads: usize,
}

#[derive(Default)]
struct ConnResult {
    ok: u64,
    bytes: u64,
    failures: BTreeMap<String, u64>,
    latency: Option<Histogram<u64>>,
}

/// Runs `http`.
pub async fn run(
    addr: SocketAddr,
    state: Arc<State>,
    args: &HttpArgs,
    server_pid: Option<u32>,
) -> Result<serde_json::Value, BenchError> {
    let threads: Vec<BenchThread> = state
        .threads
        .iter()
        .take(args.threads.max(1))
        .copied()
        .collect();
    if threads.is_empty() {
        return Err(BenchError::Protocol(
            "the state file has no threads".to_owned(),
        ));
    }
    for t in &threads {
        seed(addr, &state, *t, args.seed).await?;
    }
    println!(
        "http: GET /threads/{{id}} on {} keep-alive connections over {} threads (each seeded with {} messages), {:.1} s",
        args.connections,
        threads.len(),
        args.seed,
        args.duration
    );
    let start = Instant::now();
    let measure_from = start + Duration::from_secs_f64(args.warmup.max(0.0));
    let deadline = measure_from + Duration::from_secs_f64(args.duration.max(0.1));
    let conns: Vec<_> = (0..args.connections.max(1))
        .map(|i| {
            let t = threads[i % threads.len()];
            let cookie = format!("chat_session={}", state.users[t.a as usize].session);
            tokio::spawn(conn_loop(
                addr,
                format!("/threads/{}", t.id),
                cookie,
                measure_from,
                deadline,
            ))
        })
        .collect();
    tokio::time::sleep_until(measure_from).await;
    let meter = CpuMeter::start(server_pid);
    tokio::time::sleep_until(deadline).await;
    let cpu = meter.finish();
    let mut latency = latency_histogram();
    let (mut ok, mut bytes) = (0, 0);
    let mut failures: BTreeMap<String, u64> = BTreeMap::new();
    for c in conns {
        let r = c.await.unwrap_or_default();
        ok += r.ok;
        bytes += r.bytes;
        for (k, n) in r.failures {
            *failures.entry(k).or_default() += n;
        }
        if let Some(h) = r.latency {
            let _ = latency.add(&h);
        }
    }
    #[allow(clippy::cast_precision_loss)]
    let (per_s, avg_bytes) = (
        ok as f64 / args.duration.max(0.1),
        bytes as f64 / ok.max(1) as f64,
    );
    let latency = LatencySummary::of(&latency);
    println!("{ok} responses, {per_s:.0} req/s, {avg_bytes:.0} bytes each; failures {failures:?}");
    println!("request latency  {latency}");
    println!("{cpu}");
    Ok(serde_json::json!({
        "requests": ok,
        "requests_per_s": per_s,
        "avg_body_bytes": avg_bytes,
        "failures": failures,
        "latency": latency,
        "connections": args.connections,
        "cpu": cpu,
    }))
}

async fn conn_loop(
    addr: SocketAddr,
    path: String,
    cookie: String,
    measure_from: Instant,
    deadline: Instant,
) -> ConnResult {
    let mut out = ConnResult {
        latency: Some(latency_histogram()),
        ..ConnResult::default()
    };
    let mut conn = None;
    while Instant::now() < deadline {
        let c = match conn.as_mut() {
            Some(c) => c,
            None => match HttpConn::open(addr).await {
                Ok(c) => conn.insert(c),
                Err(e) => {
                    *out.failures.entry(e.kind()).or_default() += 1;
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
        };
        let sent = Instant::now();
        let result = c.get(&path, Some(&cookie)).await;
        let done = Instant::now();
        let counted = sent >= measure_from && done <= deadline;
        match result {
            Ok(r) if r.status == StatusCode::OK => {
                if counted {
                    out.ok += 1;
                    out.bytes += r.body.len() as u64;
                    if let Some(h) = out.latency.as_mut() {
                        measure::record(h, done - sent);
                    }
                }
            }
            Ok(r) => {
                let kind = format!("status:{}", r.status.as_u16());
                *out.failures.entry(kind).or_default() += 1;
            }
            Err(e) => {
                *out.failures.entry(e.kind()).or_default() += 1;
                conn = None;
            }
        }
    }
    out
}

/// Sends `n` messages into `thread` as its first member and waits for their echoes.
async fn seed(
    addr: SocketAddr,
    state: &State,
    thread: BenchThread,
    n: usize,
) -> Result<(), BenchError> {
    if n == 0 {
        return Ok(());
    }
    let target = Target {
        addr,
        path: "/ws",
        session: &state.users[thread.a as usize].session,
        source: None,
    };
    let (mut socket, _) = ws::connect(target).await?;
    ws::expect_hello(&mut socket).await?;
    let run = random_hex(4)?;
    for i in 0..n {
        let body = format!("seed {run} {i} the quick brown fox jumps over the lazy dog");
        socket
            .feed(ws::send_frame(
                thread.id,
                &body,
                &format!("seed-{run}-{i}"),
            )?)
            .await?;
    }
    socket.flush().await?;
    let mut echoed = 0;
    let wait = async {
        while echoed < n {
            let Some(msg) = socket.next().await else {
                break;
            };
            if let Message::Text(text) = msg? {
                let frame: ServerFrame<'_> = serde_json::from_str(text.as_str())?;
                if frame.kind == "message"
                    && frame.client_id.is_some_and(|c| c.starts_with("seed-"))
                {
                    echoed += 1;
                }
            }
        }
        Ok::<_, BenchError>(())
    };
    tokio::time::timeout(Duration::from_secs(30), wait)
        .await
        .map_err(|_| BenchError::Timeout("seed echoes"))??;
    let _ = socket.close(None).await;
    if echoed < n {
        return Err(BenchError::Protocol(format!(
            "seeded {echoed} of {n} messages"
        )));
    }
    Ok(())
}
