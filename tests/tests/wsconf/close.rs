//! Autobahn 7 (close handling): echo of valid closes, refusal of invalid ones.

use crate::raw::{CLOSE, Ending, Out, RawWs, close_payload};
use crate::{alice_alone, alice_and_thread, send_frame};

/// Codes a peer may send (7.7.x): echoed as they are.
const VALID_CODES: &[u16] = &[
    1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999,
];
/// Codes a peer must never send (7.9.x, plus 5000 and 65535): answered with 1002.
const INVALID_CODES: &[u16] = &[
    0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535,
];

/// Sends a Close frame and returns how the server answered (without replying).
async fn close_with(ws: &mut RawWs, payload: &[u8]) -> Ending {
    ws.send(Out::new(CLOSE, payload)).await;
    let (ending, before) = ws.ending(false).await;
    assert!(
        before.is_empty(),
        "data frames before the close reply: {before:?}"
    );
    ending
}

#[tokio::test]
async fn normal_close_is_echoed_and_tcp_closed() {
    // 7.1.1, 7.3.3: Close 1000 with a reason gets Close 1000 back, then TCP ends.
    let (server, alice) = alice_alone().await;
    let (mut ws, _) = RawWs::connect(&server, &alice).await;
    let ending = close_with(&mut ws, &close_payload(1000, b"bye")).await;
    assert_eq!(ending, Ending::Close(Some(1000)));
}

#[tokio::test]
async fn empty_close_is_answered() {
    // 7.3.1: a Close without a payload gets a Close (empty, or 1000) back.
    let (server, alice) = alice_alone().await;
    let (mut ws, _) = RawWs::connect(&server, &alice).await;
    let ending = close_with(&mut ws, b"").await;
    assert!(
        matches!(ending, Ending::Close(None | Some(1000))),
        "got {ending:?}"
    );
}

#[tokio::test]
async fn valid_close_codes_are_echoed() {
    let (server, alice) = alice_alone().await;
    for code in VALID_CODES {
        let (mut ws, _) = RawWs::connect(&server, &alice).await;
        let ending = close_with(&mut ws, &close_payload(*code, b"")).await;
        assert_eq!(ending, Ending::Close(Some(*code)), "close code {code}");
    }
}

#[tokio::test]
async fn invalid_close_codes_close_1002() {
    let (server, alice) = alice_alone().await;
    for code in INVALID_CODES {
        let (mut ws, _) = RawWs::connect(&server, &alice).await;
        let ending = close_with(&mut ws, &close_payload(*code, b"")).await;
        assert_eq!(ending, Ending::Close(Some(1002)), "close code {code}");
    }
}

#[tokio::test]
async fn close_with_a_one_byte_payload_closes_1002() {
    // 7.3.2: a status code is two bytes.
    let (server, alice) = alice_alone().await;
    let (mut ws, _) = RawWs::connect(&server, &alice).await;
    let ending = close_with(&mut ws, b"\x03").await;
    assert_eq!(ending, Ending::Close(Some(1002)));
}

#[tokio::test]
async fn close_reason_of_123_bytes_is_fine_124_is_too_big() {
    // 7.3.4–7.3.6: the whole Close payload is a control payload (≤ 125 bytes).
    let (server, alice) = alice_alone().await;
    let (mut ws, _) = RawWs::connect(&server, &alice).await;
    let ending = close_with(&mut ws, &close_payload(1000, &[b'r'; 123])).await;
    assert_eq!(ending, Ending::Close(Some(1000)), "123-byte reason");
    let (mut ws, _) = RawWs::connect(&server, &alice).await;
    let ending = close_with(&mut ws, &close_payload(1000, &[b'r'; 124])).await;
    assert_eq!(ending, Ending::Close(Some(1002)), "124-byte reason");
}

#[tokio::test]
async fn close_reason_with_invalid_utf8_closes_1007() {
    // 7.5.1: the reason must be UTF-8.
    let (server, alice) = alice_alone().await;
    let (mut ws, _) = RawWs::connect(&server, &alice).await;
    let reason =
        b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80\x65\x64\x69\x74\x65\x64";
    let ending = close_with(&mut ws, &close_payload(1000, reason)).await;
    assert_eq!(ending, Ending::Close(Some(1007)));
}

#[tokio::test]
async fn frames_after_close_are_not_processed() {
    // 7.1.2–7.1.5: after its Close a client's data frames are ignored (nothing stored).
    let (server, mut alice, thread) = alice_and_thread().await;
    let (mut ws, _) = RawWs::connect(&server, &alice).await;
    ws.send(Out::new(CLOSE, &close_payload(1000, b""))).await;
    ws.send_text(&send_frame(thread, "after close", "late"))
        .await;
    let (ending, before) = ws.ending(false).await;
    assert_eq!(ending, Ending::Close(Some(1000)));
    assert!(before.is_empty(), "answered after close: {before:?}");
    assert!(alice.all_messages(thread).await.is_empty());
}
