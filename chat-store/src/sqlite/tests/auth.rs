//! Revocations and throttling counters on a file: migrating a V1 file, restarts,
//! a second store on the same file, atomicity with session deletes, pruning
//! and query plans.

use std::path::Path;
use std::time::Duration;

use chat_core::{ThreadId, Timestamp, UserId};
use rusqlite::Connection;

use super::{file_at_version, query_plan, seed};
use crate::sqlite::{SqliteStore, revocations, throttle};
use crate::{LoginFailures, REVOCATIONS_KEPT, Revocation, Session, Store, StoreError, TokenHash};

const WINDOW: Duration = Duration::from_mins(1);

fn session(user: UserId) -> Session {
    Session {
        user,
        created_at: Timestamp::from_millis(10),
        last_seen: Timestamp::from_millis(20),
        expires_at: Timestamp::from_millis(30),
    }
}

fn user_version(path: &Path) -> i64 {
    let conn = Connection::open(path).unwrap();
    conn.pragma_query_value(None, "user_version", |row| row.get(0))
        .unwrap()
}

/// Rows a version-1 build would have written: two users, a session, a thread, a message.
const V1_ROWS: &str = "
INSERT INTO users (id, username, username_canonical, password_hash, created_at)
VALUES (1, 'Alice', 'alice', 'hash-a', 5), (2, 'bob', 'bob', 'hash-b', 6);
INSERT INTO sessions (token_hash, user_id, created_at, last_seen, expires_at)
VALUES (zeroblob(32), 1, 10, 20, 30);
INSERT INTO threads (id, kind, pair_low, pair_high, created_at, last_message_id)
VALUES (1, 'direct', 1, 2, 7, 1);
INSERT INTO thread_members (thread_id, user_id) VALUES (1, 1), (1, 2);
INSERT INTO messages (id, thread_id, sender_id, body, sent_at, client_id)
VALUES (1, 1, 2, 'from v1', 8, NULL);
";

#[test]
fn a_v1_database_migrates_to_the_latest_keeping_its_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chat.db");
    file_at_version(&path, 1, V1_ROWS);
    assert_eq!(user_version(&path), 1);

    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(user_version(&path), SqliteStore::SCHEMA_VERSION);
    let names: Vec<String> = store
        .list_users()
        .unwrap()
        .into_iter()
        .map(|u| u.username.as_str().to_owned())
        .collect();
    assert_eq!(names, ["Alice", "bob"]);
    let token = TokenHash([0; 32]);
    assert_eq!(store.session(&token).unwrap(), Some(session(UserId(1))));
    let page = store.history(ThreadId(1), None, 10).unwrap();
    assert_eq!(page.messages.len(), 1);
    assert_eq!(page.messages[0].body.as_str(), "from v1");
    assert_eq!(store.threads_of(UserId(1)).unwrap()[0].unread, 1);

    // The new tables work on the migrated file.
    assert_eq!(store.latest_revocation_id().unwrap(), 0);
    assert!(store.delete_session(&token).unwrap());
    let revoked = store.revocations_after(0, 10).unwrap();
    assert_eq!(
        revoked,
        [Revocation {
            id: 1,
            user: UserId(1),
            token: Some(token),
        }]
    );
    let failures = store
        .record_login_failure(UserId(2), Timestamp::from_millis(100), WINDOW)
        .unwrap();
    assert_eq!(failures.count, 1);
    let attempts = store
        .record_signup_attempt("192.0.2.1", Timestamp::from_millis(100), WINDOW)
        .unwrap();
    assert_eq!(attempts, 1);
    drop(store);
    // Opening an up-to-date file again migrates nothing.
    drop(SqliteStore::open(&path).unwrap());
    assert_eq!(user_version(&path), SqliteStore::SCHEMA_VERSION);
}

#[test]
fn counters_and_revocations_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chat.db");
    let token = TokenHash([7; 32]);
    let (a, b, revoked) = {
        let store = SqliteStore::open(&path).unwrap();
        let (a, b, _) = seed(&store);
        store.create_session(&token, &session(a.id)).unwrap();
        assert!(store.delete_session(&token).unwrap());
        for ms in [100, 200] {
            store
                .record_login_failure(b.id, Timestamp::from_millis(ms), WINDOW)
                .unwrap();
            store
                .record_signup_attempt("192.0.2.1", Timestamp::from_millis(ms), WINDOW)
                .unwrap();
        }
        (a, b, store.revocations_after(0, 10).unwrap())
    };
    assert_eq!(revoked.len(), 1);

    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.revocations_after(0, 10).unwrap(), revoked);
    assert_eq!(store.latest_revocation_id().unwrap(), revoked[0].id);
    assert_eq!(
        store.login_failures(b.id).unwrap(),
        LoginFailures {
            count: 2,
            last: Some(Timestamp::from_millis(200)),
        }
    );
    assert_eq!(
        store.login_failures(a.id).unwrap(),
        LoginFailures::default()
    );
    let third = store
        .record_signup_attempt("192.0.2.1", Timestamp::from_millis(300), WINDOW)
        .unwrap();
    assert_eq!(third, 3);
    store.delete_user_sessions(a.id).unwrap();
    assert!(store.latest_revocation_id().unwrap() > revoked[0].id);
}

