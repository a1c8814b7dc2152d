use chat_core::{MessageId, ThreadId};

use super::{
    ClientFrame, ErrorCode, FlatFrame, ServerFrame, WireMessage, decode_client_frame, decode_tagged,
};

fn message(client_id: Option<&str>) -> WireMessage {
    WireMessage {
        id: MessageId(42),
        thread: ThreadId(7),
        sender: "alice".to_owned(),
        body: "hi <b>\"there\"</b>".to_owned(),
        sent_at: "2025-01-02T03:04:05Z".to_owned(),
        client_id: client_id.map(str::to_owned),
    }
}

#[test]
fn server_frames_encode_to_the_documented_json() {
    let cases: Vec<(ServerFrame, &str)> = vec![
        (
            ServerFrame::Hello {
                user: "alice".to_owned(),
                last_id: MessageId(9),
            },
            r#"{"type":"hello","user":"alice","last_id":9}"#,
        ),
        (
            ServerFrame::Message(message(None)),
            r#"{"type":"message","id":42,"thread":7,"sender":"alice","body":"hi <b>\"there\"</b>","sent_at":"2025-01-02T03:04:05Z"}"#,
        ),
        (
            ServerFrame::Message(message(Some("c-1"))),
            r#"{"type":"message","id":42,"thread":7,"sender":"alice","body":"hi <b>\"there\"</b>","sent_at":"2025-01-02T03:04:05Z","client_id":"c-1"}"#,
        ),
        (
            ServerFrame::Typing {
                thread: ThreadId(7),
                user: "bob".to_owned(),
            },
            r#"{"type":"typing","thread":7,"user":"bob"}"#,
        ),
        (
            ServerFrame::Read {
                thread: ThreadId(7),
                user: "bob".to_owned(),
                up_to: MessageId(41),
            },
            r#"{"type":"read","thread":7,"user":"bob","up_to":41}"#,
        ),
        (
            ServerFrame::Resumed {
                last_id: MessageId(50),
                truncated: false,
            },
            r#"{"type":"resumed","last_id":50}"#,
        ),
        (
            ServerFrame::Resumed {
                last_id: MessageId(50),
                truncated: true,
            },
            r#"{"type":"resumed","last_id":50,"truncated":true}"#,
        ),
        (
            ServerFrame::Error {
                code: ErrorCode::BadFrame,
                message: "nope".to_owned(),
                client_id: None,
            },
            r#"{"type":"error","code":"bad_frame","message":"nope"}"#,
        ),
        (
            ServerFrame::Error {
                code: ErrorCode::NotMember,
                message: "no".to_owned(),
                client_id: Some("c-2".to_owned()),
            },
            r#"{"type":"error","code":"not_member","message":"no","client_id":"c-2"}"#,
        ),
        (
            ServerFrame::Error {
                code: ErrorCode::InvalidBody,
                message: "empty".to_owned(),
                client_id: None,
            },
            r#"{"type":"error","code":"invalid_body","message":"empty"}"#,
        ),
        (
            ServerFrame::Error {
                code: ErrorCode::RateLimited,
                message: "slow down".to_owned(),
                client_id: None,
            },
            r#"{"type":"error","code":"rate_limited","message":"slow down"}"#,
        ),
    ];
    for (frame, expected) in cases {
        let encoded = frame.encode();
        assert_eq!(
            std::str::from_utf8(&encoded).unwrap(),
            expected,
            "{frame:?}"
        );
        assert_eq!(frame.encode_text().as_str(), expected);
        // Round trip: the browser-side contract can be decoded back (used by tests).
        let decoded: ServerFrame = serde_json::from_slice(&encoded).unwrap();
        assert_eq!(decoded, frame);
    }
}

