//! Stable-Rust stand-in for the cargo-fuzz targets in `fuzz/`: each target's
//! property (the very same functions, from `fuzz/src/lib.rs`) runs on 100,000
//! inputs mutated from a seed corpus by a seeded PRNG. Deterministic: a failure
//! prints the seed and the input; `CHAT_MINIFUZZ_SEED=N` explores other seeds and
//! `CHAT_MINIFUZZ_CASES=N` changes the count.
//!
//! Not coverage-guided like libFuzzer, so it finds less; it does keep every
//! property exercised on every `cargo test`, on a stable toolchain.

#[path = "../../../fuzz/src/lib.rs"]
mod targets;

use std::fmt::Write as _;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// Inputs per target unless `CHAT_MINIFUZZ_CASES` says otherwise.
const DEFAULT_CASES: usize = 100_000;
/// The default seed: runs are reproducible.
const DEFAULT_SEED: u64 = 0x00C0_FFEE_5EED_2026;
/// Most inputs kept in the evolving corpus (seeds plus some mutants).
const CORPUS_MAX: usize = 512;

#[test]
fn client_frame_decoder() {
    let seeds: &[&[u8]] = &[
        br#"{"type":"send","thread":1,"body":"hi","client_id":"c-1"}"#,
        br#"{"type":"send","body":"on a thread socket"}"#,
        br#"{"type":"send","thread":9223372036854775807,"body":"\u0000\ud83d\ude00","sender":"eve"}"#,
        br#"{"type":"typing","thread":-1}"#,
        br#"{"type":"typing"}"#,
        br#"{"type":"read","thread":2,"up_to":18446744073709551615}"#,
        br#"{"type":"resume","after":0}"#,
        br#"{"type":"resume","after":1e3}"#,
        br#"[{"type":"resume","after":1}]"#,
        br#"{"type":"send","type":"typing","thread":1,"body":""}"#,
        br#"{"body":"no type","thread":1}"#,
        b"not json",
        b"",
    ];
    let dictionary: &[&[u8]] = &[
        b"\"type\"",
        b"\"send\"",
        b"\"typing\"",
        b"\"read\"",
        b"\"resume\"",
        b"\"thread\"",
        b"\"body\"",
        b"\"client_id\"",
        b"\"up_to\"",
        b"\"after\"",
        b"null",
        b"true",
        b"{",
        b"}",
        b"[",
        b"]",
        b":",
        b",",
        b"\"",
        b"\\u0000",
        b"\\ud800",
        b"-0",
        b"1e400",
        b"9223372036854775808",
        b"-9223372036854775809",
        b"0.5",
    ];
    fuzz(
        "client_frame",
        seeds,
        dictionary,
        2048,
        targets::client_frame,
    );
}

#[test]
fn http_form_query_cookie_origin() {
    let seeds: &[&[u8]] = &[
        b"/threads/3?before=10&limit=5\nchat_session=abc; chat_csrf=\"q\"\n127.0.0.1:8000\nhttp://127.0.0.1:8000\nusername=al%20ice&password=x+y&csrf=z",
        b"/api/threads/1/messages?limit=%31%30%30\na=1;a=2\nchat.example\nhttps://chat.example\nbody=%F0%9F%98%80&body=second",
        b"/ws/threads/%2F%2e%2E/?a&&b==c&%\n\"chat_session\"=\"x\"\n\nnull\n%ZZ&=&+&%e9",
        b"//evil.example/%00?next=//x\n;;; =;a\nlocalhost\nHTTP://LOCALHOST\n\xff\xfe=\xc3\x28",
        b"",
    ];
    let dictionary: &[&[u8]] = &[
        b"%",
        b"%2",
        b"%20",
        b"%2F",
        b"%00",
        b"%FF",
        b"%e9",
        b"+",
        b"&",
        b"=",
        b"?",
        b"/",
        b"//",
        b";",
        b"; ",
        b"\"",
        b"chat_session=",
        b"chat_csrf=",
        b"http://",
        b"https://",
        b"chat.example",
        b"\n",
        b"\r",
        b"\t",
        b"\xc3\xa9",
        b"\xf0\x9f\x98\x80",
    ];
    fuzz(
        "http_request",
        seeds,
        dictionary,
        2048,
        targets::http_request,
    );
}

#[test]
fn core_parsers() {
    let long_body = "x".repeat(4001);
    let max_body = format!(" {}\r\n", "é".repeat(4000));
    let seeds: Vec<&[u8]> = vec![
        b"alice",
        b"Al.ice_-9",
        b"ab",
        b"abcdefghijklmnopqrstuvwxyz0123456",
        b"  hello\r\nworld \n",
        b"\t\n \r",
        b"bell\x07",
        b"client-1",
        b"\xe2\x80\xa8line separator\xc2\x85",
        long_body.as_bytes(),
        max_body.as_bytes(),
        b"",
    ];
    let dictionary: &[&[u8]] = &[
        b" ",
        b"\t",
        b"\n",
        b"\r",
        b"\r\n",
        b"\x00",
        b"\x7f",
        b"\xc2\x85",
        b"\xc2\xa0",
        b"\xe3\x80\x80",
        b"\xcc\x81",
        b"\xf0\x9f\x98\x80",
        b"_",
        b".",
        b"-",
        b"~",
        b"A",
        b"z",
        b"9",
    ];
    fuzz(
        "core_parsers",
        &seeds,
        dictionary,
        9000,
        targets::core_parsers,
    );
}

