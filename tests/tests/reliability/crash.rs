//! (a) Crash durability: senders with client ids, the server killed (`SIGKILL`) three times
//! at random moments and restarted on the same database; every acknowledged
//! message is stored exactly once, with the id it was acknowledged with.

use std::time::Duration;

use crate::peer::Report;
use crate::senders::{self, Senders};
use crate::support::TestServer;
use crate::{Rng, Row, rows_by_client_id, serial, stored_messages};

const KILLS: usize = 3;
const PAIRS: usize = 2;
const WINDOW: usize = 16;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_messages_survive_sigkill() {
    let _serial = serial().await;
    let mut rng = Rng::seeded("crash durability");
    let mut server = TestServer::start_with(&["--msg-rate", "0"]).await;
    let config = senders::Config {
        prefix: "k",
        n_pairs: PAIRS,
        window: WINDOW,
        reconnect: true,
        within: Duration::from_mins(1),
    };
    let senders = Senders::start(&server, &config).await;

    for kill in 1..=KILLS {
        tokio::time::sleep(rng.millis(300, 1500)).await;
        server.kill();
        let down = rng.millis(0, 300);
        eprintln!("kill {kill}: SIGKILL, down for {down:?}");
        tokio::time::sleep(down).await;
        server.start_again().await;
        senders.follow(&server);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    senders.stop();

    let reports = senders.reports().await;
    check(&reports, &stored_messages(&server.db()));
}

/// Every acknowledged message stored once, under the id it was acknowledged with,
/// ids in send order per sender, and nothing stored that was not acknowledged.
fn check(reports: &[Report], rows: &[Row]) {
    let stored = rows_by_client_id(rows);
    let (mut acked_total, mut resends) = (0, 0);
    for report in reports {
        let outbox = report.outbox.as_ref().expect("a sender");
        assert!(
            outbox.settled(),
            "{}: unacknowledged sends remain",
            report.name
        );
        assert!(
            report.out_of_order.is_empty(),
            "{}: out of order {:?}",
            report.name,
            report.out_of_order
        );
        assert!(
            report.duplicates.is_empty(),
            "{}: duplicates {:?}",
            report.name,
            report.duplicates
        );
        assert!(
            report.connections > KILLS,
            "{}: only {} connections",
            report.name,
            report.connections
        );
        // Every acknowledged message is stored once, under the id it was acknowledged with.
        let mut previous = 0;
        for (seq, id) in &outbox.acked {
            let client_id = outbox.client_id(*seq);
            let row = stored
                .get(&client_id)
                .unwrap_or_else(|| panic!("acknowledged {client_id} (id {id}) is not stored"));
            assert_eq!(
                row.id, *id,
                "{client_id} acknowledged as {id}, stored as {}",
                row.id
            );
            assert_eq!(row.sender, report.name, "{client_id}");
            // One sender's messages get ids in the order they were sent.
            assert!(*id > previous, "{client_id}: id {id} after {previous}");
            previous = *id;
        }
        acked_total += outbox.acked.len();
        resends += outbox.resends;
        eprintln!(
            "{}: {} acknowledged over {} connections, {} resent",
            report.name,
            outbox.acked.len(),
            report.connections,
            outbox.resends
        );
    }
    // Nothing stored that no client sent.
    assert_eq!(stored.len(), rows.len(), "rows without a client id");
    assert_eq!(
        stored.len(),
        acked_total,
        "stored rows that were never acknowledged"
    );
    assert!(rows.windows(2).all(|w| w[0].id < w[1].id));
    assert!(
        acked_total > 100,
        "too little traffic to mean anything: {acked_total}"
    );
    assert!(
        resends > 0,
        "no send was in flight at any kill: nothing was retried"
    );
}
