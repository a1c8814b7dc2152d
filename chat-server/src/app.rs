//! The application state and the router: what each route does lives in `routes/`.

use foldhash::HashMap;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use chat_core::rate::{RateLimiter, Throttle};
use chat_core::{Thread, ThreadId, Timestamp, UserId, Username};
use chat_store::{Store, StoreError};
use chat_transport::http::{App, Request, Response};
use chat_transport::hub::Hub;
use chat_transport::layer::ChannelLayer;
use http::{HeaderName, Method, StatusCode};
use tokio::sync::Notify;

use crate::config::Config;
use crate::error::AppError;
use crate::hashing::HashPool;
use crate::routes;
use crate::secrets;
use crate::sessions::SessionCache;
use crate::storepool::StorePool;
use crate::watch::SocketRegistry;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "chat_session";
/// Name of the double-submit CSRF cookie used by anonymous forms.
pub const CSRF_COOKIE: &str = "chat_csrf";

/// Threads running store calls: one per pooled connection, so none waits
/// inside the pool. Not one: a write waiting for the write lock (held by the
/// store's writer during each commit, or by another process) must not hold up
/// every page. Not more: on a one-core server each extra thread only adds
/// context switches.
const STORE_THREADS: usize = chat_store::SqliteConfig::DEFAULT_POOL_SIZE as usize;

/// The Content-Security-Policy sent with every HTML page.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// Shared state of one server process.
pub struct AppState {
    /// Persistence.
    pub store: Arc<dyn Store>,
    /// This process's sockets.
    pub hub: Arc<Hub>,
    /// Where events are published (in-memory or Redis).
    pub layer: Arc<dyn ChannelLayer>,
    /// Configuration.
    pub config: Config,
    /// Password hashing threads (one per core) so a login flood cannot starve the rest.
    pub hasher: HashPool,
    /// Per-user message rate limit.
    pub msg_limiter: Mutex<RateLimiter<UserId>>,
    /// Typing relay throttle per (user, thread).
    pub typing_throttle: Mutex<Throttle<(UserId, ThreadId)>>,
    /// Usernames by id (names never change).
    names: RwLock<HashMap<UserId, Username>>,
    /// Threads by id (membership of 1:1 threads never changes).
    threads: RwLock<HashMap<ThreadId, Arc<Thread>>>,
    /// Open sockets and their sessions.
    pub sockets: SocketRegistry,
    /// Recently read sessions.
    pub sessions: SessionCache,
    /// The threads that run store calls (see [`AppState::db`]).
    store_pool: StorePool,
    /// With `--redis`: wakes this process's store tailer, which delivers every
    /// message (see `tailer`). `None`: one process, messages are published from
    /// the append callback.
    pub tailer: Option<Arc<Notify>>,
}

/// A logged-in user, as resolved from the session cookie.
#[derive(Debug, Clone)]
pub struct AuthUser {
    /// The user.
    pub id: UserId,
    /// Their name.
    pub name: Username,
    /// The raw session token from the cookie (never logged).
    pub token: String,
}

impl AuthUser {
    /// The CSRF token for this session's forms.
    pub fn csrf(&self) -> String {
        secrets::csrf_for_session(&self.token)
    }
}

impl AppState {
    /// Builds the state over a store and a channel layer.
    pub fn new(
        config: Config,
        store: Arc<dyn Store>,
        hub: Arc<Hub>,
        layer: Arc<dyn ChannelLayer>,
    ) -> Self {
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
        let rate = config.msg_rate;
        let store_pool = StorePool::new(&store, STORE_THREADS);
        Self {
            store,
            hub,
            layer,
            hasher: HashPool::new(cores),
            msg_limiter: Mutex::new(RateLimiter::new(rate, rate.saturating_mul(2))),
            typing_throttle: Mutex::new(Throttle::new(std::time::Duration::from_secs(2))),
            names: RwLock::new(HashMap::default()),
            threads: RwLock::new(HashMap::default()),
            sockets: SocketRegistry::default(),
            sessions: SessionCache::default(),
            store_pool,
            tailer: None,
            config,
        }
    }

    /// Runs a store call off the async worker threads, on a store thread.
    pub async fn db<T, F>(&self, f: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&dyn Store) -> Result<T, StoreError> + Send + 'static,
    {
        self.store_pool.run(f).await
    }

