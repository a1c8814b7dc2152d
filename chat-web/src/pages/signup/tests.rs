use super::*;
use crate::testing::{Tag, start_tags};

fn input<'a>(tags: &'a [Tag], name: &str) -> &'a Tag {
    tags.iter()
        .find(|t| t.name == "input" && t.attr("name") == Some(name))
        .unwrap_or_else(|| panic!("{name} input"))
}

#[test]
fn username_limits_reach_the_input() {
    let html = render(&SignupView::default()).into_string();
    let username = input(&start_tags(&html), "username").clone();
    let cases = [
        ("minlength", USERNAME_MIN.to_string()),
        ("maxlength", USERNAME_MAX.to_string()),
        ("pattern", USERNAME_PATTERN.to_owned()),
    ];
    for (attr, value) in cases {
        assert_eq!(username.attr(attr), Some(value.as_str()), "{attr}");
    }
    assert!(html.contains("3–32 characters"));
}

#[test]
fn form_has_all_fields_and_a_login_link() {
    let html = render(&SignupView {
        csrf: "tok".into(),
        ..SignupView::default()
    })
    .into_string();
    let tags = start_tags(&html);
    let form = tags.iter().find(|t| t.name == "form").expect("form");
    assert_eq!(form.attr("action"), Some("/signup"));
    let cases = [
        ("username", "text", "username"),
        ("password", "password", "new-password"),
        ("password2", "password", "new-password"),
    ];
    for (name, input_type, autocomplete) in cases {
        let field = input(&tags, name);
        assert_eq!(field.attr("type"), Some(input_type), "{name}");
        assert_eq!(field.attr("autocomplete"), Some(autocomplete), "{name}");
        assert_eq!(field.attr("aria-invalid"), None, "{name}");
        assert!(
            tags.iter()
                .any(|t| t.name == "label" && t.attr("for") == Some(name))
        );
    }
    assert_eq!(input(&tags, "csrf").attr("value"), Some("tok"));
    assert_eq!(
        input(&tags, "username").attr("aria-describedby"),
        Some("username-hint")
    );
    assert!(
        tags.iter()
            .any(|t| t.name == "a" && t.attr("href") == Some("/login"))
    );
}

#[test]
fn each_field_error_is_shown_and_described() {
    type Pick = fn(&mut SignupErrors) -> &mut Vec<String>;
    let cases: [(&str, Pick, &str); 3] = [
        (
            "username",
            |e| &mut e.username,
            "username-hint username-error",
        ),
        ("password", |e| &mut e.password, "password-error"),
        ("password2", |e| &mut e.password2, "password2-error"),
    ];
    for (name, pick, described_by) in cases {
        let mut errors = SignupErrors::default();
        pick(&mut errors).push(format!("bad {name}"));
        let html = render(&SignupView {
            errors,
            ..SignupView::default()
        })
        .into_string();
        let tags = start_tags(&html);
        let field = input(&tags, name);
        assert_eq!(field.attr("aria-invalid"), Some("true"), "{name}");
        assert_eq!(field.attr("aria-describedby"), Some(described_by), "{name}");
        assert!(html.contains(&format!("id=\"{name}-error\"><li>bad {name}</li>")));
        let invalid_inputs = tags
            .iter()
            .filter(|t| t.attr("aria-invalid").is_some())
            .count();
        assert_eq!(invalid_inputs, 1, "only {name} is invalid");
    }
}

#[test]
fn form_errors_are_an_alert() {
    let html = render(&SignupView {
        errors: SignupErrors {
            form: vec!["Form expired, try again".into()],
            ..SignupErrors::default()
        },
        ..SignupView::default()
    })
    .into_string();
    assert!(html.contains("<div class=\"form-error\" role=\"alert\">"));
    assert!(html.contains("<li>Form expired, try again</li>"));
}

#[test]
fn username_is_kept_after_a_rejected_attempt() {
    let html = render(&SignupView {
        username: "alice".into(),
        ..SignupView::default()
    })
    .into_string();
    assert_eq!(
        input(&start_tags(&html), "username").attr("value"),
        Some("alice")
    );
}
