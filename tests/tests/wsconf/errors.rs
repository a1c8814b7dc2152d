//! Autobahn 3 (reserved bits), 4 (opcodes), 5.9–5.20 (bad fragmentation), 6 (invalid
//! UTF-8), 9 (limits, scaled to our 64 KiB), and RFC 6455's masking rule: each
//! violation fails the connection with the right close code, on a fresh socket.

use crate::raw::{CONTINUATION, Out, PING, RawWs, TEXT};
use crate::support::{Client, TestServer};
use crate::{alice_alone, still_works};

/// Most bytes in one incoming message (and frame).
const MAX_MESSAGE: usize = 64 * 1024;

/// Opens a fresh socket, sends `frames`, and expects a Close with `code`.
async fn expect_close_after(
    server: &TestServer,
    alice: &Client,
    frames: &[Out<'_>],
    code: u16,
    what: &str,
) {
    let (mut ws, _) = RawWs::connect(server, alice).await;
    for frame in frames {
        ws.send(frame.clone()).await;
    }
    ws.expect_close(code, what).await;
}

#[tokio::test]
async fn reserved_bits_close_1002() {
    // 3.1–3.7: RSV1..3 in every combination, on text and ping frames.
    let (server, alice) = alice_alone().await;
    let text = br#"{"type":"resume","after":0}"#;
    for rsv in 1..=7_u8 {
        let frames = [Out::new(TEXT, text).rsv(rsv)];
        expect_close_after(
            &server,
            &alice,
            &frames,
            1002,
            &format!("text, rsv {rsv:03b}"),
        )
        .await;
    }
    let frames = [Out::new(PING, b"ping").rsv(0b010)];
    expect_close_after(&server, &alice, &frames, 1002, "ping with rsv2").await;
}

#[tokio::test]
async fn reserved_opcodes_close_1002() {
    // 4.1.1–4.2.5: data opcodes 3–7 and control opcodes 11–15, with and without payload.
    let (server, alice) = alice_alone().await;
    for opcode in (3..=7).chain(11..=15) {
        for payload in [&b""[..], &b"reserved"[..]] {
            let frames = [Out::new(opcode, payload)];
            let what = format!("opcode {opcode}, {} bytes", payload.len());
            expect_close_after(&server, &alice, &frames, 1002, &what).await;
        }
    }
}

#[tokio::test]
async fn unmasked_client_frames_close_1002() {
    // RFC 6455 §5.1: a server must close on an unmasked client frame.
    let (server, alice) = alice_alone().await;
    let text = br#"{"type":"resume","after":0}"#;
    let frames = [Out::new(TEXT, text).unmasked()];
    expect_close_after(&server, &alice, &frames, 1002, "unmasked text").await;
    let frames = [Out::new(PING, b"hi").unmasked()];
    expect_close_after(&server, &alice, &frames, 1002, "unmasked ping").await;
}

#[tokio::test]
async fn continuation_without_a_start_closes_1002() {
    // 5.9–5.14: continuation frames with nothing to continue.
    let (server, alice) = alice_alone().await;
    for fin in [true, false] {
        let frames = [Out::new(CONTINUATION, b"orphan").fin(fin)];
        expect_close_after(
            &server,
            &alice,
            &frames,
            1002,
            &format!("orphan, fin {fin}"),
        )
        .await;
    }
    // A complete message, then a continuation of it.
    let frames = [
        Out::new(TEXT, br#"{"type":"typing"}"#),
        Out::new(CONTINUATION, b"late"),
    ];
    let (mut ws, _) = RawWs::connect(&server, &alice).await;
    for frame in &frames {
        ws.send(frame.clone()).await;
    }
    // The typing frame (no thread) may be answered before the close.
    let (ending, _) = ws.ending(true).await;
    assert_eq!(
        ending,
        crate::raw::Ending::Close(Some(1002)),
        "continuation after fin"
    );
}

#[tokio::test]
async fn new_message_inside_a_fragmented_one_closes_1002() {
    // 5.18: a text frame where a continuation was due.
    let (server, alice) = alice_alone().await;
    let frames = [
        Out::new(TEXT, br#"{"type":"#).fin(false),
        Out::new(TEXT, br#""typing"}"#),
    ];
    expect_close_after(
        &server,
        &alice,
        &frames,
        1002,
        "text inside a fragmented text",
    )
    .await;
}

#[tokio::test]
async fn invalid_utf8_text_closes_1007() {
    // 6.3.1, 6.4.x, 6.6.x, 6.8.x, 6.9.x, 6.12.x: surrogates, overlong forms,
    // code points past U+10FFFF, lone continuation bytes, a truncated character;
    // in one frame and across fragments.
    let (server, alice) = alice_alone().await;
    let cases: &[&[u8]] = &[
        b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80\x65\x64\x69\x74\x65\x64",
        b"\xff",
        b"\xc0\xaf",
        b"\xe0\x80\xaf",
        b"\xf4\x90\x80\x80",
        b"\x80",
        b"{\"type\":\"typing\"}\xce",
    ];
    for bytes in cases {
        let frames = [Out::new(TEXT, bytes)];
        expect_close_after(
            &server,
            &alice,
            &frames,
            1007,
            &format!("one frame {bytes:x?}"),
        )
        .await;
    }
    let frames = [
        Out::new(TEXT, b"{\"type\":\"send\",\"body\":\"").fin(false),
        Out::new(CONTINUATION, b"\xed\xa0\x80").fin(false),
        Out::new(CONTINUATION, b"\"}"),
    ];
    expect_close_after(&server, &alice, &frames, 1007, "surrogate in a fragment").await;
}

#[tokio::test]
async fn fragmented_message_of_exactly_64_kib_is_accepted() {
    // 9.x, scaled: the limit is inclusive, whatever the fragmentation.
    let (server, alice) = alice_alone().await;
    let (mut ws, _) = RawWs::connect(&server, &alice).await;
    let message = padded_resume(MAX_MESSAGE);
    send_in_fragments(&mut ws, &message, 8 * 1024).await;
    still_works(&mut ws).await;
}

#[tokio::test]
async fn fragmented_message_over_64_kib_closes_1009() {
    // 9.x, scaled: every fragment is small, the message is one byte too big.
    let (server, alice) = alice_alone().await;
    let (mut ws, _) = RawWs::connect(&server, &alice).await;
    let message = padded_resume(MAX_MESSAGE + 1);
    send_in_fragments(&mut ws, &message, 8 * 1024).await;
    ws.expect_close(1009, "fragmented 64 KiB + 1").await;
}

#[tokio::test]
async fn frame_announcing_over_64_kib_closes_1009_before_its_payload() {
    // The frame header alone (length 64 KiB + 1) is enough to refuse it.
    let (server, alice) = alice_alone().await;
    let (mut ws, _) = RawWs::connect(&server, &alice).await;
    let mut header = vec![0x81, 0x80 | 127];
    header.extend_from_slice(&(MAX_MESSAGE as u64 + 1).to_be_bytes());
    header.extend_from_slice(&[1, 2, 3, 4]);
    ws.send_bytes(&header).await;
    ws.expect_close(1009, "header of a 64 KiB + 1 frame").await;
}

/// `{"type":"resume","after":0}` padded with spaces to exactly `len` bytes (valid JSON).
fn padded_resume(len: usize) -> Vec<u8> {
    let mut message = br#"{"type":"resume","after":0}"#.to_vec();
    message.resize(len, b' ');
    message
}

async fn send_in_fragments(ws: &mut RawWs, message: &[u8], size: usize) {
    let chunks: Vec<&[u8]> = message.chunks(size).collect();
    for (i, chunk) in chunks.iter().enumerate() {
        let opcode = if i == 0 { TEXT } else { CONTINUATION };
        ws.send(Out::new(opcode, chunk).fin(i + 1 == chunks.len()))
            .await;
    }
}
