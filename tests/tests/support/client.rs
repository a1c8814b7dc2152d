//! `Client`: a small HTTP/1.1 client with a cookie jar that never follows redirects.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Method, Request, StatusCode, header};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpStream;

use super::server::TestServer;

/// Every request (connect, send, read the whole answer) must finish within this.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);

/// A password every policy rule accepts, for users whose password does not matter.
pub const GOOD_PASSWORD: &str = "Tangerine-Otter-4711";

/// One answer, read in full.
#[derive(Debug)]
pub struct Response {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Response {
    /// The `Location` header.
    pub fn location(&self) -> Option<&str> {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
    }

    /// Every raw `Set-Cookie` header, as sent.
    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .collect()
    }

    /// The raw `Set-Cookie` header for the cookie `name`, if exactly one was sent.
    pub fn set_cookie(&self, name: &str) -> Option<String> {
        let prefix = format!("{name}=");
        let found: Vec<String> = self
            .set_cookies()
            .into_iter()
            .filter(|c| c.starts_with(&prefix))
            .collect();
        assert!(found.len() <= 1, "{name} set more than once: {found:?}");
        found.into_iter().next()
    }

    /// The `Content-Type` header.
    pub fn content_type(&self) -> &str {
        self.headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// The body as JSON; panics with the body if it is not JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| {
            panic!(
                "expected a JSON body ({e}), got {} {:?}",
                self.status, self.body
            )
        })
    }

    /// Asserts a 303 and returns its `Location`.
    #[track_caller]
    pub fn expect_see_other(&self) -> &str {
        assert_eq!(
            self.status,
            StatusCode::SEE_OTHER,
            "expected 303, body: {}",
            self.body
        );
        self.location().expect("303 without Location")
    }
}

/// A browser-like client: cookie jar, one connection per request, no redirect following.
pub struct Client {
    pub addr: SocketAddr,
    jar: BTreeMap<String, String>,
}

impl Client {
    pub fn new(server: &TestServer) -> Self {
        Self {
            addr: server.addr(),
            jar: BTreeMap::new(),
        }
    }

    /// Follows a restarted server to its new port (cookies are not port-scoped).
    pub fn retarget(&mut self, server: &TestServer) {
        self.addr = server.addr();
    }

