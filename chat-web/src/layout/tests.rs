use maud::html;

use super::*;
use crate::testing::start_tags;

/// Expected `<body>` attributes: name and value (`None` = absent).
type Expected = &'static [(&'static str, Option<&'static str>)];

#[test]
fn title_with_unread_prefixes_the_count() {
    let cases = [
        ("Chat", 0, "Chat"),
        ("Chat", 3, "(3) Chat"),
        ("bob · Chat", 12, "(12) bob · Chat"),
    ];
    for (base, n, expected) in cases {
        assert_eq!(title_with_unread(base, n), expected);
    }
}

#[test]
fn body_carries_page_data_as_data_attributes() {
    let full = PageData {
        user: Some("alice".into()),
        csrf: Some("tok".into()),
        thread_id: Some(7),
        peer: Some("bob".into()),
        last_id: 42,
        peer_read_up_to: 41,
    };
    let cases: [(PageData, Expected); 2] = [
        (
            full,
            &[
                ("data-user", Some("alice")),
                ("data-csrf", Some("tok")),
                ("data-thread-id", Some("7")),
                ("data-peer", Some("bob")),
                ("data-last-id", Some("42")),
                ("data-peer-read-up-to", Some("41")),
            ],
        ),
        (
            PageData::default(),
            &[
                ("data-user", None),
                ("data-csrf", None),
                ("data-thread-id", None),
                ("data-peer", None),
                ("data-last-id", Some("0")),
                ("data-peer-read-up-to", Some("0")),
            ],
        ),
    ];
    for (page_data, expected) in cases {
        let html = page("t", "page-x", &page_data, html! { p { "hi" } }).into_string();
        let tags = start_tags(&html);
        let body = tags.iter().find(|t| t.name == "body").expect("body");
        assert_eq!(body.attr("class"), Some("page-x"));
        for (attr, value) in expected {
            assert_eq!(body.attr(attr), *value, "{attr}");
        }
    }
}

#[test]
fn head_links_hashed_assets_and_defers_the_script() {
    let html = page("t", "c", &PageData::default(), html! {}).into_string();
    let tags = start_tags(&html);
    let script = tags.iter().find(|t| t.name == "script").expect("script");
    assert_eq!(
        script.attr("src"),
        Some(crate::asset_url("app.js").as_str())
    );
    assert_eq!(script.attr("defer"), Some(""));
    let stylesheet = tags
        .iter()
        .find(|t| t.name == "link" && t.attr("rel") == Some("stylesheet"))
        .expect("stylesheet");
    assert_eq!(
        stylesheet.attr("href"),
        Some(crate::asset_url("app.css").as_str())
    );
}

#[test]
fn title_and_page_data_are_escaped() {
    let page_data = PageData {
        user: Some("a\"b<c>".into()),
        ..PageData::default()
    };
    let html = page("<x>", "c", &page_data, html! {}).into_string();
    assert!(html.contains("<title>&lt;x&gt;</title>"));
    assert!(html.contains("data-user=\"a&quot;b&lt;c&gt;\""));
}
