//! Issue 3 over real HTTP: accounts, sessions, CSRF, pages, the JSON API and the CLI.

// Helpers outside `#[test]` functions panic on purpose: that is how a test fails.
#![allow(clippy::expect_used)]

mod support;

use std::time::{Duration, Instant};

use http::{Method, StatusCode};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use support::{Client, GOOD_PASSWORD, SetCookie, TestServer, user};

/// Asserts a status in 400..=499.
#[track_caller]
fn assert_client_error(response: &support::Response, what: &str) {
    assert!(
        response.status.is_client_error(),
        "{what}: expected 4xx, got {} {}",
        response.status,
        response.body
    );
}

/// Asserts that `name` cannot log in with `password` (generic failure, no session).
async fn assert_cannot_login(server: &TestServer, name: &str, password: &str) {
    let mut client = Client::new(server);
    let response = client.try_login(name, password, None).await;
    assert_ne!(
        response.status,
        StatusCode::SEE_OTHER,
        "{name} logged in: {response:?}"
    );
    assert!(
        client.cookie("chat_session").is_none(),
        "{name} got a session"
    );
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ`.
fn is_rfc3339_utc_millis(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |range: std::ops::Range<usize>| range.into_iter().all(|i| b[i].is_ascii_digit());
    b.len() == 24
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && b[10] == b'T'
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19)
        && b[19] == b'.'
        && digits(20..23)
        && b[23] == b'Z'
}

/// Asserts the exact API message shape and returns `(id, sender, body)`.
#[track_caller]
fn check_api_message(message: &Value, thread: i64) -> (i64, String, String) {
    let mut keys: Vec<&str> = message
        .as_object()
        .unwrap_or_else(|| panic!("message is not an object: {message}"))
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        ["body", "id", "sender", "sent_at", "thread"],
        "{message}"
    );
    assert_eq!(message["thread"], thread, "{message}");
    let sent_at = message["sent_at"].as_str().expect("sent_at string");
    assert!(
        is_rfc3339_utc_millis(sent_at),
        "sent_at {sent_at:?} is not RFC 3339 UTC millis"
    );
    (
        support::id_of(message),
        message["sender"].as_str().expect("sender").to_owned(),
        message["body"].as_str().expect("body").to_owned(),
    )
}

#[tokio::test]
async fn healthz_is_ok() {
    let server = TestServer::start().await;
    let response = Client::new(&server).get("/healthz").await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.body, "ok");
}

#[tokio::test]
async fn anonymous_pages_redirect_to_login_with_next() {
    let server = TestServer::start().await;
    let mut client = Client::new(&server);
    for (path, location) in [
        ("/", "/login?next=%2F"),
        ("/threads/1", "/login?next=%2Fthreads%2F1"),
        ("/chat/bob", "/login?next=%2Fchat%2Fbob"),
    ] {
        let response = client.get(path).await;
        assert_eq!(response.expect_see_other(), location, "GET {path}");
    }
}

#[tokio::test]
async fn signup_logs_in_and_lists_other_users() {
    let server = TestServer::start().await;
    user(&server, "bob").await;
    let mut alice = Client::new(&server);
    let response = alice.signup("alice", GOOD_PASSWORD).await;
    assert!(response.set_cookie("chat_session").is_some());
    let contacts = alice.get("/").await;
    assert_eq!(contacts.status, StatusCode::OK, "{}", contacts.body);
    assert!(
        contacts.body.contains("bob"),
        "contacts page lacks bob: {}",
        contacts.body
    );
    assert!(
        contacts.body.contains("/chat/bob"),
        "no link to chat with bob: {}",
        contacts.body
    );
}

#[tokio::test]
async fn signup_rejects_username_taken_in_other_case() {
    let server = TestServer::start().await;
    user(&server, "alice").await;
    let mut other = Client::new(&server);
    let response = other
        .try_signup("Alice", "Another-Good-Pass-93", "Another-Good-Pass-93")
        .await;
    assert_client_error(&response, "signup Alice after alice");
    assert!(
        support::client::csrf_from(&response.body).is_some(),
        "no form: {}",
        response.body
    );
    assert!(other.cookie("chat_session").is_none());
    assert_cannot_login(&server, "Alice", "Another-Good-Pass-93").await;
    let list = server.cli(&["user", "list"], "").await;
    assert!(list.status.success(), "{list:?}");
    let n_alices = list
        .stdout
        .lines()
        .filter(|l| l.to_ascii_lowercase().contains("alice"))
        .count();
    assert_eq!(n_alices, 1, "user list: {:?}", list.stdout);
}

#[tokio::test]
async fn signup_rejects_each_weak_password_rule() {
    let server = TestServer::start().await;
    // Each case breaks exactly one rule.
    let cases = [
        (
            "shorty_user",
            "xK9#q2w",
            "xK9#q2w",
            "fewer than 8 characters",
        ),
        (
            "numeric_user",
            "48203917465",
            "48203917465",
            "entirely numeric",
        ),
        (
            "zephyrine",
            "zephyrine42",
            "zephyrine42",
            "too similar to the username",
        ),
        ("common_user", "password", "password", "a common password"),
        (
            "common_user2",
            "qwertyuiop",
            "qwertyuiop",
            "a common password",
        ),
        (
            "mismatch_user",
            GOOD_PASSWORD,
            "Tangerine-Otter-4712",
            "password2 differs",
        ),
    ];
    for (name, password, password2, rule) in cases {
        let mut client = Client::new(&server);
        let response = client.try_signup(name, password, password2).await;
        assert_client_error(&response, rule);
        assert!(
            client.cookie("chat_session").is_none(),
            "{rule}: got a session"
        );
        assert_cannot_login(&server, name, password).await;
        // Nothing was created: the name is still free.
        Client::new(&server).signup(name, GOOD_PASSWORD).await;
    }
}

#[tokio::test]
async fn login_failure_is_generic() {
    let server = TestServer::start().await;
    user(&server, "alice").await;
    let mut client = Client::new(&server);
    let wrong_password = client.try_login("alice", "Not-The-Password-1", None).await;
    let unknown_user = client.try_login("nobody", GOOD_PASSWORD, None).await;
    for response in [&wrong_password, &unknown_user] {
        assert!(
            response
                .body
                .to_lowercase()
                .contains("invalid username or password"),
            "{} {}",
            response.status,
            response.body
        );
        assert_ne!(response.status, StatusCode::SEE_OTHER);
    }
    assert_eq!(wrong_password.status, unknown_user.status);
    assert!(client.cookie("chat_session").is_none());
}

#[tokio::test]
async fn login_unknown_user_takes_similar_time() {
    let server = TestServer::start().await;
    user(&server, "alice").await;
    let mut client = Client::new(&server);
    let mut csrf = client.csrf("/login").await;
    let (mut known, mut unknown) = (Vec::new(), Vec::new());
    for _ in 0..5 {
        for (name, times) in [("alice", &mut known), ("nobody", &mut unknown)] {
            let fields = [
                ("username", name),
                ("password", "Not-The-Password-1"),
                ("csrf", csrf.as_str()),
            ];
            let start = Instant::now();
            let response = client.post_form("/login", &fields).await;
            times.push(start.elapsed());
            assert!(
                response
                    .body
                    .to_lowercase()
                    .contains("invalid username or password")
            );
            csrf = support::client::csrf_from(&response.body).unwrap_or(csrf);
        }
    }
    known.sort_unstable();
    unknown.sort_unstable();
    // Verifying against a dummy hash costs about as much as a real verify; skipping it
    // would make unknown users 10-100x faster.
    assert!(
        unknown[2] * 10 >= known[2] * 3,
        "unknown user median {:?} vs wrong password median {:?}",
        unknown[2],
        known[2]
    );
}

/// The three ways a CSRF token can be bad: absent, wrong, or right but without its cookie.
#[derive(Debug, Clone, Copy)]
enum BadCsrf {
    Missing,
    Wrong,
    NoCookie,
}

const BAD_CSRF: [BadCsrf; 3] = [BadCsrf::Missing, BadCsrf::Wrong, BadCsrf::NoCookie];

/// POSTs `fields` plus a bad CSRF token (the good one is `good`).
async fn post_with_bad_csrf(
    client: &mut Client,
    path: &str,
    fields: &[(&str, &str)],
    good: &str,
    bad: BadCsrf,
) -> support::Response {
    let mut fields = fields.to_vec();
    let saved = client.cookie("chat_csrf").map(str::to_owned);
    match bad {
        BadCsrf::Missing => {}
        BadCsrf::Wrong => fields.push(("csrf", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")),
        BadCsrf::NoCookie => {
            fields.push(("csrf", good));
            client.remove_cookie("chat_csrf");
        }
    }
    let response = client.post_form(path, &fields).await;
    if let (BadCsrf::NoCookie, Some(saved)) = (bad, saved) {
        client.set_cookie("chat_csrf", &saved);
    }
    response
}

#[tokio::test]
async fn signup_with_bad_csrf_is_403_and_creates_nothing() {
    let server = TestServer::start().await;
    for bad in BAD_CSRF {
        let mut client = Client::new(&server);
        let good = client.csrf("/signup").await;
        let fields = [
            ("username", "mallory"),
            ("password", GOOD_PASSWORD),
            ("password2", GOOD_PASSWORD),
        ];
        let response = post_with_bad_csrf(&mut client, "/signup", &fields, &good, bad).await;
        assert_eq!(
            response.status,
            StatusCode::FORBIDDEN,
            "{bad:?}: {}",
            response.body
        );
        assert!(
            client.cookie("chat_session").is_none(),
            "{bad:?}: got a session"
        );
        assert_cannot_login(&server, "mallory", GOOD_PASSWORD).await;
    }
    // Nothing was created: the name is still free.
    Client::new(&server).signup("mallory", GOOD_PASSWORD).await;
}

#[tokio::test]
async fn login_with_bad_csrf_is_403_and_logs_nobody_in() {
    let server = TestServer::start().await;
    user(&server, "alice").await;
    for bad in BAD_CSRF {
        let mut client = Client::new(&server);
        let good = client.csrf("/login").await;
        let fields = [("username", "alice"), ("password", GOOD_PASSWORD)];
        let response = post_with_bad_csrf(&mut client, "/login", &fields, &good, bad).await;
        assert_eq!(
            response.status,
            StatusCode::FORBIDDEN,
            "{bad:?}: {}",
            response.body
        );
        assert!(
            client.cookie("chat_session").is_none(),
            "{bad:?}: got a session"
        );
        assert_eq!(
            client.get("/api/threads").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
}

#[tokio::test]
async fn logout_with_bad_csrf_is_403_and_keeps_the_session() {
    let server = TestServer::start().await;
    let mut alice = user(&server, "alice").await;
    let mut bob = user(&server, "bob").await;
    let good = alice.csrf("/").await;
    for bad in [BadCsrf::Missing, BadCsrf::Wrong] {
        let response = post_with_bad_csrf(&mut alice, "/logout", &[], &good, bad).await;
        assert_eq!(
            response.status,
            StatusCode::FORBIDDEN,
            "{bad:?}: {}",
            response.body
        );
        assert_eq!(
            alice.get("/api/threads").await.status,
            StatusCode::OK,
            "{bad:?}"
        );
    }
    // Logged-in tokens are tied to the session: bob's token does not work for alice.
    let bobs = bob.csrf("/").await;
    assert_ne!(bobs, good, "two sessions share a CSRF token");
    let response = alice.post_form("/logout", &[("csrf", &bobs)]).await;
    assert_eq!(response.status, StatusCode::FORBIDDEN, "{}", response.body);
    assert_eq!(alice.get("/api/threads").await.status, StatusCode::OK);
}

#[tokio::test]
async fn post_message_with_bad_csrf_is_403_and_stores_nothing() {
    let server = TestServer::start().await;
    let mut alice = user(&server, "alice").await;
    user(&server, "bob").await;
    let thread = alice.open_thread("bob").await;
    let good = alice.csrf(&format!("/threads/{thread}")).await;
    let path = format!("/threads/{thread}/messages");
    for bad in [BadCsrf::Missing, BadCsrf::Wrong] {
        let fields = [("body", "forged")];
        let response = post_with_bad_csrf(&mut alice, &path, &fields, &good, bad).await;
        assert_eq!(
            response.status,
            StatusCode::FORBIDDEN,
            "{bad:?}: {}",
            response.body
        );
    }
    assert!(alice.all_messages(thread).await.is_empty());
}

#[tokio::test]
async fn login_next_only_redirects_locally() {
    let server = TestServer::start().await;
    user(&server, "alice").await;
    let cases = [
        ("//evil.example", "/"),
        ("/\\evil.example", "/"),
        ("http://evil.example", "/"),
        ("https:evil", "/"),
        ("evil.example", "/"),
        ("/ok/path", "/ok/path"),
        ("/threads/7?x=1", "/threads/7?x=1"),
    ];
    for (next, expected) in cases {
        let mut client = Client::new(&server);
        let response = client.try_login("alice", GOOD_PASSWORD, Some(next)).await;
        assert_eq!(response.expect_see_other(), expected, "next={next:?}");
    }
    // Browsers drop tabs and newlines inside URLs, so "/\t/evil" would become "//evil".
    for next in ["/\t/evil.example", "/\n/evil.example", "/\r\n/evil.example"] {
        let mut client = Client::new(&server);
        let response = client.try_login("alice", GOOD_PASSWORD, Some(next)).await;
        let location: String = response
            .expect_see_other()
            .chars()
            .filter(|c| !matches!(c, '\t' | '\r' | '\n'))
            .collect();
        let is_local = location.starts_with('/')
            && !location.starts_with("//")
            && !location.starts_with("/\\");
        assert!(is_local, "next={next:?} redirected to {location:?}");
    }
}

#[tokio::test]
async fn login_issues_a_new_session_token() {
    let server = TestServer::start().await;
    user(&server, "alice").await;
    let mut client = Client::new(&server);
    // A fixation attempt: the attacker planted a session cookie before login.
    let planted = "planted-session-token-AAAAAAAAAAAAAAAAAAAAAAAA";
    client.set_cookie("chat_session", planted);
    client.get("/login").await;
    let before: Vec<String> = [client.cookie("chat_session"), client.cookie("chat_csrf")]
        .into_iter()
        .flatten()
        .map(str::to_owned)
        .collect();
    let response = client.login("alice", GOOD_PASSWORD).await;
    assert!(
        response.set_cookie("chat_session").is_some(),
        "login set no session cookie"
    );
    let first = client.cookie("chat_session").expect("session").to_owned();
    assert!(
        !before.contains(&first),
        "a pre-login cookie value became the session"
    );
    assert!(
        first.len() >= 22,
        "session token {first:?} is too short for 128 random bits"
    );
    // No pre-login value works as a session.
    for value in &before {
        let mut other = Client::new(&server);
        other.set_cookie("chat_session", value);
        assert_eq!(
            other.get("/api/threads").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    // Logging in again from the same browser yields yet another token.
    client.login("alice", GOOD_PASSWORD).await;
    let second = client.cookie("chat_session").expect("session").to_owned();
    assert_ne!(first, second, "a second login reused the session token");
    assert_eq!(client.get("/api/threads").await.status, StatusCode::OK);
}

#[tokio::test]
async fn logout_ends_the_session() {
    let server = TestServer::start().await;
    let mut alice = user(&server, "alice").await;
    let token = alice.cookie("chat_session").expect("session").to_owned();
    let response = alice.logout().await;
    assert_eq!(response.expect_see_other(), "/login");
    let cleared = response
        .set_cookie("chat_session")
        .expect("logout must clear the cookie");
    assert!(
        SetCookie::parse(&cleared).is_removal(),
        "not a removal: {cleared}"
    );
    assert!(alice.cookie("chat_session").is_none());
    // The old token is dead server-side too.
    let mut replay = Client::new(&server);
    replay.set_cookie("chat_session", &token);
    assert_eq!(replay.get("/").await.expect_see_other(), "/login?next=%2F");
    let api = replay.get("/api/threads").await;
    assert_eq!(api.status, StatusCode::UNAUTHORIZED, "{}", api.body);
}

/// Asserts the flags of a raw `Set-Cookie: chat_session=…` header.
#[track_caller]
fn check_session_cookie(raw: &str, secure: bool) {
    let cookie = SetCookie::parse(raw);
    assert_eq!(cookie.name, "chat_session", "{raw}");
    assert!(cookie.has("httponly"), "no HttpOnly: {raw}");
    let same_site = cookie.value_of("samesite").unwrap_or("");
    assert!(
        same_site.eq_ignore_ascii_case("lax"),
        "not SameSite=Lax: {raw}"
    );
    assert_eq!(cookie.value_of("path"), Some("/"), "not Path=/: {raw}");
    assert_eq!(cookie.has("secure"), secure, "Secure flag: {raw}");
    assert!(!cookie.has("domain"), "Domain set: {raw}");
}

#[tokio::test]
async fn session_cookie_flags_by_default() {
    let server = TestServer::start().await;
    let mut client = Client::new(&server);
    let signup = client.signup("alice", GOOD_PASSWORD).await;
    check_session_cookie(&signup.set_cookie("chat_session").expect("cookie"), false);
    let login = Client::new(&server).login("alice", GOOD_PASSWORD).await;
    check_session_cookie(&login.set_cookie("chat_session").expect("cookie"), false);
}

#[tokio::test]
async fn session_cookie_is_secure_with_secure_cookies() {
    let server = TestServer::start_with(&["--secure-cookies"]).await;
    let mut client = Client::new(&server);
    let signup = client.signup("alice", GOOD_PASSWORD).await;
    check_session_cookie(&signup.set_cookie("chat_session").expect("cookie"), true);
    let login = Client::new(&server).login("alice", GOOD_PASSWORD).await;
    check_session_cookie(&login.set_cookie("chat_session").expect("cookie"), true);
}

#[tokio::test]
async fn body_over_64k_is_413() {
    let server = TestServer::start().await;
    let mut alice = user(&server, "alice").await;
    user(&server, "bob").await;
    let thread = alice.open_thread("bob").await;
    let csrf = alice.csrf(&format!("/threads/{thread}")).await;
    let big = "a".repeat(70 * 1024);
    let response = alice
        .post_form(
            &format!("/threads/{thread}/messages"),
            &[("body", &big), ("csrf", &csrf)],
        )
        .await;
    assert_eq!(
        response.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        response.body
    );
    let login = alice
        .post_form("/login", &[("username", &big), ("password", "x")])
        .await;
    assert_eq!(
        login.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        login.body
    );
    assert!(alice.all_messages(thread).await.is_empty());
}

#[tokio::test]
async fn chunked_body_over_64k_is_413() {
    let server = TestServer::start().await;
    let mut alice = user(&server, "alice").await;
    user(&server, "bob").await;
    let thread = alice.open_thread("bob").await;
    let csrf = alice.csrf(&format!("/threads/{thread}")).await;
    let mut stream = TcpStream::connect(server.addr()).await.expect("connect");
    let head = format!(
        "POST /threads/{thread}/messages HTTP/1.1\r\nHost: {}\r\nCookie: {}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n",
        server.addr(),
        alice.cookie_header()
    );
    let mut body = format!("csrf={csrf}&body=").into_bytes();
    body.resize(80 * 1024, b'a');
    let send = async {
        stream.write_all(head.as_bytes()).await?;
        for chunk in body.chunks(8 * 1024) {
            stream
                .write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
                .await?;
            stream.write_all(chunk).await?;
            stream.write_all(b"\r\n").await?;
        }
        stream.write_all(b"0\r\n\r\n").await
    };
    // The server may answer and close before the whole body is sent.
    let _ = send.await;
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = Instant::now() + Duration::from_secs(10);
    while !answer.windows(4).any(|w| w == b"\r\n\r\n") && Instant::now() < deadline {
        match tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => answer.extend_from_slice(&buf[..n]),
            _ => break,
        }
    }
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        answer.starts_with("HTTP/1.1 413"),
        "expected 413, got {answer:?}"
    );
    assert!(alice.all_messages(thread).await.is_empty());
}

#[tokio::test]
async fn message_body_is_html_escaped() {
    let server = TestServer::start().await;
    let mut alice = user(&server, "alice").await;
    let mut bob = user(&server, "bob").await;
    let thread = alice.open_thread("bob").await;
    let script = "<script>alert(1)</script>";
    alice.post_message(thread, script).await.expect_see_other();
    for client in [&mut alice, &mut bob] {
        let page = client.get(&format!("/threads/{thread}")).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            !page.body.contains(script),
            "raw script tag on the page: {}",
            page.body
        );
        assert!(
            page.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "escaped body missing: {}",
            page.body
        );
    }
    assert_eq!(
        bob.all_bodies(thread).await,
        [script],
        "the API returns the text as sent"
    );
}

#[tokio::test]
async fn chat_with_username_gets_or_creates_one_thread() {
    let server = TestServer::start().await;
    let mut alice = user(&server, "alice").await;
    let mut bob = user(&server, "bob").await;
    let thread = alice.open_thread("bob").await;
    assert_eq!(alice.open_thread("bob").await, thread, "second visit");
    assert_eq!(bob.open_thread("alice").await, thread, "other direction");
    assert_eq!(
        alice.open_thread("BOB").await,
        thread,
        "usernames are case-insensitive"
    );
    for (path, status) in [
        ("/chat/nobody", StatusCode::NOT_FOUND),
        ("/chat/alice", StatusCode::BAD_REQUEST),
        ("/chat/ALICE", StatusCode::BAD_REQUEST),
    ] {
        let response = alice.get(path).await;
        assert_eq!(response.status, status, "GET {path}: {}", response.body);
    }
}

#[tokio::test]
async fn thread_of_others_is_404_like_an_unknown_one() {
    let server = TestServer::start().await;
    let mut alice = user(&server, "alice").await;
    user(&server, "bob").await;
    let mut carol = user(&server, "carol").await;
    let thread = alice.open_thread("bob").await;
    alice
        .post_message(thread, "private")
        .await
        .expect_see_other();
    let unknown = thread + 1000;
    let foreign = carol.get(&format!("/threads/{thread}")).await;
    let missing = carol.get(&format!("/threads/{unknown}")).await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(
        foreign.body, missing.body,
        "the 404s differ, revealing the thread"
    );
    assert!(!foreign.body.contains("private"));
    assert_eq!(
        carol.get("/threads/abc").await.status,
        StatusCode::NOT_FOUND
    );
    for id in [thread, unknown] {
        let api = carol.get(&format!("/api/threads/{id}/messages")).await;
        assert_eq!(
            api.status,
            StatusCode::NOT_FOUND,
            "API for thread {id}: {}",
            api.body
        );
    }
    // Posting into it is refused the same way and stores nothing.
    let csrf = carol.csrf("/").await;
    let post = carol
        .post_form(
            &format!("/threads/{thread}/messages"),
            &[("body", "intrusion"), ("csrf", &csrf)],
        )
        .await;
    assert_eq!(post.status, StatusCode::NOT_FOUND, "{}", post.body);
    assert_eq!(alice.all_bodies(thread).await, ["private"]);
}

#[tokio::test]
async fn post_message_stores_and_redirects_back() {
    let server = TestServer::start().await;
    let mut alice = user(&server, "alice").await;
    let mut bob = user(&server, "bob").await;
    let thread = alice.open_thread("bob").await;
    let response = alice
        .post_message(thread, "  hello bob\r\nsecond line  ")
        .await;
    assert_eq!(response.expect_see_other(), format!("/threads/{thread}"));
    let messages = bob.all_messages(thread).await;
    assert_eq!(messages.len(), 1, "{messages:?}");
    let (_, sender, body) = check_api_message(&messages[0], thread);
    assert_eq!(sender, "alice");
    assert_eq!(
        body, "hello bob\nsecond line",
        "trimmed, newlines normalised"
    );
    let page = bob.get(&format!("/threads/{thread}")).await;
    assert!(page.body.contains("hello bob"), "{}", page.body);
}

#[tokio::test]
async fn post_invalid_message_is_rejected_and_stores_nothing() {
    let server = TestServer::start().await;
    let mut alice = user(&server, "alice").await;
    user(&server, "bob").await;
    let thread = alice.open_thread("bob").await;
    let too_long = "x".repeat(4001);
    for body in ["", "   \n\t ", too_long.as_str()] {
        let response = alice.post_message(thread, body).await;
        assert_client_error(&response, &format!("body of {} chars", body.len()));
    }
    assert!(alice.all_messages(thread).await.is_empty());
}

#[tokio::test]
async fn api_threads_lists_members_last_message_and_unread() {
    let server = TestServer::start().await;
    let mut alice = user(&server, "alice").await;
    let mut bob = user(&server, "bob").await;
    user(&server, "carol").await;
    let with_bob = alice.open_thread("bob").await;
    let with_carol = alice.open_thread("carol").await;
    alice
        .post_message(with_bob, "hi bob")
        .await
        .expect_see_other();

    let threads = alice.api_threads().await;
    let list = threads["threads"].as_array().expect("threads array");
    assert_eq!(list.len(), 2, "{threads}");
    for entry in list {
        let mut keys: Vec<&str> = entry
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(keys, ["id", "last_message", "members", "unread"], "{entry}");
        let mut members: Vec<&str> = entry["members"]
            .as_array()
            .expect("members")
            .iter()
            .map(|m| m.as_str().expect("username"))
            .collect();
        members.sort_unstable();
        assert_eq!(entry["unread"], 0, "own messages are not unread: {entry}");
        if entry["id"] == with_bob {
            assert_eq!(members, ["alice", "bob"]);
            let (_, sender, body) = check_api_message(&entry["last_message"], with_bob);
            assert_eq!((sender.as_str(), body.as_str()), ("alice", "hi bob"));
        } else {
            assert_eq!(entry["id"], with_carol, "{entry}");
            assert_eq!(members, ["alice", "carol"]);
            assert!(entry["last_message"].is_null(), "{entry}");
        }
    }
    let bobs = bob.api_threads().await;
    let list = bobs["threads"].as_array().expect("threads array");
    assert_eq!(list.len(), 1, "{bobs}");
    assert_eq!(list[0]["id"], with_bob);
    assert_eq!(list[0]["unread"], 1, "{bobs}");
}

/// Bodies `m000`, `m001`, … of API messages, checking shape and sender.
fn bodies(page: &Value, thread: i64) -> Vec<String> {
    page["messages"]
        .as_array()
        .unwrap_or_else(|| panic!("no messages array: {page}"))
        .iter()
        .map(|m| {
            let (_, sender, body) = check_api_message(m, thread);
            assert_eq!(sender, "alice");
            body
        })
        .collect()
}

fn expected_bodies(range: std::ops::Range<usize>) -> Vec<String> {
    range.map(|i| format!("m{i:03}")).collect()
}

#[tokio::test]
async fn api_messages_pages_through_120_in_order() {
    let server = TestServer::start_with(&["--msg-rate", "0"]).await;
    let mut alice = user(&server, "alice").await;
    let mut bob = user(&server, "bob").await;
    let thread = alice.open_thread("bob").await;
    let csrf = alice.csrf(&format!("/threads/{thread}")).await;
    let path = format!("/threads/{thread}/messages");
    for i in 0..120 {
        let body = format!("m{i:03}");
        let response = alice
            .post_form(&path, &[("body", &body), ("csrf", &csrf)])
            .await;
        response.expect_see_other();
    }
    // Newest 50 by default, oldest first; then older pages with `before`.
    let mut pages = Vec::new();
    let mut query = String::new();
    loop {
        let page = bob.api_messages(thread, &query).await;
        let ids: Vec<i64> = page["messages"]
            .as_array()
            .expect("messages")
            .iter()
            .map(support::id_of)
            .collect();
        assert!(
            ids.windows(2).all(|w| w[0] < w[1]),
            "not oldest first: {ids:?}"
        );
        let has_more = page["has_more"].as_bool().expect("has_more bool");
        pages.push((bodies(&page, thread), has_more));
        if !has_more {
            break;
        }
        assert!(pages.len() < 5, "has_more never became false");
        query = format!("?before={}", ids[0]);
    }
    let expected = [
        (expected_bodies(70..120), true),
        (expected_bodies(20..70), true),
        (expected_bodies(0..20), false),
    ];
    assert_eq!(pages, expected);

    let ten = bob.api_messages(thread, "?limit=10").await;
    assert_eq!(bodies(&ten, thread), expected_bodies(110..120));
    assert_eq!(ten["has_more"], true);
    let hundred = bob.api_messages(thread, "?limit=100").await;
    assert_eq!(bodies(&hundred, thread), expected_bodies(20..120));
    assert_eq!(hundred["has_more"], true);
    let before_first = bob
        .api_messages(
            thread,
            &format!("?before={}", support::id_of(&hundred["messages"][0])),
        )
        .await;
    assert_eq!(bodies(&before_first, thread), expected_bodies(0..20));
}

#[tokio::test]
async fn api_messages_limit_is_capped_at_100() {
    let server = TestServer::start_with(&["--msg-rate", "0"]).await;
    let mut alice = user(&server, "alice").await;
    user(&server, "bob").await;
    let thread = alice.open_thread("bob").await;
    let csrf = alice.csrf(&format!("/threads/{thread}")).await;
    for i in 0..102 {
        let body = format!("m{i:03}");
        let path = format!("/threads/{thread}/messages");
        alice
            .post_form(&path, &[("body", &body), ("csrf", &csrf)])
            .await
            .expect_see_other();
    }
    for limit in [101, 1000] {
        let response = alice
            .get(&format!("/api/threads/{thread}/messages?limit={limit}"))
            .await;
        // Either refused or clamped; never more than 100.
        if response.status == StatusCode::BAD_REQUEST {
            continue;
        }
        assert_eq!(response.status, StatusCode::OK, "{}", response.body);
        let page = response.json();
        let n = page["messages"].as_array().expect("messages").len();
        assert_eq!(n, 100, "limit={limit} returned {n}");
        assert_eq!(page["has_more"], true);
    }
}

#[tokio::test]
async fn anonymous_api_is_401_json() {
    let server = TestServer::start().await;
    let mut client = Client::new(&server);
    for path in ["/api/threads", "/api/threads/1/messages"] {
        let response = client.get(path).await;
        assert_eq!(response.status, StatusCode::UNAUTHORIZED, "{path}");
        assert!(
            response.content_type().starts_with("application/json"),
            "{path}: {response:?}"
        );
        assert!(response.json().is_object(), "{path}: {}", response.body);
    }
}

#[tokio::test]
async fn unknown_route_is_404_and_wrong_method_is_405() {
    let server = TestServer::start().await;
    let mut client = Client::new(&server);
    for path in ["/nope", "/threads/1/nope", "/static/nope.css"] {
        assert_eq!(
            client.get(path).await.status,
            StatusCode::NOT_FOUND,
            "GET {path}"
        );
    }
    for (method, path) in [
        (Method::DELETE, "/login"),
        (Method::GET, "/logout"),
        (Method::POST, "/healthz"),
        (Method::PUT, "/signup"),
    ] {
        let response = client.request(method.clone(), path, &[], Vec::new()).await;
        assert_eq!(
            response.status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}"
        );
    }
}

#[tokio::test]
async fn cli_user_add_then_login_and_list() {
    let server = TestServer::start().await;
    user(&server, "alice").await;
    let added = server
        .cli(&["user", "add", "dave"], "Dave-Strong-Pass-77\n")
        .await;
    assert!(added.status.success(), "user add: {added:?}");
    Client::new(&server)
        .login("dave", "Dave-Strong-Pass-77")
        .await;

    let duplicate = server
        .cli(&["user", "add", "DAVE"], "Other-Strong-Pass-78\n")
        .await;
    assert!(
        !duplicate.status.success(),
        "duplicate user add succeeded: {duplicate:?}"
    );
    assert!(
        !duplicate.stderr.trim().is_empty(),
        "no message: {duplicate:?}"
    );
    let weak = server.cli(&["user", "add", "erin"], "password\n").await;
    assert!(!weak.status.success(), "weak password accepted: {weak:?}");
    assert_cannot_login(&server, "erin", "password").await;

    let list = server.cli(&["user", "list"], "").await;
    assert!(list.status.success(), "user list: {list:?}");
    let names: Vec<&str> = list
        .stdout
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert!(
        names.contains(&"alice") && names.contains(&"dave"),
        "{:?}",
        list.stdout
    );
    assert!(!list.stdout.contains("erin"), "{:?}", list.stdout);
}

#[tokio::test]
async fn cli_user_passwd_changes_password_and_ends_sessions() {
    let server = TestServer::start().await;
    let mut alice = user(&server, "alice").await;
    let changed = server
        .cli(&["user", "passwd", "alice"], "Brand-New-Pass-2024\n")
        .await;
    assert!(changed.status.success(), "user passwd: {changed:?}");
    let api = alice.get("/api/threads").await;
    assert_eq!(
        api.status,
        StatusCode::UNAUTHORIZED,
        "old session still works: {}",
        api.body
    );
    assert_cannot_login(&server, "alice", GOOD_PASSWORD).await;
    Client::new(&server)
        .login("alice", "Brand-New-Pass-2024")
        .await;
    let unknown = server
        .cli(&["user", "passwd", "nobody"], "Brand-New-Pass-2024\n")
        .await;
    assert!(
        !unknown.status.success(),
        "passwd of an unknown user: {unknown:?}"
    );
}

/// The `/static/…` URLs a page links to (`href` or `src`).
fn static_urls(html: &str) -> Vec<String> {
    let mut urls = Vec::new();
    for attr in ["href=\"", "src=\""] {
        for (start, _) in html.match_indices(attr) {
            let rest = &html[start + attr.len()..];
            if let Some(url) = rest.split('"').next().filter(|u| u.starts_with("/static/")) {
                urls.push(url.to_owned());
            }
        }
    }
    urls
}

#[tokio::test]
async fn static_assets_are_cacheable_with_etag() {
    let server = TestServer::start().await;
    let mut client = Client::new(&server);
    let page = client.get("/login").await;
    let urls = static_urls(&page.body);
    assert!(
        !urls.is_empty(),
        "the login page links no /static/ asset: {}",
        page.body
    );
    for url in urls {
        let asset = client.get(&url).await;
        assert_eq!(asset.status, StatusCode::OK, "GET {url}");
        let etag = asset
            .headers
            .get(http::header::ETAG)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_else(|| panic!("{url} has no ETag"))
            .to_owned();
        let cache = asset
            .headers
            .get(http::header::CACHE_CONTROL)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let max_age = cache
            .split(',')
            .find_map(|d| d.trim().strip_prefix("max-age="))
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0);
        assert!(max_age >= 86_400 * 30, "{url}: Cache-Control {cache:?}");
        let again = client
            .request(Method::GET, &url, &[("if-none-match", &etag)], Vec::new())
            .await;
        assert_eq!(
            again.status,
            StatusCode::NOT_MODIFIED,
            "{url} with If-None-Match"
        );
    }
}

#[tokio::test]
async fn trickled_headers_are_dropped_after_10_s() {
    let server = TestServer::start().await;
    let mut stream = TcpStream::connect(server.addr()).await.expect("connect");
    let started = Instant::now();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\n")
        .await
        .expect("write");
    // One header byte a second: never a complete request.
    let trickle = async {
        loop {
            tokio::time::sleep(Duration::from_secs(1)).await;
            if stream.write_all(b"X").await.is_err() {
                return;
            }
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(14), trickle).await;
    let mut buf = [0u8; 1024];
    let read = tokio::time::timeout(Duration::from_secs(2), stream.read(&mut buf)).await;
    let closed = matches!(read, Ok(Ok(0) | Err(_)))
        || matches!(read, Ok(Ok(n)) if String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 408"));
    let elapsed = started.elapsed();
    assert!(closed, "connection still open after {elapsed:?}: {read:?}");
    assert!(
        elapsed >= Duration::from_secs(9),
        "dropped too early: {elapsed:?}"
    );
}
