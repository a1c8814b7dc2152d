//! `TestServer`: the real server binary on `127.0.0.1:0` with a fresh temp-dir database.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tempfile::TempDir;
use tokio::sync::oneshot::Receiver;

/// How long the server may take to print its listening line.
pub const START_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a graceful shutdown may take after SIGTERM.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);
/// How much of the server's stderr is kept for failure messages.
const STDERR_KEEP: usize = 16 * 1024;

/// The server binary under test.
pub fn server_bin() -> &'static str {
    env!("CARGO_BIN_EXE_chat-test-server")
}

/// A running `chat-test-server serve`; killed on drop.
pub struct TestServer {
    child: Option<Child>,
    addr: SocketAddr,
    args: Vec<String>,
    stderr: Arc<Mutex<String>>,
    /// Holds the database; deleted once every process sharing it is dropped
    /// (each `Drop` kills its child first).
    dir: Arc<TempDir>,
}

impl TestServer {
    /// Starts a server with default options.
    pub async fn start() -> Self {
        Self::start_with(&[]).await
    }

    /// Starts a server with extra `serve` arguments (e.g. `["--msg-rate", "0"]`).
    pub async fn start_with(args: &[&str]) -> Self {
        let dir = tempfile::tempdir().expect("create temp dir");
        let args: Vec<String> = args.iter().map(|s| (*s).to_owned()).collect();
        let stderr = Arc::new(Mutex::new(String::new()));
        let (child, addr) = spawn_serve(&dir.path().join("chat.db"), &args, &stderr).await;
        Self {
            child: Some(child),
            addr,
            args,
            stderr,
            dir: Arc::new(dir),
        }
    }

    /// Starts another server process on this server's database (several
    /// processes, one file), with its own arguments.
    pub async fn start_sibling(&self, args: &[&str]) -> Self {
        let args: Vec<String> = args.iter().map(|s| (*s).to_owned()).collect();
        let stderr = Arc::new(Mutex::new(String::new()));
        let (child, addr) = spawn_serve(&self.db(), &args, &stderr).await;
        Self {
            child: Some(child),
            addr,
            args,
            stderr,
            dir: Arc::clone(&self.dir),
        }
    }

    /// Kills the process with SIGKILL (no graceful shutdown) and waits for it to be gone.
    pub fn kill(&mut self) {
        let mut child = self.child.take().expect("server is running");
        child.kill().expect("SIGKILL the server");
        child.wait().expect("wait for the killed server");
    }

