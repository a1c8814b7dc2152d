//! A crowd of sending peers for the crash and shutdown tests: two per pair of users, each
//! sending into its pair's thread through an [`Outbox`] until told to stop.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::conn::Outbox;
use crate::peer::{self, Plan, Report};
use crate::support::TestServer;
use crate::{pair_names, pairs};

/// Who sends and how.
pub struct Config {
    /// User names are `{prefix}a{i}` and `{prefix}b{i}` (see [`crate::pairs`]).
    pub prefix: &'static str,
    pub n_pairs: usize,
    /// At most this many unacknowledged sends per sender.
    pub window: usize,
    /// Reconnect after a connection ends; otherwise a sender is done once its socket closes.
    pub reconnect: bool,
    /// A sender not done this long after the start fails.
    pub within: Duration,
}

/// Running senders: they follow the server's address and keep sending until [`Senders::stop`].
pub struct Senders {
    addr: watch::Sender<SocketAddr>,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<Result<Report, String>>>,
}

impl Senders {
    /// Signs up the pairs, opens their threads and starts two senders per pair.
    pub async fn start(server: &TestServer, config: &Config) -> Self {
        let users = pairs(server, config.prefix, config.n_pairs).await;
        let (addr, addr_rx) = watch::channel(server.addr());
        let (stop, stop_rx) = watch::channel(false);
        let deadline = Instant::now() + config.within;
        let mut tasks = Vec::new();
        for (i, (a, b, thread)) in users.iter().enumerate() {
            let (name_a, name_b) = pair_names(config.prefix, i);
            for (name, client) in [(name_a, a), (name_b, b)] {
                let plan = Plan {
                    outbox: Some(Outbox::new(&name, *thread, config.window)),
                    name,
                    cookie: client.cookie_header(),
                    limit: u64::MAX,
                    disconnect_at: Vec::new(),
                    reconnect: config.reconnect,
                    expect: None,
                    deadline,
                };
                tasks.push(tokio::spawn(peer::run(
                    plan,
                    addr_rx.clone(),
                    stop_rx.clone(),
                )));
            }
        }
        Self { addr, stop, tasks }
    }

    /// Points the senders at `server`'s address (it changes when the server restarts).
    pub fn follow(&self, server: &TestServer) {
        self.addr.send_replace(server.addr());
    }

    /// Tells the senders to stop creating messages; they still settle what they sent.
    pub fn stop(&self) {
        self.stop.send_replace(true);
    }

    /// Waits for every sender's report; panics if a sender failed. The address and stop
    /// signals stay open until all are in.
    pub async fn reports(self) -> Vec<Report> {
        let mut reports = Vec::with_capacity(self.tasks.len());
        for task in self.tasks {
            reports.push(
                task.await
                    .expect("peer task")
                    .unwrap_or_else(|e| panic!("{e}")),
            );
        }
        reports
    }
}
