//! cargo-fuzz target: the `core_parsers` property of `chat_fuzz` on libFuzzer's input.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| chat_fuzz::core_parsers(data));
