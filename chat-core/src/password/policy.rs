//! The password policy: every rule a new password must pass, all problems reported.

use crate::USERNAME_MAX;

use super::{common, similarity};

/// Fewest characters (Unicode scalar values) a password may have.
pub const PASSWORD_MIN_CHARS: usize = 8;
/// Most bytes (UTF-8) a password may have; bounds hashing and similarity work.
pub const PASSWORD_MAX_BYTES: usize = 1024;

/// Similarity at or above `SIMILARITY_NUMERATOR / SIMILARITY_DENOMINATOR` (0.7,
/// Django's default `max_similarity`) is too similar.
const SIMILARITY_NUMERATOR: usize = 7;
const SIMILARITY_DENOMINATOR: usize = 10;

/// One reason a password is refused. Messages are meant to be shown to the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PasswordProblem {
    /// Fewer than `min` characters.
    #[error("password must be at least {min} characters")]
    TooShort {
        /// The minimum, [`PASSWORD_MIN_CHARS`].
        min: usize,
    },
    /// More than `max_bytes` bytes.
    #[error("password must be at most {max_bytes} bytes")]
    TooLong {
        /// The maximum, [`PASSWORD_MAX_BYTES`].
        max_bytes: usize,
    },
    /// Only digits.
    #[error("password cannot be entirely numeric")]
    EntirelyNumeric,
    /// Too much like the username or one of its parts.
    #[error("password is too similar to the username")]
    TooSimilarToUsername,
    /// On the list of common passwords.
    #[error("password is too common")]
    TooCommon,
}

/// Checks a new password for `username` against every rule and returns all the
/// problems found, in a stable order, so a form can show each one:
///
/// - at least [`PASSWORD_MIN_CHARS`] characters and at most [`PASSWORD_MAX_BYTES`] bytes;
///   the password is taken as typed (not trimmed);
/// - not entirely numeric (any Unicode digits);
/// - not too similar to the username: like Django's `UserAttributeSimilarityValidator`,
///   the lowercased password is compared with the lowercased username and with each of
///   its parts split on non-word characters (`john.smith` → `john`, `smith`), refused
///   when difflib's `SequenceMatcher.ratio()` is 0.7 or more. Current Django calls the
///   cheaper `quick_ratio()` (an upper bound that ignores order, so it also refuses
///   anagrams such as "remaining" for "marianne"); the true ratio refuses fewer
///   passwords by accident and our length caps keep it cheap. Names longer than [`USERNAME_MAX`] characters are not usernames and are
///   not compared;
/// - not on Django's list of 20,000 common passwords (ignoring case and surrounding
///   whitespace).
///
/// A password over the byte limit skips the last two rules: it cannot be on the
/// list and comparing it would be wasted work.
pub fn check_password(password: &str, username: &str) -> Result<(), Vec<PasswordProblem>> {
    let mut problems = Vec::new();
    if password.chars().count() < PASSWORD_MIN_CHARS {
        problems.push(PasswordProblem::TooShort {
            min: PASSWORD_MIN_CHARS,
        });
    }
    let too_long = password.len() > PASSWORD_MAX_BYTES;
    if too_long {
        problems.push(PasswordProblem::TooLong {
            max_bytes: PASSWORD_MAX_BYTES,
        });
    }
    if !password.is_empty() && password.chars().all(char::is_numeric) {
        problems.push(PasswordProblem::EntirelyNumeric);
    }
    if !too_long {
        if is_too_similar(password, username) {
            problems.push(PasswordProblem::TooSimilarToUsername);
        }
        if common::is_common(password) {
            problems.push(PasswordProblem::TooCommon);
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

/// Django's rule: the whole lowercased username and each part between runs of
/// non-word characters (Python's `\W+`); empty parts are skipped.
fn is_too_similar(password: &str, username: &str) -> bool {
    if username.chars().count() > USERNAME_MAX {
        return false;
    }
    let password: Vec<char> = password.to_lowercase().chars().collect();
    let username = username.to_lowercase();
    username
        .split(|c: char| !is_word_char(c))
        .chain(std::iter::once(username.as_str()))
        .filter(|part| !part.is_empty())
        .any(|part| {
            let part: Vec<char> = part.chars().collect();
            similarity::ratio_at_least(
                &password,
                &part,
                SIMILARITY_NUMERATOR,
                SIMILARITY_DENOMINATOR,
            )
        })
}

/// Python's `\w`: alphanumeric or underscore.
fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

#[cfg(test)]
mod tests;
