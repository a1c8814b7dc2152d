//! The chat application: what each route and frame does, wired over the lower
//! crates (`chat-core` rules, `chat-store` persistence, `chat-transport` sockets,
//! `chat-web` pages). `main.rs` only calls [`cli::main`].

pub mod app;
pub mod cli;
pub mod config;
pub mod error;
pub mod hashing;
pub mod realtime;
mod routes;
pub mod secrets;
pub mod server;
pub mod sessions;
pub mod storepool;
pub mod tailer;
pub mod views;
pub mod watch;

pub use config::Config;
pub use server::{ServerError, run};
