//! The command line: one subcommand per scenario, each ending with one JSON line.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};

use crate::BenchError;
use crate::state::State;
use crate::{chat, connect, httpbench, idle, report, setup, soak, startup};

#[derive(Debug, Parser)]
#[command(
    name = "chat-bench",
    version,
    about = "Load generator for the chat server (black box: HTTP + WebSocket only)"
)]
struct Cli {
    /// The state file `setup` writes and the other scenarios read.
    #[arg(long, global = true, default_value = "bench-state.json")]
    state: PathBuf,
    /// The server's address (default for scenarios: the one in the state file).
    #[arg(long, global = true)]
    addr: Option<SocketAddr>,
    /// The server's pid: its CPU time and RSS are read from /proc.
    #[arg(long, global = true)]
    server_pid: Option<u32>,
    /// A label put in the JSON line (`report` groups runs by it).
    #[arg(long, global = true)]
    label: Option<String>,
    /// Runtime worker threads (default: the CPUs this process may run on).
    #[arg(long, global = true)]
    threads: Option<usize>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Sign users up and pair them into 1:1 threads; write the state file.
    Setup(setup::SetupArgs),
    /// Every user holds a socket and sends: throughput, latency, lost/dup/out-of-order.
    Chat(chat::ChatArgs),
    /// Long steady load with sockets reconnecting: nothing lost, RSS and files stable.
    Soak(soak::SoakArgs),
    /// Open and hold many authenticated sockets; server RSS per socket.
    Idle(idle::IdleArgs),
    /// (internal) One process's share of `idle`.
    #[command(hide = true)]
    IdleWorker(idle::WorkerArgs),
    /// Authenticated upgrades per second and handshake latency.
    Connect(connect::ConnectArgs),
    /// `GET /threads/{id}` over keep-alive connections.
    Http(httpbench::HttpArgs),
    /// Server start → `/healthz` answering, and idle RSS.
    Startup(startup::StartupArgs),
    /// Markdown table from the JSON lines of a run.
    Report(report::ReportArgs),
}

/// Parses the command line and runs the chosen scenario.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("chat-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: &Cli) -> Result<(), BenchError> {
    let (name, result) = match &cli.command {
        Command::Report(args) => return report::run(args),
        Command::IdleWorker(args) => {
            let state = State::load(&cli.state)?;
            return idle::run_worker(cli.addr.unwrap_or(state.addr), &state, args);
        }
        Command::Startup(args) => ("startup", startup::run(args)?),
        Command::Setup(args) => {
            let addr = cli
                .addr
                .ok_or_else(|| BenchError::Protocol("setup needs --addr".to_owned()))?;
            (
                "setup",
                runtime(cli)?.block_on(setup::run(addr, args, &cli.state))?,
            )
        }
        Command::Idle(args) => {
            let state = State::load(&cli.state)?;
            let addr = cli.addr.unwrap_or(state.addr);
            (
                "idle",
                idle::run(&cli.state, addr, state.users.len(), args, cli.server_pid)?,
            )
        }
        Command::Chat(args) => {
            let state = State::load(&cli.state)?;
            let addr = cli.addr.unwrap_or(state.addr);
            (
                "chat",
                runtime(cli)?.block_on(chat::run(addr, &state, args, cli.server_pid))?,
            )
        }
        Command::Soak(args) => {
            let state = State::load(&cli.state)?;
            let addr = cli.addr.unwrap_or(state.addr);
            (
                "soak",
                runtime(cli)?.block_on(soak::run(addr, &state, args, cli.server_pid))?,
            )
        }
        Command::Connect(args) => {
            let state = Arc::new(State::load(&cli.state)?);
            let addr = cli.addr.unwrap_or(state.addr);
            (
                "connect",
                runtime(cli)?.block_on(connect::run(addr, state, args, cli.server_pid))?,
            )
        }
        Command::Http(args) => {
            let state = Arc::new(State::load(&cli.state)?);
            let addr = cli.addr.unwrap_or(state.addr);
            (
                "http",
                runtime(cli)?.block_on(httpbench::run(addr, state, args, cli.server_pid))?,
            )
        }
    };
    let line = serde_json::json!({
        "bench": "chat-bench",
        "scenario": name,
        "label": cli.label.as_deref().unwrap_or(name),
        "result": result,
    });
    println!("{line}");
    Ok(())
}

fn runtime(cli: &Cli) -> Result<tokio::runtime::Runtime, BenchError> {
    let threads = cli
        .threads
        .or_else(|| std::thread::available_parallelism().ok().map(usize::from))
        .unwrap_or(1)
        .max(1);
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()?)
}