    /// Starts the process again after [`TestServer::kill`] or [`TestServer::stop`], on the
    /// same database with the same arguments. The port changes.
    pub async fn start_again(&mut self) {
        assert!(self.child.is_none(), "server is still running");
        let (child, addr) = spawn_serve(&self.db(), &self.args, &self.stderr).await;
        self.child = Some(child);
        self.addr = addr;
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`: the server's own origin.
    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The database file.
    pub fn db(&self) -> PathBuf {
        self.dir.path().join("chat.db")
    }

    /// What the server wrote to stderr so far (the last few KiB).
    pub fn stderr(&self) -> String {
        kept_text(&self.stderr)
    }

    /// Sends SIGTERM and waits (asynchronously, so this test's sockets keep being served)
    /// for the process to exit; returns its exit status.
    pub async fn stop(&mut self) -> ExitStatus {
        let child = self.child.take().expect("server is running");
        terminate(child, &self.stderr).await
    }

    /// Stops the server gracefully (asserting exit code 0) and starts it again on the same
    /// database with the same arguments. The port changes.
    pub async fn restart(&mut self) {
        let status = self.stop().await;
        assert_exited_0(status, &self.stderr);
        let (child, addr) = spawn_serve(&self.db(), &self.args, &self.stderr).await;
        self.child = Some(child);
        self.addr = addr;
    }

    /// The server's process id (for `/proc/PID/status` and signals); panics when stopped.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("server is running").id()
    }

    /// Runs a CLI subcommand against this server's database, e.g. `["user", "list"]`.
    pub async fn cli(&self, args: &[&str], stdin: &str) -> CliOutput {
        let mut all: Vec<String> = args.iter().map(|s| (*s).to_owned()).collect();
        all.push("--db".to_owned());
        all.push(self.db().display().to_string());
        let stdin = stdin.to_owned();
        tokio::task::spawn_blocking(move || run_cli(&all, &stdin))
            .await
            .expect("cli task")
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The result of one CLI run.
#[derive(Debug)]
pub struct CliOutput {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

/// Sends SIGTERM to `child` and waits (asynchronously, so the test's sockets keep being
/// served) for it to exit; returns its exit status. Panics, with the `stderr` kept so far,
/// if it is still running after [`STOP_TIMEOUT`].
pub async fn terminate(mut child: Child, stderr: &Mutex<String>) -> ExitStatus {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -TERM failed: {status}");
    let deadline = Instant::now() + STOP_TIMEOUT;
    loop {
        if let Some(status) = child.try_wait().expect("wait for server") {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "server did not exit within {STOP_TIMEOUT:?} of SIGTERM\nstderr:\n{}",
                kept_text(stderr)
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Panics, with the `stderr` kept so far, unless the server exited with status 0.
pub fn assert_exited_0(status: ExitStatus, stderr: &Mutex<String>) {
    assert!(
        status.success(),
        "server exited with {status} after SIGTERM, expected 0\nstderr:\n{}",
        kept_text(stderr)
    );
}

/// Spawns `serve` with stdin closed, keeps draining its stderr into `stderr` (see
/// [`kept_text`]) and returns the child with a receiver for its first stdout line.
pub fn spawn_piped(serve: &mut Command, stderr: &Arc<Mutex<String>>) -> (Child, Receiver<String>) {
    let mut child = serve
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn chat-test-server serve");
    drain_stderr(
        child.stderr.take().expect("stderr pipe"),
        Arc::clone(stderr),
    );
    let first_line = first_stdout_line(child.stdout.take().expect("stdout pipe"));
    (child, first_line)
}

/// The address in the server's first stdout line, `listening on http://ADDR`, if it is a
/// loopback address with a port.
pub fn parse_listening_line(line: &str) -> Option<SocketAddr> {
    let addr: SocketAddr = line
        .trim_end()
        .strip_prefix("listening on http://")?
        .parse()
        .ok()?;
    (addr.ip().is_loopback() && addr.port() != 0).then_some(addr)
}

/// Reads stdout on a thread: the first line goes to the receiver, the rest is discarded (so
/// the server never writes into a closed pipe).
fn first_stdout_line(stdout: impl Read + Send + 'static) -> Receiver<String> {
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

/// Keeps reading stderr so the server never blocks on a full pipe; keeps the last
/// [`STDERR_KEEP`] bytes in `keep` for failure messages.
fn drain_stderr(stderr: impl Read + Send + 'static, keep: Arc<Mutex<String>>) {
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stderr);
        let mut line = String::new();
        while matches!(reader.read_line(&mut line), Ok(n) if n > 0) {
            if let Ok(mut kept) = keep.lock() {
                kept.push_str(&line);
                if kept.len() > STDERR_KEEP {
                    let cut = kept.len() - STDERR_KEEP;
                    let cut = (cut..kept.len())
                        .find(|i| kept.is_char_boundary(*i))
                        .unwrap_or(cut);
                    kept.drain(..cut);
                }
            }
            line.clear();
        }
    });
}

/// What [`drain_stderr`] has kept so far.
pub fn kept_text(keep: &Mutex<String>) -> String {
    keep.lock().map(|s| s.clone()).unwrap_or_default()
}

fn run_cli(args: &[String], stdin: &str) -> CliOutput {
    let mut child = base_command()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn chat-test-server cli");
    {
        let mut pipe = child.stdin.take().expect("stdin pipe");
        // The CLI may exit before reading (e.g. a usage error): ignore a broken pipe.
        let _ = pipe.write_all(stdin.as_bytes());
    }
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    let output = rx
        .recv_timeout(Duration::from_secs(20))
        .unwrap_or_else(|_| panic!("cli {args:?} did not finish within 20 s"))
        .expect("wait for cli");
    CliOutput {
        status: output.status,
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// The binary with a clean environment: no `CHAT_*` variable leaks in from the caller.
fn base_command() -> Command {
    let mut cmd = Command::new(server_bin());
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("CHAT_") {
            cmd.env_remove(key);
        }
    }
    cmd
}

async fn spawn_serve(
    db: &Path,
    args: &[String],
    stderr: &Arc<Mutex<String>>,
) -> (Child, SocketAddr) {
    let (mut child, first_line) = spawn_piped(
        base_command()
            .arg("serve")
            .args(["--addr", "127.0.0.1:0", "--db"])
            .arg(db)
            .args(args),
        stderr,
    );
    let line = match tokio::time::timeout(START_TIMEOUT, first_line).await {
        Ok(Ok(line)) => line,
        Ok(Err(_)) => String::new(),
        Err(_) => {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "server printed no listening line within {START_TIMEOUT:?} (args {args:?})\nstderr:\n{}",
                kept_text(stderr)
            );
        }
    };
    let Some(addr) = parse_listening_line(&line) else {
        // Give the process a moment to exit so its stderr is complete.
        tokio::time::sleep(Duration::from_millis(200)).await;
        let exit = child.try_wait().ok().flatten();
        let _ = child.kill();
        let _ = child.wait();
        panic!(
            "expected `listening on http://127.0.0.1:PORT` as the first stdout line, got {line:?} \
             (args {args:?}, exit {exit:?})\nstderr:\n{}",
            kept_text(stderr)
        );
    };
    (child, addr)
}
