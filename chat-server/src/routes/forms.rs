//! Form plumbing shared by the routes: CSRF checks, cookies, safe redirects.

use chat_transport::http::{Form, Request, Response};
use cookie::{Cookie, SameSite};

use crate::app::{AppState, AuthUser, CSRF_COOKIE, SESSION_COOKIE};
use crate::error::AppError;
use crate::secrets;

/// The CSRF token for an anonymous form (login, signup): the double-submit
/// cookie's value, or a fresh one (then `set` is the cookie to send).
pub struct AnonCsrf {
    /// Token to embed in the form.
    pub token: String,
    /// Cookie to set when the request carried none.
    pub set: Option<Cookie<'static>>,
}

/// The anonymous CSRF token for a form page.
pub fn anon_csrf(state: &AppState, req: &Request) -> Result<AnonCsrf, AppError> {
    if let Some(token) = req.cookie(CSRF_COOKIE).filter(|t| t.len() == 64) {
        return Ok(AnonCsrf { token, set: None });
    }
    let token = secrets::new_token().map_err(|e| AppError::Internal(e.to_string()))?;
    let cookie = base_cookie(state, CSRF_COOKIE, token.clone());
    Ok(AnonCsrf {
        token,
        set: Some(cookie),
    })
}

/// Checks an anonymous form's token against its double-submit cookie.
pub fn check_anon_csrf(req: &Request, form: &Form) -> Result<(), AppError> {
    let cookie = req.cookie(CSRF_COOKIE).ok_or(AppError::Forbidden)?;
    let sent = form.get("csrf").ok_or(AppError::Forbidden)?;
    if secrets::constant_time_eq(&cookie, sent) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// Checks a logged-in form's token against the session.
pub fn check_session_csrf(user: &AuthUser, form: &Form) -> Result<(), AppError> {
    let sent = form.get("csrf").ok_or(AppError::Forbidden)?;
    if secrets::constant_time_eq(&user.csrf(), sent) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// The session cookie carrying `token`.
pub fn session_cookie(state: &AppState, token: String) -> Cookie<'static> {
    let mut cookie = base_cookie(state, SESSION_COOKIE, token);
    let secs = i64::try_from(state.config.session_ttl.as_secs()).unwrap_or(i64::MAX);
    cookie.set_max_age(cookie::time::Duration::seconds(secs));
    cookie
}

/// A cookie that deletes the session cookie in the browser.
pub fn clear_session_cookie(state: &AppState) -> Cookie<'static> {
    let mut cookie = base_cookie(state, SESSION_COOKIE, String::new());
    cookie.make_removal();
    cookie
}

/// The client's address for throttling: the peer, or with `--trust-proxy` the
/// last `X-Forwarded-For` hop (the one our proxy appended).
pub fn client_address(state: &AppState, req: &Request) -> String {
    if state.config.trust_proxy
        && let Some(last) = req
            .header("x-forwarded-for")
            .and_then(|v| v.rsplit(',').next())
            .map(str::trim)
            .filter(|v| v.parse::<std::net::IpAddr>().is_ok())
    {
        return last.to_owned();
    }
    req.peer.ip().to_string()
}

/// Where to go after login: `next` only when it is a local path.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if is_local_path(n) => n.to_owned(),
        _ => "/".to_owned(),
    }
}

/// A local path starts with one `/`, not `//` or `/\`, and has no control characters.
pub fn is_local_path(s: &str) -> bool {
    s.starts_with('/')
        && !s.starts_with("//")
        && !s.starts_with("/\\")
        && !s.chars().any(|c| c.is_control() || c == '\\')
}

/// 303 to the login page, remembering where the user wanted to go.
pub fn login_redirect(req: &Request) -> Response {
    let mut target = req.path.clone();
    if !req.query.is_empty() {
        target.push('?');
        target.push_str(&req.query);
    }
    let next: String = form_urlencode(&target);
    Response::see_other(&format!("/login?next={next}"))
}

fn form_urlencode(s: &str) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

fn base_cookie(state: &AppState, name: &'static str, value: String) -> Cookie<'static> {
    let mut cookie = Cookie::new(name, value);
    cookie.set_http_only(true);
    cookie.set_same_site(SameSite::Lax);
    cookie.set_path("/");
    cookie.set_secure(state.config.secure_cookies);
    cookie
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_path_table() {
        for (input, want) in [
            ("/", true),
            ("/threads/3", true),
            ("/a?b=c", true),
            ("//evil.example", false),
            ("/\\evil.example", false),
            ("http://evil.example", false),
            ("https:evil", false),
            ("evil", false),
            ("", false),
            ("/ok\\..\\x", false),
            ("/a\nb", false),
        ] {
            assert_eq!(is_local_path(input), want, "{input:?}");
        }
    }

    #[test]
    fn next_is_percent_encoded() {
        assert_eq!(form_urlencode("/"), "%2F");
        assert_eq!(
            form_urlencode("/threads/1?before=5"),
            "%2Fthreads%2F1%3Fbefore%3D5"
        );
    }
}
