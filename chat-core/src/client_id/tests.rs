//! Client message id rules, one row per case.

use super::{CLIENT_ID_MAX, ClientIdError, ClientMessageId};

#[test]
fn parse() {
    let max = "x".repeat(CLIENT_ID_MAX);
    let over = "x".repeat(CLIENT_ID_MAX + 1);
    let printable: String = (0x20_u8..=0x7e).map(char::from).collect();
    // (input, expected)
    let cases: &[(&str, Result<(), ClientIdError>)] = &[
        ("", Err(ClientIdError::Empty)),
        ("a", Ok(())),
        (&max, Ok(())),
        (&over, Err(ClientIdError::TooLong)),
        (&printable[..CLIENT_ID_MAX], Ok(())),
        (&printable[CLIENT_ID_MAX..], Ok(())),
        (" ", Ok(())),
        ("~", Ok(())),
        ("c-1f2e3d4c", Ok(())),
        ("a\tb", Err(ClientIdError::InvalidChar)),
        ("a\nb", Err(ClientIdError::InvalidChar)),
        ("\u{7f}", Err(ClientIdError::InvalidChar)),
        ("é", Err(ClientIdError::InvalidChar)),
        ("😀", Err(ClientIdError::InvalidChar)),
    ];
    for (input, expected) in cases {
        let got = ClientMessageId::parse(input);
        assert_eq!(got.clone().map(drop), expected.clone(), "{input:?}");
        if let Ok(id) = got {
            assert_eq!(id.as_str(), *input);
            assert_eq!(id.to_string(), *input);
        }
    }
}

#[test]
fn sixty_four_bytes_of_non_ascii_is_refused_as_invalid() {
    // 32 two-byte characters: 64 bytes but not ASCII.
    assert_eq!(
        ClientMessageId::parse(&"é".repeat(32)),
        Err(ClientIdError::InvalidChar)
    );
}

#[test]
fn an_id_becomes_its_text() {
    assert_eq!(
        String::from(ClientMessageId::parse("c-1 x").unwrap()),
        "c-1 x"
    );
}
