use http::{Method, header};

use crate::http::{OriginCheck, Request, check_origin};

const HOST: Option<&str> = Some("127.0.0.1:8080");

/// The verdict for these Origin header(s) and Host, with one extra allowed origin
/// (and a `null` entry, which must never match).
fn check(origins: &[&str], host: Option<&str>, secure: bool) -> OriginCheck {
    let allowed = ["https://chat.example.com".to_owned(), "null".to_owned()];
    let mut req = Request::for_test(Method::GET, "/ws");
    for origin in origins {
        req = req.with_header(header::ORIGIN, origin);
    }
    if let Some(host) = host {
        req = req.with_header(header::HOST, host);
    }
    check_origin(&req, secure, &allowed)
}

#[test]
fn same_origin_is_scheme_plus_host_exactly() {
    use OriginCheck::{Forbidden, Same};
    let cases = [
        (check(&["http://127.0.0.1:8080"], HOST, false), Same),
        (
            check(&["HTTP://LOCALHOST:8080"], Some("localhost:8080"), false),
            Same,
        ),
        (
            check(&["https://chat.local"], Some("chat.local"), true),
            Same,
        ),
        // Scheme mismatch both ways.
        (
            check(&["http://chat.local"], Some("chat.local"), true),
            Forbidden,
        ),
        (
            check(&["https://chat.local"], Some("chat.local"), false),
            Forbidden,
        ),
        // Look-alikes: longer, shorter, missing port, trailing slash.
        (
            check(&["http://127.0.0.1:8080.evil.example"], HOST, false),
            Forbidden,
        ),
        (check(&["http://127.0.0.1:808"], HOST, false), Forbidden),
        (check(&["http://127.0.0.1"], HOST, false), Forbidden),
        (check(&["http://127.0.0.1:8080/"], HOST, false), Forbidden),
        // No Host header: nothing to be the same as.
        (check(&["http://127.0.0.1:8080"], None, false), Forbidden),
    ];
    for (index, (verdict, expected)) in cases.into_iter().enumerate() {
        assert_eq!(verdict, expected, "case {index}");
    }
}

#[test]
fn allowed_missing_null_and_odd_origins() {
    use OriginCheck::{Allowed, Forbidden, Missing};
    let cases = [
        (check(&["https://chat.example.com"], HOST, false), Allowed),
        (check(&["https://CHAT.example.com"], HOST, true), Allowed),
        (
            check(&["https://chat.example.com.evil.example"], HOST, false),
            Forbidden,
        ),
        (check(&["http://chat.example.com"], HOST, false), Forbidden),
        (check(&["null"], HOST, false), Forbidden),
        (check(&["NULL"], HOST, false), Forbidden),
        (check(&[], HOST, false), Missing),
        (check(&[""], HOST, false), Forbidden),
        (
            check(
                &["http://127.0.0.1:8080", "http://127.0.0.1:8080"],
                HOST,
                false,
            ),
            Forbidden,
        ),
    ];
    for (index, (verdict, expected)) in cases.into_iter().enumerate() {
        assert_eq!(verdict, expected, "case {index}");
    }
}

#[test]
fn trusted_verdicts() {
    assert!(OriginCheck::Same.is_trusted());
    assert!(OriginCheck::Allowed.is_trusted());
    assert!(!OriginCheck::Missing.is_trusted());
    assert!(!OriginCheck::Forbidden.is_trusted());
}
