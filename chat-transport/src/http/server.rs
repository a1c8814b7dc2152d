//! [`serve`]: the accept loop (connection cap, 503 beyond it), one hyper HTTP/1
//! connection per task, body limits, access logging and graceful shutdown.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{StatusCode, header};
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tokio::time::Instant;

use super::request::ConnContext;
use super::{App, Request, Response, ServerConfig};
use crate::TransportError;
use crate::shutdown;

/// Connections beyond the cap that may be waiting for their 503 at once; past
/// that they are closed without an answer.
const REJECT_SLOTS: usize = 256;
/// How long a rejected connection may take to receive its 503.
const REJECT_TIMEOUT: Duration = Duration::from_secs(1);
/// The answer to a connection beyond the cap.
const OVERLOADED: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\n\
content-type: text/plain; charset=utf-8\r\n\
content-length: 15\r\n\
retry-after: 1\r\n\
connection: close\r\n\r\n\
server is busy\n";
/// Largest request head (start line and headers); larger → 431.
const HEAD_MAX: usize = 32 * 1024;
/// Largest read (and write) buffer of one HTTP connection; hyper's default
/// (~400 KiB) is a lot times `max_connections`.
const CONNECTION_BUFFER_MAX: usize = 64 * 1024;
/// First and longest pause after a failed `accept` (e.g. out of file descriptors).
const ACCEPT_BACKOFF: (Duration, Duration) = (Duration::from_millis(10), Duration::from_secs(1));

struct Server<A> {
    app: Arc<A>,
    config: ServerConfig,
    http1: http1::Builder,
}

/// Serves HTTP/1 (and WebSocket upgrades) on `listener` until `shutdown`
/// resolves, then stops accepting, lets in-flight requests finish (idle
/// keep-alive connections close at once), tells every WebSocket session to
/// close with 1001, and waits for all of them up to `shutdown_grace`.
///
/// Connections beyond `max_connections` (an upgraded WebSocket keeps counting)
/// get a 503 and are closed. Accept errors (such as running out of file
/// descriptors) are logged and retried with a backoff; they never end `serve`.
pub async fn serve<A: App>(
    listener: TcpListener,
    config: ServerConfig,
    app: Arc<A>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), TransportError> {
    let local = listener.local_addr().map_err(TransportError::Listener)?;
    let permits = u32::try_from(config.max_connections)
        .unwrap_or(u32::MAX)
        .clamp(1, u32::MAX >> 3);
    let limiter = Arc::new(Semaphore::new(permits as usize));
    let reject_slots = Arc::new(Semaphore::new(REJECT_SLOTS));
    let (signal, signal_rx) = watch::channel(false);
    let server = Arc::new(Server {
        app,
        http1: http1_builder(&config),
        config,
    });
    tracing::info!(%local, max_connections = permits, "serving http");

    let mut shutdown = std::pin::pin!(shutdown);
    let mut backoff = ACCEPT_BACKOFF.0;
    loop {
        let accepted = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, peer)) => {
                backoff = ACCEPT_BACKOFF.0;
                match Arc::clone(&limiter).try_acquire_owned() {
                    Ok(permit) => {
                        let conn = Arc::new(ConnContext::new(signal_rx.clone(), permit));
                        tokio::spawn(serve_connection(Arc::clone(&server), stream, peer, conn));
                    }
                    Err(_) => reject(stream, peer, &reject_slots),
                }
            }
            Err(error) => {
                tracing::warn!(%error, ?backoff, "accept failed");
                tokio::select! {
                    () = &mut shutdown => break,
                    () = tokio::time::sleep(backoff) => {}
                }
                backoff = (backoff * 2).min(ACCEPT_BACKOFF.1);
            }
        }
    }

    drop(listener);
    signal.send_replace(true);
    drain(&limiter, permits, server.config.shutdown_grace).await;
    Ok(())
}

/// Waits until every connection permit is back (all connections and sessions
/// have ended), at most `grace`.
async fn drain(limiter: &Semaphore, permits: u32, grace: Duration) {
    tracing::info!("shutting down: waiting for connections to finish");
    if tokio::time::timeout(grace, limiter.acquire_many(permits))
        .await
        .is_ok()
    {
        tracing::info!("all connections closed");
    } else {
        let still_open = permits as usize - limiter.available_permits();
        tracing::warn!(
            still_open,
            "shutdown grace elapsed with connections still open"
        );
    }
}

fn http1_builder(config: &ServerConfig) -> http1::Builder {
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(config.header_read_timeout)
        .keep_alive(config.keep_alive)
        .max_header_size(HEAD_MAX)
        .max_buf_size(CONNECTION_BUFFER_MAX);
    builder
}

