use cookie::{Cookie, SameSite};
use http::{Method, StatusCode, header};

use crate::http::{Request, Response};

#[test]
fn constructors_set_status_content_type_and_body() {
    let cases = [
        (
            Response::html(StatusCode::OK, "<p>hi</p>".to_owned()),
            200,
            Some("text/html; charset=utf-8"),
            "<p>hi</p>",
        ),
        (
            Response::text(StatusCode::NOT_FOUND, "nope"),
            404,
            Some("text/plain; charset=utf-8"),
            "nope",
        ),
        (
            Response::json(StatusCode::CREATED, &serde_json::json!({"a": [1, 2]})),
            201,
            Some("application/json"),
            r#"{"a":[1,2]}"#,
        ),
        (Response::empty(StatusCode::NO_CONTENT), 204, None, ""),
        (Response::see_other("/threads/3"), 303, None, ""),
    ];
    for (response, status, content_type, body) in cases {
        assert_eq!(response.status().as_u16(), status);
        assert_eq!(
            response
                .headers()
                .get(header::CONTENT_TYPE)
                .map(|v| v.to_str().unwrap()),
            content_type
        );
        assert_eq!(response.body_bytes(), body.as_bytes());
        assert!(!response.has_upgrade());
    }
    let redirect = Response::see_other("/threads/3");
    assert_eq!(redirect.headers()[header::LOCATION], "/threads/3");
}

#[test]
fn invalid_header_values_are_dropped_not_panicked_on() {
    let response = Response::empty(StatusCode::OK)
        .with_header(header::LOCATION, "/ok")
        .with_header(header::LOCATION, "/evil\r\nSet-Cookie: x=y")
        .with_header(header::CACHE_CONTROL, "no-store");
    assert_eq!(response.headers()[header::LOCATION], "/ok");
    assert_eq!(response.headers()[header::CACHE_CONTROL], "no-store");
    assert!(response.headers().get(header::SET_COOKIE).is_none());
    let redirect = Response::see_other("/a\nb");
    assert_eq!(redirect.status(), StatusCode::SEE_OTHER);
    assert!(redirect.headers().get(header::LOCATION).is_none());
}

#[test]
fn cookies_are_appended() {
    let session = Cookie::build(("session", "tok"))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .build();
    let response = Response::empty(StatusCode::OK)
        .with_cookie(&session)
        .with_cookie(&Cookie::new("flash", "saved"));
    let values: Vec<&str> = response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert_eq!(
        values,
        ["session=tok; HttpOnly; SameSite=Lax; Path=/", "flash=saved"]
    );
}

const ASSET: &[u8] = b"body { color: red }";

#[test]
fn static_assets_answer_304_on_a_matching_etag() {
    // (If-None-Match, given etag, expected status)
    let cases = [
        (None, "abc", 200),
        (Some("\"abc\""), "abc", 304),
        (Some("\"abc\""), "\"abc\"", 304),
        (Some("W/\"abc\""), "abc", 304),
        (Some("\"zzz\", \"abc\""), "abc", 304),
        (Some("*"), "abc", 304),
        (Some("\"abd\""), "abc", 200),
        (Some("abc"), "abc", 200),
    ];
    for (if_none_match, etag, status) in cases {
        let mut req = Request::for_test(Method::GET, "/static/app.css");
        if let Some(value) = if_none_match {
            req = req.with_header(header::IF_NONE_MATCH, value);
        }
        let response = Response::static_asset(&req, ASSET, "text/css", etag, false);
        assert_eq!(
            response.status().as_u16(),
            status,
            "{if_none_match:?} vs {etag}"
        );
        assert_eq!(response.headers()[header::ETAG], "\"abc\"");
        assert_eq!(response.headers()[header::CACHE_CONTROL], "no-cache");
        if status == 304 {
            assert!(response.body_bytes().is_empty());
        } else {
            assert_eq!(response.body_bytes(), ASSET);
            assert_eq!(response.headers()[header::CONTENT_TYPE], "text/css");
        }
    }
}

#[test]
fn immutable_assets_are_cached_for_a_year() {
    let req = Request::for_test(Method::GET, "/static/app.0123abcd.js");
    let response = Response::static_asset(&req, ASSET, "text/javascript", "0123abcd", true);
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()[header::CACHE_CONTROL],
        "public, max-age=31536000, immutable"
    );
}
