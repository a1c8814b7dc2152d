use super::*;
use crate::testing::{assert_escaped, start_tags};

fn view() -> LoginView {
    LoginView {
        csrf: "tok".into(),
        username: "alice".into(),
        next: Some("/chat/bob".into()),
        error: None,
    }
}

fn input<'a>(tags: &'a [crate::testing::Tag], name: &str) -> Option<&'a crate::testing::Tag> {
    tags.iter()
        .find(|t| t.name == "input" && t.attr("name") == Some(name))
}

#[test]
fn form_posts_credentials_csrf_and_next() {
    let html = render(&view()).into_string();
    let tags = start_tags(&html);
    let form = tags.iter().find(|t| t.name == "form").expect("form");
    assert_eq!(form.attr("action"), Some("/login"));
    assert_eq!(form.attr("method"), Some("post"));
    let cases = [
        ("username", "text", Some("alice")),
        ("password", "password", None),
        ("csrf", "hidden", Some("tok")),
        ("next", "hidden", Some("/chat/bob")),
    ];
    for (name, input_type, value) in cases {
        let field = input(&tags, name).unwrap_or_else(|| panic!("{name} input"));
        assert_eq!(field.attr("type"), Some(input_type), "{name}");
        assert_eq!(field.attr("value"), value, "{name}");
    }
    assert!(
        tags.iter()
            .any(|t| t.name == "a" && t.attr("href") == Some("/signup"))
    );
    assert_eq!(
        input(&tags, "password").and_then(|t| t.attr("autocomplete")),
        Some("current-password")
    );
}

#[test]
fn next_is_escaped_and_omitted_when_absent() {
    let hostile = "/x\"><script>alert(1)</script>";
    let html = render(&LoginView {
        next: Some(hostile.into()),
        ..view()
    })
    .into_string();
    assert_escaped(&html, hostile);
    let tags = start_tags(&html);
    assert_eq!(
        input(&tags, "next").and_then(|t| t.attr("value")),
        Some("/x&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;")
    );

    let html = render(&LoginView {
        next: None,
        ..view()
    })
    .into_string();
    assert!(input(&start_tags(&html), "next").is_none());
}

#[test]
fn error_is_announced_and_linked_to_the_username() {
    let html = render(&LoginView {
        error: Some("Wrong username or password".into()),
        ..view()
    })
    .into_string();
    assert!(html.contains("role=\"alert\">Wrong username or password</p>"));
    let tags = start_tags(&html);
    let username = input(&tags, "username").expect("username");
    assert_eq!(username.attr("aria-invalid"), Some("true"));
    assert_eq!(username.attr("aria-describedby"), Some("form-error"));

    let html = render(&view()).into_string();
    assert!(!html.contains("role=\"alert\""));
    assert!(!html.contains("aria-invalid"));
}

#[test]
fn title_names_the_page() {
    let html = render(&view()).into_string();
    assert!(html.contains("<title>Sign in · Chat</title>"));
}
