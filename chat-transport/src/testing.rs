//! Test fixtures shared by the socket tests: a tiny app over `serve`, a
//! session handler, and HTTP / WebSocket clients. Everything is bounded in time.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use chat_core::{MessageId, ThreadId, UserId};
use futures_util::StreamExt;
use http::{Method, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;

use crate::TransportError;
use crate::http::{App, Request, Response, ServerConfig, serve};
use crate::hub::{Hub, Scope};
use crate::layer::Event;
use crate::wire::{ClientFrame, ServerFrame, WireMessage};
use crate::ws::{self, SessionHandler, Socket, WsConfig};

/// Longest any single step of a socket test may take.
pub(crate) const STEP: Duration = Duration::from_secs(5);
/// The `last_id` every test session says hello with.
pub(crate) const HELLO_LAST_ID: i64 = 100;

pub(crate) type Client = WebSocketStream<TcpStream>;

/// Routes: `GET /hello`, `POST /echo`, `GET /big` (1 MiB), `GET /slow` (300 ms),
/// `GET /ws?user=N[&thread=T]`.
pub(crate) struct TestApp {
    hub: Arc<Hub>,
    ws: WsConfig,
    handler: Arc<TestHandler>,
}

/// Says hello with [`HELLO_LAST_ID`]; a `send` becomes a message to the sender and
/// to user `body` if it parses as a number; `resume{after}` replays three
/// messages after it; `read{up_to}` closes the socket with code `up_to`.
#[derive(Default)]
pub(crate) struct TestHandler {
    next_id: AtomicI64,
    pub(crate) frames: Mutex<Vec<ClientFrame>>,
    pub(crate) closed: AtomicUsize,
    /// Every socket opened, in order.
    pub(crate) sockets: Mutex<Vec<Socket>>,
    hub: Mutex<Option<Arc<Hub>>>,
}

pub(crate) struct TestServer {
    pub(crate) addr: SocketAddr,
    pub(crate) hub: Arc<Hub>,
    pub(crate) handler: Arc<TestHandler>,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<Result<(), TransportError>>,
}

impl App for TestApp {
    async fn handle(&self, mut req: Request) -> Response {
        match (req.method.clone(), req.path.as_str()) {
            (Method::GET, "/hello") => {
                Response::text(StatusCode::OK, format!("hello {}", req.peer))
            }
            (Method::POST, "/echo") => Response::text(
                StatusCode::OK,
                String::from_utf8_lossy(&req.body).into_owned(),
            ),
            (Method::GET, "/big") => Response::text(StatusCode::OK, "z".repeat(1024 * 1024)),
            (Method::GET, "/slow") => {
                tokio::time::sleep(Duration::from_millis(300)).await;
                Response::text(StatusCode::OK, "slow done")
            }
            (Method::GET, "/ws") => {
                let params = req.query_params();
                let user = params.get("user").and_then(|u| u.parse().ok()).unwrap_or(1);
                let scope = match params.get("thread").and_then(|t| t.parse().ok()) {
                    Some(thread) => Scope::Thread(ThreadId(thread)),
                    None => Scope::All,
                };
                let hub = Arc::clone(&self.hub);
                let handler = Arc::clone(&self.handler);
                ws::upgrade(&mut req, hub, UserId(user), scope, handler, self.ws.clone())
            }
            _ => Response::text(StatusCode::NOT_FOUND, "not found"),
        }
    }
}

impl SessionHandler for TestHandler {
    async fn on_open(&self, socket: &Socket) {
        self.sockets.lock().unwrap().push(socket.clone());
        let hello = ServerFrame::Hello {
            user: format!("user{}", socket.user()),
            last_id: MessageId(HELLO_LAST_ID),
        };
        socket.send_hello(&hello, MessageId(HELLO_LAST_ID));
    }

    async fn on_frame(&self, socket: &Socket, frame: ClientFrame) {
        self.frames.lock().unwrap().push(frame.clone());
        match frame {
            ClientFrame::Send {
                thread,
                body,
                client_id,
            } => {
                let id = HELLO_LAST_ID + 1 + self.next_id.fetch_add(1, Ordering::SeqCst);
                let mut recipients = vec![socket.user()];
                recipients.extend(body.parse().ok().map(UserId));
                let event = Event::Message {
                    message: wire_message(id, thread.map_or(1, ThreadId::get)),
                    client_id,
                    sender: socket.user(),
                    recipients,
                };
                if let Some(hub) = self.hub.lock().unwrap().as_ref() {
                    hub.deliver(&event);
                }
            }
            ClientFrame::Resume { after } => {
                let messages = (1..=3).map(|i| wire_message(after.get() + i, 1)).collect();
                socket.send_replay(messages, false);
            }
            ClientFrame::Read { up_to, .. } => {
                socket.close(u16::try_from(up_to.get()).unwrap(), "requested");
            }
            ClientFrame::Typing { .. } => {}
        }
    }

    fn on_close(&self, _socket: &Socket) {
        self.closed.fetch_add(1, Ordering::SeqCst);
    }
}

impl TestServer {
    pub(crate) async fn start(config: ServerConfig, ws: WsConfig) -> TestServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let hub = Hub::new();
        let handler = Arc::new(TestHandler::default());
        *handler.hub.lock().unwrap() = Some(Arc::clone(&hub));
        let app = Arc::new(TestApp {
            hub: Arc::clone(&hub),
            ws,
            handler: Arc::clone(&handler),
        });
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(serve(listener, config, app, async move {
            let _ = stopped.await;
        }));
        TestServer {
            addr,
            hub,
            handler,
            stop: Some(stop),
            task,
        }
    }

    pub(crate) async fn with_defaults() -> TestServer {
        TestServer::start(ServerConfig::default(), WsConfig::default()).await
    }

    /// Resolves the shutdown future given to `serve`.
    pub(crate) fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }

    /// Waits for `serve` to return.
    pub(crate) async fn join(mut self) -> Result<(), TransportError> {
        tokio::time::timeout(STEP * 2, &mut self.task)
            .await
            .expect("serve returned")
            .unwrap()
    }

    /// A WebSocket client on `path`, past its `hello`.
    pub(crate) async fn ws(&self, path: &str) -> Client {
        let mut client = self.ws_raw(path).await;
        match next_frame(&mut client).await {
            ServerFrame::Hello { last_id, .. } => assert_eq!(last_id, MessageId(HELLO_LAST_ID)),
            other => panic!("expected hello, got {other:?}"),
        }
        client
    }

    /// A WebSocket client on `path`, before reading anything.
    pub(crate) async fn ws_raw(&self, path: &str) -> Client {
        let stream = TcpStream::connect(self.addr).await.unwrap();
        let url = format!("ws://{}{path}", self.addr);
        let (client, response) =
            tokio::time::timeout(STEP, tokio_tungstenite::client_async(url, stream))
                .await
                .expect("handshake in time")
                .expect("handshake succeeds");
        assert_eq!(response.status(), StatusCode::SWITCHING_PROTOCOLS);
        client
    }

    /// An HTTP/1 client connection (keep-alive).
    pub(crate) async fn http(&self) -> SendRequest<Full<Bytes>> {
        let stream = TcpStream::connect(self.addr).await.unwrap();
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .unwrap();
        tokio::spawn(connection);
        sender
    }

    /// Waits until the hub holds `n` sockets.
    pub(crate) async fn wait_for_sockets(&self, n: usize) {
        let hub = Arc::clone(&self.hub);
        eventually(move || hub.socket_count() == n).await;
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.shutdown();
    }
}