    /// The jar's value for `name`.
    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.jar.get(name).map(String::as_str)
    }

    pub fn set_cookie(&mut self, name: &str, value: &str) {
        self.jar.insert(name.to_owned(), value.to_owned());
    }

    pub fn remove_cookie(&mut self, name: &str) {
        self.jar.remove(name);
    }

    /// The `Cookie` header this client would send ("" when the jar is empty).
    pub fn cookie_header(&self) -> String {
        self.jar
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub async fn get(&mut self, path: &str) -> Response {
        self.request(Method::GET, path, &[], Vec::new()).await
    }

    /// POSTs `application/x-www-form-urlencoded` fields.
    pub async fn post_form(&mut self, path: &str, fields: &[(&str, &str)]) -> Response {
        let body = encode_form(fields);
        self.request(
            Method::POST,
            path,
            &[(
                header::CONTENT_TYPE.as_str(),
                "application/x-www-form-urlencoded",
            )],
            body.into_bytes(),
        )
        .await
    }

    /// Sends one request on a fresh connection and reads the whole answer.
    pub async fn request(
        &mut self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> Response {
        let mut builder = Request::builder()
            .method(method.clone())
            .uri(path)
            .header(header::HOST, self.addr.to_string());
        let cookies = self.cookie_header();
        if !cookies.is_empty() {
            builder = builder.header(header::COOKIE, cookies);
        }
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        let request = builder
            .body(Full::new(Bytes::from(body)))
            .expect("build request");
        let response = tokio::time::timeout(REQUEST_TIMEOUT, send(self.addr, request))
            .await
            .unwrap_or_else(|_| panic!("{method} {path}: no answer within {REQUEST_TIMEOUT:?}"));
        self.store_cookies(&response);
        response
    }

    fn store_cookies(&mut self, response: &Response) {
        for raw in response.set_cookies() {
            let cookie = SetCookie::parse(&raw);
            if cookie.is_removal() {
                self.jar.remove(&cookie.name);
            } else {
                self.jar.insert(cookie.name, cookie.value);
            }
        }
    }

    /// GETs `path` and returns the CSRF token of its form.
    pub async fn csrf(&mut self, path: &str) -> String {
        let page = self.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "GET {path}: {}", page.body);
        csrf_from(&page.body).unwrap_or_else(|| panic!("no csrf input on {path}: {}", page.body))
    }

    /// Signs up through the form; returns the POST's answer (not checked).
    pub async fn try_signup(&mut self, name: &str, password: &str, password2: &str) -> Response {
        let csrf = self.csrf("/signup").await;
        self.post_form(
            "/signup",
            &[
                ("username", name),
                ("password", password),
                ("password2", password2),
                ("csrf", &csrf),
            ],
        )
        .await
    }

    /// Signs up and asserts success (303 `/` with a session cookie).
    pub async fn signup(&mut self, name: &str, password: &str) -> Response {
        let response = self.try_signup(name, password, password).await;
        assert_eq!(
            response.status,
            StatusCode::SEE_OTHER,
            "signup {name}: {}",
            response.body
        );
        assert_eq!(response.location(), Some("/"), "signup {name}");
        assert!(
            self.cookie("chat_session").is_some(),
            "signup {name}: no session cookie"
        );
        response
    }

    /// Logs in through the form with an optional `next`; returns the POST's answer.
    pub async fn try_login(&mut self, name: &str, password: &str, next: Option<&str>) -> Response {
        let csrf = self.csrf("/login").await;
        let mut fields = vec![("username", name), ("password", password), ("csrf", &csrf)];
        if let Some(next) = next {
            fields.push(("next", next));
        }
        self.post_form("/login", &fields).await
    }

    /// Logs in and asserts a 303 with a session cookie.
    pub async fn login(&mut self, name: &str, password: &str) -> Response {
        let response = self.try_login(name, password, None).await;
        assert_eq!(
            response.status,
            StatusCode::SEE_OTHER,
            "login {name}: {}",
            response.body
        );
        assert!(
            self.cookie("chat_session").is_some(),
            "login {name}: no session cookie"
        );
        response
    }

    /// Logs out through the form on the contacts page; returns the POST's answer.
    pub async fn logout(&mut self) -> Response {
        let csrf = self.csrf("/").await;
        self.post_form("/logout", &[("csrf", &csrf)]).await
    }

    /// `GET /chat/{peer}`, asserts the 303 and returns the thread id.
    pub async fn open_thread(&mut self, peer: &str) -> i64 {
        let response = self.get(&format!("/chat/{peer}")).await;
        let location = response.expect_see_other();
        thread_id_from(location)
            .unwrap_or_else(|| panic!("/chat/{peer} redirected to {location:?}, not /threads/ID"))
    }

    /// Posts a message through the thread page's form; returns the POST's answer.
    pub async fn post_message(&mut self, thread: i64, body: &str) -> Response {
        let csrf = self.csrf(&format!("/threads/{thread}")).await;
        self.post_form(
            &format!("/threads/{thread}/messages"),
            &[("body", body), ("csrf", &csrf)],
        )
        .await
    }

    /// `GET /api/threads`, asserting 200 JSON.
    pub async fn api_threads(&mut self) -> Value {
        let response = self.get("/api/threads").await;
        assert_eq!(
            response.status,
            StatusCode::OK,
            "/api/threads: {}",
            response.body
        );
        response.json()
    }

    /// `GET /api/threads/{thread}/messages{query}`, asserting 200 JSON.
    pub async fn api_messages(&mut self, thread: i64, query: &str) -> Value {
        let path = format!("/api/threads/{thread}/messages{query}");
        let response = self.get(&path).await;
        assert_eq!(response.status, StatusCode::OK, "{path}: {}", response.body);
        response.json()
    }

    /// Every message of a thread (up to 100, which the tests stay under), oldest first.
    pub async fn all_messages(&mut self, thread: i64) -> Vec<Value> {
        let page = self.api_messages(thread, "?limit=100").await;
        page["messages"]
            .as_array()
            .unwrap_or_else(|| panic!("no messages array: {page}"))
            .clone()
    }

    /// The bodies of [`Client::all_messages`].
    pub async fn all_bodies(&mut self, thread: i64) -> Vec<String> {
        self.all_messages(thread)
            .await
            .iter()
            .map(|m| m["body"].as_str().expect("body").to_owned())
            .collect()
    }
}

