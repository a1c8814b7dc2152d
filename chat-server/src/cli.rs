//! Command-line interface: `serve` (the default) and `user add|list|passwd`.

use std::io::{BufRead, IsTerminal};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use chat_core::{Username, password};
use chat_store::{SqliteStore, Store, StoreError};
use clap::{Args, Parser, Subcommand};

use crate::config::Config;
use crate::{app, secrets, server};

#[derive(Debug, Parser)]
#[command(name = "chat-server", version, about = "A small real-time chat server")]
#[command(args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server (the default).
    Serve(ServeArgs),
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Create a user; the password is read from stdin (prompted without echo on a terminal).
    Add {
        /// The username.
        name: String,
        #[command(flatten)]
        db: DbArg,
    },
    /// List users.
    List {
        #[command(flatten)]
        db: DbArg,
    },
    /// Set a user's password and end all of their sessions.
    Passwd {
        /// The username.
        name: String,
        #[command(flatten)]
        db: DbArg,
    },
}

#[derive(Debug, Args)]
struct DbArg {
    /// `SQLite` database file.
    #[arg(long, env = "CHAT_DB", default_value = "chat.db")]
    db: PathBuf,
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "CHAT_ADDR", default_value = "127.0.0.1:8000")]
    addr: SocketAddr,
    #[command(flatten)]
    db: DbArg,
    /// Mark cookies Secure (serve behind HTTPS).
    #[arg(long, env = "CHAT_SECURE_COOKIES")]
    secure_cookies: bool,
    /// Another origin allowed to open `WebSockets` (repeatable), e.g. `https://chat.example`.
    #[arg(
        long = "allowed-origin",
        env = "CHAT_ALLOWED_ORIGINS",
        value_delimiter = ','
    )]
    allowed_origins: Vec<String>,
    /// Messages per user per second (burst twice that); 0 turns the limit off.
    #[arg(long, env = "CHAT_MSG_RATE", default_value_t = 20)]
    msg_rate: u32,
    /// Absolute session lifetime in days.
    #[arg(long, env = "CHAT_SESSION_DAYS", default_value_t = 14)]
    session_days: u64,
    /// Most simultaneous connections; beyond it new ones get 503.
    #[arg(long, env = "CHAT_MAX_CONNECTIONS", default_value_t = 18_000)]
    max_connections: usize,
    /// Signups per client address per hour; 0 turns the limit off.
    #[arg(long, env = "CHAT_SIGNUP_LIMIT", default_value_t = 30)]
    signup_limit: u32,
    /// Behind a reverse proxy: take the client address from the last X-Forwarded-For hop.
    #[arg(long, env = "CHAT_TRUST_PROXY")]
    trust_proxy: bool,
    /// Idle session lifetime in hours (since last use).
    #[arg(long, env = "CHAT_SESSION_IDLE_HOURS", default_value_t = 48)]
    session_idle_hours: u64,
    /// Run as one of several processes sharing this database, linked through this
    /// Redis server (e.g. `redis://127.0.0.1:6379`); the server refuses to start
    /// if it is unreachable.
    #[arg(long = "redis", env = "CHAT_REDIS_URL", value_name = "URL")]
    redis_url: Option<String>,
}

/// Parses the command line and runs the chosen command.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        None => serve(cli.serve),
        Some(Command::Serve(args)) => serve(args),
        Some(Command::User(cmd)) => user(cmd),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("chat-server: {message}");
            ExitCode::FAILURE
        }
    }
}

fn serve(args: ServeArgs) -> Result<(), String> {
    init_logging();
    let mut config = Config::new(args.addr, args.db.db);
    config.secure_cookies = args.secure_cookies;
    config.allowed_origins = args.allowed_origins;
    config.msg_rate = args.msg_rate;
    config.session_ttl = Duration::from_secs(args.session_days.saturating_mul(24 * 3600));
    config.max_connections = args.max_connections;
    config.signup_limit = args.signup_limit;
    config.trust_proxy = args.trust_proxy;
    config.session_idle_ttl = Duration::from_secs(args.session_idle_hours.saturating_mul(3600));
    config.redis_url = args.redis_url.filter(|url| !url.trim().is_empty());
    if config.msg_rate == 0 {
        tracing::warn!("message rate limit is off (--msg-rate 0)");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    runtime
        .block_on(server::run(config, server::shutdown_signal()))
        .map_err(|e| e.to_string())
}

fn user(cmd: UserCommand) -> Result<(), String> {
    match cmd {
        UserCommand::Add { name, db } => {
            let store = open(&db)?;
            let username = Username::parse(&name).map_err(|e| e.to_string())?;
            let hash = read_new_password(&name)?;
            match store.create_user(&username, &hash, app::now()) {
                Ok(user) => {
                    println!("created user {} (id {})", user.username, user.id);
                    Ok(())
                }
                Err(StoreError::UsernameTaken) => Err(format!("user {name} already exists")),
                Err(e) => Err(e.to_string()),
            }
        }
        UserCommand::List { db } => {
            let store = open(&db)?;
            for user in store.list_users().map_err(|e| e.to_string())? {
                println!("{}\t{}\t{}", user.id, user.username, user.created_at);
            }
            Ok(())
        }
        UserCommand::Passwd { name, db } => {
            let store = open(&db)?;
            let username = Username::parse(&name).map_err(|e| e.to_string())?;
            let user = store
                .user_by_name(&username)
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("no user named {name}"))?;
            let hash = read_new_password(&name)?;
            store
                .set_password_hash(user.id, &hash)
                .map_err(|e| e.to_string())?;
            let ended = store
                .delete_user_sessions(user.id)
                .map_err(|e| e.to_string())?;
            println!(
                "password changed for {}; {ended} session(s) ended",
                user.username
            );
            Ok(())
        }
    }
}

fn open(db: &DbArg) -> Result<SqliteStore, String> {
    SqliteStore::open(&db.db).map_err(|e| format!("cannot open {}: {e}", db.db.display()))
}

/// Reads a password (prompting without echo on a terminal), checks the policy, hashes it.
fn read_new_password(username: &str) -> Result<String, String> {
    let password = if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password: ").map_err(|e| e.to_string())?;
        let second = rpassword::prompt_password("Password (again): ").map_err(|e| e.to_string())?;
        if first != second {
            return Err("the two passwords do not match".to_owned());
        }
        first
    } else {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| format!("cannot read the password from stdin: {e}"))?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    };
    if let Err(problems) = password::check_password(&password, username) {
        let all: Vec<String> = problems.iter().map(ToString::to_string).collect();
        return Err(all.join("; "));
    }
    let salt = secrets::new_salt().map_err(|e| e.to_string())?;
    password::hash_password(&password, &salt).map_err(|e| e.to_string())
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("CHAT_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
