//! Python difflib's `SequenceMatcher.ratio()` (Ratcliff/Obershelp), for the
//! "too similar to the username" rule.
//!
//! The ratio is `2 * M / T`, where `T` is the total length of both sequences and `M`
//! the number of characters in the matching blocks: the longest common substring,
//! then recursively the longest ones left and right of it. Ties go to the match that
//! starts earliest in `a`, then earliest in `b`, exactly as difflib's
//! `find_longest_match`, so the greedy result is the same.
//!
//! difflib's junk heuristics are left out: `autojunk` only applies when `b` has 200 or
//! more items, and `b` is always a username (at most 32 characters) or a part of one.

/// Whether `ratio(a, b) >= numerator / denominator`, decided exactly in integers
/// (no floating-point rounding at the boundary).
pub(crate) fn ratio_at_least(a: &[char], b: &[char], numerator: usize, denominator: usize) -> bool {
    let total = a.len() + b.len();
    if total == 0 {
        // difflib defines the ratio of two empty sequences as 1.0.
        return true;
    }
    // `M <= min(len a, len b)`: skip the quadratic part when even a perfect overlap
    // could not reach the threshold (what Django's length shortcut approximates).
    let at_most = 2 * a.len().min(b.len());
    if at_most * denominator < numerator * total {
        return false;
    }
    2 * matching_chars(a, b) * denominator >= numerator * total
}

/// `M`: the number of characters in the matching blocks of `a` and `b`.
pub(crate) fn matching_chars(a: &[char], b: &[char]) -> usize {
    let mut total = 0;
    // An explicit stack instead of recursion, like difflib; the sum does not
    // depend on the order in which the sub-ranges are visited.
    let mut pending = vec![(0, a.len(), 0, b.len())];
    while let Some((a_lo, a_hi, b_lo, b_hi)) = pending.pop() {
        let (a_start, b_start, len) = longest_match(a, b, (a_lo, a_hi), (b_lo, b_hi));
        if len == 0 {
            continue;
        }
        total += len;
        if a_lo < a_start && b_lo < b_start {
            pending.push((a_lo, a_start, b_lo, b_start));
        }
        if a_start + len < a_hi && b_start + len < b_hi {
            pending.push((a_start + len, a_hi, b_start + len, b_hi));
        }
    }
    total
}

/// The longest common substring of `a[a_lo..a_hi]` and `b[b_lo..b_hi]` as
/// `(start in a, start in b, length)`; among equally long ones the one starting
/// earliest in `a`, then earliest in `b`. Length 0 when nothing matches.
fn longest_match(
    a: &[char],
    b: &[char],
    (a_lo, a_hi): (usize, usize),
    (b_lo, b_hi): (usize, usize),
) -> (usize, usize, usize) {
    // previous/current[c + 1]: length of the common run ending at the previous/current
    // character of `a` and at b[b_lo + c]; index 0 stays 0.
    let width = b_hi - b_lo;
    let mut previous = vec![0_usize; width + 1];
    let mut current = vec![0_usize; width + 1];
    let (mut best_a, mut best_b, mut best_len) = (a_lo, b_lo, 0);
    for (a_offset, a_char) in a[a_lo..a_hi].iter().enumerate() {
        for (column, b_char) in b[b_lo..b_hi].iter().enumerate() {
            let run = if a_char == b_char {
                previous[column] + 1
            } else {
                0
            };
            current[column + 1] = run;
            if run > best_len {
                // The run ends at (a_lo + a_offset, b_lo + column).
                best_a = a_lo + a_offset + 1 - run;
                best_b = b_lo + column + 1 - run;
                best_len = run;
            }
        }
        std::mem::swap(&mut previous, &mut current);
    }
    (best_a, best_b, best_len)
}

#[cfg(test)]
mod tests;
