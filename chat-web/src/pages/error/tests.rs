use super::*;
use crate::testing::start_tags;

#[test]
fn every_status_renders_its_code_and_title() {
    let cases = [
        (400, "Bad request"),
        (403, "Forbidden"),
        (404, "Not found"),
        (405, "Method not allowed"),
        (413, "Too large"),
        (429, "Too many requests"),
        (500, "Something went wrong"),
    ];
    for (status, title) in cases {
        let html = render(&ErrorView {
            status,
            title: title.into(),
            message: "Sorry.".into(),
            me: None,
        })
        .into_string();
        assert!(html.contains(&format!("<title>{status} {title} · Chat</title>")));
        assert!(html.contains(&format!("<p class=\"status-code\">{status}</p>")));
        assert!(html.contains(&format!("<h1>{title}</h1>")));
        assert!(html.contains("Sorry."));
    }
}

#[test]
fn the_way_back_depends_on_being_signed_in() {
    let cases = [(Some("alice"), "/", true), (None, "/login", false)];
    for (me, href, signed_in) in cases {
        let html = render(&ErrorView {
            status: 404,
            me: me.map(Into::into),
            ..ErrorView::default()
        })
        .into_string();
        let tags = start_tags(&html);
        assert!(
            tags.iter()
                .any(|t| t.name == "a" && t.attr("href") == Some(href))
        );
        assert_eq!(html.contains("Signed in as alice"), signed_in);
        let body = tags.iter().find(|t| t.name == "body").expect("body");
        assert_eq!(
            body.attr("data-user"),
            None,
            "no live connection on error pages"
        );
    }
}
