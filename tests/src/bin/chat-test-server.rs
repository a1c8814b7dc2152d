//! The chat server binary, built inside the test crate so integration tests can spawn it.

fn main() -> std::process::ExitCode {
    chat_server::cli::main()
}
