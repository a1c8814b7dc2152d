//! Delivery bookkeeping: which sequence numbers of one sender reached one
//! socket, and from that the lost, duplicated and out-of-order counts.
//!
//! Pure and clock-free, so the rules are tested without sockets.

/// What one receipt was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Receipt {
    /// Seen for the first time, after every lower sequence number seen so far.
    InOrder,
    /// Seen for the first time, but a higher sequence number came before it.
    OutOfOrder,
    /// Seen before.
    Duplicate,
}

/// The receipts of one sender's messages at one receiving socket.
#[derive(Debug, Clone, Default)]
pub struct StreamLedger {
    seen: Vec<u64>,
    highest: Option<u64>,
    distinct: u64,
    duplicated: u64,
    out_of_order: u64,
}

/// Counts over one or more streams; a run counts only when `is_clean`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Tally {
    /// Acknowledged (echoed to the sender) but never received by the peer.
    pub lost: u64,
    /// Received more than once, at the peer or at the sender.
    pub duplicated: u64,
    /// Received after a higher sequence number of the same sender.
    pub out_of_order: u64,
}

impl StreamLedger {
    /// Records the receipt of `seq`.
    pub fn record(&mut self, seq: u64) -> Receipt {
        let (word, bit) = split(seq);
        if word >= self.seen.len() {
            self.seen.resize(word + 1, 0);
        }
        if self.seen[word] & bit != 0 {
            self.duplicated += 1;
            return Receipt::Duplicate;
        }
        self.seen[word] |= bit;
        self.distinct += 1;
        match self.highest {
            Some(h) if seq < h => {
                self.out_of_order += 1;
                Receipt::OutOfOrder
            }
            _ => {
                self.highest = Some(seq);
                Receipt::InOrder
            }
        }
    }

    /// How many distinct sequence numbers arrived.
    pub fn distinct(&self) -> u64 {
        self.distinct
    }

    /// How many sequence numbers `other` saw that this ledger did not.
    pub fn missing_from(&self, other: &StreamLedger) -> u64 {
        other
            .seen
            .iter()
            .enumerate()
            .map(|(i, &theirs)| {
                let ours = self.seen.get(i).copied().unwrap_or(0);
                u64::from((theirs & !ours).count_ones())
            })
            .sum()
    }
}

impl Tally {
    /// The counts for one sender's messages: `peer` is what the other member's
    /// socket received, `echo` what the sender's own socket received (the
    /// acknowledgements).
    pub fn of_stream(peer: &StreamLedger, echo: &StreamLedger) -> Tally {
        Tally {
            lost: peer.missing_from(echo),
            duplicated: peer.duplicated + echo.duplicated,
            out_of_order: peer.out_of_order + echo.out_of_order,
        }
    }

    /// Adds another tally into this one.
    pub fn add(&mut self, other: Tally) {
        self.lost += other.lost;
        self.duplicated += other.duplicated;
        self.out_of_order += other.out_of_order;
    }

    /// True when nothing was lost, duplicated or reordered.
    pub fn is_clean(&self) -> bool {
        *self == Tally::default()
    }
}

fn split(seq: u64) -> (usize, u64) {
    let word = usize::try_from(seq / 64).unwrap_or(usize::MAX);
    (word, 1 << (seq % 64))
}

#[cfg(test)]
mod tests;
