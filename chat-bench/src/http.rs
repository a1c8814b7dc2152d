//! A small HTTP/1.1 client over one keep-alive connection (hyper's `conn::http1`),
//! with just what the benchmark needs: forms, cookies, CSRF fields.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, Request, StatusCode, header};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use crate::BenchError;

/// One request may take at most this long, connect to last body byte.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// A keep-alive HTTP/1.1 connection.
pub struct HttpConn {
    addr: SocketAddr,
    sender: SendRequest<Full<Bytes>>,
}

/// An answer read in full.
#[derive(Debug)]
pub struct HttpResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl HttpConn {
    /// Connects and runs the connection's driver on the runtime.
    pub async fn open(addr: SocketAddr) -> Result<HttpConn, BenchError> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(HttpConn { addr, sender })
    }

    /// Sends a request and reads the whole answer.
    pub async fn send(&mut self, req: Request<Full<Bytes>>) -> Result<HttpResponse, BenchError> {
        let exchange = async {
            self.sender.ready().await?;
            let response = self.sender.send_request(req).await?;
            let (parts, body) = response.into_parts();
            let body = body.collect().await?.to_bytes();
            Ok::<_, BenchError>(HttpResponse {
                status: parts.status,
                headers: parts.headers,
                body,
            })
        };
        tokio::time::timeout(REQUEST_TIMEOUT, exchange)
            .await
            .map_err(|_| BenchError::Timeout("http request"))?
    }

    /// `GET path` with an optional `Cookie` header value.
    pub async fn get(
        &mut self,
        path: &str,
        cookie: Option<&str>,
    ) -> Result<HttpResponse, BenchError> {
        let req = request(self.addr, Method::GET, path, cookie, None)?;
        self.send(req).await
    }

    /// `POST path` with an urlencoded form.
    pub async fn post_form(
        &mut self,
        path: &str,
        cookie: Option<&str>,
        fields: &[(&str, &str)],
    ) -> Result<HttpResponse, BenchError> {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        let req = request(self.addr, Method::POST, path, cookie, Some(body))?;
        self.send(req).await
    }
}

impl HttpResponse {
    /// The value of the cookie `name` this answer sets, if any.
    pub fn set_cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|c| cookie_value(c, name))
    }

    /// The `Location` header.
    pub fn location(&self) -> Option<&str> {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
    }

    /// The body as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Fails unless the status is `expected`.
    pub fn expect(self, expected: StatusCode, what: &str) -> Result<HttpResponse, BenchError> {
        if self.status == expected {
            return Ok(self);
        }
        let mut text = self.text();
        text.truncate(300);
        Err(BenchError::Protocol(format!(
            "{what}: expected {expected}, got {}: {text:?}",
            self.status
        )))
    }
}

/// The `value` of the first `<input … name="csrf" … value="…">` in a page.
pub fn csrf_field(html: &str) -> Option<&str> {
    let at = html.find("name=\"csrf\"")?;
    let tag_start = html[..at].rfind('<')?;
    let tag_end = at + html[at..].find('>')?;
    let tag = &html[tag_start..tag_end];
    let value = &tag[tag.find("value=\"")? + "value=\"".len()..];
    Some(&value[..value.find('"')?])
}

/// The value of cookie `name` in one `Set-Cookie` header.
fn cookie_value(set_cookie: &str, name: &str) -> Option<String> {
    let pair = set_cookie.split(';').next()?.trim();
    let (k, v) = pair.split_once('=')?;
    (k == name && !v.is_empty()).then(|| v.to_owned())
}

fn request(
    addr: SocketAddr,
    method: Method,
    path: &str,
    cookie: Option<&str>,
    form: Option<String>,
) -> Result<Request<Full<Bytes>>, BenchError> {
    let mut builder = Request::builder()
        .method(method)
        .uri(path)
        .header(header::HOST, addr.to_string())
        .header(header::ORIGIN, format!("http://{addr}"));
    if let Some(cookie) = cookie {
        builder = builder.header(
            header::COOKIE,
            HeaderValue::from_str(cookie).map_err(::http::Error::from)?,
        );
    }
    let body = match form {
        Some(form) => {
            builder = builder.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
            Full::new(Bytes::from(form))
        }
        None => Full::new(Bytes::new()),
    };
    Ok(builder.body(body)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csrf_field_is_found_whatever_the_attribute_order() {
        let cases = [
            (
                r#"<form><input type="hidden" name="csrf" value="abc123"></form>"#,
                Some("abc123"),
            ),
            (
                r#"<input value="v1" name="csrf" type="hidden">"#,
                Some("v1"),
            ),
            (
                r#"<input name="username" value="x"><input name="csrf" value="t">"#,
                Some("t"),
            ),
            (r#"<input name="username" value="x">"#, None),
        ];
        for (html, expected) in cases {
            assert_eq!(csrf_field(html), expected, "{html}");
        }
    }

    #[test]
    fn cookie_value_reads_only_the_named_cookie() {
        let header = "chat_session=tok; Path=/; HttpOnly; SameSite=Lax";
        assert_eq!(cookie_value(header, "chat_session").as_deref(), Some("tok"));
        assert_eq!(cookie_value(header, "chat_csrf"), None);
        assert_eq!(
            cookie_value("chat_session=; Max-Age=0", "chat_session"),
            None
        );
    }
}
