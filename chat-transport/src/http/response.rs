//! [`Response`]: status, headers and a buffered body, or a WebSocket upgrade.

use std::fmt;
use std::pin::Pin;

use bytes::Bytes;
use cookie::Cookie;
use http::header::{self, HeaderName};
use http::{HeaderMap, HeaderValue, StatusCode};
use http_body_util::Full;
use serde::Serialize;

use super::Request;

/// A session to run once hyper has switched protocols.
pub(crate) type UpgradeTask = Pin<Box<dyn Future<Output = ()> + Send>>;

/// A buffered response (and, for a 101, the WebSocket session to run).
pub struct Response {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
    upgrade: Option<UpgradeTask>,
}

const CACHE_IMMUTABLE: &str = "public, max-age=31536000, immutable";
const CACHE_REVALIDATE: &str = "no-cache";

impl Response {
    /// An HTML page (`text/html; charset=utf-8`).
    pub fn html(status: StatusCode, body: String) -> Self {
        Response::with_body(status, "text/html; charset=utf-8", Bytes::from(body))
    }

    /// Plain text (`text/plain; charset=utf-8`).
    pub fn text(status: StatusCode, body: impl Into<String>) -> Self {
        Response::with_body(
            status,
            "text/plain; charset=utf-8",
            Bytes::from(body.into()),
        )
    }

    /// JSON (`application/json`); a value that fails to serialise gives a 500.
    pub fn json<T: Serialize>(status: StatusCode, value: &T) -> Self {
        match serde_json::to_vec(value) {
            Ok(body) => Response::with_body(status, "application/json", Bytes::from(body)),
            Err(error) => {
                tracing::error!(%error, "failed to serialise a JSON response");
                Response::text(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
            }
        }
    }

    /// 303 See Other to `location` (the answer to a successful form POST).
    pub fn see_other(location: &str) -> Self {
        Response::empty(StatusCode::SEE_OTHER).with_header(header::LOCATION, location)
    }

    /// No body, no content type.
    pub fn empty(status: StatusCode) -> Self {
        Response {
            status,
            headers: HeaderMap::new(),
            body: Bytes::new(),
            upgrade: None,
        }
    }

    /// Sets a header (replacing earlier values). An invalid value is logged and
    /// the header dropped: never a panic.
    #[must_use]
    pub fn with_header(mut self, name: HeaderName, value: &str) -> Self {
        if let Ok(value) = HeaderValue::from_str(value) {
            self.headers.insert(name, value);
        } else {
            tracing::warn!(header = %name, "dropped a response header with an invalid value");
        }
        self
    }

    /// Appends a `Set-Cookie` (the cookie as given: values are not encoded).
    #[must_use]
    pub fn with_cookie(mut self, cookie: &Cookie<'_>) -> Self {
        if let Ok(value) = HeaderValue::from_str(&cookie.to_string()) {
            self.headers.append(header::SET_COOKIE, value);
        } else {
            tracing::warn!(cookie = cookie.name(), "dropped an invalid Set-Cookie");
        }
        self
    }

    /// A compiled-in asset with an `ETag`; answers 304 when `If-None-Match`
    /// matches. `immutable` (fingerprinted URLs) caches for a year, otherwise the
    /// browser revalidates each time (`no-cache`). `etag` may be given with or
    /// without its quotes.
    pub fn static_asset(
        req: &Request,
        body: &'static [u8],
        content_type: &str,
        etag: &str,
        immutable: bool,
    ) -> Self {
        let etag = if etag.starts_with('"') || etag.starts_with("W/\"") {
            etag.to_owned()
        } else {
            format!("\"{etag}\"")
        };
        let cache_control = if immutable {
            CACHE_IMMUTABLE
        } else {
            CACHE_REVALIDATE
        };
        let not_modified = req
            .headers
            .get_all(header::IF_NONE_MATCH)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .any(|candidate| etag_matches(candidate.trim(), &etag));
        let response = if not_modified {
            Response::empty(StatusCode::NOT_MODIFIED)
        } else {
            let mut response = Response::empty(StatusCode::OK);
            response.body = Bytes::from_static(body);
            response.with_header(header::CONTENT_TYPE, content_type)
        };
        response
            .with_header(header::ETAG, &etag)
            .with_header(header::CACHE_CONTROL, cache_control)
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }

    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    pub fn body_bytes(&self) -> &[u8] {
        &self.body
    }

    /// Whether a WebSocket session is attached (a successful [`crate::ws::upgrade`]
    /// on a live connection).
    pub fn has_upgrade(&self) -> bool {
        self.upgrade.is_some()
    }

    pub(crate) fn with_upgrade(mut self, task: UpgradeTask) -> Self {
        self.upgrade = Some(task);
        self
    }

    /// Splits into what hyper sends and the session to spawn.
    pub(crate) fn into_hyper(self) -> (http::Response<Full<Bytes>>, Option<UpgradeTask>) {
        let mut response = http::Response::new(Full::new(self.body));
        *response.status_mut() = self.status;
        *response.headers_mut() = self.headers;
        (response, self.upgrade)
    }

    fn with_body(status: StatusCode, content_type: &'static str, body: Bytes) -> Self {
        let mut response = Response::empty(status);
        response
            .headers
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        response.body = body;
        response
    }
}

impl fmt::Debug for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Response")
            .field("status", &self.status)
            .field("headers", &self.headers)
            .field("body_len", &self.body.len())
            .field("upgrade", &self.upgrade.is_some())
            .finish()
    }
}

/// Weak comparison (RFC 9110 §13.1.2): `W/` prefixes are ignored; `*` matches.
fn etag_matches(candidate: &str, etag: &str) -> bool {
    fn opaque(tag: &str) -> &str {
        tag.strip_prefix("W/").unwrap_or(tag)
    }
    candidate == "*" || opaque(candidate) == opaque(etag)
}
