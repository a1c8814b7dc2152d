//! Keeps open `WebSockets` honest about their sessions: closes sockets whose
//! session was revoked (by any process) within a poll period, and re-checks
//! expiry of every open socket's session periodically.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chat_core::{Timestamp, UserId};
use chat_store::TokenHash;
use chat_transport::hub::SocketId;
use chat_transport::ws::Socket;

use crate::app::{AppState, millis, now};
use crate::realtime::CLOSE_POLICY;

/// How often revocations (logout, password change, `user passwd`) are polled.
pub const REVOCATION_POLL: Duration = Duration::from_millis(250);
/// How often every open socket's session is re-checked for expiry.
pub const SESSION_RECHECK: Duration = Duration::from_secs(30);
/// Most open sockets per user; opening one more closes the oldest.
pub const MAX_SOCKETS_PER_USER: usize = 16;

/// Open sockets of this process with the session each was opened under.
#[derive(Default)]
pub struct SocketRegistry {
    inner: Mutex<Registry>,
}

#[derive(Default)]
struct Registry {
    sockets: HashMap<SocketId, (TokenHash, Socket)>,
    by_user: HashMap<UserId, BTreeSet<SocketId>>,
}

impl SocketRegistry {
    /// Registers a socket; returns the sockets to close because the user has too many
    /// (oldest first).
    pub fn add(&self, token: TokenHash, socket: &Socket) -> Vec<Socket> {
        let mut reg = self.lock();
        reg.sockets.insert(socket.id(), (token, socket.clone()));
        let mine = reg.by_user.entry(socket.user()).or_default();
        mine.insert(socket.id());
        let excess = mine.len().saturating_sub(MAX_SOCKETS_PER_USER);
        let oldest: Vec<SocketId> = mine.iter().take(excess).copied().collect();
        oldest
            .iter()
            .filter_map(|id| reg.sockets.get(id).map(|(_, s)| s.clone()))
            .collect()
    }

    /// Forgets a closed socket.
    pub fn remove(&self, socket: &Socket) {
        let mut reg = self.lock();
        reg.sockets.remove(&socket.id());
        if let Some(mine) = reg.by_user.get_mut(&socket.user()) {
            mine.remove(&socket.id());
            if mine.is_empty() {
                reg.by_user.remove(&socket.user());
            }
        }
    }

    /// Sockets opened under `token`.
    fn with_token(&self, token: &TokenHash) -> Vec<Socket> {
        self.lock()
            .sockets
            .values()
            .filter(|(t, _)| t == token)
            .map(|(_, s)| s.clone())
            .collect()
    }

    /// Sockets of `user`.
    fn of_user(&self, user: UserId) -> Vec<Socket> {
        let reg = self.lock();
        reg.by_user.get(&user).map_or_else(Vec::new, |ids| {
            ids.iter()
                .filter_map(|id| reg.sockets.get(id).map(|(_, s)| s.clone()))
                .collect()
        })
    }

    /// Every distinct session with open sockets.
    fn tokens(&self) -> HashSet<TokenHash> {
        self.lock().sockets.values().map(|(t, _)| *t).collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Registry> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Runs forever: polls revocations and re-checks sessions. Ends with the runtime.
pub async fn run(state: Arc<AppState>) {
    let mut last = match state.db(chat_store::Store::latest_revocation_id).await {
        Ok(id) => id,
        Err(e) => {
            tracing::error!(error = %e, "cannot read revocations; sockets of ended sessions close on the next expiry check");
            0
        }
    };
    let mut poll = tokio::time::interval(REVOCATION_POLL);
    poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut recheck = tokio::time::interval(SESSION_RECHECK);
    recheck.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = poll.tick() => last = close_revoked(&state, last).await,
            _ = recheck.tick() => recheck_sessions(&state).await,
        }
    }
}

async fn close_revoked(state: &AppState, after: i64) -> i64 {
    let revocations = match state.db(move |s| s.revocations_after(after, 1000)).await {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(error = %e, "revocation poll failed");
            return after;
        }
    };
    let mut last = after;
    for r in revocations {
        last = last.max(r.id);
        let sockets = if let Some(token) = r.token {
            state.sessions.remove(&token);
            state.sockets.with_token(&token)
        } else {
            state.sessions.remove_user(r.user);
            state.sockets.of_user(r.user)
        };
        for socket in sockets {
            socket.close(CLOSE_POLICY, "session ended");
        }
    }
    last
}

/// Closes sockets whose session expired or vanished; touches the rest, since an
/// open socket is use.
async fn recheck_sessions(state: &AppState) {
    let tokens: Vec<TokenHash> = state.sockets.tokens().into_iter().collect();
    if tokens.is_empty() {
        return;
    }
    let idle = millis(state.config.session_idle_ttl);
    let now = now();
    let dead = state
        .db(move |s| {
            let mut dead = Vec::new();
            for token in tokens {
                match s.session(&token)? {
                    Some(session) if alive(session.expires_at, session.last_seen, idle, now) => {
                        s.touch_session(&token, now)?;
                    }
                    _ => dead.push(token),
                }
            }
            Ok(dead)
        })
        .await;
    match dead {
        Ok(dead) => {
            for token in dead {
                for socket in state.sockets.with_token(&token) {
                    socket.close(CLOSE_POLICY, "session expired");
                }
            }
        }
        Err(e) => tracing::warn!(error = %e, "session re-check failed"),
    }
}

fn alive(expires_at: Timestamp, last_seen: Timestamp, idle_ms: i64, now: Timestamp) -> bool {
    expires_at > now && last_seen.plus_millis(idle_ms) > now
}
