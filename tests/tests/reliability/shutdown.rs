//! (e) Graceful shutdown under load: SIGTERM while clients send → every socket
//! gets Close 1001, every acknowledged message is in the database after a
//! restart, and the process exits within 5 s.

use std::time::Duration;

use tokio::time::Instant;

use crate::senders::{self, Senders};
use crate::support::TestServer;
use crate::{rows_by_client_id, serial, stored_messages};

const PAIRS: usize = 3;
const WINDOW: usize = 16;
/// The promised bound from SIGTERM to exit.
const EXIT_WITHIN: Duration = Duration::from_secs(5);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_under_load_closes_1001_and_loses_nothing() {
    let _serial = serial().await;
    let mut server = TestServer::start_with(&["--msg-rate", "0"]).await;
    let config = senders::Config {
        prefix: "s",
        n_pairs: PAIRS,
        window: WINDOW,
        reconnect: false,
        within: Duration::from_secs(30),
    };
    let senders = Senders::start(&server, &config).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let sigterm = Instant::now();
    let status = server.stop().await;
    let exit_after = sigterm.elapsed();

    let reports = senders.reports().await;
    eprintln!("SIGTERM → exit in {exit_after:?} ({status})");
    assert!(
        status.success(),
        "exit status {status}\n{}",
        server.stderr()
    );
    assert!(exit_after <= EXIT_WITHIN, "exit took {exit_after:?}");

    server.start_again().await;
    let stored = rows_by_client_id(&stored_messages(&server.db()));
    let mut acked_total = 0;
    for report in &reports {
        assert_eq!(report.connections, 1, "{}", report.name);
        assert_eq!(
            report.endings,
            [Some(1001)],
            "{}: how its socket ended",
            report.name
        );
        let outbox = report.outbox.as_ref().expect("a sender");
        for (seq, id) in &outbox.acked {
            let client_id = outbox.client_id(*seq);
            let row = stored
                .get(&client_id)
                .unwrap_or_else(|| panic!("acknowledged {client_id} (id {id}) lost"));
            assert_eq!(row.id, *id, "{client_id}");
        }
        acked_total += outbox.acked.len();
    }
    eprintln!(
        "{acked_total} acknowledged messages, all stored; {} rows",
        stored.len()
    );
    assert!(
        acked_total > 50,
        "too little traffic to mean anything: {acked_total}"
    );
}
