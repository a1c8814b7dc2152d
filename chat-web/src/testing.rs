//! Test helpers: a tiny tag scanner for asserting on rendered HTML, and hostile sample
//! view models for every page.

use maud::Markup;

use crate::{
    ContactView, ContactsView, ErrorView, LoginView, MessageView, PasswordView, SignupErrors,
    SignupView, ThreadView, pages,
};

/// Text that must never reach the page unescaped.
pub const XSS: &[&str] = &["<script>alert(1)</script>", "<img src=x onerror=alert(1)>"];

/// One start tag found in a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    /// Lowercased element name.
    pub name: String,
    /// Attributes in source order; valueless attributes have an empty value.
    pub attrs: Vec<(String, String)>,
    /// Byte offset just past the tag's closing `>`.
    pub end: usize,
}

impl Tag {
    /// The value of attribute `name`, if present.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

/// Every start tag of `html`, in order. Understands quoted attribute values, comments and the
/// doctype; enough for maud's output, which is well formed.
pub fn start_tags(html: &str) -> Vec<Tag> {
    let bytes = html.as_bytes();
    let mut tags = Vec::new();
    let mut i = 0;
    while let Some(offset) = html[i..].find('<') {
        let start = i + offset + 1;
        if html[start..].starts_with("!--") {
            i = start + html[start..].find("-->").expect("unterminated comment") + 3;
            continue;
        }
        if !bytes.get(start).is_some_and(u8::is_ascii_alphabetic) {
            i = start;
            continue;
        }
        let (tag, end) = parse_tag(html, start);
        tags.push(tag);
        i = end;
    }
    tags
}

/// The full content (bytes between start and end tag) of the element a tag opened.
pub fn inner_text<'a>(html: &'a str, tag: &Tag) -> &'a str {
    let close = format!("</{}>", tag.name);
    let rest = &html[tag.end..];
    &rest[..rest.find(&close).unwrap_or(0)]
}

/// Every start tag with `name`.
pub fn tags_named<'a>(tags: &'a [Tag], name: &'a str) -> impl Iterator<Item = &'a Tag> + 'a {
    tags.iter().filter(move |tag| tag.name == name)
}

/// Asserts that `html` contains `needle` escaped and never raw.
pub fn assert_escaped(html: &str, needle: &str) {
    let escaped = needle
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;");
    assert!(!html.contains(needle), "raw {needle:?} in output");
    assert!(
        html.contains(&escaped),
        "escaped {needle:?} missing from output"
    );
}

/// Every page, rendered from views whose user text is hostile, with a name for messages.
pub fn all_pages(hostile: &str) -> Vec<(&'static str, Markup)> {
    vec![
        ("login", pages::login::render(&login_view(hostile))),
        ("signup", pages::signup::render(&signup_view(hostile))),
        ("contacts", pages::contacts::render(&contacts_view(hostile))),
        (
            "contacts-empty",
            pages::contacts::render(&ContactsView::default()),
        ),
        ("thread", pages::thread::render(&thread_view(hostile))),
        (
            "thread-empty",
            pages::thread::render(&ThreadView::default()),
        ),
        ("error", pages::error::render(&error_view(hostile))),
        ("password", pages::password::render(&password_view(hostile))),
    ]
}

pub fn login_view(hostile: &str) -> LoginView {
    LoginView {
        csrf: "tok-login".into(),
        username: hostile.into(),
        next: Some(format!("/chat/x\"{hostile}")),
        error: Some(hostile.into()),
    }
}

pub fn signup_view(hostile: &str) -> SignupView {
    SignupView {
        csrf: "tok-signup".into(),
        username: hostile.into(),
        errors: SignupErrors {
            username: vec![hostile.into()],
            password: vec![hostile.into()],
            password2: vec![hostile.into()],
            form: vec![hostile.into()],
        },
    }
}

pub fn contact(username: &str, preview: &str, unread: u64) -> ContactView {
    ContactView {
        username: username.into(),
        href: format!("/chat/{username}"),
        thread_id: Some(7),
        preview: Some(preview.into()),
        last_sent_at: Some("2026-11-23T10:00:00.123Z".into()),
        last_time_label: Some("10:00".into()),
        unread,
        active: false,
    }
}

pub fn contacts_view(hostile: &str) -> ContactsView {
    ContactsView {
        me: hostile.into(),
        csrf: "tok-contacts".into(),
        contacts: vec![
            contact(hostile, hostile, 3),
            ContactView {
                username: "carol".into(),
                href: "/chat/carol".into(),
                ..ContactView::default()
            },
        ],
        total_unread: 3,
        last_id: 42,
    }
}

pub fn message(id: i64, sender: &str, body: &str, own: bool) -> MessageView {
    MessageView {
        id,
        sender: sender.into(),
        body: body.into(),
        sent_at: "2026-11-23T10:00:00.123Z".into(),
        time_label: "10:00 UTC".into(),
        own,
    }
}

pub fn thread_view(hostile: &str) -> ThreadView {
    ThreadView {
        more_contacts: 0,
        me: "alice".into(),
        csrf: "tok-thread".into(),
        thread_id: 7,
        peer: hostile.into(),
        contacts: vec![ContactView {
            active: true,
            ..contact(hostile, hostile, 0)
        }],
        messages: vec![
            message(40, hostile, hostile, false),
            message(41, "alice", hostile, true),
            message(42, hostile, "line one\nline two", false),
        ],
        older_href: Some("/threads/7?before=40".into()),
        newer_href: None,
        last_id: 42,
        peer_read_up_to: 41,
        total_unread: 3,
        error: Some(hostile.into()),
        draft: hostile.into(),
    }
}

pub fn error_view(hostile: &str) -> ErrorView {
    ErrorView {
        status: 404,
        title: hostile.into(),
        message: hostile.into(),
        me: Some(hostile.into()),
    }
}

pub fn password_view(hostile: &str) -> PasswordView {
    PasswordView {
        me: hostile.into(),
        csrf: "tok-password".into(),
        errors: vec![hostile.into()],
        done: true,
    }
}

fn parse_tag(html: &str, start: usize) -> (Tag, usize) {
    let bytes = html.as_bytes();
    let mut i = start;
    while i < bytes.len() && !bytes[i].is_ascii_whitespace() && bytes[i] != b'>' && bytes[i] != b'/'
    {
        i += 1;
    }
    let name = html[start..i].to_ascii_lowercase();
    let mut attrs = Vec::new();
    loop {
        while i < bytes.len() && (bytes[i].is_ascii_whitespace() || bytes[i] == b'/') {
            i += 1;
        }
        if i >= bytes.len() || bytes[i] == b'>' {
            break;
        }
        let key_start = i;
        while i < bytes.len() && !b" \t\n=>/".contains(&bytes[i]) {
            i += 1;
        }
        let key = html[key_start..i].to_ascii_lowercase();
        let mut value = String::new();
        if bytes.get(i) == Some(&b'=') {
            i += 1;
            let quote = bytes[i];
            assert!(
                quote == b'"',
                "unquoted attribute value in <{name} {key}=…>"
            );
            let value_end = i + 1 + html[i + 1..].find('"').expect("unterminated attribute");
            value = html[i + 1..value_end].to_owned();
            i = value_end + 1;
        }
        attrs.push((key, value));
    }
    (
        Tag {
            name,
            attrs,
            end: i + 1,
        },
        i + 1,
    )
}
