//! cargo-fuzz target: the `password` property of `chat_fuzz` on libFuzzer's input.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| chat_fuzz::password(data));
