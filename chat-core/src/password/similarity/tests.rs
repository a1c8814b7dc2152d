//! Checks against values printed by Python's `difflib.SequenceMatcher`.

use super::{matching_chars, ratio_at_least};

fn chars(s: &str) -> Vec<char> {
    s.chars().collect()
}

/// difflib's `ratio()`, from our `M`.
#[allow(clippy::cast_precision_loss)]
fn ratio(a: &str, b: &str) -> f64 {
    let (a, b) = (chars(a), chars(b));
    let total = a.len() + b.len();
    if total == 0 {
        return 1.0;
    }
    2.0 * matching_chars(&a, &b) as f64 / total as f64
}

#[test]
fn ratio_matches_difflib() {
    // (a, b, SequenceMatcher(a=a, b=b).ratio()); the f64 division is the same one
    // Python does, so the values compare exactly.
    let cases: &[(&str, &str, f64)] = &[
        ("abcd", "bcde", 0.75),
        ("alice123", "alice", 0.769_230_769_230_769_3),
        ("correct horse battery", "alice", 0.153_846_153_846_153_85),
        ("", "", 1.0),
        ("abc", "", 0.0),
        ("abc", "abc", 1.0),
        ("qabxcd", "abycdf", 0.666_666_666_666_666_6),
        ("private volvo", "volvo", 0.555_555_555_555_555_6),
        // quick_ratio() would say 0.82 (same letters); ratio() looks at order.
        ("remaining", "marianne", 0.588_235_294_117_647_1),
        ("xtestclientx", "testclient", 0.909_090_909_090_909_1),
        ("aaaa", "aa", 0.666_666_666_666_666_6),
        ("abab", "baba", 0.75),
        ("tide", "diet", 0.25),
        ("wikimedia", "wikimania", 0.777_777_777_777_777_8),
        ("GESTALT PATTERN MATCHING", "GESTALT PRACTICE", 0.6),
        ("bob12345", "bob", 0.545_454_545_454_545_4),
        ("johnsmith1", "john.smith", 0.9),
        ("smith2024!", "smith", 0.666_666_666_666_666_6),
        ("abababx", "bababa", 0.769_230_769_230_769_3),
        ("password1", "password", 0.941_176_470_588_235_3),
    ];
    for &(a, b, expected) in cases {
        assert!(
            (ratio(a, b) - expected).abs() < 1e-12,
            "ratio({a:?}, {b:?}) = {}, difflib says {expected}",
            ratio(a, b)
        );
    }
}

#[test]
fn tie_breaking_matches_difflib() {
    // Pairs where choosing a different longest match (e.g. the last one instead of
    // the first) changes M; the expected M is difflib's.
    let cases = [
        ("aacbaba", "bacacc", 3),
        ("cabbaabcb", "cbacccc", 4),
        ("aba", "bca", 1),
        ("aca", "abcaaac", 2),
        ("acbbcb", "aabbbb", 4),
        ("abacc", "cbcacaabc", 3),
        ("cbcaca", "cababc", 3),
        ("aacccbaba", "acabba", 4),
        ("abcbb", "abbccbca", 4),
        ("aaa", "baaba", 3),
        ("cbcbcbcb", "aabaccca", 3),
        ("ccaccacc", "babaca", 2),
    ];
    for (a, b, expected) in cases {
        assert_eq!(
            matching_chars(&chars(a), &chars(b)),
            expected,
            "{a:?} vs {b:?}"
        );
    }
}

#[test]
fn counts_unicode_scalar_values() {
    // "é" as one scalar value matches itself once; M = 5 of T = 10.
    assert_eq!(matching_chars(&chars("héllo"), &chars("héllo")), 5);
    assert_eq!(matching_chars(&chars("日本語"), &chars("本")), 1);
}

#[test]
fn threshold_is_exact() {
    // (a, b, ratio >= 7/10)
    let cases = [
        ("abcdefg", "abcdefgxyzuvw", true), // 14/20: exactly 0.7 is refused, as in Django
        ("abcdefg", "abcdefgxyzuvwq", false), // 14/21
        ("alice123", "alice", true),        // 10/13
        ("bob12345", "bob", false),         // 6/11
        ("", "", true),                     // difflib: 1.0
        ("abc", "", false),
        ("password1", "password", true),
    ];
    for (a, b, expected) in cases {
        assert_eq!(
            ratio_at_least(&chars(a), &chars(b), 7, 10),
            expected,
            "{a:?} vs {b:?}"
        );
    }
}
