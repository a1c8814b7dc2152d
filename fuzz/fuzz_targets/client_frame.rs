//! cargo-fuzz target: the `client_frame` property of `chat_fuzz` on libFuzzer's input.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| chat_fuzz::client_frame(data));
