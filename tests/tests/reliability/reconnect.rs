//! (b) No loss across reconnects: 10,000 messages while the sender and the
//! receiver drop their connections 20 times at random; the receiver resumes after
//! the last id it saw, the sender resends what was not acknowledged.

use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

use crate::conn::Outbox;
use crate::peer::{self, Plan};
use crate::support::TestServer;
use crate::{Rng, pairs, rows_by_client_id, serial, stored_messages};

const MESSAGES: u64 = 10_000;
const DISCONNECTS: usize = 20;
const WINDOW: usize = 64;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_messages_twenty_disconnects_nothing_lost() {
    let _serial = serial().await;
    let mut rng = Rng::seeded("no loss across reconnects");
    let server = TestServer::start_with(&["--msg-rate", "0"]).await;
    let users = pairs(&server, "r", 1).await;
    let (alice, bob, thread) = &users[0];
    // Each disconnect hits the sender or the receiver, after a random number of
    // messages (acknowledged, for the sender; received, for the receiver).
    let (mut sender_cuts, mut receiver_cuts) = (Vec::new(), Vec::new());
    for _ in 0..DISCONNECTS {
        let at = rng.range(1, MESSAGES);
        if rng.range(0, 2) == 0 {
            sender_cuts.push(at);
        } else {
            receiver_cuts.push(at);
        }
    }
    sender_cuts.sort_unstable();
    receiver_cuts.sort_unstable();
    eprintln!("disconnects: sender after {sender_cuts:?}, receiver after {receiver_cuts:?}");

    let (_addr_tx, addr_rx) = watch::channel(server.addr());
    let (_stop_tx, stop_rx) = watch::channel(false);
    let deadline = Instant::now() + Duration::from_mins(1);
    let receiving = tokio::spawn(peer::run(
        Plan {
            name: "rb0".to_owned(),
            cookie: bob.cookie_header(),
            outbox: None,
            limit: 0,
            disconnect_at: receiver_cuts,
            reconnect: true,
            expect: Some(usize::try_from(MESSAGES).expect("fits")),
            deadline,
        },
        addr_rx.clone(),
        stop_rx.clone(),
    ));
    let started = Instant::now();
    let sending = tokio::spawn(peer::run(
        Plan {
            name: "ra0".to_owned(),
            cookie: alice.cookie_header(),
            outbox: Some(Outbox::new("ra0", *thread, WINDOW)),
            limit: MESSAGES,
            disconnect_at: sender_cuts,
            reconnect: true,
            expect: None,
            deadline,
        },
        addr_rx,
        stop_rx,
    ));
    let sent = sending
        .await
        .expect("sender")
        .unwrap_or_else(|e| panic!("{e}"));
    let received = receiving
        .await
        .expect("receiver")
        .unwrap_or_else(|e| panic!("{e}"));
    let elapsed = started.elapsed();

    let outbox = sent.outbox.as_ref().expect("sender outbox");
    assert_eq!(outbox.acked.len(), 10_000, "acknowledged");
    let rows = stored_messages(&server.db());
    let stored = rows_by_client_id(&rows);
    assert_eq!(rows.len(), 10_000, "stored rows");
    let mut expected: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut got = received.received.clone();
    got.sort_unstable();
    expected.sort_unstable();
    let lost = expected
        .iter()
        .filter(|id| got.binary_search(id).is_err())
        .count();
    eprintln!(
        "10,000 messages in {elapsed:?}: lost {lost}, duplicated {}, out of order {}; \
         sender {} connections, receiver {}",
        received.duplicates.len(),
        received.out_of_order.len(),
        sent.connections,
        received.connections
    );
    assert_eq!(lost, 0, "lost");
    assert!(
        received.duplicates.is_empty(),
        "duplicated: {:?}",
        received.duplicates
    );
    assert!(
        received.out_of_order.is_empty(),
        "out of order: {:?}",
        received.out_of_order
    );
    assert_eq!(got, expected);
    for (seq, id) in &outbox.acked {
        assert_eq!(stored[&outbox.client_id(*seq)].id, *id);
    }
    assert_eq!(sent.connections + received.connections, DISCONNECTS + 2);
}
