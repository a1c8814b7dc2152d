use maud::Render;

use super::*;
use crate::testing::{contact, message, start_tags};

#[test]
fn unread_badge_is_hidden_only_at_zero() {
    let cases = [(0, true), (1, false), (99, false)];
    for (n, hidden) in cases {
        let html = UnreadBadge(n).render().into_string();
        let tags = start_tags(&html);
        assert_eq!(tags[0].attr("hidden").is_some(), hidden, "{n}");
        assert_eq!(tags[0].attr("data-unread"), Some(n.to_string().as_str()));
        assert!(html.contains(&format!("<span class=\"count\">{n}</span>")));
    }
}

#[test]
fn contact_row_marks_the_active_thread_and_links_to_it() {
    let cases = [
        (false, None, None),
        (true, Some("page"), Some("contact active")),
    ];
    for (active, aria_current, class) in cases {
        let view = ContactView {
            active,
            ..contact("bob", "hi", 0)
        };
        let html = view.render().into_string();
        let tags = start_tags(&html);
        let li = &tags[0];
        assert_eq!(li.attr("class"), class.or(Some("contact")));
        assert_eq!(li.attr("data-username"), Some("bob"));
        assert_eq!(li.attr("data-thread-id"), Some("7"));
        let link = tags.iter().find(|t| t.name == "a").expect("link");
        assert_eq!(link.attr("href"), Some("/chat/bob"));
        assert_eq!(link.attr("aria-current"), aria_current);
    }
}

#[test]
fn contact_without_messages_shows_placeholder_and_no_time() {
    let view = ContactView {
        username: "carol".into(),
        href: "/chat/carol".into(),
        ..ContactView::default()
    };
    let html = view.render().into_string();
    assert!(html.contains("No messages yet"));
    assert!(!html.contains("<time"));
    assert!(!html.contains("data-thread-id"));
}

#[test]
fn contact_with_messages_shows_preview_and_time() {
    let html = contact("bob", "see you", 2).render().into_string();
    assert!(html.contains("<span class=\"preview\">see you</span>"));
    assert!(html.contains(
        "<time class=\"contact-time\" datetime=\"2026-11-23T10:00:00.123Z\">10:00</time>"
    ));
}

#[test]
fn message_item_classes_and_seen_mark() {
    let cases = [
        (true, false, "msg own", false),
        (true, true, "msg own", true),
        (false, false, "msg other", false),
    ];
    for (own, seen, class, has_seen) in cases {
        let html = message_item(&message(5, "bob", "hi", own), seen).into_string();
        let tags = start_tags(&html);
        assert_eq!(tags[0].name, "li");
        assert_eq!(tags[0].attr("class"), Some(class));
        assert_eq!(tags[0].attr("data-id"), Some("5"));
        assert_eq!(html.contains("id=\"seen\""), has_seen);
        assert!(html.contains("<time datetime=\"2026-11-23T10:00:00.123Z\">10:00 UTC</time>"));
    }
}

#[test]
fn message_body_keeps_newlines_and_is_escaped() {
    let html = message(1, "a<b", "x & y\n<b>z</b>", false)
        .render()
        .into_string();
    assert!(html.contains("<p class=\"body\">x &amp; y\n&lt;b&gt;z&lt;/b&gt;</p>"));
    assert!(html.contains("<span class=\"sender\">a&lt;b</span>"));
}

#[test]
fn field_errors_render_nothing_when_empty() {
    let empty = FieldErrors {
        id: "x",
        errors: &[],
    }
    .render()
    .into_string();
    assert_eq!(empty, "");
    let errors = ["too short".to_owned()];
    let html = FieldErrors {
        id: "x-error",
        errors: &errors,
    }
    .render()
    .into_string();
    assert_eq!(
        html,
        "<ul class=\"field-errors\" id=\"x-error\"><li>too short</li></ul>"
    );
}

#[test]
fn app_header_has_a_logout_form_with_csrf() {
    let html = AppHeader {
        me: "alice",
        csrf: "tok",
    }
    .render()
    .into_string();
    assert!(html.contains("<form class=\"logout\" method=\"post\" action=\"/logout\">"));
    assert!(html.contains("<input type=\"hidden\" name=\"csrf\" value=\"tok\">"));
    assert!(html.contains("alice"));
}

#[test]
fn contact_list_empty_state_toggles() {
    let cases: [(&[ContactView], bool); 2] = [(&[], false), (&[ContactView::default()], true)];
    for (contacts, empty_hidden) in cases {
        let html = ContactList { contacts, more: 0 }.render().into_string();
        let tags = start_tags(&html);
        let empty = tags
            .iter()
            .find(|t| t.attr("id") == Some("contacts-empty"))
            .expect("empty");
        assert_eq!(empty.attr("hidden").is_some(), empty_hidden);
        assert!(html.contains("No other users yet"));
        assert!(
            tags.iter()
                .any(|t| t.name == "ul" && t.attr("id") == Some("contacts"))
        );
    }
}

#[test]
fn conn_state_is_hidden_until_the_script_runs() {
    let html = ConnState.render().into_string();
    let tags = start_tags(&html);
    assert_eq!(tags[0].attr("role"), Some("status"));
    assert!(tags[0].attr("hidden").is_some());
}
