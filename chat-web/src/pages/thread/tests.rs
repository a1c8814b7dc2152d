use super::*;
use crate::testing::{Tag, inner_text, message, start_tags, thread_view};

fn view() -> ThreadView {
    ThreadView {
        peer: "bob".into(),
        error: None,
        draft: String::new(),
        ..thread_view("bob")
    }
}

fn find(tags: &[Tag], pred: impl Fn(&Tag) -> bool) -> &Tag {
    tags.iter().find(|t| pred(t)).expect("tag")
}

#[test]
fn log_is_a_live_region_with_messages_in_order() {
    let html = render(&view()).into_string();
    let tags = start_tags(&html);
    let log = find(&tags, |t| t.attr("id") == Some("log"));
    assert_eq!(log.name, "ol");
    assert_eq!(log.attr("role"), Some("log"));
    assert_eq!(log.attr("aria-live"), Some("polite"));
    let items: Vec<_> = tags
        .iter()
        .filter(|t| t.name == "li" && t.attr("data-id").is_some())
        .map(|t| (t.attr("data-id"), t.attr("class")))
        .collect();
    assert_eq!(
        items,
        [
            (Some("40"), Some("msg other")),
            (Some("41"), Some("msg own")),
            (Some("42"), Some("msg other")),
        ]
    );
}

#[test]
fn composer_posts_body_and_csrf_to_the_thread() {
    let html = render(&ThreadView {
        draft: "half a thought".into(),
        ..view()
    })
    .into_string();
    let tags = start_tags(&html);
    let form = find(&tags, |t| {
        t.name == "form" && t.attr("id") == Some("composer")
    });
    assert_eq!(form.attr("action"), Some("/threads/7/messages"));
    assert_eq!(form.attr("method"), Some("post"));
    let form_html = inner_text(&html, form);
    assert!(form_html.contains("name=\"csrf\" value=\"tok-thread\""));
    let textarea = find(&tags, |t| t.name == "textarea");
    assert_eq!(textarea.attr("name"), Some("body"));
    assert_eq!(inner_text(&html, textarea), "half a thought");
    assert!(form_html.contains("<button class=\"primary\" type=\"submit\">Send</button>"));
}

#[test]
fn seen_mark_sits_on_the_newest_own_message_once_read() {
    // view() has own message 41 between peer messages 40 and 42; `extra_own` appends 43.
    let cases = [
        (false, 40, None),
        (false, 41, Some("41")),
        (false, 42, Some("41")),
        (true, 42, None),
        (true, 43, Some("43")),
    ];
    for (extra_own, peer_read_up_to, seen_on) in cases {
        let mut thread = view();
        if extra_own {
            thread.messages.push(message(43, "alice", "later", true));
        }
        thread.peer_read_up_to = peer_read_up_to;
        let html = render(&thread).into_string();
        let tags = start_tags(&html);
        let marked: Vec<_> = tags
            .iter()
            .filter(|t| t.name == "li" && inner_text(&html, t).contains("id=\"seen\""))
            .filter_map(|t| t.attr("data-id"))
            .collect();
        let expected: Vec<&str> = seen_on.into_iter().collect();
        assert_eq!(
            marked, expected,
            "extra_own={extra_own} read={peer_read_up_to}"
        );
    }
}

#[test]
fn paging_links_appear_when_given() {
    let cases = [
        (Some("/threads/7?before=40"), None),
        (None, Some("/threads/7?before=99")),
        (None, None),
    ];
    for (older, newer) in cases {
        let html = render(&ThreadView {
            more_contacts: 0,
            older_href: older.map(Into::into),
            newer_href: newer.map(Into::into),
            ..view()
        })
        .into_string();
        let tags = start_tags(&html);
        let link = |rel| {
            tags.iter()
                .find(|t| t.name == "a" && t.attr("rel") == Some(rel))
        };
        assert_eq!(link("prev").and_then(|t| t.attr("href")), older);
        assert_eq!(link("next").and_then(|t| t.attr("href")), newer);
    }
}

#[test]
fn slots_for_the_client_exist() {
    let html = render(&view()).into_string();
    let tags = start_tags(&html);
    for id in ["typing", "composer-body", "contacts", "log"] {
        assert!(tags.iter().any(|t| t.attr("id") == Some(id)), "{id}");
    }
    assert_eq!(
        tags.iter()
            .filter(|t| t.attr("class") == Some("conn-state"))
            .count(),
        1
    );
    let back = find(&tags, |t| t.attr("class") == Some("back"));
    assert_eq!(back.attr("href"), Some("/"));
}

#[test]
fn body_data_and_title() {
    let html = render(&view()).into_string();
    let tags = start_tags(&html);
    let body = find(&tags, |t| t.name == "body");
    let expected = [
        ("class", "page-thread"),
        ("data-user", "alice"),
        ("data-csrf", "tok-thread"),
        ("data-thread-id", "7"),
        ("data-peer", "bob"),
        ("data-last-id", "42"),
        ("data-peer-read-up-to", "41"),
    ];
    for (attr, value) in expected {
        assert_eq!(body.attr(attr), Some(value), "{attr}");
    }
    assert!(html.contains("<title>(3) bob · Chat</title>"));
}

#[test]
fn empty_thread_invites_a_first_message_and_errors_show() {
    let html = render(&ThreadView {
        messages: Vec::new(),
        error: Some("Message is empty".into()),
        ..view()
    })
    .into_string();
    assert!(html.contains("No messages yet"));
    assert!(html.contains("role=\"alert\">Message is empty</p>"));
    let tags = start_tags(&html);
    let textarea = find(&tags, |t| t.name == "textarea");
    assert_eq!(textarea.attr("aria-describedby"), Some("composer-error"));
}
