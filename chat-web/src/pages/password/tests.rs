use super::*;
use crate::testing::start_tags;

fn view() -> PasswordView {
    PasswordView {
        me: "alice".into(),
        csrf: "tok".into(),
        errors: Vec::new(),
        done: false,
    }
}

#[test]
fn form_posts_the_three_passwords_with_csrf() {
    let html = render(&view()).into_string();
    let tags = start_tags(&html);
    let form = tags
        .iter()
        .find(|t| t.name == "form" && t.attr("action") == Some("/account/password"))
        .expect("password form");
    assert_eq!(form.attr("method"), Some("post"));
    let cases = [
        ("current_password", "current-password"),
        ("new_password", "new-password"),
        ("new_password2", "new-password"),
    ];
    for (name, autocomplete) in cases {
        let field = tags
            .iter()
            .find(|t| t.name == "input" && t.attr("name") == Some(name))
            .unwrap_or_else(|| panic!("{name}"));
        assert_eq!(field.attr("type"), Some("password"));
        assert_eq!(field.attr("autocomplete"), Some(autocomplete));
    }
    assert!(html.contains("name=\"csrf\" value=\"tok\""));
    assert!(!html.contains("role=\"status\">Your password"));
}

#[test]
fn done_and_errors_are_shown() {
    let cases = [
        (true, vec![], "Your password has been changed.", false),
        (
            false,
            vec!["Wrong current password".to_owned()],
            "Wrong current password",
            true,
        ),
    ];
    for (done, errors, text, invalid) in cases {
        let html = render(&PasswordView {
            errors,
            done,
            ..view()
        })
        .into_string();
        assert!(html.contains(text), "{text}");
        assert_eq!(html.contains("aria-invalid=\"true\""), invalid);
    }
}