pub(crate) fn wire_message(id: i64, thread: i64) -> WireMessage {
    WireMessage {
        id: MessageId(id),
        thread: ThreadId(thread),
        sender: "alice".to_owned(),
        body: format!("message {id}"),
        sent_at: "2025-01-01T00:00:00Z".to_owned(),
        client_id: None,
    }
}

/// Sends one request on an HTTP client; returns status and body text.
pub(crate) async fn request(
    client: &mut SendRequest<Full<Bytes>>,
    method: Method,
    path: &str,
    body: &str,
) -> (StatusCode, String) {
    let request = http::Request::builder()
        .method(method)
        .uri(path)
        .header(http::header::HOST, "127.0.0.1")
        .body(Full::new(Bytes::from(body.to_owned())))
        .unwrap();
    let exchange = async {
        // The previous exchange may still be finishing on this connection.
        client.ready().await?;
        client.send_request(request).await
    };
    let response = tokio::time::timeout(STEP, exchange)
        .await
        .expect("response in time")
        .unwrap();
    let status = response.status();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

/// Writes `input` on a fresh connection and reads until the server closes it.
pub(crate) async fn raw_exchange(addr: SocketAddr, input: &[u8]) -> String {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(input).await.unwrap();
    read_to_close(&mut stream).await
}

/// Reads until EOF (or a reset), bounded in time.
pub(crate) async fn read_to_close(stream: &mut TcpStream) -> String {
    let mut output = Vec::new();
    let read = async {
        let mut buffer = [0; 4096];
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => output.extend_from_slice(&buffer[..n]),
            }
        }
    };
    tokio::time::timeout(STEP, read)
        .await
        .expect("server closes the connection");
    String::from_utf8_lossy(&output).into_owned()
}

/// The next text frame, decoded (pings and pongs skipped), within [`STEP`].
pub(crate) async fn next_frame(client: &mut Client) -> ServerFrame {
    let next = async {
        loop {
            let message = client.next().await.expect("stream open").expect("no error");
            match message {
                Message::Text(text) => return serde_json::from_str(text.as_str()).unwrap(),
                Message::Ping(_) | Message::Pong(_) => {}
                other => panic!("expected a text frame, got {other:?}"),
            }
        }
    };
    tokio::time::timeout(STEP, next)
        .await
        .expect("a frame in time")
}

/// Reads (discarding data frames) until the server's Close, completes the close
/// handshake like a browser would, and returns the code; within [`STEP`].
pub(crate) async fn close_code(client: &mut Client) -> u16 {
    let close = async {
        loop {
            match client.next().await {
                Some(Ok(Message::Close(Some(frame)))) => {
                    // Reading on sends our Close reply; the server then closes the connection.
                    while let Some(Ok(_)) = client.next().await {}
                    return frame.code.into();
                }
                Some(Ok(Message::Close(None))) => panic!("close without a code"),
                Some(Ok(_)) => {}
                Some(Err(error)) => panic!("connection failed before the close frame: {error}"),
                None => panic!("connection ended without a close frame"),
            }
        }
    };
    tokio::time::timeout(STEP, close)
        .await
        .expect("close handshake in time")
}

/// Polls `condition` every 10 ms until it holds (bounded by [`STEP`]).
pub(crate) async fn eventually(condition: impl Fn() -> bool) {
    let wait = async {
        while !condition() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };
    tokio::time::timeout(STEP, wait)
        .await
        .expect("condition reached in time");
}
