//! The contact list, the signed-in home page. On desktop the list sits beside an empty
//! conversation pane; on phones it fills the screen.

use maud::{Markup, html};

pub use crate::components::ContactView;
use crate::components::{AppHeader, ConnState, ContactList};
use crate::layout::{APP_NAME, PageData, page, title_with_unread};

/// What the contacts page shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContactsView {
    /// The signed-in user.
    pub me: String,
    /// CSRF token for the logout form and the client.
    pub csrf: String,
    /// Every other user, most recent conversation first.
    pub contacts: Vec<ContactView>,
    /// Unread messages over all threads (shown in the title).
    pub total_unread: u64,
    /// Newest message id visible to the user at render time.
    pub last_id: i64,
}

/// Renders the contacts page.
pub fn render(view: &ContactsView) -> Markup {
    let page_data = PageData {
        user: Some(view.me.clone()),
        csrf: Some(view.csrf.clone()),
        last_id: view.last_id,
        ..PageData::default()
    };
    let content = html! {
        div.app {
            aside.sidebar {
                (AppHeader { me: &view.me, csrf: &view.csrf })
                h1.visually-hidden { "Conversations" }
                (ConnState)
                (ContactList { contacts: &view.contacts, more: 0 })
            }
            main.pane.placeholder {
                p { "Choose a contact to start chatting." }
            }
        }
    };
    let title = title_with_unread(APP_NAME, view.total_unread);
    page(&title, "page-contacts", &page_data, content)
}

#[cfg(test)]
mod tests;
