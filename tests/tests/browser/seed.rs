//! Fast history: sends many messages over one WebSocket from Rust, as a signed-in user (the
//! session cookie is taken from that user's browser).

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

use super::Browser;

/// Name of the server's session cookie.
const SESSION_COOKIE: &str = "chat_session";
/// Bound on the whole seeding.
const SEED_TIMEOUT: Duration = Duration::from_secs(30);

/// Sends `bodies` to `thread` as `browser`'s user; returns the stored ids in send order
/// (each taken from the acknowledging `message` frame).
pub async fn send_as(
    browser: &Browser,
    server: SocketAddr,
    thread: i64,
    bodies: &[String],
) -> Vec<i64> {
    let cookie = browser
        .client()
        .get_named_cookie(SESSION_COOKIE)
        .await
        .unwrap_or_else(|e| panic!("{}: no {SESSION_COOKIE} cookie: {e}", browser.name));
    let mut request = format!("ws://{server}/ws")
        .into_client_request()
        .expect("ws request");
    let headers = request.headers_mut();
    let cookie = format!("{SESSION_COOKIE}={}", cookie.value());
    headers.insert(
        "Cookie",
        HeaderValue::from_str(&cookie).expect("cookie header"),
    );
    let origin = format!("http://{server}");
    headers.insert(
        "Origin",
        HeaderValue::from_str(&origin).expect("origin header"),
    );
    let exchange = async {
        let (mut ws, _) = tokio_tungstenite::connect_async(request)
            .await
            .expect("WebSocket upgrade for seeding");
        for (i, body) in bodies.iter().enumerate() {
            let frame = json!({ "type": "send", "thread": thread, "body": body, "client_id": format!("seed-{i}") });
            ws.send(Message::text(frame.to_string()))
                .await
                .expect("send frame");
        }
        let mut ids = vec![None; bodies.len()];
        while ids.iter().any(Option::is_none) {
            let frame = ws.next().await.expect("socket open").expect("read frame");
            let Message::Text(text) = frame else { continue };
            let frame: Value = serde_json::from_str(&text).expect("JSON frame");
            assert_ne!(frame["type"], "error", "seeding refused: {frame}");
            let index = frame["client_id"]
                .as_str()
                .and_then(|c| c.strip_prefix("seed-"))
                .and_then(|i| i.parse::<usize>().ok());
            if let (Some(index), Some(id)) = (index, frame["id"].as_i64()) {
                ids[index] = Some(id);
            }
        }
        let _ = ws.close(None).await;
        ids.into_iter().flatten().collect::<Vec<i64>>()
    };
    tokio::time::timeout(SEED_TIMEOUT, exchange)
        .await
        .unwrap_or_else(|_| {
            panic!(
                "seeding {} messages took over {SEED_TIMEOUT:?}",
                bodies.len()
            )
        })
}
