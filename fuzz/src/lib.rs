//! The fuzzed properties: one function per target, each taking raw bytes and
//! panicking when a parser breaks a rule it promises. The cargo-fuzz targets call
//! them on libFuzzer's input; the stable test suite (`tests/tests/minifuzz`) calls
//! them on a seeded random corpus, so both check exactly the same things.
//!
//! Beyond "does not panic", each asserts what the parser guarantees: decoded
//! frames survive an encode/decode round trip, decoded forms re-encode to the
//! same pairs, parsed values satisfy their type's invariants.

use chat_core::password::{
    PASSWORD_MAX_BYTES, PASSWORD_MIN_CHARS, PasswordProblem, check_password,
};
use chat_core::{
    BODY_MAX_CHARS, BodyError, CLIENT_ID_MAX, ClientIdError, ClientMessageId, MessageBody,
    USERNAME_MAX, USERNAME_MIN, Username, UsernameError,
};
use chat_transport::http::{Form, OriginCheck, Request, check_origin};
use chat_transport::wire::decode_client_frame;
use http::Method;

/// Longest error text the decoder may echo back to a client.
const FRAME_ERROR_MAX: usize = 200;

/// `chat_transport::wire::decode_client_frame`: a text frame (WebSocket text is
/// UTF-8; other bytes never reach the decoder) either decodes to a frame that
/// survives an encode/decode round trip, or is refused with a short message.
pub fn client_frame(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match decode_client_frame(text) {
        Ok(frame) => {
            let json = serde_json::to_string(&frame)
                .unwrap_or_else(|e| panic!("decoded {text:?} but cannot encode {frame:?}: {e}"));
            let again = decode_client_frame(&json);
            assert_eq!(
                again.as_ref(),
                Ok(&frame),
                "round trip of {text:?} via {json:?}"
            );
        }
        Err(error) => {
            let message = error.message();
            assert!(!message.is_empty(), "empty error for {text:?}");
            assert!(
                message.len() <= FRAME_ERROR_MAX,
                "error of {} bytes for {text:?}",
                message.len()
            );
        }
    }
}

/// `chat_transport::http::Request`: form, query, cookie, path and Origin parsing
/// on a request whose parts come from `data` (lines: URI, `Cookie` header, `Host`
/// header, `Origin` header, then the body).
pub fn http_request(data: &[u8]) {
    let mut parts = data.splitn(5, |b| *b == b'\n');
    let mut next = || String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
    let (uri, cookie, host, origin) = (next(), next(), next(), next());
    let body = data
        .splitn(5, |b| *b == b'\n')
        .nth(4)
        .unwrap_or_default()
        .to_vec();
    let req = Request::for_test(Method::POST, &uri)
        .with_header("cookie", &cookie)
        .with_header("host", &host)
        .with_header("origin", &origin)
        .with_body(body.clone());

    // Forms and queries: the pairs re-encode to a string that parses to the same pairs.
    let form = req.form();
    assert_eq!(
        form,
        Form::parse(&body),
        "no content type: the body is a form"
    );
    check_form_round_trip(&form);
    let query = req.query_params();
    assert_eq!(req.query, uri.split_once('?').map_or("", |(_, q)| q));
    check_form_round_trip(&query);
    for (key, _) in form.pairs() {
        let first = form
            .pairs()
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str());
        assert_eq!(form.get(key), first, "get returns the first value");
    }

    // Paths: segments are never empty, one per non-empty raw segment.
    let segments = req.path_segments();
    let raw = req.path.split('/').filter(|s| !s.is_empty()).count();
    assert_eq!(segments.len(), raw, "segments of {:?}", req.path);
    assert!(segments.iter().all(|s| !s.is_empty()), "{segments:?}");

    // Cookies: a value never spans a `;` and comes from the header as sent.
    for name in ["chat_session", "chat_csrf", "a"] {
        if let Some(value) = req.cookie(name) {
            assert!(
                !value.contains(';'),
                "cookie {name}={value:?} from {cookie:?}"
            );
            assert!(
                cookie.contains(&value),
                "cookie {name}={value:?} not in {cookie:?}"
            );
        }
    }

    // Origin: `Same` only for exactly the scheme and Host; `Allowed` only for an
    // entry of the list; an absent header only when the header was invalid or empty.
    let allowed = vec!["https://chat.example".to_owned()];
    for secure in [false, true] {
        let verdict = check_origin(&req, secure, &allowed);
        let scheme = if secure { "https" } else { "http" };
        let sent = req.header("origin").map(str::trim);
        match verdict {
            OriginCheck::Same => {
                let host = req.header("host").map_or("", str::trim);
                let expected = format!("{scheme}://{host}");
                assert!(sent.is_some_and(|o| o.eq_ignore_ascii_case(&expected)));
            }
            OriginCheck::Allowed => {
                assert!(sent.is_some_and(|o| o.eq_ignore_ascii_case("https://chat.example")));
            }
            OriginCheck::Missing => assert!(req.headers.get("origin").is_none()),
            OriginCheck::Forbidden => {
                assert!(!sent.is_some_and(|o| o.eq_ignore_ascii_case("https://chat.example")));
            }
        }
    }
}