#[test]
fn password_policy() {
    let long = format!("{}\0bob", "Aa1!".repeat(257));
    let seeds: Vec<&[u8]> = vec![
        b"correct horse battery\0alice",
        b"alice1234\0alice",
        b"1234567\0bob",
        b"Password\0john.smith",
        b"remaining\0marianne",
        b"\xd9\xa1\xd9\xa2\xd9\xa3\xd9\xa4\xd9\xa5\xd9\xa6\xd9\xa7\xd9\xa8\0x",
        b"  PASSWORD  \0user",
        long.as_bytes(),
        b"\0",
    ];
    let dictionary: &[&[u8]] = &[
        b"\0",
        b"password",
        b"123456",
        b"qwerty",
        b"alice",
        b".",
        b"_",
        b"-",
        b" ",
        b"\xc3\xa9",
        b"\xf0\x9f\x98\x80",
        b"\xd9\xa1",
    ];
    fuzz("password", &seeds, dictionary, 2200, targets::password);
}

/// Runs `property` on `cases()` inputs derived from `seeds`; panics with the seed,
/// the case number and the input on the first failure.
fn fuzz(name: &str, seeds: &[&[u8]], dictionary: &[&[u8]], max_len: usize, property: fn(&[u8])) {
    let seed = base_seed() ^ fnv1a(name.as_bytes());
    let mut rng = Rng::new(seed);
    for input in seeds {
        check(name, seed, None, input, property);
    }
    let mut corpus: Vec<Vec<u8>> = seeds.iter().map(|s| s.to_vec()).collect();
    for case in 0..cases() {
        let mut input = corpus[rng.below(corpus.len())].clone();
        for _ in 0..=rng.below(4) {
            mutate(&mut rng, &mut input, &corpus, dictionary, max_len);
        }
        check(name, seed, Some(case), &input, property);
        if rng.below(64) == 0 {
            // Keep some mutants so mutations compound (a poor man's corpus growth).
            if corpus.len() < CORPUS_MAX {
                corpus.push(input);
            } else {
                let slot = seeds.len() + rng.below(CORPUS_MAX - seeds.len());
                corpus[slot] = input;
            }
        }
    }
}

fn check(name: &str, seed: u64, case: Option<usize>, input: &[u8], property: fn(&[u8])) {
    let passed = catch_unwind(AssertUnwindSafe(|| property(input))).is_ok();
    assert!(
        passed,
        "{name}: property failed on {} (seed {seed:#x}); input ({} bytes): {}",
        case.map_or_else(|| "a seed input".to_owned(), |c| format!("case {c}")),
        input.len(),
        escape(input)
    );
}

/// One random edit of `input`, keeping it at most `max_len` bytes.
fn mutate(
    rng: &mut Rng,
    input: &mut Vec<u8>,
    corpus: &[Vec<u8>],
    dictionary: &[&[u8]],
    max_len: usize,
) {
    const INTERESTING: &[u8] = b"\x00\x01\x7f\x80\xff \"\\{}[]%&=;:,+/\n\r\t-.0123456789eE";
    let pos = rng.below(input.len() + 1);
    match rng.below(9) {
        0 if !input.is_empty() => {
            let i = rng.below(input.len());
            input[i] ^= 1 << rng.below(8);
        }
        1 if !input.is_empty() => {
            let i = rng.below(input.len());
            input[i] = INTERESTING[rng.below(INTERESTING.len())];
        }
        2 | 3 => {
            let token = dictionary[rng.below(dictionary.len())];
            input.splice(pos..pos, token.iter().copied());
        }
        4 if !input.is_empty() => {
            let end = (pos + 1 + rng.below(16)).min(input.len());
            input.drain(pos.min(end)..end);
        }
        5 => {
            // Repeat a chunk: reaches length limits that single edits never do.
            let end = (pos + 1 + rng.below(8)).min(input.len());
            let chunk = input[pos.min(end)..end].to_vec();
            for _ in 0..rng.below(600) {
                input.splice(pos..pos, chunk.iter().copied());
            }
        }
        6 => {
            let other = &corpus[rng.below(corpus.len())];
            let from = rng.below(other.len() + 1);
            let to = from + rng.below(other.len() - from + 1);
            input.splice(pos..pos, other[from..to].iter().copied());
        }
        7 => input.truncate(pos),
        _ => input.insert(pos, u8::try_from(rng.below(256)).unwrap_or(0)),
    }
    input.truncate(max_len);
}

/// xorshift64*: small, fast, and the same on every platform.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed | 1)
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform-enough in `0..n` (`n` > 0).
    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % u64::try_from(n.max(1)).unwrap_or(u64::MAX)).unwrap_or(0)
    }
}

fn base_seed() -> u64 {
    std::env::var("CHAT_MINIFUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(DEFAULT_SEED)
}

fn cases() -> usize {
    std::env::var("CHAT_MINIFUZZ_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(DEFAULT_CASES)
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, b| {
        (hash ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The input as a Rust byte-string literal body, to paste into a regression test.
fn escape(input: &[u8]) -> String {
    let mut out = String::with_capacity(input.len() * 2);
    for b in input {
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            0x20..=0x7e => out.push(char::from(*b)),
            _ => {
                let _ = write!(out, "\\x{b:02x}");
            }
        }
    }
    format!("b\"{out}\"")
}
