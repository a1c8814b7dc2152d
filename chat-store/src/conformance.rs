//! The conformance suite: what every [`Store`] must do, as plain functions that
//! panic on the first broken rule.
//!
//! Each case takes a fresh, empty store. Run them all with [`run_all`], or get
//! one `#[test]` per case with [`store_conformance_tests!`](crate::store_conformance_tests):
//!
//! ```
//! mod memory_conformance {
//!     use chat_store::{MemoryStore, Store};
//!     fn run(case: fn(&dyn Store)) {
//!         case(&MemoryStore::new());
//!     }
//!     chat_store::store_conformance_tests!(run);
//! }
//! # fn main() {
//! chat_store::conformance::run_all(chat_store::MemoryStore::new);
//! # }
//! ```
//!
//! Compiled for this crate's own tests and with the `conformance` feature.

// A test suite reports failure by panicking.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod accounts;
mod messages;
mod revocations;
mod threads;
mod throttle;

use chat_core::{
    ChatMessage, ClientMessageId, MessageBody, MessageId, ThreadId, Timestamp, UserPair, Username,
};

use crate::{Appended, NewMessage, Store, User};
pub use accounts::{
    sessions_are_created_found_touched_and_deleted, usernames_are_unique_in_any_case,
    users_are_found_by_name_in_any_case,
};
pub use messages::{
    appended_ids_strictly_increase, callbacks_run_once_in_id_order_under_concurrency,
    client_id_makes_appends_idempotent, history_pages_oldest_first_without_gaps,
    latest_message_id_is_per_user_and_thread, messages_after_keeps_the_newest_when_truncated,
    messages_after_spans_the_users_threads, messages_since_is_the_global_feed_in_id_order,
};
pub use revocations::{revocations_are_polled_in_id_order, session_deletes_record_revocations};
pub use threads::{
    contacts_list_every_other_user, direct_thread_is_the_same_from_both_sides,
    read_cursors_move_forward_and_are_clamped, sidebar_contacts_are_contacts_capped,
    thread_page_is_its_four_reads, threads_of_orders_by_activity,
};
pub use throttle::{
    login_failures_count_within_the_window, signup_attempts_count_per_client_in_the_window,
};

/// One named case of the suite.
#[derive(Debug, Clone, Copy)]
pub struct Case {
    /// The function's name.
    pub name: &'static str,
    /// Runs the case against an empty store; panics on failure.
    pub run: fn(&dyn Store),
}

/// Every case, in a stable order.
pub const CASES: &[Case] = &[
    case(
        "usernames_are_unique_in_any_case",
        usernames_are_unique_in_any_case,
    ),
    case(
        "users_are_found_by_name_in_any_case",
        users_are_found_by_name_in_any_case,
    ),
    case(
        "sessions_are_created_found_touched_and_deleted",
        sessions_are_created_found_touched_and_deleted,
    ),
    case(
        "session_deletes_record_revocations",
        session_deletes_record_revocations,
    ),
    case(
        "revocations_are_polled_in_id_order",
        revocations_are_polled_in_id_order,
    ),
    case(
        "login_failures_count_within_the_window",
        login_failures_count_within_the_window,
    ),
    case(
        "signup_attempts_count_per_client_in_the_window",
        signup_attempts_count_per_client_in_the_window,
    ),
    case(
        "direct_thread_is_the_same_from_both_sides",
        direct_thread_is_the_same_from_both_sides,
    ),
    case(
        "threads_of_orders_by_activity",
        threads_of_orders_by_activity,
    ),
    case(
        "read_cursors_move_forward_and_are_clamped",
        read_cursors_move_forward_and_are_clamped,
    ),
    case(
        "contacts_list_every_other_user",
        contacts_list_every_other_user,
    ),
    case(
        "sidebar_contacts_are_contacts_capped",
        sidebar_contacts_are_contacts_capped,
    ),
    case(
        "thread_page_is_its_four_reads",
        thread_page_is_its_four_reads,
    ),
    case(
        "appended_ids_strictly_increase",
        appended_ids_strictly_increase,
    ),
    case(
        "client_id_makes_appends_idempotent",
        client_id_makes_appends_idempotent,
    ),
    case(
        "history_pages_oldest_first_without_gaps",
        history_pages_oldest_first_without_gaps,
    ),
    case(
        "messages_after_spans_the_users_threads",
        messages_after_spans_the_users_threads,
    ),
    case(
        "messages_after_keeps_the_newest_when_truncated",
        messages_after_keeps_the_newest_when_truncated,
    ),
    case(
        "latest_message_id_is_per_user_and_thread",
        latest_message_id_is_per_user_and_thread,
    ),
    case(
        "messages_since_is_the_global_feed_in_id_order",
        messages_since_is_the_global_feed_in_id_order,
    ),
    case(
        "callbacks_run_once_in_id_order_under_concurrency",
        callbacks_run_once_in_id_order_under_concurrency,
    ),
];

