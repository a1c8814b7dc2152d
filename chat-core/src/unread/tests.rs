//! Cursor movement, the unread rule and badge text, one row per case.

use super::{advance_cursor, format_unread_badge, is_unread, title_with_unread};
use crate::{ChatMessage, MessageBody, MessageId, ThreadId, Timestamp, UserId};

#[test]
fn cursor_only_moves_forward_and_not_past_newest() {
    // (current, requested, newest, expected)
    let cases = [
        (0, 5, 10, 5),    // forward
        (5, 10, 10, 10),  // up to the newest
        (5, 11, 10, 10),  // not past the newest
        (5, 999, 10, 10), // nor far past it
        (7, 3, 10, 7),    // never backward
        (7, 7, 10, 7),    // same place
        (0, 0, 0, 0),     // empty thread
        (0, 5, 0, 0),     // empty thread, client claims more
        (12, 15, 10, 12), // already beyond newest: stays
        (12, 11, 10, 12),
        (-1, 3, 10, 3), // negative (never stored) ids still order
    ];
    for (current, requested, newest, expected) in cases {
        assert_eq!(
            advance_cursor(MessageId(current), MessageId(requested), MessageId(newest)),
            MessageId(expected),
            "advance_cursor({current}, {requested}, {newest})"
        );
    }
}

#[test]
fn own_messages_are_never_unread() {
    let message = |id, sender| ChatMessage {
        id: MessageId(id),
        thread: ThreadId(1),
        sender: UserId(sender),
        body: MessageBody::parse("hi").unwrap(),
        sent_at: Timestamp(0),
        client_id: None,
    };
    let (me, them) = (1, 2);
    // (message id, sender, cursor, unread for me)
    let cases = [
        (5, them, 4, true),
        (5, them, 5, false),
        (5, them, 6, false),
        (5, me, 4, false),
        (5, me, 0, false),
    ];
    for (id, sender, cursor, expected) in cases {
        assert_eq!(
            is_unread(&message(id, sender), UserId(me), MessageId(cursor)),
            expected,
            "message {id} from {sender}, cursor {cursor}"
        );
    }
}

#[test]
fn badges_and_titles() {
    // (n_unread, badge, title)
    let cases = [
        (0, "0", "Chat"),
        (1, "1", "(1) Chat"),
        (3, "3", "(3) Chat"),
        (99, "99", "(99) Chat"),
        (100, "99+", "(99+) Chat"),
        (u64::MAX, "99+", "(99+) Chat"),
    ];
    for (n, badge, title) in cases {
        assert_eq!(format_unread_badge(n), badge, "{n}");
        assert_eq!(title_with_unread("Chat", n), title, "{n}");
    }
    assert_eq!(title_with_unread("", 2), "(2) ");
}
