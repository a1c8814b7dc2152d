//! Security headers: every HTML page carries the exact CSP, `nosniff` and
//! `Referrer-Policy: same-origin`, and holds nothing the CSP would block (no
//! inline script, style or event handler); other responses carry the last two.

use http::{Method, StatusCode};

use crate::CSP;
use crate::support::{Client, GOOD_PASSWORD, Response, TestServer, user};

#[track_caller]
fn header<'a>(response: &'a Response, name: &str) -> Option<&'a str> {
    response.headers.get(name).and_then(|v| v.to_str().ok())
}

/// Asserts the common headers, and for HTML the CSP and the absence of inline code.
#[track_caller]
fn check(response: &Response, what: &str, expect_html: bool) {
    assert_eq!(
        header(response, "x-content-type-options"),
        Some("nosniff"),
        "{what}"
    );
    assert_eq!(
        header(response, "referrer-policy"),
        Some("same-origin"),
        "{what}"
    );
    let is_html = response.content_type().starts_with("text/html");
    assert_eq!(
        is_html,
        expect_html,
        "{what}: content type {:?}",
        response.content_type()
    );
    if !is_html {
        return;
    }
    assert_eq!(
        header(response, "content-security-policy"),
        Some(CSP),
        "{what}"
    );
    assert_eq!(
        response
            .headers
            .get_all("content-security-policy")
            .iter()
            .count(),
        1,
        "{what}"
    );
    let body = response.body.to_ascii_lowercase();
    for tag in body.split("<script").skip(1) {
        let open = tag.split('>').next().unwrap_or("");
        assert!(open.contains("src="), "{what}: inline <script{open}>");
    }
    assert!(!body.contains("<style"), "{what}: inline <style>");
    assert!(!body.contains(" style="), "{what}: style attribute");
    let handler = inline_handler(&body);
    assert!(
        handler.is_none(),
        "{what}: inline event handler {handler:?}"
    );
    assert!(!body.contains("javascript:"), "{what}: javascript: URL");
}

#[tokio::test]
async fn every_html_page_has_the_csp_nosniff_and_referrer_policy() {
    let server = TestServer::start_with(&["--signup-limit", "3"]).await;
    let mut anon = Client::new(&server);
    // Anonymous pages, including every error page a visitor can reach.
    for (path, status) in [
        ("/login", StatusCode::OK),
        ("/login?next=%2Fthreads%2F1", StatusCode::OK),
        ("/signup", StatusCode::OK),
        ("/no-such-page", StatusCode::NOT_FOUND),
    ] {
        let response = anon.get(path).await;
        assert_eq!(response.status, status, "GET {path}");
        check(&response, &format!("GET {path}"), true);
    }
    let wrong = anon.try_login("nobody", "Wrong-Password-1", None).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    check(&wrong, "failed login", true);
    let weak = anon.try_signup("weak", "123", "123").await;
    assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY);
    check(&weak, "refused signup", true);
    let forbidden = anon
        .post_form("/login", &[("username", "x"), ("csrf", "forged")])
        .await;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN);
    check(&forbidden, "bad CSRF", true);
    let not_allowed = anon
        .request(Method::DELETE, "/login", &[], Vec::new())
        .await;
    assert_eq!(not_allowed.status, StatusCode::METHOD_NOT_ALLOWED);
    check(&not_allowed, "wrong method", true);
    for name in ["one", "two"] {
        user(&server, name).await;
    }
    let throttled = anon.try_signup("three", GOOD_PASSWORD, GOOD_PASSWORD).await;
    assert_eq!(throttled.status, StatusCode::TOO_MANY_REQUESTS);
    check(&throttled, "signup throttled", true);

    // Logged-in pages.
    let mut alice = Client::new(&server);
    alice.login("one", GOOD_PASSWORD).await;
    let thread = alice.open_thread("two").await;
    alice
        .post_message(thread, "<script>alert(1)</script>")
        .await;
    for (path, status) in [
        ("/".to_owned(), StatusCode::OK),
        (format!("/threads/{thread}"), StatusCode::OK),
        ("/threads/999999".to_owned(), StatusCode::NOT_FOUND),
        ("/account/password".to_owned(), StatusCode::OK),
    ] {
        let response = alice.get(&path).await;
        assert_eq!(response.status, status, "GET {path}");
        check(&response, &format!("GET {path}"), true);
    }
    let csrf = alice.csrf("/account/password").await;
    let refused = alice
        .post_form(
            "/account/password",
            &[("current_password", "nope"), ("csrf", &csrf)],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    check(&refused, "refused password change", true);

    // Other responses: no CSP needed, but nosniff and the referrer policy.
    let mut api = alice;
    let messages = format!("/api/threads/{thread}/messages");
    for path in ["/healthz", "/api/threads", messages.as_str()] {
        let response = api.get(path).await;
        assert_eq!(response.status, StatusCode::OK, "GET {path}");
        check(&response, &format!("GET {path}"), false);
    }
}

/// The first `onsomething=` attribute in lowercased HTML, if any.
fn inline_handler(html: &str) -> Option<&str> {
    html.split(|c: char| c.is_whitespace() || c == '<')
        .find(|word| {
            word.strip_prefix("on")
                .and_then(|rest| rest.split_once('='))
                .is_some_and(|(name, _)| {
                    !name.is_empty() && name.chars().all(|c| c.is_ascii_lowercase())
                })
        })
}
