//! `BenchError`: everything that can stop a scenario.

use std::io;

/// Why a benchmark step failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BenchError {
    /// A socket, file or process error.
    #[error("i/o: {0}")]
    Io(#[from] io::Error),
    /// An HTTP exchange failed below the status line.
    #[error("http: {0}")]
    Http(#[from] hyper::Error),
    /// A request could not be built.
    #[error("request: {0}")]
    Request(#[from] ::http::Error),
    /// The WebSocket handshake or a frame failed.
    #[error("websocket: {0}")]
    Ws(Box<tokio_tungstenite::tungstenite::Error>),
    /// JSON (state file, frames) could not be read or written.
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
    /// The server answered, but not as the contract says.
    #[error("unexpected answer: {0}")]
    Protocol(String),
    /// Something took longer than allowed.
    #[error("timed out: {0}")]
    Timeout(&'static str),
}

impl From<tokio_tungstenite::tungstenite::Error> for BenchError {
    fn from(e: tokio_tungstenite::tungstenite::Error) -> Self {
        BenchError::Ws(Box::new(e))
    }
}

impl BenchError {
    /// A short, stable label for tallying failures by kind.
    pub fn kind(&self) -> String {
        match self {
            BenchError::Io(e) => format!("io:{:?}", e.kind()),
            BenchError::Http(_) => "http".to_owned(),
            BenchError::Request(_) => "request".to_owned(),
            BenchError::Ws(e) => match e.as_ref() {
                tokio_tungstenite::tungstenite::Error::Http(r) => {
                    format!("status:{}", r.status().as_u16())
                }
                tokio_tungstenite::tungstenite::Error::Io(e) => format!("io:{:?}", e.kind()),
                other => format!("ws:{}", first_word(&other.to_string())),
            },
            BenchError::Json(_) => "json".to_owned(),
            BenchError::Protocol(_) => "protocol".to_owned(),
            BenchError::Timeout(what) => format!("timeout:{what}"),
        }
    }
}

fn first_word(s: &str) -> String {
    s.split_whitespace().next().unwrap_or("").to_lowercase()
}
