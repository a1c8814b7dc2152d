//! Message body rules, one row per case.

use super::{BODY_MAX_CHARS, BodyError, MessageBody};

#[test]
fn parse() {
    // (input, expected stored text or error)
    let cases: &[(&str, Result<&str, BodyError>)] = &[
        ("hello", Ok("hello")),
        ("  hello  ", Ok("hello")),
        ("\n\thello\t\n", Ok("hello")),
        ("a\r\nb", Ok("a\nb")),
        ("a\rb", Ok("a\nb")),
        ("a\r\r\nb", Ok("a\n\nb")),
        ("a\n\r\nb", Ok("a\n\nb")),
        ("a\tb", Ok("a\tb")),
        ("line 1\n\n\nline 2", Ok("line 1\n\n\nline 2")),
        ("é", Ok("é")),
        ("日本語 😀", Ok("日本語 😀")),
        // Whitespace only, including Unicode spaces.
        ("", Err(BodyError::Empty)),
        (" ", Err(BodyError::Empty)),
        ("\t\t", Err(BodyError::Empty)),
        ("\n\r\n\r", Err(BodyError::Empty)),
        ("\u{3000}", Err(BodyError::Empty)), // ideographic space
        ("\u{a0}\u{2003}\u{2028}", Err(BodyError::Empty)),
        ("\u{3000}hi\u{3000}", Ok("hi")),
        // Control characters other than newline and tab.
        ("a\0b", Err(BodyError::ControlChar('\0'))),
        ("a\u{7}b", Err(BodyError::ControlChar('\u{7}'))),
        ("a\u{1b}[31mb", Err(BodyError::ControlChar('\u{1b}'))),
        ("a\u{7f}b", Err(BodyError::ControlChar('\u{7f}'))),
        ("a\u{85}b", Err(BodyError::ControlChar('\u{85}'))), // C1 next line
        ("a\u{b}b", Err(BodyError::ControlChar('\u{b}'))),   // vertical tab inside
        ("\u{b}ab\u{c}", Ok("ab")),                          // ... is whitespace at the ends
    ];
    for (input, expected) in cases {
        let got = MessageBody::parse(input);
        assert_eq!(
            got.as_ref().map(MessageBody::as_str),
            expected.as_ref().map(|s| *s),
            "{input:?}"
        );
    }
}

#[test]
fn length_counts_unicode_scalar_values_after_trimming() {
    // (input, accepted)
    let e_acute = "e\u{301}"; // a letter and a combining accent: two characters
    let cases = [
        ("a".repeat(BODY_MAX_CHARS), true),
        ("a".repeat(BODY_MAX_CHARS + 1), false),
        ("é".repeat(BODY_MAX_CHARS), true), // 8000 bytes, 4000 characters
        ("😀".repeat(BODY_MAX_CHARS), true),
        ("😀".repeat(BODY_MAX_CHARS + 1), false),
        (e_acute.repeat(BODY_MAX_CHARS / 2), true), // 2000 visible, 4000 characters
        (e_acute.repeat(BODY_MAX_CHARS / 2 + 1), false),
        (format!("  {}  ", "a".repeat(BODY_MAX_CHARS)), true),
        // \r\n counts once it is normalised to \n.
        (format!("{}\r\nb", "a".repeat(BODY_MAX_CHARS - 2)), true),
    ];
    for (input, accepted) in cases {
        let got = MessageBody::parse(&input);
        assert_eq!(got.is_ok(), accepted, "{} chars", input.chars().count());
        if !accepted {
            assert!(matches!(got, Err(BodyError::TooLong { chars }) if chars > BODY_MAX_CHARS));
        }
    }
    assert_eq!(
        MessageBody::parse(&"a".repeat(BODY_MAX_CHARS + 1)),
        Err(BodyError::TooLong {
            chars: BODY_MAX_CHARS + 1
        })
    );
}

#[test]
fn accessors_and_serde() {
    let body = MessageBody::parse(" hi <b> ").unwrap();
    assert_eq!(body.to_string(), "hi <b>");
    assert_eq!(body.as_ref(), "hi <b>");
    assert_eq!(body.clone().into_string(), "hi <b>");
    assert_eq!(serde_json::to_string(&body).unwrap(), r#""hi <b>""#);
}
