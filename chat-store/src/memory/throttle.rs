//! Login-failure tallies and signup attempts behind `MemoryStore`, mirroring
//! the `login_failures` and `signup_attempts` tables.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use chat_core::{Timestamp, UserId};

use crate::LoginFailures;
use crate::store::millis;

/// Tallies and attempts; both maps only hold what the `SQLite` tables would.
#[derive(Default)]
pub(super) struct Throttle {
    pub(super) login_failures: HashMap<UserId, LoginFailures>,
    /// (client, at, seq): the `(client, at)` index; `seq` keeps equal rows apart.
    by_client: BTreeSet<(String, Timestamp, u64)>,
    /// (at, seq, client): the `(at)` index, for pruning.
    by_time: BTreeSet<(Timestamp, u64, String)>,
    seq: u64,
}

impl Throttle {
    /// Counts a failure for a user known to exist.
    pub(super) fn record_login_failure(
        &mut self,
        user: UserId,
        now: Timestamp,
        window: Duration,
    ) -> LoginFailures {
        let tally = self.login_failures.entry(user).or_default();
        *tally = tally.after_failure(now, window);
        *tally
    }

    /// Prunes every attempt at or before `now - window`, stores this one and
    /// counts `client`'s attempts in (now - window, now].
    pub(super) fn record_signup_attempt(
        &mut self,
        client: &str,
        now: Timestamp,
        window: Duration,
    ) -> u32 {
        let cutoff = Timestamp::from_millis(now.as_millis().saturating_sub(millis(window)));
        while let Some(oldest) = self.by_time.first() {
            if oldest.0 > cutoff {
                break;
            }
            if let Some((at, seq, client)) = self.by_time.pop_first() {
                self.by_client.remove(&(client, at, seq));
            }
        }
        self.seq += 1;
        self.by_client.insert((client.to_owned(), now, self.seq));
        self.by_time.insert((now, self.seq, client.to_owned()));
        if cutoff >= now {
            return 0; // a zero window is empty
        }
        let from = (client.to_owned(), cutoff.plus_millis(1), 0);
        let to = (client.to_owned(), now, u64::MAX);
        let n = self.by_client.range(from..=to).count();
        u32::try_from(n).unwrap_or(u32::MAX)
    }
}