/// A signed-up, logged-in client for `name` with [`GOOD_PASSWORD`].
pub async fn user(server: &TestServer, name: &str) -> Client {
    let mut client = Client::new(server);
    client.signup(name, GOOD_PASSWORD).await;
    client
}

/// The `value` of the first `<input … name="csrf" …>` in a page.
pub fn csrf_from(html: &str) -> Option<String> {
    html.split("<input")
        .skip(1)
        .filter_map(|rest| rest.split('>').next())
        .find(|tag| tag.contains("name=\"csrf\""))
        .and_then(|tag| attribute(tag, "value"))
        .map(|v| html_unescape(&v))
}

/// The id in `/threads/{id}`.
pub fn thread_id_from(location: &str) -> Option<i64> {
    location.strip_prefix("/threads/")?.parse().ok()
}

/// `application/x-www-form-urlencoded`.
pub fn encode_form(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Percent-encodes everything but unreserved characters (space as `%20`).
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            write!(out, "%{b:02X}").expect("write to a String");
        }
    }
    out
}

/// A parsed `Set-Cookie` header: name, value and attributes (names lowercased).
#[derive(Debug)]
pub struct SetCookie {
    pub name: String,
    pub value: String,
    pub attributes: Vec<(String, Option<String>)>,
}

impl SetCookie {
    pub fn parse(raw: &str) -> Self {
        let mut parts = raw.split(';').map(str::trim);
        let (name, value) = parts
            .next()
            .and_then(|p| p.split_once('='))
            .unwrap_or_else(|| panic!("malformed Set-Cookie {raw:?}"));
        let attributes = parts
            .filter(|p| !p.is_empty())
            .map(|p| match p.split_once('=') {
                Some((k, v)) => (k.trim().to_ascii_lowercase(), Some(v.trim().to_owned())),
                None => (p.to_ascii_lowercase(), None),
            })
            .collect();
        Self {
            name: name.trim().to_owned(),
            value: value.trim().trim_matches('"').to_owned(),
            attributes,
        }
    }

    /// The value of attribute `name` (lowercase); `None` if absent or a bare flag.
    pub fn value_of(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(k, _)| k == name)
            .and_then(|(_, v)| v.as_deref())
    }

    /// Whether attribute `name` (lowercase) is present, with or without a value.
    pub fn has(&self, name: &str) -> bool {
        self.attributes.iter().any(|(k, _)| k == name)
    }

    /// `Max-Age` ≤ 0 or an `Expires` in 1970: the cookie is being deleted.
    pub fn is_removal(&self) -> bool {
        let max_age_gone = self
            .value_of("max-age")
            .and_then(|v| v.parse::<i64>().ok())
            .is_some_and(|age| age <= 0);
        let expired = self.value_of("expires").is_some_and(|v| v.contains("1970"));
        max_age_gone || expired
    }
}

async fn send(addr: SocketAddr, request: Request<Full<Bytes>>) -> Response {
    let method = request.method().clone();
    let uri = request.uri().clone();
    let stream = TcpStream::connect(addr)
        .await
        .unwrap_or_else(|e| panic!("connect {addr}: {e}"));
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .expect("http1 handshake");
    tokio::spawn(connection);
    let response = sender
        .send_request(request)
        .await
        .unwrap_or_else(|e| panic!("{method} {uri}: {e}"));
    let (parts, body) = response.into_parts();
    let body = body
        .collect()
        .await
        .unwrap_or_else(|e| panic!("{method} {uri}: reading body: {e}"))
        .to_bytes();
    Response {
        status: parts.status,
        headers: parts.headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

fn attribute(tag: &str, name: &str) -> Option<String> {
    let start = tag.find(&format!("{name}=\""))? + name.len() + 2;
    let len = tag[start..].find('"')?;
    Some(tag[start..start + len].to_owned())
}

fn html_unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}
