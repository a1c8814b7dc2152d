//! Starting one server process: open the store, bind, serve until shutdown.

use std::future::Future;
use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;

use chat_store::{SqliteStore, Store, StoreError};
use chat_transport::http::{ServerConfig, serve};
use chat_transport::hub::Hub;
use chat_transport::layer::{ChannelLayer, MemoryLayer};

use crate::app::{AppState, ChatApp};
use crate::config::Config;

/// Why the server could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServerError {
    /// The database could not be opened or migrated.
    #[error("cannot open database {path}: {source}")]
    Store {
        /// The file.
        path: String,
        /// What went wrong.
        source: StoreError,
    },
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// What went wrong.
        source: std::io::Error,
    },
    /// The transport failed.
    #[error("server failed: {0}")]
    Transport(#[from] chat_transport::TransportError),
}

/// Opens the database, binds, prints `listening on http://ADDR` on stdout and
/// serves until `shutdown` resolves; then finishes in-flight work and returns.
pub async fn run(
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    let path = config.db.clone();
    let store = tokio::task::spawn_blocking(move || SqliteStore::open(&path))
        .await
        .map_err(|e| ServerError::Store {
            path: config.db.display().to_string(),
            source: StoreError::Backend(Box::new(e)),
        })?
        .map_err(|source| ServerError::Store {
            path: config.db.display().to_string(),
            source,
        })?;
    let store: Arc<dyn Store> = Arc::new(store);
    let listener = tokio::net::TcpListener::bind(config.addr)
        .await
        .map_err(|source| ServerError::Bind {
            addr: config.addr,
            source,
        })?;
    let local = listener.local_addr().map_err(|source| ServerError::Bind {
        addr: config.addr,
        source,
    })?;
    let hub = Hub::new();
    let layer: Arc<dyn ChannelLayer> = Arc::new(MemoryLayer::new(Arc::clone(&hub)));
    let transport = ServerConfig {
        max_connections: config.max_connections,
        ..ServerConfig::default()
    };
    let state = Arc::new(AppState::new(config, store, hub, layer));
    tokio::spawn(crate::watch::run(Arc::clone(&state)));
    announce(local);
    serve(listener, transport, Arc::new(ChatApp(state)), shutdown).await?;
    tracing::info!("server stopped");
    Ok(())
}

/// The one line on stdout that tools and tests wait for.
fn announce(addr: SocketAddr) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "listening on http://{addr}");
    let _ = out.flush();
    tracing::info!(%addr, "listening");
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutdown requested");
}
