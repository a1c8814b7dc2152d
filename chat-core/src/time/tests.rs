//! RFC 3339 formatting; expected values from Python's `datetime` (and, for the
//! extremes, `java.time.Instant.ofEpochMilli`).

use super::Timestamp;

#[test]
fn rfc3339() {
    // (milliseconds since the epoch, text)
    let cases = [
        (0, "1970-01-01T00:00:00.000Z"),
        (1, "1970-01-01T00:00:00.001Z"),
        (1_795_428_000_123, "2026-11-23T10:00:00.123Z"),
        (1_709_164_800_000, "2024-02-29T00:00:00.000Z"), // leap day
        (1_709_251_199_999, "2024-02-29T23:59:59.999Z"),
        (951_868_800_000, "2000-03-01T00:00:00.000Z"), // after 2000's leap day
        (-1, "1969-12-31T23:59:59.999Z"),
        (-2_208_988_800_000, "1900-01-01T00:00:00.000Z"),
        (-62_135_596_800_000, "0001-01-01T00:00:00.000Z"),
        (253_402_300_799_999, "9999-12-31T23:59:59.999Z"),
        // Beyond year 9999 or before year 0 the text is no longer RFC 3339, but it
        // is still the right proleptic Gregorian date, without overflow.
        (i64::MAX, "292278994-08-17T07:12:55.807Z"),
        (i64::MIN, "-292275055-05-16T16:47:04.192Z"),
    ];
    for (ms, text) in cases {
        let t = Timestamp::from_millis(ms);
        assert_eq!(t.to_rfc3339(), text, "{ms}");
        assert_eq!(t.to_string(), text, "{ms}");
    }
}

#[test]
fn parts_and_arithmetic() {
    let t = Timestamp::from_millis(1_795_428_000_123);
    assert_eq!(t.to_utc_parts(), (2026, 11, 23, 10, 0, 0, 123));
    assert_eq!(t.as_millis(), 1_795_428_000_123);
    assert_eq!(t.plus_millis(877).to_rfc3339(), "2026-11-23T10:00:01.000Z");
    assert_eq!(t.plus_millis(-123).to_rfc3339(), "2026-11-23T10:00:00.000Z");
    assert_eq!(Timestamp(i64::MAX).plus_millis(1), Timestamp(i64::MAX));
    assert_eq!(serde_json::to_string(&t).unwrap(), "1795428000123");
}