/// One HTTP/1 connection, until it closes, upgrades, or finishes after shutdown.
async fn serve_connection<A: App>(
    server: Arc<Server<A>>,
    stream: TcpStream,
    peer: SocketAddr,
    conn: Arc<ConnContext>,
) {
    if let Err(error) = stream.set_nodelay(true) {
        tracing::debug!(%peer, %error, "could not set TCP_NODELAY");
    }
    let mut signal = conn.shutdown();
    let service = {
        let server = Arc::clone(&server);
        service_fn(move |req| handle(Arc::clone(&server), req, peer, Arc::clone(&conn)))
    };
    let connection = server
        .http1
        .serve_connection(TokioIo::new(stream), service)
        .with_upgrades();
    let mut connection = std::pin::pin!(connection);
    let mut draining = false;
    let result = loop {
        tokio::select! {
            result = connection.as_mut() => break result,
            () = shutdown::signalled(&mut signal), if !draining => {
                draining = true;
                connection.as_mut().graceful_shutdown();
            }
        }
    };
    if let Err(error) = result {
        let error = TransportError::Http(error.into());
        tracing::debug!(%peer, error = %error, source = ?std::error::Error::source(&error), "connection ended with an error");
    }
}

/// One request: read the body within limits, run the app, log, hand back to hyper.
async fn handle<A: App>(
    server: Arc<Server<A>>,
    req: http::Request<Incoming>,
    peer: SocketAddr,
    conn: Arc<ConnContext>,
) -> Result<http::Response<Full<Bytes>>, Infallible> {
    let started = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let response = match read_request(req, peer, conn, &server.config).await {
        Ok(request) => server.app.handle(request).await,
        Err(response) => response,
    };
    tracing::info!(
        %method,
        %path,
        status = response.status().as_u16(),
        latency = ?started.elapsed(),
        "request"
    );
    let (response, upgrade) = response.into_hyper();
    if let Some(session) = upgrade {
        tokio::spawn(session);
    }
    Ok(response)
}

/// Buffers the body (413 beyond `max_body_bytes`, 408 when it is too slow).
async fn read_request(
    req: http::Request<Incoming>,
    peer: SocketAddr,
    conn: Arc<ConnContext>,
    config: &ServerConfig,
) -> Result<Request, Response> {
    let (mut parts, body) = req.into_parts();
    let max = config.max_body_bytes;
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<u64>().ok());
    if declared.is_some_and(|length| length > u64::try_from(max).unwrap_or(u64::MAX)) {
        return Err(too_large());
    }
    let upgrade = parts.extensions.remove::<OnUpgrade>();
    let collected = tokio::time::timeout(
        config.header_read_timeout,
        Limited::new(body, max).collect(),
    );
    let body = match collected.await {
        Ok(Ok(collected)) => collected.to_bytes(),
        Ok(Err(error)) if error.downcast_ref::<LengthLimitError>().is_some() => {
            return Err(too_large());
        }
        Ok(Err(error)) => {
            tracing::debug!(%peer, %error, "failed to read a request body");
            return Err(closing(
                StatusCode::BAD_REQUEST,
                "could not read the request body",
            ));
        }
        Err(_) => {
            return Err(closing(
                StatusCode::REQUEST_TIMEOUT,
                "request body too slow",
            ));
        }
    };
    Ok(Request::from_parts(parts, body, peer, upgrade, conn))
}

fn too_large() -> Response {
    closing(StatusCode::PAYLOAD_TOO_LARGE, "request body too large")
}

/// An error response after which the connection is closed (the body may be unread).
fn closing(status: StatusCode, text: &str) -> Response {
    Response::text(status, text).with_header(header::CONNECTION, "close")
}

/// Answers a connection beyond the cap with 503, off the accept loop and bounded.
fn reject(stream: TcpStream, peer: SocketAddr, slots: &Arc<Semaphore>) {
    let Ok(slot) = Arc::clone(slots).try_acquire_owned() else {
        tracing::debug!(%peer, "connection cap reached, dropping connection");
        return;
    };
    tracing::debug!(%peer, "connection cap reached, answering 503");
    tokio::spawn(async move {
        let _slot = slot;
        let mut stream = stream;
        let answer = async {
            stream.write_all(OVERLOADED).await?;
            stream.shutdown().await?;
            // Read what the client sent so closing does not reset the connection
            // before it has read the answer.
            let mut sink = [0; 512];
            while stream.read(&mut sink).await? > 0 {}
            Ok::<_, std::io::Error>(())
        };
        let _ = tokio::time::timeout(REJECT_TIMEOUT, answer).await;
    });
}

#[cfg(test)]
pub(crate) fn overloaded_response() -> &'static [u8] {
    OVERLOADED
}
