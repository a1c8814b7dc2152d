//! Unread arithmetic: read cursors, what counts as unread, and how counts are shown.
//!
//! A read cursor is the id of the newest message a user has seen in a thread.
//! Message ids increase server-wide, so "unread" is "from someone else, after my
//! cursor".

use crate::{ChatMessage, MessageId, UserId};

/// Counts above this are shown as `99+`.
pub const UNREAD_BADGE_MAX: u64 = 99;

/// The new read cursor after a client reports having read up to `requested`.
///
/// Cursors only move forward (a late or replayed report cannot mark messages unread
/// again) and never past `newest_in_thread` (a client cannot pre-read messages that
/// do not exist yet). A cursor already beyond `newest_in_thread` stays where it is.
pub fn advance_cursor(
    current: MessageId,
    requested: MessageId,
    newest_in_thread: MessageId,
) -> MessageId {
    current.max(requested.min(newest_in_thread))
}

/// Whether `message` is unread for `reader` whose cursor in its thread is `cursor`:
/// one's own messages are never unread.
pub fn is_unread(message: &ChatMessage, reader: UserId, cursor: MessageId) -> bool {
    message.sender != reader && message.id > cursor
}

/// The text of an unread badge: the count itself up to [`UNREAD_BADGE_MAX`], then
/// `99+`. Zero gives `"0"`; whether to show a badge at all is the view's choice.
pub fn format_unread_badge(n_unread: u64) -> String {
    if n_unread > UNREAD_BADGE_MAX {
        format!("{UNREAD_BADGE_MAX}+")
    } else {
        n_unread.to_string()
    }
}

/// A page title with the unread count in front, e.g. `(3) Chat`, or just `base`
/// when nothing is unread.
pub fn title_with_unread(base: &str, n_unread: u64) -> String {
    if n_unread == 0 {
        base.to_owned()
    } else {
        format!("({}) {base}", format_unread_badge(n_unread))
    }
}

#[cfg(test)]
mod tests;
