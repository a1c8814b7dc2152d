//! `Server`: the real server binary with a temp-dir database, stoppable with SIGTERM and
//! restartable on the same database *and the same port* (so open pages can reconnect).

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tempfile::TempDir;

/// How long the server may take to print its listening line.
const START_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a graceful shutdown may take after SIGTERM.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);
/// How much of the server's stderr is kept for failure messages.
const STDERR_KEEP: usize = 16 * 1024;

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
        let mut child = self.child.take().expect("server is running");
        let status = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -TERM failed: {status}");
        let deadline = Instant::now() + STOP_TIMEOUT;
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait for server") {
                break status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "server did not exit within {STOP_TIMEOUT:?} of SIGTERM\nstderr:\n{}",
                    self.stderr()
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        assert!(
            status.success(),
            "server exited with {status} after SIGTERM, expected 0\nstderr:\n{}",
            self.stderr()
        );
    }

    /// Starts the stopped server again on the same database and the same port.
    pub async fn start_again(&mut self) {
        assert!(self.child.is_none(), "server is still running");
        self.spawn().await;
    }

    fn db(&self) -> PathBuf {
        self.dir.path().join("chat.db")
    }

    fn stderr(&self) -> String {
        self.stderr.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Spawns `serve` on `self.addr` (port 0 the first time) and records the bound address.
    async fn spawn(&mut self) {
        let mut child = Command::new(env!("CARGO_BIN_EXE_chat-test-server"))
            .arg("serve")
            .arg("--addr")
            .arg(self.addr.to_string())
            .arg("--db")
            .arg(self.db())
            .args(["--msg-rate", "0"])
            .env_remove("CHAT_ALLOWED_ORIGINS")
            .env_remove("CHAT_SECURE_COOKIES")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn chat-test-server serve");
        keep_tail(
            child.stderr.take().expect("stderr"),
            Arc::clone(&self.stderr),
        );
        let line = first_line(child.stdout.take().expect("stdout"));
        let line = match tokio::time::timeout(START_TIMEOUT, line).await {
            Ok(line) => line.unwrap_or_default(),
            Err(_) => String::new(),
        };
        let addr = line
            .trim_end()
            .strip_prefix("listening on http://")
            .and_then(|a| a.parse::<SocketAddr>().ok());
        let Some(addr) = addr else {
            tokio::time::sleep(Duration::from_millis(200)).await;
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "server on {} printed {line:?}, not `listening on http://ADDR`, within \
                 {START_TIMEOUT:?}\nstderr:\n{}",
                self.addr,
                self.stderr()
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

/// Reads stdout on a thread: the first line is sent back, the rest discarded (so the server
/// never writes into a closed pipe).
fn first_line(stdout: impl Read + Send + 'static) -> tokio::sync::oneshot::Receiver<String> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        let _ = reader.read_line(&mut line);
        let _ = tx.send(line);
        let _ = std::io::copy(&mut reader, &mut std::io::sink());
    });
    rx
}

/// Keeps reading `pipe` on a thread, keeping the last few KiB for failure messages.
fn keep_tail(pipe: impl Read + Send + 'static, keep: Arc<Mutex<String>>) {
    std::thread::spawn(move || {
        let mut reader = BufReader::new(pipe);
        let mut line = String::new();
        while matches!(reader.read_line(&mut line), Ok(n) if n > 0) {
            if let Ok(mut kept) = keep.lock() {
                kept.push_str(&line);
                if kept.len() > STDERR_KEEP {
                    let mut cut = kept.len() - STDERR_KEEP;
                    while !kept.is_char_boundary(cut) {
                        cut += 1;
                    }
                    kept.drain(..cut);
                }
            }
            line.clear();
        }
    });
}
