//! The HTML document shell every page shares: head, hashed assets, and the `<body>` data
//! attributes that hand page state to `app.js`.
//!
//! Nothing here (or anywhere in this crate) emits inline script or style, so pages work under
//! `script-src 'self'; style-src 'self'`.

use maud::{DOCTYPE, Markup, html};

use crate::assets::asset_url;

/// Name of the application, used in every `<title>`.
pub const APP_NAME: &str = "Chat";

/// State the JS client needs, rendered as `data-*` attributes on `<body>`.
///
/// | field | attribute |
/// |---|---|
/// | `user` | `data-user` (absent when signed out: the client then opens no WebSocket) |
/// | `csrf` | `data-csrf` |
/// | `thread_id` | `data-thread-id` (only on a thread page) |
/// | `peer` | `data-peer` |
/// | `last_id` | `data-last-id` (always present, `0` when nothing is visible) |
/// | `peer_read_up_to` | `data-peer-read-up-to` (always present) |
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageData {
    /// The signed-in user's name.
    pub user: Option<String>,
    /// The session's CSRF token.
    pub csrf: Option<String>,
    /// The thread open on this page.
    pub thread_id: Option<i64>,
    /// The other member of the open thread.
    pub peer: Option<String>,
    /// Newest message id visible to the user at render time; the client resumes after it.
    pub last_id: i64,
    /// Newest message id the peer has read in the open thread.
    pub peer_read_up_to: i64,
}

/// A full HTML document: `<!DOCTYPE html>`, head with the hashed stylesheet, icon and deferred
/// script, and `content` inside a `<body>` carrying `body_class` and the [`PageData`].
#[expect(
    clippy::needless_pass_by_value,
    reason = "pages hand over their freshly built content; taking it by value reads naturally"
)]
pub fn page(title: &str, body_class: &str, page_data: &PageData, content: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="color-scheme" content="light dark";
                meta name="referrer" content="same-origin";
                title { (title) }
                link rel="icon" type="image/svg+xml" href=(asset_url("favicon.svg"));
                link rel="stylesheet" href=(asset_url("app.css"));
                script src=(asset_url("app.js")) defer {}
            }
            body
                class=(body_class)
                data-user=[page_data.user.as_deref()]
                data-csrf=[page_data.csrf.as_deref()]
                data-thread-id=[page_data.thread_id]
                data-peer=[page_data.peer.as_deref()]
                data-last-id=(page_data.last_id)
                data-peer-read-up-to=(page_data.peer_read_up_to)
            {
                (content)
            }
        }
    }
}

/// A page title with the unread count in front: `"(3) Chat"`, or just `"Chat"` when zero.
/// `app.js` keeps the same shape when the count changes live.
pub fn title_with_unread(base: &str, total_unread: u64) -> String {
    if total_unread == 0 {
        base.to_owned()
    } else {
        format!("({total_unread}) {base}")
    }
}

#[cfg(test)]
mod tests;
