//! Session tokens, their stored hashes, and CSRF tokens derived from them.

use chat_store::TokenHash;
use sha2::{Digest, Sha256};

/// Bytes of OS randomness in a session or CSRF token (256 bits).
const TOKEN_BYTES: usize = 32;

/// A fresh random token from the OS CSPRNG, hex-encoded.
pub fn new_token() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; TOKEN_BYTES];
    getrandom::fill(&mut bytes)?;
    Ok(hex(&bytes))
}

/// 16 random bytes for a password salt.
pub fn new_salt() -> Result<[u8; 16], getrandom::Error> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt)?;
    Ok(salt)
}

/// What the store keeps instead of the token.
pub fn token_hash(token: &str) -> TokenHash {
    TokenHash(Sha256::digest(token.as_bytes()).into())
}

/// The CSRF token for forms of the session holding `session_token`: derived, so it
/// needs no storage and dies with the session.
pub fn csrf_for_session(session_token: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"chat csrf v1\0");
    hasher.update(session_token.as_bytes());
    hex(&hasher.finalize())
}

/// Compares two secrets in time independent of where they differ.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_distinct() {
        let a = new_token().unwrap();
        let b = new_token().unwrap();
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
    }

    #[test]
    fn csrf_depends_on_the_session() {
        assert_ne!(csrf_for_session("a"), csrf_for_session("b"));
        assert_eq!(csrf_for_session("a"), csrf_for_session("a"));
        assert_ne!(csrf_for_session("a"), "a");
    }

    #[test]
    fn constant_time_eq_table() {
        for (a, b, want) in [
            ("", "", true),
            ("ab", "ab", true),
            ("ab", "ac", false),
            ("a", "ab", false),
        ] {
            assert_eq!(constant_time_eq(a, b), want, "{a:?} vs {b:?}");
        }
    }
}
