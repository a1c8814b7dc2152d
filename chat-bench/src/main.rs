//! The `chat-bench` binary: all of it lives in the library, see `cli`.

fn main() -> std::process::ExitCode {
    chat_bench::cli::main()
}
