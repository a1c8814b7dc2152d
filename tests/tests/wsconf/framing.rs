//! Autobahn 1 (framing), 5 (fragmentation) and 6.2 (valid UTF-8 across fragments).

use crate::raw::{BINARY, CONTINUATION, Out, PING, PONG, RawWs, TEXT};
use crate::{ack_body, alice_alone, alice_and_thread, send_frame, still_works};

#[tokio::test]
async fn text_message_in_one_frame() {
    // 1.1.x: a text message in a single frame gets its answer.
    let (server, alice, thread) = alice_and_thread().await;
    let (mut ws, _) = RawWs::connect(&server, &alice).await;
    ws.send_text(&send_frame(thread, "one frame", "c1")).await;
    assert_eq!(ack_body(&mut ws, "c1").await, "one frame");
}

#[tokio::test]
async fn empty_text_message_is_a_bad_frame_not_a_close() {
    // 1.1.1: an empty text message is valid WebSocket; it is not valid JSON.
    let (server, alice) = alice_alone().await;
    let (mut ws, _) = RawWs::connect(&server, &alice).await;
    ws.send_text("").await;
    let frame = ws.next_text_json().await;
    assert_eq!(frame["type"], "error", "{frame}");
    assert_eq!(frame["code"], "bad_frame", "{frame}");
    still_works(&mut ws).await;
}

#[tokio::test]
async fn fragmented_text_is_reassembled() {
    // 5.3–5.5, 5.15–5.17: a message in 3 fragments, in 1-byte fragments, and with
    // empty fragments, each reassembled exactly.
    let (server, alice, thread) = alice_and_thread().await;
    let (mut ws, _) = RawWs::connect(&server, &alice).await;

    let text = send_frame(thread, "three fragments", "f1");
    let (a, rest) = text.as_bytes().split_at(10);
    let (b, c) = rest.split_at(20);
    ws.send(Out::new(TEXT, a).fin(false)).await;
    ws.send(Out::new(CONTINUATION, b).fin(false)).await;
    ws.send(Out::new(CONTINUATION, c)).await;
    assert_eq!(ack_body(&mut ws, "f1").await, "three fragments");

    let text = send_frame(thread, "byte by byte", "f2");
    let bytes = text.as_bytes();
    ws.send(Out::new(TEXT, &bytes[..1]).fin(false)).await;
    for (i, byte) in bytes[1..].iter().enumerate() {
        let last = i + 2 == bytes.len();
        ws.send(Out::new(CONTINUATION, std::slice::from_ref(byte)).fin(last))
            .await;
    }
    assert_eq!(ack_body(&mut ws, "f2").await, "byte by byte");

    let text = send_frame(thread, "empty fragments", "f3");
    ws.send(Out::new(TEXT, b"").fin(false)).await;
    ws.send(Out::new(CONTINUATION, text.as_bytes()).fin(false))
        .await;
    ws.send(Out::new(CONTINUATION, b"")).await;
    assert_eq!(ack_body(&mut ws, "f3").await, "empty fragments");
}

#[tokio::test]
async fn valid_utf8_split_inside_a_character_is_reassembled() {
    // 6.2.3–6.2.4: fragment boundaries inside multi-byte characters.
    let (server, alice, thread) = alice_and_thread().await;
    let (mut ws, _) = RawWs::connect(&server, &alice).await;
    let body = "Hello-µ@ßöäüàá-UTF-8!! κόσμε 😀";
    let text = send_frame(thread, body, "u1");
    let bytes = text.as_bytes();
    // Cut every 3 bytes: several cuts land inside a character.
    let chunks: Vec<&[u8]> = bytes.chunks(3).collect();
    for (i, chunk) in chunks.iter().enumerate() {
        let opcode = if i == 0 { TEXT } else { CONTINUATION };
        ws.send(Out::new(opcode, chunk).fin(i + 1 == chunks.len()))
            .await;
    }
    assert_eq!(ack_body(&mut ws, "u1").await, body);
}

#[tokio::test]
async fn control_frames_interleaved_in_a_fragmented_message() {
    // 5.6–5.8, 5.19–5.20: a ping (answered at once) and an unsolicited pong
    // (ignored) between the fragments of a message, which is still reassembled.
    let (server, alice, thread) = alice_and_thread().await;
    let (mut ws, _) = RawWs::connect(&server, &alice).await;
    let text = send_frame(thread, "with pings between", "p1");
    let (a, rest) = text.as_bytes().split_at(15);
    let (b, c) = rest.split_at(15);
    ws.send(Out::new(TEXT, a).fin(false)).await;
    ws.send(Out::new(PING, b"between fragments")).await;
    let pong = ws.next_frame().await.expect("pong");
    assert_eq!(pong.opcode, PONG, "{pong:?}");
    assert_eq!(pong.payload, b"between fragments");
    ws.send(Out::new(CONTINUATION, b).fin(false)).await;
    ws.send(Out::new(PONG, b"unsolicited")).await;
    ws.send(Out::new(CONTINUATION, c)).await;
    assert_eq!(ack_body(&mut ws, "p1").await, "with pings between");
}

#[tokio::test]
async fn binary_message_closes_1003_even_fragmented() {
    // 1.2.x: the chat speaks JSON text only; binary data closes with 1003.
    let (server, alice) = alice_alone().await;
    let (mut ws, _) = RawWs::connect(&server, &alice).await;
    ws.send(Out::new(BINARY, b"\x00\x01\x02")).await;
    ws.expect_close(1003, "binary frame").await;

    let (mut ws, _) = RawWs::connect(&server, &alice).await;
    ws.send(Out::new(BINARY, b"{\"type\":").fin(false)).await;
    ws.send(Out::new(CONTINUATION, b"\"typing\"}")).await;
    ws.expect_close(1003, "fragmented binary message").await;
}
