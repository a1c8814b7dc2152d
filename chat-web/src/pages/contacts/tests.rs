use super::*;
use crate::testing::{contact, contacts_view, start_tags};

#[test]
fn title_carries_the_unread_count() {
    let cases = [(0, "<title>Chat</title>"), (3, "<title>(3) Chat</title>")];
    for (total_unread, title) in cases {
        let html = render(&ContactsView {
            total_unread,
            ..ContactsView::default()
        })
        .into_string();
        assert!(html.contains(title), "{total_unread}");
    }
}

#[test]
fn lists_contacts_in_order_with_badges() {
    let view = ContactsView {
        me: "alice".into(),
        csrf: "tok".into(),
        contacts: vec![contact("bob", "hi", 2), contact("carol", "yo", 0)],
        total_unread: 2,
        last_id: 9,
    };
    let html = render(&view).into_string();
    let tags = start_tags(&html);
    let names: Vec<_> = tags
        .iter()
        .filter(|t| t.name == "li")
        .filter_map(|t| t.attr("data-username"))
        .collect();
    assert_eq!(names, ["bob", "carol"]);
    let badges: Vec<_> = tags
        .iter()
        .filter(|t| t.attr("class") == Some("badge"))
        .map(|t| (t.attr("data-unread"), t.attr("hidden").is_some()))
        .collect();
    assert_eq!(badges, [(Some("2"), false), (Some("0"), true)]);
    let empty = tags
        .iter()
        .find(|t| t.attr("id") == Some("contacts-empty"))
        .expect("empty");
    assert!(empty.attr("hidden").is_some());
}

#[test]
fn empty_state_when_alone() {
    let html = render(&ContactsView {
        me: "alice".into(),
        ..ContactsView::default()
    })
    .into_string();
    let tags = start_tags(&html);
    let empty = tags
        .iter()
        .find(|t| t.attr("id") == Some("contacts-empty"))
        .expect("empty");
    assert!(empty.attr("hidden").is_none());
    assert!(html.contains("No other users yet"));
}

#[test]
fn header_shows_the_user_and_a_logout_form() {
    let html = render(&contacts_view("alice")).into_string();
    assert!(html.contains(
        "<span class=\"me\"><span class=\"visually-hidden\">Signed in as </span>alice</span>"
    ));
    assert!(html.contains("action=\"/logout\""));
    assert!(html.contains("name=\"csrf\" value=\"tok-contacts\""));
}

#[test]
fn body_data_lets_the_client_resume() {
    let html = render(&contacts_view("alice")).into_string();
    let tags = start_tags(&html);
    let body = tags.iter().find(|t| t.name == "body").expect("body");
    assert_eq!(body.attr("class"), Some("page-contacts"));
    assert_eq!(body.attr("data-user"), Some("alice"));
    assert_eq!(body.attr("data-last-id"), Some("42"));
    assert_eq!(body.attr("data-thread-id"), None);
}