/// `chat_core`'s parsers: `Username`, `MessageBody` and `ClientMessageId` on the
/// same text, each checked against the invariants of its type.
pub fn core_parsers(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    check_username(&text);
    check_body(&text);
    check_client_id(&text);
}

/// `chat_core::password::check_password` on (password, username) = `data` split at
/// its first NUL: always a verdict, consistent with the rules it reports.
pub fn password(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let (password, username) = text.split_once('\0').unwrap_or((&text, "user"));
    let verdict = check_password(password, username);
    assert_eq!(verdict, check_password(password, username), "deterministic");
    let problems = verdict.err().unwrap_or_default();
    let has = |p: &PasswordProblem| problems.contains(p);
    let short = password.chars().count() < PASSWORD_MIN_CHARS;
    assert_eq!(
        has(&PasswordProblem::TooShort {
            min: PASSWORD_MIN_CHARS
        }),
        short
    );
    let long = password.len() > PASSWORD_MAX_BYTES;
    let too_long = PasswordProblem::TooLong {
        max_bytes: PASSWORD_MAX_BYTES,
    };
    assert_eq!(has(&too_long), long);
    let numeric = !password.is_empty() && password.chars().all(char::is_numeric);
    assert_eq!(has(&PasswordProblem::EntirelyNumeric), numeric);
    if long {
        // Over the limit the expensive rules are skipped.
        assert!(!has(&PasswordProblem::TooSimilarToUsername) && !has(&PasswordProblem::TooCommon));
    }
    let mut unique = problems.clone();
    unique.dedup();
    assert_eq!(unique, problems, "each problem reported once");
}

fn check_form_round_trip(form: &Form) {
    let encoded = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form.pairs())
        .finish();
    assert_eq!(
        Form::parse(encoded.as_bytes()),
        *form,
        "round trip via {encoded:?}"
    );
}

fn check_username(text: &str) {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-');
    match Username::parse(text) {
        Ok(name) => {
            assert_eq!(name.as_str(), text);
            assert!((USERNAME_MIN..=USERNAME_MAX).contains(&text.len()));
            assert!(text.chars().all(allowed));
            let upper = Username::parse(&text.to_ascii_uppercase());
            assert_eq!(upper.as_ref(), Ok(&name), "case-insensitive");
            assert_eq!(name.canonical(), text.to_ascii_lowercase());
        }
        Err(UsernameError::InvalidChar(c)) => {
            assert_eq!(text.chars().find(|c| !allowed(*c)), Some(c));
        }
        Err(UsernameError::TooShort) => {
            assert!(text.chars().all(allowed) && text.len() < USERNAME_MIN);
        }
        Err(UsernameError::TooLong) => {
            assert!(text.chars().all(allowed) && text.len() > USERNAME_MAX);
        }
        Err(other) => panic!("unexpected {other:?} for {text:?}"),
    }
}

fn check_body(text: &str) {
    match MessageBody::parse(text) {
        Ok(body) => {
            let s = body.as_str();
            assert_eq!(MessageBody::parse(s).as_ref(), Ok(&body), "idempotent");
            assert_eq!(s, s.trim());
            assert!(!s.is_empty() && !s.contains('\r'));
            assert!(s.chars().count() <= BODY_MAX_CHARS);
            assert!(s.chars().all(|c| !c.is_control() || c == '\n' || c == '\t'));
        }
        Err(BodyError::Empty) => assert!(text.trim().is_empty()),
        Err(BodyError::TooLong { chars }) => assert!(chars > BODY_MAX_CHARS),
        Err(BodyError::ControlChar(c)) => {
            assert!(c.is_control() && c != '\n' && c != '\t' && text.contains(c));
        }
        Err(other) => panic!("unexpected {other:?} for {text:?}"),
    }
}

fn check_client_id(text: &str) {
    let printable = text.bytes().all(|b| (0x20..=0x7e).contains(&b));
    let expected = if text.is_empty() {
        Err(ClientIdError::Empty)
    } else if !printable {
        Err(ClientIdError::InvalidChar)
    } else if text.len() > CLIENT_ID_MAX {
        Err(ClientIdError::TooLong)
    } else {
        Ok(text)
    };
    let parsed = ClientMessageId::parse(text);
    assert_eq!(
        parsed.as_ref().map(ClientMessageId::as_str),
        expected.as_ref().map(|s| *s)
    );
}
