//! Starting one server process: open the store, bind, serve until shutdown.

use std::future::Future;
use std::io::Write;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use chat_core::MessageId;
use chat_store::{SqliteStore, Store, StoreError};
use chat_transport::http::{ServerConfig, serve};
use chat_transport::hub::Hub;
use chat_transport::layer::{ChannelLayer, MemoryLayer, RedisConfig, RedisLayer};
use tokio::sync::Notify;

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
    /// Redis (`--redis`) could not be reached at start.
    #[error("{reason}; the server needs it with --redis (CHAT_REDIS_URL)")]
    Redis {
        /// What went wrong, with its causes.
        reason: String,
    },
}

/// With `--redis`: what the tailer needs to start.
struct Tailer {
    wake: Arc<Notify>,
    cursor: MessageId,
}

/// Opens the database, binds, prints `listening on http://ADDR` on stdout and
/// serves until `shutdown` resolves; then finishes in-flight work and returns.
pub async fn run(
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    let path = config.db.clone();
    let store = tokio::task::spawn_blocking(move || open_store(&path))
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
    let (layer, tailer) = channel_layer(&config, &store, &hub).await?;
    let transport = ServerConfig {
        max_connections: config.max_connections,
        ..ServerConfig::default()
    };
    let mut state = AppState::new(config, store, hub, layer);
    state.tailer = tailer.as_ref().map(|t| Arc::clone(&t.wake));
    let state = Arc::new(state);
    tokio::spawn(crate::watch::run(Arc::clone(&state)));
    if let Some(Tailer { wake, cursor }) = tailer {
        tokio::spawn(crate::tailer::run(Arc::clone(&state), wake, cursor));
    }
    announce(local);
    serve(listener, transport, Arc::new(ChatApp(state)), shutdown).await?;
    tracing::info!("server stopped");
    Ok(())
}

/// The in-memory layer; with `--redis`, the Redis layer and where the tailer
/// starts (the newest message now: older ones are covered by each socket's
/// `hello` and `resume`).
async fn channel_layer(
    config: &Config,
    store: &Arc<dyn Store>,
    hub: &Arc<Hub>,
) -> Result<(Arc<dyn ChannelLayer>, Option<Tailer>), ServerError> {
    let Some(url) = &config.redis_url else {
        return Ok((Arc::new(MemoryLayer::new(Arc::clone(hub))), None));
    };
    let reader = Arc::clone(store);
    let store_error = |source| ServerError::Store {
        path: config.db.display().to_string(),
        source,
    };
    let cursor = tokio::task::spawn_blocking(move || reader.newest_message_id())
        .await
        .map_err(|e| store_error(StoreError::Backend(Box::new(e))))?
        .map_err(store_error)?;
    let redis = RedisConfig::new(url.clone(), redis_channel(&config.db));
    let url_for_logs = redis.url_for_logs();
    let wake = Arc::new(Notify::new());
    let layer = RedisLayer::connect(redis, Arc::clone(hub), Arc::clone(&wake))
        .await
        .map_err(|e| ServerError::Redis {
            reason: with_causes(&e),
        })?;
    tracing::info!(redis = %url_for_logs, %cursor, "several processes: redis layer connected, tailing the store");
    Ok((Arc::new(layer), Some(Tailer { wake, cursor })))
}

/// One pub/sub channel per database file, so deployments sharing a Redis
/// server never hear each other.
fn redis_channel(db: &Path) -> String {
    let path = std::fs::canonicalize(db).unwrap_or_else(|_| db.to_owned());
    format!("chat:{}", path.display())
}

/// An error and its sources, joined with ": " (a cause its parent already
/// quotes is left out).
fn with_causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.ends_with(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
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

/// Opens the store, saying so in the log when the file's schema is migrated
/// first (a rebuild of a large table can take minutes before the server
/// answers).
fn open_store(path: &std::path::Path) -> Result<SqliteStore, StoreError> {
    let found = SqliteStore::file_schema_version(path)?;
    let known = SqliteStore::SCHEMA_VERSION;
    if found == 0 || found >= known {
        return SqliteStore::open(path);
    }
    tracing::info!(
        from = found,
        to = known,
        "migrating the database schema; on a large file this takes a while"
    );
    let started = std::time::Instant::now();
    let store = SqliteStore::open(path)?;
    tracing::info!(
        elapsed_ms = started.elapsed().as_millis(),
        "database migrated"
    );
    Ok(store)
}
