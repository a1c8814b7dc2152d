//! cargo-fuzz target: the `http_request` property of `chat_fuzz` on libFuzzer's input.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| chat_fuzz::http_request(data));
