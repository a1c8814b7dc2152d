//! (d) Overload: the saturation rate is measured (closed loop), then twice that is
//! offered (open loop) while a storm of extra connections hits a small connection
//! cap. The server stays up, sheds load (503 beyond the cap; senders are slowed by
//! TCP since each socket's frames are handled one at a time), and keeps delivering
//! at least 80% of the saturation rate.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

use crate::conn::open;
use crate::load::{Pace, receive, send};
use crate::support::{Client, TestServer};
use crate::{pairs, serial};

const PAIRS: usize = 6;
const MAX_CONNECTIONS: usize = 40;
/// Extra connections opened during the overload (more than the cap leaves free).
const STORM: usize = 60;
const WARMUP: Duration = Duration::from_millis(500);
const MEASURE: Duration = Duration::from_secs(3);
/// Unacknowledged sends per sender in the closed loop.
const WINDOW: usize = 64;
const ATTEMPTS: usize = 3;

#[derive(Debug, Default)]
struct Phase {
    delivered_per_sec: f64,
    sent: u64,
    acked: u64,
    closed_sockets: usize,
    storm_ok: usize,
    storm_503: usize,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twice_the_saturation_rate_is_shed_and_throughput_holds() {
    let _serial = serial().await;
    let max = MAX_CONNECTIONS.to_string();
    let server = TestServer::start_with(&["--msg-rate", "0", "--max-connections", &max]).await;
    let users = pairs(&server, "o", PAIRS).await;
    let cookies: Vec<(String, String, i64)> = users
        .iter()
        .map(|(a, b, t)| (a.cookie_header(), b.cookie_header(), *t))
        .collect();
    for attempt in 1..=ATTEMPTS {
        let saturation = phase(&server, &cookies, Pace::Window(WINDOW), false).await;
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss
        )]
        let per_sender = (2.0 * saturation.delivered_per_sec / PAIRS as f64).ceil() as u64;
        let overload = phase(&server, &cookies, Pace::Rate(per_sender.max(1)), true).await;
        eprintln!(
            "attempt {attempt}: saturation {saturation:?}\n  offered {} msg/s: {overload:?}",
            per_sender * PAIRS as u64
        );
        // Still up, and answering normally once the storm is gone.
        let health = Client::new(&server).get("/healthz").await;
        assert_eq!(health.status, http::StatusCode::OK, "{}", server.stderr());
        assert!(
            overload.storm_503 > 0,
            "no connection was refused beyond the cap"
        );
        assert_eq!(
            overload.storm_ok + overload.storm_503,
            STORM,
            "storm connections unanswered"
        );
        assert!(saturation.delivered_per_sec > 0.0);
        if overload.delivered_per_sec >= 0.8 * saturation.delivered_per_sec {
            return;
        }
    }
    panic!("delivered/s under overload fell below 80% of saturation in every attempt; see above");
}

/// One measured phase on fresh sockets: every pair's first user sends at `pace`,
/// the second receives; with `storm`, extra connections arrive meanwhile.
async fn phase(
    server: &TestServer,
    pairs: &[(String, String, i64)],
    pace: Pace,
    storm: bool,
) -> Phase {
    let epoch = Instant::now() + Duration::from_millis(300);
    let window = (WARMUP, WARMUP + MEASURE);
    let until = epoch + WARMUP + MEASURE;
    let (mut receivers, mut senders) = (Vec::new(), Vec::new());
    for (from, to, thread) in pairs {
        let (rx, _) = open(server.addr(), to).await.expect("receiver");
        let (tx, _) = open(server.addr(), from).await.expect("sender");
        receivers.push(tokio::spawn(receive(
            rx,
            epoch,
            window,
            until + Duration::from_secs(1),
            u64::MAX,
        )));
        let thread = *thread;
        senders.push(tokio::spawn(async move {
            tokio::time::sleep_until(epoch).await;
            send(tx, thread, pace, epoch, until).await
        }));
    }
    let addr = server.addr();
    let storming = tokio::spawn(async move {
        if !storm {
            return (0, 0);
        }
        tokio::time::sleep_until(epoch + WARMUP).await;
        let mut held = Vec::new();
        let (mut ok, mut refused) = (0, 0);
        for _ in 0..STORM {
            match probe(addr).await {
                Some((true, stream)) => {
                    ok += 1;
                    held.push(stream); // keep-alive: holds a connection slot
                }
                Some((false, _)) => refused += 1,
                None => {}
            }
        }
        tokio::time::sleep_until(until).await;
        drop(held);
        (ok, refused)
    });
    let mut result = Phase::default();
    for sender in senders {
        let (sent, acked) = sender.await.expect("sender");
        result.sent += sent;
        result.acked += acked;
    }
    let mut delivered = 0;
    for receiver in receivers {
        let received = receiver.await.expect("receiver");
        delivered += received.in_window;
        result.closed_sockets += usize::from(received.closed);
    }
    (result.storm_ok, result.storm_503) = storming.await.expect("storm");
    #[allow(clippy::cast_precision_loss)]
    let per_sec = delivered as f64 / MEASURE.as_secs_f64();
    result.delivered_per_sec = per_sec;
    result
}

/// `GET /healthz` on a new keep-alive connection: `(true, stream)` for 200,
/// `(false, _)` for 503, `None` when there was no answer.
async fn probe(addr: std::net::SocketAddr) -> Option<(bool, TcpStream)> {
    let exchange = async {
        let mut stream = TcpStream::connect(addr).await.ok()?;
        let request = format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\n\r\n");
        stream.write_all(request.as_bytes()).await.ok()?;
        let mut head = [0_u8; 12];
        stream.read_exact(&mut head).await.ok()?;
        match &head {
            b"HTTP/1.1 200" => Some((true, stream)),
            b"HTTP/1.1 503" => Some((false, stream)),
            _ => None,
        }
    };
    tokio::time::timeout(Duration::from_secs(3), exchange)
        .await
        .ok()
        .flatten()
}
