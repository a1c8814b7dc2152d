//! The message bodies the generator sends: `bench RUN SENDER SEQ TS [padding]`,
//! so every receiver can tell which run, sender and send time a message has.

use std::fmt::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::BenchError;
use crate::state::random_hex;

/// What a bench message body carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BenchBody<'a> {
    /// The run's id ([`new_run`]), so stale messages from earlier runs are told apart.
    pub run: &'a str,
    /// Index of the sending user in the state file.
    pub sender: u32,
    /// Per-sender sequence number, from 0, in send order.
    pub seq: u64,
    /// Send time, microseconds since the run's clock origin.
    pub sent_us: u64,
}

impl BenchBody<'_> {
    /// The body text, padded with `x`s to at least `min_len` bytes.
    pub fn encode(&self, min_len: usize) -> String {
        let mut s = String::with_capacity(min_len.max(48));
        let _ = write!(
            s,
            "bench {} {} {} {}",
            self.run, self.sender, self.seq, self.sent_us
        );
        if s.len() + 1 < min_len {
            s.push(' ');
            s.extend(std::iter::repeat_n('x', min_len - s.len()));
        }
        s
    }

    /// The message's `client_id`: `RUN-TIME-SENDER-SEQ`, unique per run,
    /// sender and sequence, and ordered by send time like the browser's
    /// `UUIDv7` ids: the run id starts with the run's start time (see
    /// [`new_run`]) and `TIME` is the send time in µs since the run's clock
    /// origin (10 hex digits), so the sends of one group commit share the
    /// right edge of the server's idempotency index as a browser's would.
    /// Computed from the body alone, so a resend or a receiver gets the same.
    pub fn client_id(&self) -> String {
        format!(
            "{}-{:010x}-{}-{}",
            self.run, self.sent_us, self.sender, self.seq
        )
    }
}

/// Reads a bench body; `None` for any other text.
pub fn parse(text: &str) -> Option<BenchBody<'_>> {
    let mut words = text.split_ascii_whitespace();
    if words.next()? != "bench" {
        return None;
    }
    Some(BenchBody {
        run: words.next()?,
        sender: words.next()?.parse().ok()?,
        seq: words.next()?.parse().ok()?,
        sent_us: words.next()?.parse().ok()?,
    })
}

/// A run id: the start time in Unix milliseconds (11 hex digits, so ids of
/// later runs sort after earlier ones) and 4 random hex digits.
pub fn new_run() -> Result<String, BenchError> {
    let millis = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    Ok(format!("{millis:011x}{}", random_hex(2)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_ids_sort_by_run_then_send_time() {
        let (earlier, later) = ("19a0000000a1b2", "19a0000000ff00");
        let body = |run, sender, seq, sent_us| BenchBody {
            run,
            sender,
            seq,
            sent_us,
        };
        let ids = [
            body(earlier, 999, 900, 15).client_id(),
            body(earlier, 1, 3, 16).client_id(),
            body(earlier, 2, 100, 0x1_0000).client_id(),
            body(later, 0, 0, 0).client_id(),
        ];
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(sorted, ids);
        assert_eq!(ids[1], "19a0000000a1b2-0000000010-1-3");
    }

    #[test]
    fn a_run_id_starts_with_the_time() {
        let before = new_run().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let after = new_run().unwrap();
        assert_eq!((before.len(), after.len()), (15, 15));
        assert!(before[..11] < after[..11], "{before} {after}");
        assert!(after.chars().all(|c| c.is_ascii_hexdigit()));
    }

    #[test]
    fn encode_then_parse_round_trips_with_and_without_padding() {
        let body = BenchBody {
            run: "a1b2c3d4",
            sender: 17,
            seq: 42,
            sent_us: 1_234_567,
        };
        for min_len in [0, 10, 64, 200] {
            let text = body.encode(min_len);
            assert!(text.len() >= min_len, "{text:?} shorter than {min_len}");
            assert_eq!(text.trim(), text, "bodies are trimmed by the server");
            assert_eq!(parse(&text), Some(body));
        }
    }

    #[test]
    fn other_texts_are_not_bench_bodies() {
        for text in [
            "",
            "hello",
            "bench",
            "bench r 1 2",
            "bench r x 2 3",
            "benc r 1 2 3",
        ] {
            assert_eq!(parse(text), None, "{text:?}");
        }
    }
}
