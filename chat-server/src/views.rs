//! Store rows → chat-web view models and wire messages (formatting happens here,
//! never in templates).

use chat_core::{ChatMessage, MessageId, ThreadId, Timestamp, UserId};
use chat_store::Contact;
use chat_transport::wire::WireMessage;
use chat_web::pages::contacts::ContactView;
use chat_web::pages::thread::MessageView;

/// The characters of a preview in the contact list.
const PREVIEW_CHARS: usize = 80;

/// A message as rendered on the thread page.
pub fn message_view(message: ChatMessage, sender: &str, me: UserId) -> MessageView {
    MessageView {
        id: message.id.get(),
        sender: sender.to_owned(),
        sent_at: message.sent_at.to_rfc3339(),
        time_label: time_label(message.sent_at),
        own: message.sender == me,
        body: message.body.into_string(),
    }
}

/// A contact-list row.
pub fn contact_view(contact: &Contact, active_thread: Option<i64>) -> ContactView {
    let thread_id = contact.thread.map(chat_core::ThreadId::get);
    ContactView {
        username: contact.user.username.to_string(),
        href: format!("/chat/{}", contact.user.username),
        thread_id,
        preview: contact
            .last_message
            .as_ref()
            .map(|m| preview(m.body.as_str())),
        last_sent_at: contact
            .last_message
            .as_ref()
            .map(|m| m.sent_at.to_rfc3339()),
        last_time_label: contact.last_message.as_ref().map(|m| time_label(m.sent_at)),
        unread: contact.unread,
        active: thread_id.is_some() && thread_id == active_thread,
    }
}

/// A message on the wire (WebSocket frames and the JSON API), without client id.
pub fn wire_message(message: &ChatMessage, sender: &str) -> WireMessage {
    let body = message.body.as_str().to_owned();
    wire(
        message.id,
        message.thread,
        sender.to_owned(),
        body,
        message.sent_at,
    )
}

/// [`wire_message`] of a message that is not needed afterwards, with the
/// sender's name owned: both move instead of being copied.
pub fn into_wire_message(message: ChatMessage, sender: String) -> WireMessage {
    let ChatMessage {
        id,
        thread,
        body,
        sent_at,
        ..
    } = message;
    wire(id, thread, sender, body.into_string(), sent_at)
}

/// "HH:MM UTC": the no-JavaScript fallback; the client rewrites it to local time.
pub fn time_label(at: Timestamp) -> String {
    let (_, _, _, h, m, _, _) = at.to_utc_parts();
    let mut label = String::with_capacity(9);
    for value in [h, m] {
        if !label.is_empty() {
            label.push(':');
        }
        label.extend(char::from_digit(value / 10, 10));
        label.extend(char::from_digit(value % 10, 10));
    }
    label.push_str(" UTC");
    label
}

/// The first line of a body, shortened for the contact list.
pub fn preview(body: &str) -> String {
    let line = body.lines().next().unwrap_or("");
    let mut out: String = line.chars().take(PREVIEW_CHARS).collect();
    if line.chars().count() > PREVIEW_CHARS || body.lines().nth(1).is_some() {
        out.push('…');
    }
    out
}

fn wire(
    id: MessageId,
    thread: ThreadId,
    sender: String,
    body: String,
    at: Timestamp,
) -> WireMessage {
    WireMessage {
        id,
        thread,
        sender,
        body,
        sent_at: at.to_rfc3339(),
        client_id: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preview_table() {
        let long = "x".repeat(100);
        for (input, want) in [
            ("hi", "hi".to_owned()),
            ("hi\nthere", "hi…".to_owned()),
            (long.as_str(), format!("{}…", "x".repeat(80))),
        ] {
            assert_eq!(preview(input), want);
        }
    }

    #[test]
    fn time_label_is_utc_hours_and_minutes() {
        assert_eq!(time_label(Timestamp::from_millis(0)), "00:00 UTC");
        assert_eq!(time_label(Timestamp::from_millis(3_723_000)), "01:02 UTC");
    }
}
