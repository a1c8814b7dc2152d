//! Password hashing off the async workers, on a fixed pool of threads (one per
//! core) that each reuse one argon2 working memory: a login flood queues here
//! instead of starving message delivery, and memory stays flat (cores × 19 MiB).

use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, PoisonError};

use chat_core::password::{HashError, HashMemory, Verification};

use crate::error::AppError;
use crate::secrets;

/// Hash jobs that may wait; beyond this the server answers 503.
const QUEUE: usize = 1024;

type Job = Box<dyn FnOnce(&mut HashMemory) + Send>;

/// The hashing threads.
pub struct HashPool {
    jobs: SyncSender<Job>,
}

impl HashPool {
    /// Starts `threads` hashing threads (they end when the pool is dropped).
    pub fn new(threads: usize) -> Self {
        let (jobs, rx) = mpsc::sync_channel::<Job>(QUEUE);
        let rx = Arc::new(Mutex::new(rx));
        for n in 0..threads.max(1) {
            let rx = Arc::clone(&rx);
            let spawned = std::thread::Builder::new()
                .name(format!("chat-hash-{n}"))
                .spawn(move || work(&rx));
            if let Err(e) = spawned {
                tracing::error!(error = %e, "cannot start a hashing thread");
            }
        }
        Self { jobs }
    }

    /// Hashes a new password with a fresh salt.
    pub async fn hash(&self, password: String) -> Result<String, AppError> {
        let salt = secrets::new_salt().map_err(|e| AppError::Internal(e.to_string()))?;
        self.run(move |memory| memory.hash_password(&password, &salt))
            .await?
            .map_err(|e| AppError::Internal(e.to_string()))
    }

    /// Verifies a password against a stored PHC string.
    pub async fn verify(&self, password: String, phc: String) -> Result<Verification, AppError> {
        self.run(move |memory| memory.verify_password(&password, &phc))
            .await?
            .map_err(|e| match e {
                HashError::Malformed => {
                    AppError::Internal("stored password hash is malformed".into())
                }
                other => AppError::Internal(other.to_string()),
            })
    }

    async fn run<T, F>(&self, f: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&mut HashMemory) -> T + Send + 'static,
    {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |memory| {
            let _ = tx.send(f(memory));
        });
        match self.jobs.try_send(job) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => return Err(AppError::Busy),
            Err(TrySendError::Disconnected(_)) => {
                return Err(AppError::Internal("hashing threads stopped".into()));
            }
        }
        rx.await
            .map_err(|_| AppError::Internal("a hashing job was dropped".into()))
    }
}

fn work(rx: &Mutex<Receiver<Job>>) {
    let mut memory: Option<HashMemory> = None;
    loop {
        let job = {
            let rx = rx.lock().unwrap_or_else(PoisonError::into_inner);
            match rx.recv() {
                Ok(job) => job,
                Err(_) => return,
            }
        };
        if memory.is_none() {
            match HashMemory::new() {
                Ok(m) => memory = Some(m),
                Err(e) => {
                    tracing::error!(error = %e, "cannot allocate hashing memory");
                    continue; // dropping the job answers its caller with an error
                }
            }
        }
        if let Some(memory) = memory.as_mut() {
            job(memory);
        }
    }
}
