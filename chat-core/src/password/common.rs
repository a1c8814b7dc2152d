//! The common-password list: Django's 20,000 most common passwords.
//!
//! `common-passwords.txt` is Django's `django/contrib/auth/common-passwords.txt.gz`
//! (Django 5.2, itself derived from Royce Williams' list of leaked passwords:
//! <https://gist.github.com/roycewilliams/226886fd01572964e1431ac8afc999ce>),
//! decompressed and sorted by bytes so it can be binary-searched; one lowercase
//! password per line. Copyright (c) Django Software Foundation and individual
//! contributors, used under the BSD 3-clause license reproduced in
//! `common-passwords.LICENSE` beside it.

use std::sync::OnceLock;

/// The list as shipped: sorted by bytes, unique, lowercase, one per line.
const COMMON_PASSWORDS: &str = include_str!("common-passwords.txt");

/// Whether `password` is on the list, ignoring case and surrounding whitespace
/// (Django compares `password.lower().strip()`).
pub(crate) fn is_common(password: &str) -> bool {
    let lowered = password.to_lowercase();
    list().binary_search(&lowered.trim()).is_ok()
}

/// The list as a sorted slice, split once on first use.
pub(crate) fn list() -> &'static [&'static str] {
    static LIST: OnceLock<Box<[&'static str]>> = OnceLock::new();
    LIST.get_or_init(|| COMMON_PASSWORDS.lines().collect())
}
