//! (c) A slow consumer: one socket stops reading while a flood is addressed to it.
//! It is closed once its queue is full; the other users' p99 latency stays within
//! 2× of the same run with that socket reading; the server's memory stays bounded.

use std::time::Duration;

use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::conn::open;
use crate::load::{Pace, Received, receive, send, send_bodies};
use crate::support::{Client, Ended, TestServer, Ws, WsOptions};
use crate::{pairs, percentile, rss_kib, serial};

/// Pairs chatting at a steady pace while the flood goes on.
const PAIRS: usize = 4;
/// Each of their senders' rate (messages per second).
const RATE: u64 = 50;
/// How long they chat; latency counts messages sent from `WARMUP` to the end.
const DURATION: Duration = Duration::from_secs(4);
const WARMUP: Duration = Duration::from_millis(500);
/// p99s below this are taken as this: below it, scheduling noise dominates.
const P99_FLOOR: Duration = Duration::from_millis(5);
/// How much more the server's memory may grow during the flood with the stuck
/// socket than with a reading one (its queue is 1 MiB, its write buffer about the same).
const RSS_SLACK_KIB: u64 = 16 * 1024;
/// Attempts: a pass on either counts (the machine is shared; both are printed).
const ATTEMPTS: usize = 2;

#[derive(Debug)]
struct Outcome {
    p99: Duration,
    samples: usize,
    /// Server RSS growth from just before the flood to its peak.
    rss_growth_kib: u64,
    flood_acked: u64,
    /// What the flooded socket received, and how it ended.
    flooded: Received,
}

