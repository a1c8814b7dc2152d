//! [`Request`]: a fully buffered HTTP request, plus what a WebSocket upgrade needs.

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use bytes::Bytes;
use cookie::Cookie;
use http::header::{self, HeaderName};
use http::{HeaderMap, HeaderValue, Method};
use hyper::upgrade::OnUpgrade;
use tokio::sync::{OwnedSemaphorePermit, watch};

/// A request whose body has been read (within the size limit).
pub struct Request {
    pub method: Method,
    /// The raw (still percent-encoded) path, without the query.
    pub path: String,
    /// The raw query string, `""` if none.
    pub query: String,
    pub headers: HeaderMap,
    pub body: Bytes,
    /// The TCP peer (the proxy's address when behind one).
    pub peer: SocketAddr,
    upgrade: Option<OnUpgrade>,
    conn: Option<Arc<ConnContext>>,
}

/// Decoded `key=value` pairs of a form body or a query string, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Form(Vec<(String, String)>);

/// What a connection shares with its requests and the WebSocket session that
/// may take it over: the shutdown signal and the connection-cap permit.
pub(crate) struct ConnContext {
    shutdown: watch::Receiver<bool>,
    _permit: OwnedSemaphorePermit,
}

/// Everything a WebSocket session needs from the request it upgrades.
pub(crate) struct PendingUpgrade {
    pub(crate) on_upgrade: OnUpgrade,
    pub(crate) conn: Arc<ConnContext>,
}

impl Request {
    /// A request for unit tests of an app: no socket, no body, peer 127.0.0.1:0.
    /// `uri` is a path with an optional query (`/threads/3?page=2`).
    pub fn for_test(method: Method, uri: &str) -> Request {
        let (path, query) = uri.split_once('?').unwrap_or((uri, ""));
        Request {
            method,
            path: path.to_owned(),
            query: query.to_owned(),
            headers: HeaderMap::new(),
            body: Bytes::new(),
            peer: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            upgrade: None,
            conn: None,
        }
    }

    /// Adds a header (test builder). An invalid name or value is ignored.
    #[must_use]
    pub fn with_header<N: TryInto<HeaderName>>(mut self, name: N, value: &str) -> Self {
        if let (Ok(name), Ok(value)) = (name.try_into(), HeaderValue::from_str(value)) {
            self.headers.append(name, value);
        }
        self
    }

    /// Sets the body (test builder).
    #[must_use]
    pub fn with_body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self
    }

    /// Sets the peer address (test builder).
    #[must_use]
    pub fn with_peer(mut self, peer: SocketAddr) -> Self {
        self.peer = peer;
        self
    }

    /// The first value of a header, if it is visible ASCII.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    /// The value of a cookie, from any `Cookie` header (surrounding double quotes
    /// removed, otherwise not decoded).
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(Cookie::split_parse)
            .filter_map(Result::ok)
            .find(|cookie| cookie.name() == name)
            .map(|cookie| cookie.value_trimmed().to_owned())
    }

    /// The body as an `application/x-www-form-urlencoded` form. A body declared
    /// with another content type yields an empty form; a missing content type is
    /// accepted.
    pub fn form(&self) -> Form {
        let is_form = self.header("content-type").is_none_or(|content_type| {
            let essence = content_type.split(';').next().unwrap_or("").trim();
            essence.eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
        if is_form {
            Form::parse(&self.body)
        } else {
            Form::default()
        }
    }

    /// The query string, decoded like a form.
    pub fn query_params(&self) -> Form {
        Form::parse(self.query.as_bytes())
    }

    /// Whether this is a WebSocket upgrade request (GET, `Upgrade: websocket`,
    /// `Connection: upgrade`); [`crate::ws::upgrade`] checks the rest.
    pub fn is_websocket_upgrade(&self) -> bool {
        self.method == Method::GET
            && header_has_token(&self.headers, header::UPGRADE, "websocket")
            && header_has_token(&self.headers, header::CONNECTION, "upgrade")
    }

    /// The path split on `/`, each segment percent-decoded (lossy UTF-8), empty
    /// segments dropped: `/threads/a%20b/` → `["threads", "a b"]`.
    pub fn path_segments(&self) -> Vec<String> {
        self.path
            .split('/')
            .filter(|segment| !segment.is_empty())
            .map(percent_decode)
            .collect()
    }

    /// Builds a request from hyper's parts (the server's entry point).
    pub(crate) fn from_parts(
        parts: http::request::Parts,
        body: Bytes,
        peer: SocketAddr,
        upgrade: Option<OnUpgrade>,
        conn: Arc<ConnContext>,
    ) -> Request {
        Request {
            path: parts.uri.path().to_owned(),
            query: parts.uri.query().unwrap_or("").to_owned(),
            method: parts.method,
            headers: parts.headers,
            body,
            peer,
            upgrade,
            conn: Some(conn),
        }
    }

    /// Takes what a WebSocket session needs; `None` for test requests or if taken.
    pub(crate) fn take_upgrade(&mut self) -> Option<PendingUpgrade> {
        let on_upgrade = self.upgrade.take()?;
        let conn = Arc::clone(self.conn.as_ref()?);
        Some(PendingUpgrade { on_upgrade, conn })
    }
}

impl fmt::Debug for Request {
    /// Headers and body are left out: they may hold cookies and passwords.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("peer", &self.peer)
            .field("body_len", &self.body.len())
            .finish_non_exhaustive()
    }
}

impl Form {
    /// Parses `application/x-www-form-urlencoded` bytes (`+` is a space).
    pub fn parse(input: &[u8]) -> Form {
        Form(form_urlencoded::parse(input).into_owned().collect())
    }

    /// The first value for `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(name, _)| name == key)
            .map(|(_, value)| value.as_str())
    }

    /// Every pair, in order.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.0
    }
}

impl ConnContext {
    pub(crate) fn new(shutdown: watch::Receiver<bool>, permit: OwnedSemaphorePermit) -> Self {
        ConnContext {
            shutdown,
            _permit: permit,
        }
    }

    /// The server-wide shutdown signal.
    pub(crate) fn shutdown(&self) -> watch::Receiver<bool> {
        self.shutdown.clone()
    }
}

/// Whether a comma-separated header (any of its lines) contains `token`, ignoring case.
pub(crate) fn header_has_token(headers: &HeaderMap, name: HeaderName, token: &str) -> bool {
    headers
        .get_all(name)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|item| item.trim().eq_ignore_ascii_case(token))
}

/// Decodes `%XX` escapes (a malformed escape is kept as is); `+` stays a `+`.
fn percent_decode(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = match bytes.get(i..i + 3) {
            Some([b'%', high, low]) => hex_value(*high).zip(hex_value(*low)),
            _ => None,
        };
        if let Some((high, low)) = escaped {
            decoded.push(high << 4 | low);
            i += 3;
        } else {
            decoded.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

fn hex_value(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}
