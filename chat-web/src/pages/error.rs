//! The error page for 400, 403, 404, 405, 413, 429 and 500 responses.

use maud::{Markup, html};

use crate::layout::{APP_NAME, PageData, page};

/// What the error page shows. The server sends `status` as the HTTP status too.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErrorView {
    /// HTTP status code.
    pub status: u16,
    /// Short title, e.g. `"Not found"`.
    pub title: String,
    /// One or two sentences for the user.
    pub message: String,
    /// The signed-in user, if any (changes the way back).
    pub me: Option<String>,
}

/// Renders the error page.
pub fn render(view: &ErrorView) -> Markup {
    // No `user`: the client opens no live connection on an error page.
    let page_data = PageData::default();
    let content = html! {
        main.auth.error-page {
            p.status-code { (view.status) }
            h1 { (view.title) }
            p.message { (view.message) }
            @if let Some(me) = &view.me {
                p { a href="/" { "Back to your contacts" } }
                p.muted { "Signed in as " (me) }
            } @else {
                p { a href="/login" { "Sign in" } " · " a href="/signup" { "Sign up" } }
            }
        }
    };
    let title = format!("{} {} · {APP_NAME}", view.status, view.title);
    page(&title, "page-error", &page_data, content)
}

#[cfg(test)]
mod tests;