#[test]
fn a_second_store_on_the_file_sees_revocations_and_counters() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chat.db");
    let first = SqliteStore::open(&path).unwrap();
    let second = SqliteStore::open(&path).unwrap();
    let (a, b, _) = seed(&first);
    let token = TokenHash([3; 32]);
    first.create_session(&token, &session(a.id)).unwrap();

    // A process starting now polls from the latest id.
    let start = second.latest_revocation_id().unwrap();
    assert_eq!(start, 0);
    assert!(first.delete_session(&token).unwrap());
    first.delete_user_sessions(b.id).unwrap();
    let seen = second.revocations_after(start, 100).unwrap();
    let shape: Vec<(UserId, Option<TokenHash>)> = seen.iter().map(|r| (r.user, r.token)).collect();
    assert_eq!(shape, [(a.id, Some(token)), (b.id, None)]);
    assert_eq!(second.latest_revocation_id().unwrap(), seen[1].id);
    assert_eq!(second.session(&token).unwrap(), None);

    let now = Timestamp::from_millis(1_000);
    second.record_login_failure(a.id, now, WINDOW).unwrap();
    assert_eq!(
        first.record_login_failure(a.id, now, WINDOW).unwrap().count,
        2
    );
    assert_eq!(second.login_failures(a.id).unwrap().count, 2);
    first.clear_login_failures(a.id).unwrap();
    assert_eq!(
        second.login_failures(a.id).unwrap(),
        LoginFailures::default()
    );
    assert_eq!(first.record_signup_attempt("c", now, WINDOW).unwrap(), 1);
    assert_eq!(second.record_signup_attempt("c", now, WINDOW).unwrap(), 2);
}

#[test]
fn a_failed_revocation_insert_keeps_the_sessions() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chat.db");
    let store = SqliteStore::open(&path).unwrap();
    let (a, _, _) = seed(&store);
    let token = TokenHash([5; 32]);
    store.create_session(&token, &session(a.id)).unwrap();
    let conn = Connection::open(&path).unwrap();
    conn.execute_batch(
        "CREATE TRIGGER refuse_revocations BEFORE INSERT ON revocations
         BEGIN SELECT RAISE(ABORT, 'refused by test'); END;",
    )
    .unwrap();

    let one = store.delete_session(&token);
    assert!(matches!(one, Err(StoreError::Backend(_))), "{one:?}");
    let all = store.delete_user_sessions(a.id);
    assert!(matches!(all, Err(StoreError::Backend(_))), "{all:?}");
    assert_eq!(store.session(&token).unwrap(), Some(session(a.id)));
    assert_eq!(store.latest_revocation_id().unwrap(), 0);

    conn.execute_batch("DROP TRIGGER refuse_revocations")
        .unwrap();
    assert!(store.delete_session(&token).unwrap());
    assert_eq!(store.revocations_after(0, 10).unwrap().len(), 1);
}

#[test]
fn revocations_are_pruned_to_the_newest_kept() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chat.db");
    let store = SqliteStore::open(&path).unwrap();
    let (a, _, _) = seed(&store);
    Connection::open(&path)
        .unwrap()
        .execute(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)
             INSERT INTO revocations (user_id, token_hash, at) SELECT 1, NULL, 0 FROM n",
            [REVOCATIONS_KEPT],
        )
        .unwrap();
    assert_eq!(store.latest_revocation_id().unwrap(), REVOCATIONS_KEPT);

    for newest in [REVOCATIONS_KEPT + 1, REVOCATIONS_KEPT + 2] {
        store.delete_user_sessions(a.id).unwrap();
        let kept = store.revocations_after(0, usize::MAX).unwrap();
        assert_eq!(kept.len(), usize::try_from(REVOCATIONS_KEPT).unwrap());
        assert_eq!(kept[0].id, newest - REVOCATIONS_KEPT + 1);
        assert_eq!(kept.last().unwrap().id, newest);
        assert_eq!(store.latest_revocation_id().unwrap(), newest);
    }
}

#[test]
fn polls_and_counts_search_their_indexes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chat.db");
    drop(SqliteStore::open(&path).unwrap());
    let poll = query_plan(&path, revocations::AFTER_SQL, (5, 100));
    assert_eq!(
        poll,
        ["SEARCH revocations USING INTEGER PRIMARY KEY (rowid>?)"]
    );
    let count = query_plan(&path, throttle::COUNT_SIGNUPS_SQL, ("c", 1, 2));
    assert_eq!(
        count,
        [
            "SEARCH signup_attempts USING COVERING INDEX signup_attempts_client_at (client=? AND at>? AND at<?)"
        ]
    );
    let prune = query_plan(&path, throttle::PRUNE_SIGNUPS_SQL, [1]);
    assert_eq!(
        prune,
        ["SEARCH signup_attempts USING INDEX signup_attempts_at (at<?)"]
    );
}
