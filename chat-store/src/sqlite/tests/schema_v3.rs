//! Schema version 3: the idempotency index keyed client id first, on a
//! rebuilt `messages` table that keeps every row, id and the id counter, and
//! no stored `threads.last_message_id`.

use std::path::Path;

use chat_core::{ClientMessageId, MessageBody, MessageId, ThreadId, Timestamp, UserId};
use rusqlite::{Connection, StatementStatus};

use super::{file_at_version, query_plan};
use crate::sqlite::{SqliteStore, writer};
use crate::{NewMessage, Store};

/// A version-2 file: two users, their thread, two messages (one with a
/// client id), and an id counter at 40 (later messages were deleted).
const V2_ROWS: &str = "
INSERT INTO users (id, username, username_canonical, password_hash, created_at)
VALUES (1, 'alice', 'alice', 'h', 5), (2, 'bob', 'bob', 'h', 6);
INSERT INTO threads (id, kind, pair_low, pair_high, created_at, last_message_id)
VALUES (1, 'direct', 1, 2, 7, 2);
INSERT INTO thread_members (thread_id, user_id) VALUES (1, 1), (1, 2);
INSERT INTO messages (id, thread_id, sender_id, body, sent_at, client_id)
VALUES (1, 1, 1, 'first', 8, 'c-1'), (2, 1, 2, 'second', 9, NULL);
UPDATE sqlite_sequence SET seq = 40 WHERE name = 'messages';
";

fn v2_file(path: &Path) {
    file_at_version(path, 2, V2_ROWS);
}

fn send(thread: i64, sender: i64, body: &str, client_id: Option<&str>) -> NewMessage {
    NewMessage {
        thread: ThreadId(thread),
        sender: UserId(sender),
        body: MessageBody::parse(body).unwrap(),
        client_id: client_id.map(|c| ClientMessageId::parse(c).unwrap()),
        sent_at: Timestamp::from_millis(100),
    }
}

/// Names of `messages`' indexes and of the `sqlite_sequence` rows, sorted.
fn catalog(path: &Path) -> (Vec<String>, Vec<(String, i64)>) {
    let conn = Connection::open(path).unwrap();
    let mut stmt = conn
        .prepare("SELECT name FROM pragma_index_list('messages') ORDER BY name")
        .unwrap();
    let indexes = stmt
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut stmt = conn
        .prepare("SELECT name, seq FROM sqlite_sequence ORDER BY name")
        .unwrap();
    let sequences = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    (indexes, sequences)
}

#[test]
fn a_v2_file_keeps_its_messages_ids_and_counter() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chat.db");
    v2_file(&path);
    let (indexes, _) = catalog(&path);
    assert_eq!(
        indexes,
        ["messages_thread_id", "sqlite_autoindex_messages_1"]
    );

    let store = SqliteStore::open(&path).unwrap();
    let (indexes, sequences) = catalog(&path);
    assert_eq!(indexes, ["messages_client_id", "messages_thread_id"]);
    assert_eq!(sequences, [("messages".to_owned(), 40)]);

    let page = store.history(ThreadId(1), None, 10).unwrap().messages;
    let rows: Vec<_> = page
        .iter()
        .map(|m| {
            (
                m.id.get(),
                m.sender.get(),
                m.body.as_str(),
                m.client_id.clone(),
            )
        })
        .collect();
    let c1 = ClientMessageId::parse("c-1").unwrap();
    assert_eq!(rows, [(1, 1, "first", Some(c1)), (2, 2, "second", None)]);
    assert_eq!(page[0].sent_at, Timestamp::from_millis(8));

    // The old client id is still known: its retry finds message 1.
    let retry = store
        .append_message(send(1, 1, "again", Some("c-1")))
        .unwrap();
    assert_eq!((retry.message.id, retry.created), (MessageId(1), false));
    assert_eq!(retry.message.body.as_str(), "first");
    // The same client id from the other member is a different send.
    let other = store
        .append_message(send(1, 2, "bob's", Some("c-1")))
        .unwrap();
    assert!(other.created);
    // Ids go on after the counter, not after the largest id left (a retry
    // that found its message may still have used one up: ids have gaps).
    assert!(other.message.id > MessageId(40), "{:?}", other.message.id);
    let plain = store.append_message(send(1, 1, "no id", None)).unwrap();
    let plain_again = store.append_message(send(1, 1, "no id", None)).unwrap();
    assert!(other.message.id < plain.message.id);
    assert!(plain.message.id < plain_again.message.id);
    assert_eq!(store.thread(ThreadId(1)).unwrap().unwrap().members.len(), 2);

    let conn = Connection::open(&path).unwrap();
    let columns: Vec<String> = conn
        .prepare("SELECT name FROM pragma_table_info('threads') ORDER BY cid")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        columns,
        ["id", "kind", "pair_low", "pair_high", "created_at"]
    );
    // The newest message is read from the messages themselves.
    let summary = &store.threads_of(UserId(2)).unwrap()[0];
    let newest = summary.last_message.as_ref().map(|m| m.id);
    assert_eq!(newest, Some(plain_again.message.id));
}

