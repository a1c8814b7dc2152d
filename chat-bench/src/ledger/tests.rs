use super::{Receipt, StreamLedger, Tally};

fn ledger(receipts: &[u64]) -> StreamLedger {
    let mut l = StreamLedger::default();
    for &seq in receipts {
        l.record(seq);
    }
    l
}

/// `peer`: sequence numbers as the peer received them; `echo`: as the sender's
/// own socket received them (the acknowledgements).
fn check(peer: &[u64], echo: &[u64], expected: Tally) {
    let got = Tally::of_stream(&ledger(peer), &ledger(echo));
    assert_eq!(got, expected, "peer {peer:?}, echo {echo:?}");
}

fn tally(lost: u64, duplicated: u64, out_of_order: u64) -> Tally {
    Tally {
        lost,
        duplicated,
        out_of_order,
    }
}

#[test]
fn lost_duplicated_and_out_of_order_counts() {
    check(&[], &[], tally(0, 0, 0));
    check(&[0, 1, 2], &[0, 1, 2], tally(0, 0, 0));
    // The peer got one more than was acknowledged by the end: not lost.
    check(&[0, 1, 2], &[0, 1], tally(0, 0, 0));
    // Acknowledged but never received by the peer.
    check(&[0, 2], &[0, 1, 2], tally(1, 0, 0));
    check(&[], &[0, 1, 2], tally(3, 0, 0));
    // Duplicates at either end.
    check(&[0, 1, 1, 2], &[0, 1, 2], tally(0, 1, 0));
    check(&[0, 1, 2], &[0, 0, 1, 2, 2], tally(0, 2, 0));
    // A late arrival after a higher one is out of order (once), a repeat of it a duplicate.
    check(&[0, 2, 1], &[0, 1, 2], tally(0, 0, 1));
    check(&[0, 3, 1, 2], &[0, 1, 2, 3], tally(0, 0, 2));
    check(&[0, 2, 1, 1], &[0, 1, 2], tally(0, 1, 1));
    check(&[1, 0], &[1, 0], tally(0, 0, 2));
    // Sequence numbers across bitset words.
    check(
        &[0, 63, 64, 65, 200],
        &[0, 63, 64, 65, 127, 200],
        tally(1, 0, 0),
    );
}

#[test]
fn record_says_what_each_receipt_was() {
    let mut l = StreamLedger::default();
    let got: Vec<Receipt> = [0, 2, 1, 2, 3].iter().map(|&s| l.record(s)).collect();
    assert_eq!(
        got,
        [
            Receipt::InOrder,
            Receipt::InOrder,
            Receipt::OutOfOrder,
            Receipt::Duplicate,
            Receipt::InOrder
        ]
    );
    assert_eq!(l.distinct(), 4);
}

#[test]
fn tallies_add_up_and_only_zero_is_clean() {
    let mut t = Tally::default();
    assert!(t.is_clean());
    t.add(tally(1, 2, 3));
    t.add(tally(1, 0, 0));
    assert_eq!(t, tally(2, 2, 3));
    assert!(!t.is_clean());
}
