//! Every password rule, one row per case; expected values cross-checked with Django's
//! validators (difflib `ratio()`) in Python.

use super::super::common;
use super::{PASSWORD_MAX_BYTES, PASSWORD_MIN_CHARS, PasswordProblem, check_password};

const SHORT: PasswordProblem = PasswordProblem::TooShort {
    min: PASSWORD_MIN_CHARS,
};
const LONG: PasswordProblem = PasswordProblem::TooLong {
    max_bytes: PASSWORD_MAX_BYTES,
};
const NUMERIC: PasswordProblem = PasswordProblem::EntirelyNumeric;
const SIMILAR: PasswordProblem = PasswordProblem::TooSimilarToUsername;
const COMMON: PasswordProblem = PasswordProblem::TooCommon;

fn check(password: &str, username: &str, expected: &[PasswordProblem]) {
    let found = match check_password(password, username) {
        Ok(()) => Vec::new(),
        Err(problems) => {
            assert!(!problems.is_empty(), "Err must carry a problem");
            problems
        }
    };
    assert_eq!(found, expected, "password {password:?} for {username:?}");
}

#[test]
fn rules() {
    let cases: &[(&str, &str, &[PasswordProblem])] = &[
        ("correct horse battery", "alice", &[]),
        ("tr0ub4dor&3", "bob", &[]),
        // Length counts Unicode scalar values; a combining accent is its own character.
        ("sevench", "bob", &[SHORT]),
        ("eightchr", "bob", &[]),
        ("héhéhéh", "bob", &[SHORT]),
        ("e\u{301}e\u{301}e\u{301}e\u{301}", "bob", &[]),
        ("", "bob", &[SHORT]),
        // All problems at once, in a stable order.
        ("123", "bob", &[SHORT, NUMERIC, COMMON]),
        ("1234567", "bob", &[SHORT, NUMERIC, COMMON]),
        ("12345678", "bob", &[NUMERIC, COMMON]),
        ("123456789", "bob", &[NUMERIC, COMMON]),
        ("90210345", "bob", &[NUMERIC]),
        ("٣٤٥٦٧٨٩٠١", "bob", &[NUMERIC]), // Arabic-Indic digits
        ("2718281a", "bob", &[]),         // one letter is enough
        // Common, ignoring case and surrounding whitespace like Django.
        ("password", "bob", &[COMMON]),
        ("PassWord", "bob", &[COMMON]),
        ("  password  ", "bob", &[COMMON]),
        ("qwertyuiop", "bob", &[COMMON]),
        ("QwErTyUiOp", "bob", &[COMMON]),
        ("bob12345", "carol", &[COMMON]),
        ("ПАРОЛЬ", "bob", &[SHORT, COMMON]),
        ("пароль12", "bob", &[]),
        // Similar to the username (ratio >= 0.7), case-insensitively.
        ("alice123", "alice", &[SIMILAR, COMMON]),
        ("alice1234", "alice", &[SIMILAR]),
        ("Alice!99", "alice", &[SIMILAR]),
        ("xalice99", "Alice", &[SIMILAR]),
        ("ALICE_2024", "alice", &[]), // 10/15
        ("johnsmith!", "john.smith", &[SIMILAR]),
        // ... or to a part of it: "kristoff" is similar, the whole name is not.
        ("kristoff99", "abcdefghij.kristoff", &[SIMILAR]),
        ("kristoff99", "abcdefghij_kristoff", &[]), // '_' does not split
        // Same letters in another order: ratio() lets it through (quick_ratio would not).
        ("remaining", "marianne", &[]),
        // Not a username (over 32 characters): not compared.
        (
            "x-abcdefghijklmnopqrstuvwxyz-0123456",
            "x-abcdefghijklmnopqrstuvwxyz-0123456",
            &[],
        ),
        (
            "abcdefghijklmnopqrstuvwxyz-01234",
            "abcdefghijklmnopqrstuvwxyz-01234",
            &[SIMILAR],
        ),
        // An empty username is never similar.
        ("goodpassphrase", "", &[]),
    ];
    for &(password, username, expected) in cases {
        check(password, username, expected);
    }
}

#[test]
fn byte_limit() {
    let at_limit = "ab".repeat(PASSWORD_MAX_BYTES / 2);
    check(&at_limit, "bob", &[]);
    check(&format!("{at_limit}c"), "bob", &[LONG]);
    // 'é' is 2 bytes: 513 of them are 1026 bytes but only 513 characters.
    check(&"é".repeat(513), "bob", &[LONG]);
    check(&"1".repeat(PASSWORD_MAX_BYTES + 1), "bob", &[LONG, NUMERIC]);
    // Similarity is not computed for an over-long password, even when it would match.
    let long_alice = "alice".repeat(300);
    check(&long_alice, &long_alice[..30], &[LONG]);
}

#[test]
fn messages_are_for_users() {
    let cases = [
        (SHORT, "password must be at least 8 characters"),
        (LONG, "password must be at most 1024 bytes"),
        (NUMERIC, "password cannot be entirely numeric"),
        (SIMILAR, "password is too similar to the username"),
        (COMMON, "password is too common"),
    ];
    for (problem, message) in cases {
        assert_eq!(problem.to_string(), message);
    }
}

#[test]
fn common_list_is_shipped_sorted_and_lowercase() {
    let list = common::list();
    assert!(list.len() >= 1_000, "only {} common passwords", list.len());
    assert_eq!(list.len(), 19_640, "Django 5.2's list, deduplicated");
    for pair in list.windows(2) {
        assert!(pair[0] < pair[1], "not sorted or not unique: {pair:?}");
    }
    for password in list {
        assert_eq!(*password, password.to_lowercase());
        assert_eq!(*password, password.trim());
        assert!(!password.is_empty());
    }
    for password in ["password", "123456789", "qwertyuiop", "iloveyou", "пароль"] {
        assert!(common::is_common(password), "{password}");
    }
    assert!(!common::is_common("correct horse battery"));
}
