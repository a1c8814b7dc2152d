//! Session tokens: `next` redirects, rotation on login, logout, cookie flags.

use http::StatusCode;

use crate::support::{Client, GOOD_PASSWORD, SetCookie, TestServer, user};

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
    let mut before = vec![planted.to_owned()];
    before.extend(
        [client.cookie("chat_session"), client.cookie("chat_csrf")]
            .into_iter()
            .flatten()
            .map(str::to_owned),
    );
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
        let api = other.get("/api/threads").await;
        assert_eq!(
            api.status,
            StatusCode::UNAUTHORIZED,
            "pre-login value {value:?}"
        );
    }
    assert_eq!(client.get("/api/threads").await.status, StatusCode::OK);
    // Every login gets its own token, also in the same browser after a logout.
    let other = Client::new(&server).login("alice", GOOD_PASSWORD).await;
    let second = SetCookie::parse(&other.set_cookie("chat_session").expect("cookie")).value;
    client.logout().await.expect_see_other();
    client.login("alice", GOOD_PASSWORD).await;
    let third = client.cookie("chat_session").expect("session").to_owned();
    assert!(
        first != second && second != third && first != third,
        "a session token was reused"
    );
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
