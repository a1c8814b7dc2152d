//! `chat-bench`: a load generator that drives the chat server through its public
//! contract only (signup/login forms with CSRF, `/chat/{username}`, `/ws`,
//! `/threads/{id}`), so the server is measured as a black box.
//!
//! Every scenario prints human-readable lines and, last, one JSON line that
//! `chat-bench report` turns into the Markdown table of BENCHMARKS.md.

pub mod body;
pub mod chat;
pub mod cli;
pub mod connect;
pub mod error;
pub mod http;
pub mod httpbench;
pub mod idle;
pub mod ledger;
pub mod measure;
pub mod report;
pub mod setup;
pub mod soak;
pub mod startup;
pub mod state;
pub mod ws;

pub use error::BenchError;