/// The socket the flood is addressed to.
enum Target {
    Reading(JoinHandle<Received>),
    Stuck(Box<Ws>),
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_consumer_is_closed_and_does_not_slow_the_others() {
    let _serial = serial().await;
    let mut verdicts = Vec::new();
    for attempt in 1..=ATTEMPTS {
        let baseline = scenario(false).await;
        let stuck = scenario(true).await;
        eprintln!(
            "attempt {attempt}:\n  baseline (flood read): {}\n  stuck (flood unread): {}",
            summary(&baseline),
            summary(&stuck)
        );
        // The stuck socket was closed by the server well before the flood ended.
        assert!(
            stuck.flooded.total < stuck.flood_acked,
            "the stuck socket got all {} messages: never closed",
            stuck.flooded.total
        );
        assert!(
            stuck.flooded.closed && matches!(stuck.flooded.close_code, Some(1013) | None),
            "stuck socket ended with {:?}",
            stuck.flooded.close_code
        );
        assert_eq!(
            baseline.flooded.total, baseline.flood_acked,
            "the reading socket missed some"
        );
        assert!(
            stuck.rss_growth_kib <= baseline.rss_growth_kib + RSS_SLACK_KIB,
            "server memory grew with the stuck socket"
        );
        let ok = stuck.p99.max(P99_FLOOR) <= 2 * baseline.p99.max(P99_FLOOR);
        verdicts.push(ok);
        if ok {
            return;
        }
    }
    panic!("the others' p99 more than doubled in every attempt ({verdicts:?}); see above");
}

fn summary(o: &Outcome) -> String {
    format!(
        "others' p99 {:?} over {} messages; server RSS +{} KiB during the flood; \
         flood {} acknowledged, the flooded socket read {} (closed: {}, code {:?})",
        o.p99,
        o.samples,
        o.rss_growth_kib,
        o.flood_acked,
        o.flooded.total,
        o.flooded.closed,
        o.flooded.close_code
    )
}

/// One run on a fresh server: `PAIRS` pairs chatting, and a flood to one socket
/// that reads (baseline) or never reads (`stuck`).
async fn scenario(stuck: bool) -> Outcome {
    let server = TestServer::start_with(&["--msg-rate", "0"]).await;
    let users = pairs(&server, "c", PAIRS + 1).await;
    let epoch = Instant::now() + Duration::from_secs(1);
    let until = epoch + DURATION;
    let mut chatting = Vec::new();
    for (a, b, thread) in &users[..PAIRS] {
        chatting.push(chat(&server, a, b, *thread, epoch).await);
    }
    let (flooder, target, flood_thread) = &users[PAIRS];
    let target = open_target(&server, target, stuck, epoch).await;
    let (flood_ws, _) = open(server.addr(), &flooder.cookie_header())
        .await
        .expect("flooder");
    let flood_thread = *flood_thread;
    let flood = tokio::spawn(async move {
        tokio::time::sleep_until(epoch + WARMUP).await;
        send_bodies(flood_ws, flood_thread, messages_to_overflow(), 64, 3900).await
    });
    let rss = tokio::spawn(rss_growth(server.pid(), epoch + WARMUP, until));

    let flood_acked = flood.await.expect("flood");
    let mut latencies = Vec::new();
    for receiver in chatting {
        let received = receiver.await.expect("receiver");
        assert!(!received.closed, "a chatting socket was closed");
        latencies.extend(received.latencies);
    }
    let samples = latencies.len();
    Outcome {
        p99: percentile(&mut latencies, 99.0),
        samples,
        rss_growth_kib: rss.await.expect("rss sampling"),
        flood_acked,
        flooded: drain_target(target).await,
    }
}

/// Starts `a` sending to `b` at `RATE` from `epoch`; the task yields what `b` received.
async fn chat(
    server: &TestServer,
    a: &Client,
    b: &Client,
    thread: i64,
    epoch: Instant,
) -> JoinHandle<Received> {
    let until = epoch + DURATION;
    let (to, _) = open(server.addr(), &b.cookie_header())
        .await
        .expect("receiver");
    let (from, _) = open(server.addr(), &a.cookie_header())
        .await
        .expect("sender");
    tokio::spawn(async move {
        tokio::time::sleep_until(epoch).await;
        send(from, thread, Pace::Rate(RATE), epoch, until).await;
    });
    let deadline = until + Duration::from_secs(1);
    tokio::spawn(receive(to, epoch, (WARMUP, DURATION), deadline, u64::MAX))
}

/// The flood's target socket: one that reads everything, or one that never reads
/// (with a tiny kernel receive buffer, so the server's side fills up quickly).
async fn open_target(server: &TestServer, user: &Client, stuck: bool, epoch: Instant) -> Target {
    if stuck {
        let origin = server.origin();
        let options = WsOptions {
            cookie: Some(user.cookie_header()),
            origin: Some(&origin),
            recv_buffer: Some(4096),
        };
        let ws = Ws::open(server, "/ws", options)
            .await
            .expect("stuck socket");
        return Target::Stuck(Box::new(ws));
    }
    let (ws, _) = open(server.addr(), &user.cookie_header())
        .await
        .expect("flooded");
    let deadline = epoch + DURATION + Duration::from_secs(20);
    let window = (WARMUP, DURATION);
    Target::Reading(tokio::spawn(receive(
        ws,
        epoch,
        window,
        deadline,
        messages_to_overflow(),
    )))
}

/// What the flood's target got; a stuck socket is read only now, to its end.
async fn drain_target(target: Target) -> Received {
    match target {
        Target::Reading(task) => task.await.expect("flooded reader"),
        Target::Stuck(mut ws) => {
            let (ended, frames) = ws.read_until_end(Duration::from_secs(20)).await;
            let total = frames.iter().filter(|f| f["type"] == "message").count();
            Received {
                total: u64::try_from(total).unwrap_or(u64::MAX),
                closed: true,
                close_code: match ended {
                    Ended::Close(code) => code,
                    Ended::Dropped(_) => None,
                },
                ..Received::default()
            }
        }
    }
}

/// The server's RSS growth (KiB) from `from` to its peak before `until`.
async fn rss_growth(pid: u32, from: Instant, until: Instant) -> u64 {
    tokio::time::sleep_until(from).await;
    let start = rss_kib(pid);
    let mut peak = start;
    while Instant::now() < until {
        peak = peak.max(rss_kib(pid));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    peak - start
}

/// How many ~4 KB messages overflow a socket that never reads: the server's queue
/// (1 MiB) plus the most the kernel may buffer for it (`tcp_wmem` max), with slack.
fn messages_to_overflow() -> u64 {
    let wmem_max = std::fs::read_to_string("/proc/sys/net/ipv4/tcp_wmem")
        .ok()
        .and_then(|s| s.split_whitespace().nth(2)?.parse::<u64>().ok())
        .unwrap_or(4 << 20);
    ((wmem_max + (2 << 20)) / 3900 + 200).max(1000)
}
