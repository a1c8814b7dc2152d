//! `connect`: authenticated WebSocket upgrades per second. Each worker loops:
//! TCP connect, upgrade with the session cookie (handshake time = connect start
//! to the 101), wait for `hello`, close politely, and again.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use hdrhistogram::Histogram;
use tokio::time::Instant;

use crate::BenchError;
use crate::measure::{self, CpuMeter, LatencySummary, latency_histogram};
use crate::state::State;
use crate::ws::{self, Target};

/// What `connect` is asked to do.
#[derive(Debug, Clone, clap::Args)]
pub struct ConnectArgs {
    /// Seconds to run.
    #[arg(long, default_value_t = 10.0)]
    pub duration: f64,
    /// Upgrades in flight at once.
    #[arg(long, default_value_t = 32)]
    pub concurrency: usize,
}

#[derive(Default)]
struct WorkerResult {
    ok: u64,
    failures: BTreeMap<String, u64>,
    handshake: Option<Histogram<u64>>,
    hello: Option<Histogram<u64>>,
}

/// Runs `connect`.
pub async fn run(
    addr: SocketAddr,
    state: Arc<State>,
    args: &ConnectArgs,
    server_pid: Option<u32>,
) -> Result<serde_json::Value, BenchError> {
    if state.users.is_empty() {
        return Err(BenchError::Protocol(
            "the state file has no users".to_owned(),
        ));
    }
    println!(
        "connect: {} workers for {:.1} s, cycling {} users' sessions",
        args.concurrency,
        args.duration,
        state.users.len()
    );
    let meter = CpuMeter::start(server_pid);
    let deadline = Instant::now() + Duration::from_secs_f64(args.duration.max(0.1));
    let workers: Vec<_> = (0..args.concurrency.max(1))
        .map(|w| {
            tokio::spawn(worker(
                addr,
                Arc::clone(&state),
                w,
                args.concurrency.max(1),
                deadline,
            ))
        })
        .collect();
    let mut handshake = latency_histogram();
    let mut hello = latency_histogram();
    let mut ok = 0;
    let mut failures: BTreeMap<String, u64> = BTreeMap::new();
    for w in workers {
        let r = w.await.unwrap_or_default();
        ok += r.ok;
        for (k, n) in r.failures {
            *failures.entry(k).or_default() += n;
        }
        if let Some(h) = r.handshake {
            let _ = handshake.add(&h);
        }
        if let Some(h) = r.hello {
            let _ = hello.add(&h);
        }
    }
    let cpu = meter.finish();
    #[allow(clippy::cast_precision_loss)]
    let per_s = ok as f64 / cpu.wall_s;
    let handshake = LatencySummary::of(&handshake);
    let hello = LatencySummary::of(&hello);
    println!("{ok} authenticated upgrades, {per_s:.0}/s; failures {failures:?}");
    println!("connect -> 101    {handshake}");
    println!("connect -> hello  {hello}");
    println!("{cpu}");
    Ok(serde_json::json!({
        "upgrades": ok,
        "upgrades_per_s": per_s,
        "failures": failures,
        "handshake_latency": handshake,
        "hello_latency": hello,
        "concurrency": args.concurrency,
        "cpu": cpu,
    }))
}

async fn worker(
    addr: SocketAddr,
    state: Arc<State>,
    first: usize,
    stride: usize,
    deadline: Instant,
) -> WorkerResult {
    let mut out = WorkerResult {
        handshake: Some(latency_histogram()),
        hello: Some(latency_histogram()),
        ..WorkerResult::default()
    };
    let mut i = first;
    while Instant::now() < deadline {
        let user = &state.users[i % state.users.len()];
        i += stride;
        let target = Target {
            addr,
            path: "/ws",
            session: &user.session,
            source: None,
        };
        match once(target).await {
            Ok((hs, hello)) => {
                out.ok += 1;
                if let Some(h) = out.handshake.as_mut() {
                    measure::record(h, hs);
                }
                if let Some(h) = out.hello.as_mut() {
                    measure::record(h, hello);
                }
            }
            Err(e) => {
                *out.failures.entry(e.kind()).or_default() += 1;
                // Do not spin on a refused port.
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }
    out
}

/// One upgrade: returns (connect → 101, connect → hello).
async fn once(target: Target<'_>) -> Result<(Duration, Duration), BenchError> {
    let started = Instant::now();
    let (mut socket, handshake) = ws::connect(target).await?;
    ws::expect_hello(&mut socket).await?;
    let hello = started.elapsed();
    // Close first and let the server drop the TCP connection, so TIME_WAIT
    // lands on its side and the client's ephemeral ports are not used up.
    let close = async {
        socket
            .send(tokio_tungstenite::tungstenite::Message::Close(None))
            .await?;
        while let Some(msg) = socket.next().await {
            msg?;
        }
        Ok::<_, BenchError>(())
    };
    let _ = tokio::time::timeout(Duration::from_secs(2), close).await;
    Ok((handshake, hello))
}
