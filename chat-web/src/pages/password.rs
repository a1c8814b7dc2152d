//! The change-password page: `POST /account/password` with `current_password`,
//! `new_password`, `new_password2` and `csrf`.

use maud::{Markup, html};

use crate::components::{AppHeader, CsrfField, FieldErrors};
use crate::layout::{APP_NAME, PageData, page};

/// What the change-password page shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PasswordView {
    /// The signed-in user.
    pub me: String,
    /// CSRF token for the forms.
    pub csrf: String,
    /// Why the last attempt was rejected.
    pub errors: Vec<String>,
    /// Whether the password was just changed.
    pub done: bool,
}

/// Renders the change-password page.
pub fn render(view: &PasswordView) -> Markup {
    let page_data = PageData {
        user: Some(view.me.clone()),
        csrf: Some(view.csrf.clone()),
        ..PageData::default()
    };
    let invalid = !view.errors.is_empty();
    let content = html! {
        (AppHeader { me: &view.me, csrf: &view.csrf })
        main.narrow {
            p.back-row { a.back href="/" { "← Contacts" } }
            h1 { "Change password" }
            @if view.done {
                p.notice role="status" { "Your password has been changed." }
            }
            form.card method="post" action="/account/password" {
                @if invalid {
                    div.form-error role="alert" {
                        (FieldErrors { id: "password-errors", errors: &view.errors })
                    }
                }
                (CsrfField(&view.csrf))
                // Lets password managers know whose password changes; not submitted.
                input type="text" autocomplete="username" value=(view.me) hidden;
                label for="current_password" { "Current password" }
                input #current_password type="password" name="current_password"
                    autocomplete="current-password" required
                    aria-invalid=[invalid.then_some("true")]
                    aria-describedby=[invalid.then_some("password-errors")];
                label for="new_password" { "New password" }
                input #new_password type="password" name="new_password"
                    autocomplete="new-password" required;
                label for="new_password2" { "Repeat new password" }
                input #new_password2 type="password" name="new_password2"
                    autocomplete="new-password" required;
                button.primary type="submit" { "Change password" }
            }
        }
    };
    page(
        &format!("Password · {APP_NAME}"),
        "page-account",
        &page_data,
        content,
    )
}

#[cfg(test)]
mod tests;
