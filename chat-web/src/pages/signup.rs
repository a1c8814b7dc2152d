//! The sign-up page: `POST /signup` with `username`, `password`, `password2` and `csrf`,
//! showing the server's messages next to each field.

use maud::{Markup, Render, html};

use crate::components::{CsrfField, FieldErrors};
use crate::layout::{APP_NAME, PageData, page};

/// Fewest characters of a username, mirrored from `chat_core::USERNAME_MIN` for the browser's
/// own validation; the server still validates. (chat-web does not depend on chat-core, so a
/// workspace-level test should assert the two stay equal.)
pub const USERNAME_MIN: usize = 3;
/// Most characters of a username, mirrored from `chat_core::USERNAME_MAX`.
pub const USERNAME_MAX: usize = 32;
/// Characters a username may use, as an HTML `pattern` (mirrors `chat_core::Username`).
pub const USERNAME_PATTERN: &str = "[A-Za-z0-9_.\\-]+";

/// What the sign-up page shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SignupView {
    /// CSRF token for the form.
    pub csrf: String,
    /// Username to pre-fill after a rejected attempt.
    pub username: String,
    /// Messages from the last attempt, per field.
    pub errors: SignupErrors,
}

/// Validation messages of a sign-up attempt, per field.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SignupErrors {
    /// About the username (taken, too short…).
    pub username: Vec<String>,
    /// About the password.
    pub password: Vec<String>,
    /// About the confirmation (does not match).
    pub password2: Vec<String>,
    /// Not tied to one field (expired form…).
    pub form: Vec<String>,
}

/// Renders the sign-up page.
pub fn render(view: &SignupView) -> Markup {
    let page_data = PageData {
        csrf: Some(view.csrf.clone()),
        ..PageData::default()
    };
    let errors = &view.errors;
    let username_hint =
        format!("{USERNAME_MIN}–{USERNAME_MAX} characters: letters, digits, “_”, “.” and “-”.");
    let content = html! {
        main.auth {
            h1 { "Create an account" }
            form.card method="post" action="/signup" {
                @if !errors.form.is_empty() {
                    div.form-error role="alert" {
                        (FieldErrors { id: "form-error", errors: &errors.form })
                    }
                }
                (CsrfField(&view.csrf))
                (Field {
                    name: "username", label: "Username", kind: FieldKind::Username,
                    value: &view.username, hint: Some(&username_hint), errors: &errors.username,
                })
                (Field {
                    name: "password", label: "Password", kind: FieldKind::NewPassword,
                    value: "", hint: None, errors: &errors.password,
                })
                (Field {
                    name: "password2", label: "Repeat password", kind: FieldKind::NewPassword,
                    value: "", hint: None, errors: &errors.password2,
                })
                button.primary type="submit" { "Sign up" }
            }
            p.switch { "Already have an account? " a href="/login" { "Sign in" } }
        }
    };
    page(
        &format!("Sign up · {APP_NAME}"),
        "page-auth",
        &page_data,
        content,
    )
}

/// A labelled input with its optional hint and error list, wired up for assistive tech.
struct Field<'a> {
    name: &'a str,
    label: &'a str,
    kind: FieldKind,
    value: &'a str,
    hint: Option<&'a str>,
    errors: &'a [String],
}

/// What an input holds, which decides its type and browser hints.
#[derive(Clone, Copy, PartialEq, Eq)]
enum FieldKind {
    Username,
    NewPassword,
}

impl Render for Field<'_> {
    fn render(&self) -> Markup {
        let hint_id = format!("{}-hint", self.name);
        let error_id = format!("{}-error", self.name);
        let invalid = !self.errors.is_empty();
        let described_by = [
            self.hint.map(|_| hint_id.as_str()),
            invalid.then_some(error_id.as_str()),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
        html! {
            div.field.invalid[invalid] {
                label for=(self.name) { (self.label) }
                @match self.kind {
                    FieldKind::Username => input id=(self.name) type="text" name=(self.name)
                        value=(self.value) autocomplete="username" required
                        minlength=(USERNAME_MIN) maxlength=(USERNAME_MAX)
                        pattern=(USERNAME_PATTERN)
                        autocapitalize="none" spellcheck="false"
                        aria-invalid=[invalid.then_some("true")]
                        aria-describedby=[(!described_by.is_empty()).then_some(&described_by)];,
                    FieldKind::NewPassword => input id=(self.name) type="password"
                        name=(self.name) autocomplete="new-password" required
                        aria-invalid=[invalid.then_some("true")]
                        aria-describedby=[(!described_by.is_empty()).then_some(&described_by)];,
                }
                @if let Some(hint) = self.hint {
                    p.hint id=(hint_id) { (hint) }
                }
                (FieldErrors { id: &error_id, errors: self.errors })
            }
        }
    }
}

#[cfg(test)]
mod tests;