#[test]
fn the_file_schema_version_is_read_without_migrating() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chat.db");
    assert_eq!(SqliteStore::file_schema_version(&path).unwrap(), 0);
    assert!(!path.exists(), "reading the version created the file");
    v2_file(&path);
    assert_eq!(SqliteStore::file_schema_version(&path).unwrap(), 2);
    assert_eq!(SqliteStore::file_schema_version(&path).unwrap(), 2);
    drop(SqliteStore::open(&path).unwrap());
    let now = SqliteStore::file_schema_version(&path).unwrap();
    assert_eq!(now, SqliteStore::SCHEMA_VERSION);
}

#[test]
fn an_empty_v2_file_migrates_without_a_counter() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chat.db");
    let without_messages = &V2_ROWS[..V2_ROWS.find("INSERT INTO messages").unwrap()];
    file_at_version(&path, 2, without_messages);
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(catalog(&path).1, []);
    let first = store.append_message(send(1, 1, "hi", Some("c"))).unwrap();
    assert_eq!(first.message.id, MessageId(1));
    assert_eq!(catalog(&path).1, [("messages".to_owned(), 1)]);
}

#[test]
fn a_retry_is_found_through_the_client_id_index() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chat.db");
    drop(SqliteStore::open(&path).unwrap());
    let plan = query_plan(&path, writer::EARLIER_SQL, (1, 2, "c"));
    assert_eq!(
        plan,
        [
            "SEARCH messages USING INDEX messages_client_id (client_id=? AND thread_id=? AND sender_id=?)"
        ]
    );
}

/// Virtual machine steps of one run of `sql` with `param`.
fn vm_steps(conn: &Connection, sql: &str, param: i64) -> i32 {
    let mut stmt = conn.prepare(sql).unwrap();
    let _: Option<i64> = stmt.query_row([param], |r| r.get(0)).unwrap();
    stmt.get_status(StatementStatus::VmStep)
}

#[test]
fn the_newest_message_of_a_thread_is_one_index_seek() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chat.db");
    let store = SqliteStore::open(&path).unwrap();
    let (alice, bob, thread) = super::seed(&store);
    drop(store);
    let conn = Connection::open(&path).unwrap();
    conn.execute(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
         INSERT INTO messages (thread_id, sender_id, body, sent_at)
         SELECT ?1, iif(i % 2, ?2, ?3), 'm', i FROM n",
        (thread.get(), alice.id.get(), bob.id.get()),
    )
    .unwrap();
    let newest = concat!(
        "SELECT ",
        crate::sqlite::threads::last_in_t!(),
        " FROM threads t WHERE t.id = ?1"
    );
    let steps = vm_steps(&conn, newest, thread.get());
    // The measure sees a scan of the thread's range: about one step per row.
    let scan = vm_steps(
        &conn,
        "SELECT count(*) FROM messages WHERE thread_id = ?1",
        thread.get(),
    );
    assert!(scan > 2000, "a scan took {scan} steps");
    assert!(steps < 50, "the newest id took {steps} steps");
}
