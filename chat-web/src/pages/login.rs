//! The sign-in page: `POST /login` with `username`, `password`, `csrf` and `next`.

use maud::{Markup, html};

use crate::components::CsrfField;
use crate::layout::{APP_NAME, PageData, page};

/// What the sign-in page shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoginView {
    /// CSRF token for the form (the pre-session token).
    pub csrf: String,
    /// Username to pre-fill (after a failed attempt).
    pub username: String,
    /// Local path to go to after signing in, echoed back in a hidden field.
    pub next: Option<String>,
    /// Why the last attempt failed.
    pub error: Option<String>,
}

/// Renders the sign-in page.
pub fn render(view: &LoginView) -> Markup {
    let page_data = PageData {
        csrf: Some(view.csrf.clone()),
        ..PageData::default()
    };
    let content = html! {
        main.auth {
            h1 { "Sign in to " (APP_NAME) }
            form.card method="post" action="/login" {
                @if let Some(error) = &view.error {
                    p #form-error .form-error role="alert" { (error) }
                }
                (CsrfField(&view.csrf))
                @if let Some(next) = &view.next {
                    input type="hidden" name="next" value=(next);
                }
                label for="username" { "Username" }
                input #username type="text" name="username" value=(view.username)
                    autocomplete="username" autocapitalize="none" spellcheck="false"
                    required autofocus
                    aria-invalid=[view.error.as_ref().map(|_| "true")]
                    aria-describedby=[view.error.as_ref().map(|_| "form-error")];
                label for="password" { "Password" }
                input #password type="password" name="password"
                    autocomplete="current-password" required;
                button.primary type="submit" { "Sign in" }
            }
            p.switch { "No account yet? " a href="/signup" { "Create one" } }
        }
    };
    page(
        &format!("Sign in · {APP_NAME}"),
        "page-auth",
        &page_data,
        content,
    )
}

#[cfg(test)]
mod tests;
