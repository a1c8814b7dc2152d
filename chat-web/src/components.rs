//! Small `impl Render` building blocks shared by the pages: the contact row, the message item,
//! the app header, CSRF field, unread badge, field errors and the connection-state slot.
//!
//! The class names and `data-*` attributes here are a contract with `static/app.js`, which
//! builds the same shapes for live updates.

use maud::{Markup, Render, html};

/// One row of the contact list (sidebar on desktop, whole page on phones).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContactView {
    /// The contact's name.
    pub username: String,
    /// Where the row links to, normally `/chat/{username}`.
    pub href: String,
    /// The 1:1 thread with this contact, if one exists yet.
    pub thread_id: Option<i64>,
    /// Last message text, already shortened if the server wants that.
    pub preview: Option<String>,
    /// When the last message was sent (RFC 3339); the client shows it in local time.
    pub last_sent_at: Option<String>,
    /// Server-formatted fallback for `last_sent_at` (shown without JS).
    pub last_time_label: Option<String>,
    /// Messages from this contact the user has not read.
    pub unread: u64,
    /// Whether this contact's thread is the one open on the page.
    pub active: bool,
}

/// One message in a thread's log.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MessageView {
    /// Message id (increasing in send order).
    pub id: i64,
    /// Who wrote it.
    pub sender: String,
    /// The text, rendered escaped with whitespace preserved.
    pub body: String,
    /// When it was sent (RFC 3339).
    pub sent_at: String,
    /// Server-formatted fallback for `sent_at`, e.g. `"10:00 UTC"`.
    pub time_label: String,
    /// Whether the signed-in user wrote it.
    pub own: bool,
}

/// Hidden `csrf` input for a form.
#[derive(Debug, Clone, Copy)]
pub struct CsrfField<'a>(pub &'a str);

/// Unread counter; rendered `hidden` when zero so the client can reveal it later.
#[derive(Debug, Clone, Copy)]
pub struct UnreadBadge(pub u64);

/// The list of messages for one form field (or the whole form), with an `id` that inputs refer
/// to through `aria-describedby`. Renders nothing when there are no errors.
#[derive(Debug, Clone, Copy)]
pub struct FieldErrors<'a> {
    /// Element id, e.g. `username-error`.
    pub id: &'a str,
    /// The messages.
    pub errors: &'a [String],
}

/// Top bar of signed-in pages: app name, who is signed in, account link and logout form.
#[derive(Debug, Clone, Copy)]
pub struct AppHeader<'a> {
    /// The signed-in user.
    pub me: &'a str,
    /// CSRF token for the logout form.
    pub csrf: &'a str,
}

/// The contact list with its empty state.
#[derive(Debug, Clone, Copy)]
pub struct ContactList<'a> {
    /// Contacts, in display order.
    pub contacts: &'a [ContactView],
    /// Contacts left out (the full list is on the contacts page).
    pub more: usize,
}

/// Where the client shows the WebSocket state ("Connected", "Reconnecting…"). Hidden until the
/// script runs, so a page without JS claims nothing.
#[derive(Debug, Clone, Copy)]
pub struct ConnState;

impl Render for CsrfField<'_> {
    fn render(&self) -> Markup {
        html! { input type="hidden" name="csrf" value=(self.0); }
    }
}

impl Render for UnreadBadge {
    fn render(&self) -> Markup {
        html! {
            span.badge data-unread=(self.0) hidden[self.0 == 0] {
                span.count { (self.0) }
                span.visually-hidden { " unread" }
            }
        }
    }
}

impl Render for FieldErrors<'_> {
    fn render(&self) -> Markup {
        html! {
            @if !self.errors.is_empty() {
                ul.field-errors id=(self.id) {
                    @for error in self.errors { li { (error) } }
                }
            }
        }
    }
}

impl Render for AppHeader<'_> {
    fn render(&self) -> Markup {
        html! {
            header.app-header {
                a.brand href="/" { "Chat" }
                span.me { span.visually-hidden { "Signed in as " } (self.me) }
                a.account href="/account/password" { "Account" }
                form.logout method="post" action="/logout" {
                    (CsrfField(self.csrf))
                    button.link-button type="submit" { "Log out" }
                }
            }
        }
    }
}

impl Render for ContactList<'_> {
    fn render(&self) -> Markup {
        html! {
            nav.contacts aria-labelledby="contacts-heading" {
                h2 #contacts-heading .visually-hidden { "Contacts" }
                p #contacts-empty .empty hidden[!self.contacts.is_empty()] { "No other users yet" }
                ul #contacts .contact-list {
                    @for contact in self.contacts { (contact) }
                }
                @if self.more > 0 {
                    p.more-contacts { a href="/" { "All contacts (" (self.more) " more)" } }
                }
            }
        }
    }
}

impl Render for ContactView {
    fn render(&self) -> Markup {
        html! {
            li.contact.active[self.active]
                data-username=(self.username)
                data-thread-id=[self.thread_id]
            {
                a.contact-link href=(self.href) aria-current=[self.active.then_some("page")] {
                    span.contact-name { (self.username) }
                    @if let Some(sent_at) = &self.last_sent_at {
                        time.contact-time datetime=(sent_at) {
                            (self.last_time_label.as_deref().unwrap_or_default())
                        }
                    }
                    @match &self.preview {
                        Some(preview) => span.preview { (preview) },
                        None => span.preview.muted { "No messages yet" },
                    }
                    (UnreadBadge(self.unread))
                }
            }
        }
    }
}

impl Render for MessageView {
    fn render(&self) -> Markup {
        message_item(self, false)
    }
}

impl Render for ConnState {
    fn render(&self) -> Markup {
        html! {
            p.conn-state role="status" data-state="connecting" hidden { "Connecting…" }
        }
    }
}

/// A message `<li>`; `seen` adds the "Seen" mark (only ever on the newest own message).
pub fn message_item(message: &MessageView, seen: bool) -> Markup {
    html! {
        li.msg.own[message.own].other[!message.own] data-id=(message.id) {
            p.meta {
                span.sender { (message.sender) }
                " "
                time datetime=(message.sent_at) { (message.time_label) }
            }
            p.body { (message.body) }
            @if seen {
                p #seen .seen { "Seen" }
            }
        }
    }
}

#[cfg(test)]
mod tests;
