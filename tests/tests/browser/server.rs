//! `Server`: the real server binary with a temp-dir database, stoppable with SIGTERM and
//! restartable on the same database *and the same port* (so open pages can reconnect).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tempfile::TempDir;

use crate::support::server::{
    START_TIMEOUT, assert_exited_0, kept_text, parse_listening_line, server_bin, spawn_piped,
    terminate,
};

/// A running `chat-test-server serve --msg-rate 0`; killed on drop.
pub struct Server {
    child: Option<Child>,
    addr: SocketAddr,
    stderr: Arc<Mutex<String>>,
    // Last field: removed after the child is killed.
    dir: TempDir,
}

impl Server {
    /// Starts a server on `127.0.0.1:0` with a fresh database.
    pub async fn start() -> Self {
        let dir = tempfile::tempdir().expect("create temp dir");
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut server = Self {
            child: None,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            stderr,
            dir,
        };
        server.spawn().await;
        server
    }

    /// The address the server listens on (the same across restarts).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Sends SIGTERM and waits for a clean exit (status 0).
    pub async fn stop(&mut self) {
        let child = self.child.take().expect("server is running");
        let status = terminate(child, &self.stderr).await;
        assert_exited_0(status, &self.stderr);
    }

    /// Starts the stopped server again on the same database and the same port.
    pub async fn start_again(&mut self) {
        assert!(self.child.is_none(), "server is still running");
        self.spawn().await;
    }

    /// The database file (kept across restarts).
    pub fn db(&self) -> PathBuf {
        self.dir.path().join("chat.db")
    }

    /// Spawns `serve` on `self.addr` (port 0 the first time) and records the bound address.
    async fn spawn(&mut self) {
        let (mut child, line) = spawn_piped(
            Command::new(server_bin())
                .arg("serve")
                .arg("--addr")
                .arg(self.addr.to_string())
                .arg("--db")
                .arg(self.db())
                .args(["--msg-rate", "0"])
                .env_remove("CHAT_ALLOWED_ORIGINS")
                .env_remove("CHAT_SECURE_COOKIES"),
            &self.stderr,
        );
        let line = match tokio::time::timeout(START_TIMEOUT, line).await {
            Ok(line) => line.unwrap_or_default(),
            Err(_) => String::new(),
        };
        let Some(addr) = parse_listening_line(&line) else {
            tokio::time::sleep(Duration::from_millis(200)).await;
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "server on {} printed {line:?}, not `listening on http://ADDR`, within \
                 {START_TIMEOUT:?}\nstderr:\n{}",
                self.addr,
                kept_text(&self.stderr)
            );
        };
        assert!(
            self.addr.port() == 0 || addr == self.addr,
            "restarted server listens on {addr}, expected {}",
            self.addr
        );
        self.addr = addr;
        self.child = Some(child);
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
