use http::{Method, header};

use crate::http::{Form, Request};

#[test]
fn for_test_splits_path_and_query() {
    let cases = [
        ("/threads/3?page=2&x=y", "/threads/3", "page=2&x=y"),
        ("/", "/", ""),
        ("/a?", "/a", ""),
        ("/a?b?c", "/a", "b?c"),
    ];
    for (uri, path, query) in cases {
        let req = Request::for_test(Method::GET, uri);
        assert_eq!(
            (req.path.as_str(), req.query.as_str()),
            (path, query),
            "{uri}"
        );
    }
}

#[test]
fn cookies_are_found_across_headers() {
    let req = Request::for_test(Method::GET, "/")
        .with_header(header::COOKIE, "theme=dark; session=abc.def; lang=en")
        .with_header("cookie", "other=1;session=second")
        .with_header("cookie", "broken; =novalue; quoted=\"q\"");
    let cases = [
        ("session", Some("abc.def")),
        ("theme", Some("dark")),
        ("lang", Some("en")),
        ("other", Some("1")),
        ("quoted", Some("q")),
        ("missing", None),
        ("Session", None),
    ];
    for (name, expected) in cases {
        assert_eq!(req.cookie(name).as_deref(), expected, "{name}");
    }
    assert_eq!(Request::for_test(Method::GET, "/").cookie("session"), None);
}

#[test]
fn form_bodies_are_percent_and_plus_decoded() {
    let req = Request::for_test(Method::POST, "/login")
        .with_header(
            header::CONTENT_TYPE,
            "application/x-www-form-urlencoded; charset=UTF-8",
        )
        .with_body(
            "username=al+ice&password=p%40ss%26w%3Drd&empty=&username=second&caf%C3%A9=%E2%9C%93",
        );
    let form = req.form();
    let cases = [
        ("username", Some("al ice")),
        ("password", Some("p@ss&w=rd")),
        ("empty", Some("")),
        ("café", Some("✓")),
        ("nope", None),
    ];
    for (key, expected) in cases {
        assert_eq!(form.get(key), expected, "{key}");
    }
    assert_eq!(form.pairs().len(), 5);
}

#[test]
fn form_needs_a_form_content_type_when_one_is_declared() {
    let cases = [
        (None, Some("1")),
        (Some("application/x-www-form-urlencoded"), Some("1")),
        (Some("Application/X-WWW-Form-Urlencoded"), Some("1")),
        (Some("text/plain"), None),
        (Some("application/json"), None),
        (Some("multipart/form-data; boundary=x"), None),
    ];
    for (content_type, expected) in cases {
        let mut req = Request::for_test(Method::POST, "/").with_body("a=1");
        if let Some(content_type) = content_type {
            req = req.with_header(header::CONTENT_TYPE, content_type);
        }
        assert_eq!(req.form().get("a"), expected, "{content_type:?}");
    }
}

#[test]
fn query_params_decode_like_forms() {
    let req = Request::for_test(Method::GET, "/search?q=a+b%2Bc&page=2");
    let params = req.query_params();
    assert_eq!(params.get("q"), Some("a b+c"));
    assert_eq!(params.get("page"), Some("2"));
    assert_eq!(
        Request::for_test(Method::GET, "/").query_params(),
        Form::default()
    );
}

#[test]
fn path_segments_are_decoded_and_empty_ones_dropped() {
    let cases: [(&str, &[&str]); 6] = [
        ("/", &[]),
        ("/threads/42", &["threads", "42"]),
        ("//threads///42/", &["threads", "42"]),
        ("/u/al%20ice/a+b", &["u", "al ice", "a+b"]),
        ("/x/%E2%9C%93/%zz/%4", &["x", "✓", "%zz", "%4"]),
        ("/a%2Fb", &["a/b"]),
    ];
    for (path, expected) in cases {
        assert_eq!(
            Request::for_test(Method::GET, path).path_segments(),
            expected,
            "{path}"
        );
    }
}

#[test]
fn websocket_upgrade_detection() {
    let upgrade = |method: Method, upgrade: &str, connection: &str| {
        Request::for_test(method, "/ws")
            .with_header(header::UPGRADE, upgrade)
            .with_header(header::CONNECTION, connection)
            .is_websocket_upgrade()
    };
    assert!(upgrade(Method::GET, "websocket", "Upgrade"));
    assert!(upgrade(Method::GET, "WebSocket", "keep-alive, Upgrade"));
    assert!(!upgrade(Method::POST, "websocket", "upgrade"));
    assert!(!upgrade(Method::GET, "h2c", "upgrade"));
    assert!(!upgrade(Method::GET, "websocket", "keep-alive"));
    assert!(!Request::for_test(Method::GET, "/ws").is_websocket_upgrade());
}

#[test]
fn builders_and_header_lookup() {
    let peer = "10.0.0.7:4242".parse().unwrap();
    let req = Request::for_test(Method::GET, "/")
        .with_header("X-Thing", "one")
        .with_header("x-thing", "two")
        .with_header("bad name", "ignored")
        .with_header("x-bad-value", "line\nbreak")
        .with_peer(peer);
    assert_eq!(req.header("x-thing"), Some("one"));
    assert_eq!(req.header("X-THING"), Some("one"));
    assert_eq!(req.headers.len(), 2);
    assert_eq!(req.header("x-bad-value"), None);
    assert_eq!(req.peer, peer);
    let debug = format!("{req:?}");
    assert!(
        !debug.contains("x-thing"),
        "headers stay out of Debug: {debug}"
    );
}
