//! Plain HTTP calls to a chromedriver for what fantoccini has no typed call for: readiness
//! (`GET /status`) and the log endpoint (`POST /session/{id}/se/log`).

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;

/// Bound on one call to the driver.
const CALL_TIMEOUT: Duration = Duration::from_secs(10);

/// Sends `method path` with an optional JSON body to the chromedriver on `port`; returns the
/// response's JSON (or the error as text).
pub async fn call(
    port: u16,
    method: http::Method,
    path: &str,
    body: Option<&Value>,
) -> Result<Value, String> {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let body = body.map_or_else(Bytes::new, |b| Bytes::from(b.to_string()));
    let request = http::Request::builder()
        .method(method)
        .uri(format!("http://127.0.0.1:{port}{path}"))
        .header("content-type", "application/json")
        .body(Full::new(body))
        .map_err(|e| e.to_string())?;
    let exchange = async {
        let response = client.request(request).await.map_err(|e| e.to_string())?;
        let bytes = response
            .into_body()
            .collect()
            .await
            .map_err(|e| e.to_string())?;
        serde_json::from_slice::<Value>(&bytes.to_bytes()).map_err(|e| e.to_string())
    };
    tokio::time::timeout(CALL_TIMEOUT, exchange)
        .await
        .map_err(|_| format!("chromedriver did not answer {path} within {CALL_TIMEOUT:?}"))?
}

/// Drains one of the session's logs (`browser` or `performance`): the entries since the last
/// call.
pub async fn drain_log(port: u16, session: &str, kind: &str) -> Vec<Value> {
    let path = format!("/session/{session}/se/log");
    let answer = call(
        port,
        http::Method::POST,
        &path,
        Some(&serde_json::json!({ "type": kind })),
    )
    .await
    .unwrap_or_else(|e| panic!("reading the {kind} log from chromedriver: {e}"));
    match answer.get("value") {
        Some(Value::Array(entries)) => entries.clone(),
        _ => panic!("chromedriver's {kind} log answer is not a list: {answer}"),
    }
}