#[test]
fn client_frames_decode() {
    let cases: Vec<(&str, ClientFrame)> = vec![
        (
            r#"{"type":"send","thread":3,"body":"hello","client_id":"abc"}"#,
            ClientFrame::Send {
                thread: Some(ThreadId(3)),
                body: "hello".to_owned(),
                client_id: Some("abc".to_owned()),
            },
        ),
        (
            r#"{"type":"send","body":"hello"}"#,
            ClientFrame::Send {
                thread: None,
                body: "hello".to_owned(),
                client_id: None,
            },
        ),
        (
            // A client-supplied sender is ignored: unknown fields are dropped.
            r#"{"type":"send","thread":3,"body":"x","sender":"mallory","extra":{"a":1}}"#,
            ClientFrame::Send {
                thread: Some(ThreadId(3)),
                body: "x".to_owned(),
                client_id: None,
            },
        ),
        (
            r#"{"type":"send","thread":null,"body":"x","client_id":null}"#,
            ClientFrame::Send {
                thread: None,
                body: "x".to_owned(),
                client_id: None,
            },
        ),
        (
            r#"{"type":"typing","thread":3}"#,
            ClientFrame::Typing {
                thread: Some(ThreadId(3)),
            },
        ),
        (r#"{"type":"typing"}"#, ClientFrame::Typing { thread: None }),
        (
            r#"{"type":"read","thread":3,"up_to":17}"#,
            ClientFrame::Read {
                thread: Some(ThreadId(3)),
                up_to: MessageId(17),
            },
        ),
        (
            r#"{"type":"read","up_to":17}"#,
            ClientFrame::Read {
                thread: None,
                up_to: MessageId(17),
            },
        ),
        (
            r#"{"up_to":17,"type":"resume","after":5}"#,
            ClientFrame::Resume {
                after: MessageId(5),
            },
        ),
    ];
    for (text, expected) in cases {
        assert_eq!(decode_client_frame(text), Ok(expected), "{text}");
    }
}

#[test]
fn bad_client_frames_are_errors_with_a_message() {
    let cases = [
        ("", "frame is not a JSON object"),
        ("not json", "frame is not a JSON object"),
        (r#"{"type":"send","body":"x""#, "frame is not a JSON object"),
        ("[1,2]", "invalid frame"),
        (r#"{"body":"x"}"#, "invalid frame: missing field `type`"),
        (
            r#"{"type":"shout","body":"x"}"#,
            "invalid frame: unknown variant `shout`",
        ),
        (r#"{"type":"send"}"#, "invalid frame: missing field `body`"),
        (
            r#"{"type":"read","thread":3}"#,
            "invalid frame: missing field `up_to`",
        ),
        (
            r#"{"type":"resume","after":"x"}"#,
            "invalid frame: invalid type",
        ),
        (
            r#"{"type":"send","thread":"3","body":"x"}"#,
            "invalid frame: invalid type",
        ),
    ];
    for (text, expected_prefix) in cases {
        let error = decode_client_frame(text).unwrap_err();
        assert!(
            error.message().starts_with(expected_prefix),
            "{text}: got {:?}, expected prefix {expected_prefix:?}",
            error.message()
        );
        assert_eq!(error.to_string(), error.message());
    }
}

/// The one-pass decoder gives exactly what the derived enum gives (frame or
/// error) over every mix of present, absent, null and mistyped fields, with
/// `type` first or last, unknown and duplicate fields.
#[test]
fn one_pass_decoding_matches_the_tagged_enum() {
    let types = [
        "",
        r#""type":"send""#,
        r#""type":"typing""#,
        r#""type":"read""#,
        r#""type":"resume""#,
        r#""type":"shout""#,
        r#""type":3"#,
    ];
    let threads = ["", r#""thread":3"#, r#""thread":null"#, r#""thread":"3""#];
    let bodies = ["", r#""body":"x""#, r#""body":5"#, r#""body":null"#];
    let client_ids = [
        "",
        r#""client_id":"c""#,
        r#""client_id":null"#,
        r#""client_id":7"#,
    ];
    let up_tos = ["", r#""up_to":17"#, r#""up_to":"x""#];
    let afters = ["", r#""after":5"#, r#""after":null"#];
    let extras = ["", r#""sender":"m""#, r#""body":"y""#];
    let (mut checked, mut one_pass) = (0, 0);
    for ty in types {
        for thread in threads {
            for body in bodies {
                for client_id in client_ids {
                    for up_to in up_tos {
                        for after in afters {
                            for extra in extras {
                                let fields = [thread, body, client_id, up_to, after, extra];
                                for type_first in [true, false] {
                                    let mut all: Vec<&str> = fields.to_vec();
                                    if type_first {
                                        all.insert(0, ty);
                                    } else {
                                        all.push(ty);
                                    }
                                    all.retain(|f| !f.is_empty());
                                    let text = format!("{{{}}}", all.join(","));
                                    let decoded = decode_client_frame(&text);
                                    assert_eq!(decoded, decode_tagged(&text), "{text}");
                                    let fast = serde_json::from_str::<FlatFrame>(&text)
                                        .ok()
                                        .and_then(FlatFrame::into_frame);
                                    if let Some(frame) = fast {
                                        assert_eq!(Ok(frame), decoded, "{text}");
                                        one_pass += 1;
                                    }
                                    checked += 1;
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    assert_eq!(checked, 7 * 4 * 4 * 4 * 3 * 3 * 3 * 2);
    // Well-formed frames take the one-pass path (1,710 of the 24,192 mixes).
    assert_eq!(one_pass, 1710);
}

#[test]
fn arrays_are_not_frames_and_unknown_field_values_are_skipped() {
    for text in [
        r#"["send",1,"hi",null,null,null]"#,
        r#" ["resume",null,null,null,null,5]"#,
    ] {
        let error = decode_client_frame(text).unwrap_err();
        assert!(
            error.message().starts_with("invalid frame"),
            "{text}: {error}"
        );
        assert_eq!(decode_client_frame(text), decode_tagged(text));
    }
    // The one documented difference from the enum: an unknown field's value
    // is not checked.
    for text in [
        r#"{"type":"typing","x":1e400}"#,
        r#"{"type":"typing","x":"\ud800"}"#,
    ] {
        assert_eq!(
            decode_client_frame(text),
            Ok(ClientFrame::Typing { thread: None }),
            "{text}"
        );
        assert!(decode_tagged(text).is_err(), "{text}");
    }
}

#[test]
fn error_messages_are_bounded() {
    let long_type = format!(r#"{{"type":"{}"}}"#, "é".repeat(1000));
    let error = decode_client_frame(&long_type).unwrap_err();
    assert!(error.message().len() <= super::ERROR_MESSAGE_MAX);
    assert!(
        error
            .message()
            .starts_with("invalid frame: unknown variant")
    );
}

#[test]
fn message_frames_for_recipients_and_sender_match_the_frame_encoding() {
    let mut odd = message(None);
    odd.sender = "zoë".to_owned();
    odd.body = "line\nbreak \\ \"quoted\" \u{1F600}".to_owned();
    for m in [message(None), odd] {
        for client_id in [None, Some("c-1"), Some("q\"u\\o}te")] {
            let (plain, own) = m.encode_frames(client_id);
            let expected_plain = ServerFrame::Message(WireMessage {
                client_id: None,
                ..m.clone()
            })
            .encode_text();
            let expected_own = ServerFrame::Message(WireMessage {
                client_id: client_id.map(str::to_owned),
                ..m.clone()
            })
            .encode_text();
            assert_eq!(
                (plain.as_str(), own.as_str()),
                (expected_plain.as_str(), expected_own.as_str())
            );
        }
    }
}
