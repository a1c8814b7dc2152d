//! A conversation: header, scrolling message log, typing and "Seen" slots, and a composer
//! that posts a plain form (the script upgrades it to WebSocket sends). On desktop the
//! contact list stays beside it; on phones a back link replaces it.

use maud::{Markup, html};

use crate::components::{AppHeader, ConnState, ContactList, CsrfField, message_item};
pub use crate::components::{ContactView, MessageView};
use crate::layout::{APP_NAME, PageData, page, title_with_unread};

/// What the thread page shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ThreadView {
    /// The signed-in user.
    pub me: String,
    /// CSRF token for the forms and the client.
    pub csrf: String,
    /// The open thread.
    pub thread_id: i64,
    /// The other member.
    pub peer: String,
    /// Contact list for the sidebar (desktop only); the peer's row should be `active`.
    pub contacts: Vec<ContactView>,
    /// Contacts left out of the sidebar (shown on the contacts page).
    pub more_contacts: usize,
    /// The visible page of messages, oldest first.
    pub messages: Vec<MessageView>,
    /// Link to the previous page (`/threads/{id}?before=ID`) when older messages exist.
    pub older_href: Option<String>,
    /// Link to the next page when this is not the newest page.
    pub newer_href: Option<String>,
    /// Newest message id visible to the user at render time.
    pub last_id: i64,
    /// Newest message id the peer has read.
    pub peer_read_up_to: i64,
    /// Unread messages over all threads (shown in the title).
    pub total_unread: u64,
    /// Why the last (no-JS) send was rejected.
    pub error: Option<String>,
    /// Text to put back in the composer after a rejected send.
    pub draft: String,
}

/// Renders the thread page.
pub fn render(view: &ThreadView) -> Markup {
    let page_data = PageData {
        user: Some(view.me.clone()),
        csrf: Some(view.csrf.clone()),
        thread_id: Some(view.thread_id),
        peer: Some(view.peer.clone()),
        last_id: view.last_id,
        peer_read_up_to: view.peer_read_up_to,
    };
    let content = html! {
        div.app {
            aside.sidebar {
                (AppHeader { me: &view.me, csrf: &view.csrf })
                (ContactList { contacts: &view.contacts, more: view.more_contacts })
            }
            main.pane.conversation {
                header.thread-header {
                    a.back href="/" { span aria-hidden="true" { "← " } "Contacts" }
                    h1 { (view.peer) }
                    (ConnState)
                }
                (message_log(view))
                p #typing .typing aria-live="polite" {}
                (composer(view))
            }
        }
    };
    let title = title_with_unread(&format!("{} · {APP_NAME}", view.peer), view.total_unread);
    page(&title, "page-thread", &page_data, content)
}

/// The `role="log"` list with paging links at either end.
fn message_log(view: &ThreadView) -> Markup {
    let seen_id = last_own_id(&view.messages).filter(|id| *id <= view.peer_read_up_to);
    html! {
        ol #log .log role="log" aria-live="polite" tabindex="0"
            aria-label={ "Conversation with " (view.peer) }
        {
            @if let Some(href) = &view.older_href {
                li.paging.older { a href=(href) rel="prev" { "Older messages" } }
            }
            @if view.messages.is_empty() {
                li.empty-log { "No messages yet. Say hello!" }
            }
            @for message in &view.messages {
                (message_item(message, seen_id == Some(message.id)))
            }
            @if let Some(href) = &view.newer_href {
                li.paging.newer { a href=(href) rel="next" { "Newer messages" } }
            }
        }
    }
}

/// The send form; works as a plain POST without the script.
fn composer(view: &ThreadView) -> Markup {
    let action = format!("/threads/{}/messages", view.thread_id);
    html! {
        form #composer .composer method="post" action=(action) {
            @if let Some(error) = &view.error {
                p #composer-error .form-error role="alert" { (error) }
            }
            (CsrfField(&view.csrf))
            label.visually-hidden for="composer-body" { "Message" }
            textarea #composer-body name="body" rows="1" required enterkeyhint="send"
                placeholder={ "Message " (view.peer) }
                aria-invalid=[view.error.as_ref().map(|_| "true")]
                aria-describedby=[view.error.as_ref().map(|_| "composer-error")]
            { (view.draft) }
            button.primary type="submit" { "Send" }
        }
    }
}

/// Id of the newest message the user sent, if any.
fn last_own_id(messages: &[MessageView]) -> Option<i64> {
    messages.iter().filter(|m| m.own).map(|m| m.id).max()
}

#[cfg(test)]
mod tests;