    /// A user's name, from the cache or the store.
    pub async fn username(&self, id: UserId) -> Result<Username, AppError> {
        if let Some(name) = read(&self.names).get(&id) {
            return Ok(name.clone());
        }
        let user = self
            .db(move |s| s.user(id))
            .await?
            .ok_or(AppError::NotFound)?;
        write(&self.names).insert(id, user.username.clone());
        Ok(user.username)
    }

    /// Remembers a name learned elsewhere (login, contacts).
    pub fn remember_name(&self, id: UserId, name: &Username) {
        write(&self.names).insert(id, name.clone());
    }

    /// A name already cached; used on the store's writer thread, which must not block.
    pub fn cached_name(&self, id: UserId) -> Option<Username> {
        read(&self.names).get(&id).cloned()
    }

    /// A thread, from the cache or the store.
    pub async fn thread(&self, id: ThreadId) -> Result<Option<Arc<Thread>>, AppError> {
        if let Some(t) = read(&self.threads).get(&id) {
            return Ok(Some(Arc::clone(t)));
        }
        let Some(thread) = self.db(move |s| s.thread(id)).await? else {
            return Ok(None);
        };
        let thread = Arc::new(thread);
        write(&self.threads).insert(id, Arc::clone(&thread));
        Ok(Some(thread))
    }

    /// The thread if `user` is a member, else `None` (callers answer 404 / `not_member`).
    pub async fn member_thread(
        &self,
        user: UserId,
        id: ThreadId,
    ) -> Result<Option<Arc<Thread>>, AppError> {
        Ok(self.thread(id).await?.filter(|t| t.may_access(user)))
    }

    /// Resolves the session cookie to a user, enforcing absolute and idle expiry.
    pub async fn auth(&self, req: &Request) -> Result<Option<AuthUser>, AppError> {
        let Some(token) = req.cookie(SESSION_COOKIE) else {
            return Ok(None);
        };
        let hash = secrets::token_hash(&token);
        let now = now();
        let session = if let Some(session) = self.sessions.get(&hash, Instant::now()) {
            session
        } else {
            let Some(session) = self.db(move |s| s.session(&hash)).await? else {
                return Ok(None);
            };
            self.sessions.put(hash, session.clone(), Instant::now());
            session
        };
        let idle_ms = millis(self.config.session_idle_ttl);
        if session.expires_at <= now || session.last_seen.plus_millis(idle_ms) <= now {
            self.sessions.remove(&hash);
            self.db(move |s| s.delete_session(&hash)).await?;
            return Ok(None);
        }
        // Touch at most once a minute: sessions are read far more often than they change.
        if now.as_millis() - session.last_seen.as_millis() > 60_000 {
            self.db(move |s| s.touch_session(&hash, now)).await?;
            let touched = chat_store::Session {
                last_seen: now,
                ..session.clone()
            };
            self.sessions.put(hash, touched, Instant::now());
        }
        let name = self.username(session.user).await?;
        Ok(Some(AuthUser {
            id: session.user,
            name,
            token,
        }))
    }
}

/// The app as the transport sees it: a handle to the shared state.
pub struct ChatApp(pub Arc<AppState>);

impl App for ChatApp {
    async fn handle(&self, req: Request) -> Response {
        let api = req.path.starts_with("/api/");
        let response = match routes::dispatch(&self.0, req).await {
            Ok(response) => response,
            Err(e) => e.into_response(api, None),
        };
        with_security_headers(response)
    }
}

/// An HTML response (security headers are added for every response in `handle`).
pub fn html(status: StatusCode, body: String) -> Response {
    Response::html(status, body)
}

/// Builds the 405/404 answer for a path whose method did not match.
pub fn method_not_allowed(req: &Request) -> AppError {
    tracing::debug!(method = %req.method, "method not allowed");
    AppError::MethodNotAllowed
}

/// True for GET and HEAD.
pub fn is_get(method: &Method) -> bool {
    *method == Method::GET || *method == Method::HEAD
}

/// The current wall-clock time.
pub fn now() -> Timestamp {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    Timestamp::from_millis(ms)
}

/// A duration in whole milliseconds, saturating.
pub fn millis(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

fn with_security_headers(response: Response) -> Response {
    let is_html = response
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let response = response
        .with_header(http::header::X_CONTENT_TYPE_OPTIONS, "nosniff")
        .with_header(http::header::REFERRER_POLICY, "same-origin");
    if is_html {
        response
            .with_header(http::header::CONTENT_SECURITY_POLICY, CSP)
            .with_header(HeaderName::from_static("x-frame-options"), "DENY")
    } else {
        response
    }
}

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(PoisonError::into_inner)
}

fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(PoisonError::into_inner)
}
