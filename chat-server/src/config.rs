//! Runtime configuration of one server process.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Everything a server process needs to know, filled from flags and environment.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where to listen.
    pub addr: SocketAddr,
    /// The `SQLite` database file (created with its migrations on first start).
    pub db: PathBuf,
    /// Mark cookies `Secure` and treat the own origin as `https://`.
    pub secure_cookies: bool,
    /// Extra origins allowed to open `WebSockets`, compared exactly.
    pub allowed_origins: Vec<String>,
    /// Messages per user per second (burst twice that); 0 = unlimited.
    pub msg_rate: u32,
    /// Absolute session lifetime.
    pub session_ttl: Duration,
    /// Idle session lifetime (since last use).
    pub session_idle_ttl: Duration,
    /// Most simultaneous connections before answering 503.
    pub max_connections: usize,
    /// Signups per client address per hour; 0 = unlimited.
    pub signup_limit: u32,
    /// Take the client address from the last `X-Forwarded-For` hop.
    pub trust_proxy: bool,
    /// Several processes on one database: the Redis server their channel layer
    /// uses (`redis://host:port`). `None`: one process, in-memory layer.
    pub redis_url: Option<String>,
}

impl Config {
    /// Defaults for everything but where to listen and the database file.
    pub fn new(addr: SocketAddr, db: PathBuf) -> Self {
        Self {
            addr,
            db,
            secure_cookies: false,
            allowed_origins: Vec::new(),
            msg_rate: 20,
            session_ttl: Duration::from_hours(14 * 24),
            session_idle_ttl: Duration::from_hours(2 * 24),
            max_connections: 18_000,
            signup_limit: 30,
            trust_proxy: false,
            redis_url: None,
        }
    }
}
