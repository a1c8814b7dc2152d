//! `chat-server`: the one binary. All logic lives in the library.

fn main() -> std::process::ExitCode {
    chat_server::cli::main()
}
