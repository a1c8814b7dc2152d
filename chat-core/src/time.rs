//! Wall-clock instants as plain values: the core never reads the clock itself.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Milliseconds since the Unix epoch (UTC). Callers pass `now` in.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// Builds a timestamp from milliseconds since the epoch.
    pub const fn from_millis(ms: i64) -> Self {
        Self(ms)
    }

    /// Milliseconds since the epoch.
    pub const fn as_millis(self) -> i64 {
        self.0
    }

    /// This instant plus `ms` milliseconds (saturating).
    #[must_use]
    pub const fn plus_millis(self, ms: i64) -> Self {
        Self(self.0.saturating_add(ms))
    }

    /// RFC 3339 in UTC with exactly three fractional digits, e.g.
    /// `2026-11-23T10:00:00.123Z`.
    pub fn to_rfc3339(self) -> String {
        match self.rfc3339_bytes() {
            Some(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            None => self.to_string(),
        }
    }

    /// `YYYY-MM-DDTHH:MM:SS.mmmZ` as ASCII for years 0..=9999 (every page
    /// formats dozens of these: no formatter machinery, no allocation).
    fn rfc3339_bytes(self) -> Option<[u8; 24]> {
        let (year, month, day, hour, minute, second, milli) = self.to_utc_parts();
        let year = u32::try_from(year).ok().filter(|y| *y <= 9999)?;
        let mut out = *b"0000-00-00T00:00:00.000Z";
        for (at, value, width) in [
            (0, year, 4),
            (5, month, 2),
            (8, day, 2),
            (11, hour, 2),
            (14, minute, 2),
            (17, second, 2),
            (20, milli, 3),
        ] {
            let mut value = value;
            for slot in out[at..at + width].iter_mut().rev() {
                // A digit: `value % 10` is below 10.
                #[allow(clippy::cast_possible_truncation)]
                let digit = (value % 10) as u8;
                *slot = b'0' + digit;
                value /= 10;
            }
        }
        Some(out)
    }

    /// Splits into (year, month, day, hour, minute, second, millisecond), UTC.
    pub fn to_utc_parts(self) -> (i64, u32, u32, u32, u32, u32, u32) {
        let ms = self.0.rem_euclid(1000);
        let secs = self.0.div_euclid(1000);
        let days = secs.div_euclid(86_400);
        let sod = secs.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        (
            y,
            m,
            d,
            (sod / 3600) as u32,
            (sod % 3600 / 60) as u32,
            (sod % 60) as u32,
            ms as u32,
        )
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(bytes) = self.rfc3339_bytes() {
            return f.write_str(&String::from_utf8_lossy(&bytes));
        }
        let (year, month, day, hour, minute, second, milli) = self.to_utc_parts();
        write!(
            f,
            "{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}.{milli:03}Z"
        )
    }
}

/// Howard Hinnant's `civil_from_days`: days since 1970-01-01 to (y, m, d).
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests;
