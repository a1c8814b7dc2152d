//! The state file `setup` writes and the other scenarios read: users with their
//! passwords and session cookies, and the 1:1 threads pairing them.

use std::net::SocketAddr;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::BenchError;

/// Everything a scenario needs to act as the benchmark's users.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct State {
    /// Where the server listened during setup (scenarios may override it).
    pub addr: SocketAddr,
    pub users: Vec<BenchUser>,
    pub threads: Vec<BenchThread>,
}

/// One signed-up user and a live session of theirs.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BenchUser {
    pub name: String,
    pub password: String,
    /// The `chat_session` cookie value.
    pub session: String,
}

/// A 1:1 thread between users `a` and `b` (indexes into `users`).
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct BenchThread {
    pub id: i64,
    pub a: u32,
    pub b: u32,
}

impl State {
    /// Reads a state file.
    pub fn load(path: &Path) -> Result<State, BenchError> {
        let text = std::fs::read_to_string(path)?;
        Ok(serde_json::from_str(&text)?)
    }

    /// Writes the state file (pretty, so a person can read it).
    pub fn save(&self, path: &Path) -> Result<(), BenchError> {
        let text = serde_json::to_string_pretty(self)?;
        std::fs::write(path, text + "\n")?;
        Ok(())
    }

    /// The first `n_users` users' threads (both members within the first
    /// `n_users`), in state order.
    pub fn threads_among(&self, n_users: usize) -> Vec<BenchThread> {
        self.threads
            .iter()
            .filter(|t| (t.a as usize) < n_users && (t.b as usize) < n_users)
            .copied()
            .collect()
    }
}

/// `n_bytes` random bytes from the kernel, as lowercase hex.
pub fn random_hex(n_bytes: usize) -> Result<String, BenchError> {
    use std::fmt::Write as _;
    use std::io::Read as _;
    let mut bytes = vec![0u8; n_bytes];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
    Ok(bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    }))
}