/// Runs every case, each on a fresh store from `make`. Prints the case name to
/// stderr first, so a failure names its case.
pub fn run_all<S: Store>(make: impl Fn() -> S) {
    for case in CASES {
        eprintln!("conformance case: {}", case.name);
        (case.run)(&make());
    }
}

/// Expands to one `#[test]` per conformance case, plus a test that the list is
/// complete. `$run` is a `fn(fn(&dyn Store))` (or closure) that builds a fresh
/// store, passes it to the case, and cleans up. Invoke it inside its own module.
#[macro_export]
macro_rules! store_conformance_tests {
    ($run:expr) => {
        $crate::store_conformance_tests!(@cases $run;
            usernames_are_unique_in_any_case,
            users_are_found_by_name_in_any_case,
            sessions_are_created_found_touched_and_deleted,
            session_deletes_record_revocations,
            revocations_are_polled_in_id_order,
            login_failures_count_within_the_window,
            signup_attempts_count_per_client_in_the_window,
            direct_thread_is_the_same_from_both_sides,
            threads_of_orders_by_activity,
            read_cursors_move_forward_and_are_clamped,
            contacts_list_every_other_user,
            sidebar_contacts_are_contacts_capped,
            thread_page_is_its_four_reads,
            appended_ids_strictly_increase,
            client_id_makes_appends_idempotent,
            history_pages_oldest_first_without_gaps,
            messages_after_spans_the_users_threads,
            messages_after_keeps_the_newest_when_truncated,
            latest_message_id_is_per_user_and_thread,
            messages_since_is_the_global_feed_in_id_order,
            callbacks_run_once_in_id_order_under_concurrency,
        );
    };
    (@cases $run:expr; $($case:ident),+ $(,)?) => {
        $(
            #[test]
            fn $case() {
                ($run)($crate::conformance::$case);
            }
        )+

        #[test]
        fn every_conformance_case_is_listed() {
            let listed = [$(stringify!($case)),+];
            let known: Vec<&str> = $crate::conformance::CASES.iter().map(|c| c.name).collect();
            assert_eq!(listed.as_slice(), known.as_slice());
        }
    };
}

const fn case(name: &'static str, run: fn(&dyn Store)) -> Case {
    Case { name, run }
}

/// A fixed instant plus `ms` milliseconds: cases never read the clock.
fn at(ms: i64) -> Timestamp {
    Timestamp::from_millis(1_700_000_000_000 + ms)
}

fn username(name: &str) -> Username {
    Username::parse(name).unwrap()
}

fn signup(store: &dyn Store, name: &str) -> User {
    store
        .create_user(&username(name), &format!("hash-of-{name}"), at(0))
        .unwrap()
}

fn direct(store: &dyn Store, a: &User, b: &User) -> ThreadId {
    let pair = UserPair::new(a.id, b.id).unwrap();
    store.get_or_create_direct_thread(pair, at(0)).unwrap().id
}

fn new_message(thread: ThreadId, sender: &User, text: &str, key: Option<&str>) -> NewMessage {
    NewMessage {
        thread,
        sender: sender.id,
        body: MessageBody::parse(text).unwrap(),
        client_id: key.map(|k| ClientMessageId::parse(k).unwrap()),
        sent_at: at(1000),
    }
}

fn send(store: &dyn Store, thread: ThreadId, sender: &User, text: &str) -> ChatMessage {
    send_keyed(store, thread, sender, text, None).message
}

fn send_keyed(
    store: &dyn Store,
    thread: ThreadId,
    sender: &User,
    text: &str,
    key: Option<&str>,
) -> Appended {
    store
        .append_message(new_message(thread, sender, text, key))
        .unwrap()
}

fn ids(messages: &[ChatMessage]) -> Vec<MessageId> {
    messages.iter().map(|m| m.id).collect()
}

fn assert_strictly_increasing(ids: &[MessageId]) {
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "ids not strictly increasing: {ids:?}"
    );
}
