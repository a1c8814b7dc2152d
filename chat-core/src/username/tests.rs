//! Username rules and case-insensitive identity, one row per case.

use std::collections::HashSet;

use super::{USERNAME_MAX, USERNAME_MIN, Username, UsernameError};

#[test]
fn parse() {
    let max = "a".repeat(USERNAME_MAX);
    let over = "a".repeat(USERNAME_MAX + 1);
    // (input, expected)
    let cases: &[(&str, Result<(), UsernameError>)] = &[
        ("ab", Err(UsernameError::TooShort)),
        ("abc", Ok(())),
        (&max, Ok(())),
        (&over, Err(UsernameError::TooLong)),
        ("", Err(UsernameError::TooShort)),
        ("Alice", Ok(())),
        ("a_b.c-d", Ok(())),
        ("0123", Ok(())),
        ("...", Ok(())),
        ("_-.", Ok(())),
        ("al ice", Err(UsernameError::InvalidChar(' '))),
        (" alice", Err(UsernameError::InvalidChar(' '))),
        ("alice\n", Err(UsernameError::InvalidChar('\n'))),
        ("al@ce", Err(UsernameError::InvalidChar('@'))),
        ("al/ce", Err(UsernameError::InvalidChar('/'))),
        ("<b>x</b>", Err(UsernameError::InvalidChar('<'))),
        // Unicode letters are refused (no look-alike names).
        ("élodie", Err(UsernameError::InvalidChar('é'))),
        ("аlice", Err(UsernameError::InvalidChar('а'))), // Cyrillic а
        ("名前です", Err(UsernameError::InvalidChar('名'))),
        ("ab\u{301}", Err(UsernameError::InvalidChar('\u{301}'))),
        // A bad character is reported before a bad length.
        ("é", Err(UsernameError::InvalidChar('é'))),
    ];
    for (input, expected) in cases {
        let got = Username::parse(input);
        assert_eq!(got.clone().map(drop), expected.clone(), "{input:?}");
        if let Ok(name) = got {
            assert_eq!(name.as_str(), *input, "the spelling is kept");
        }
    }
    assert_eq!(USERNAME_MIN, 3);
}

#[test]
fn identity_ignores_ascii_case() {
    let name = |s| Username::parse(s).unwrap();
    assert_eq!(name("Alice"), name("alice"));
    assert_eq!(name("ALICE"), name("aLiCe"));
    assert_ne!(name("alice"), name("alice_"));
    assert_eq!(name("Alice").canonical(), "alice");
    assert_eq!(name("Alice").to_string(), "Alice");

    let set: HashSet<Username> = ["Alice", "alice", "ALICE", "bob"].map(name).into();
    assert_eq!(set.len(), 2);
    assert!(set.contains(&name("aLIce")));

    // Ordering agrees with equality and ignores case too.
    let mut names = ["bob", "Alice", "carol", "alice", "Bob"].map(name);
    names.sort();
    let sorted: Vec<String> = names.iter().map(Username::canonical).collect();
    assert_eq!(sorted, ["alice", "alice", "bob", "bob", "carol"]);
    assert_eq!(name("Alice").cmp(&name("alice")), std::cmp::Ordering::Equal);
    // Compared byte by byte after folding: '_' (0x5F) sorts before 'a' (0x61).
    assert!(name("a_b") < name("aab"));
}

#[test]
fn serializes_as_spelled() {
    let name = Username::parse("Alice").unwrap();
    assert_eq!(serde_json::to_string(&name).unwrap(), r#""Alice""#);
}

#[test]
fn a_username_becomes_its_chosen_spelling() {
    assert_eq!(String::from(Username::parse("Alice_1").unwrap()), "Alice_1");
}
