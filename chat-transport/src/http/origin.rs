//! The `Origin` check for WebSocket upgrades and state-changing requests (CSRF).

use http::header;

use super::Request;

/// The verdict of [`check_origin`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OriginCheck {
    /// The Origin is this server as the request reached it.
    Same,
    /// The Origin is one of the configured extra origins.
    Allowed,
    /// No Origin header: not a browser-initiated cross-site request. The app
    /// allows it because the session cookie is `SameSite=Lax`, so a cross-site
    /// page cannot make a browser send it without an Origin.
    Missing,
    /// Anything else, including `null`, a look-alike host, the wrong scheme, or
    /// several Origin headers.
    Forbidden,
}

/// Compares the request's `Origin` with exactly `scheme://host` (scheme from
/// `secure`, host and port from the `Host` header) and with each entry of
/// `allowed` (full origins such as `https://chat.example.com`). Comparisons are
/// whole-string and ASCII case-insensitive: no prefix, suffix or wildcard match.
pub fn check_origin(req: &Request, secure: bool, allowed: &[String]) -> OriginCheck {
    let mut values = req.headers.get_all(header::ORIGIN).iter();
    let Some(origin) = values.next() else {
        return OriginCheck::Missing;
    };
    if values.next().is_some() {
        return OriginCheck::Forbidden;
    }
    let Ok(origin) = origin.to_str() else {
        return OriginCheck::Forbidden;
    };
    let origin = origin.trim();
    if origin.is_empty() || origin.eq_ignore_ascii_case("null") {
        return OriginCheck::Forbidden;
    }
    if let Some(host) = req
        .header("host")
        .map(str::trim)
        .filter(|host| !host.is_empty())
    {
        let scheme = if secure { "https" } else { "http" };
        if origin.eq_ignore_ascii_case(&format!("{scheme}://{host}")) {
            return OriginCheck::Same;
        }
    }
    if allowed
        .iter()
        .any(|entry| entry.eq_ignore_ascii_case(origin))
    {
        return OriginCheck::Allowed;
    }
    OriginCheck::Forbidden
}

impl OriginCheck {
    /// `Same` or `Allowed`.
    pub fn is_trusted(self) -> bool {
        matches!(self, OriginCheck::Same | OriginCheck::Allowed)
    }
}
