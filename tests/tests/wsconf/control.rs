//! Autobahn 2 (ping/pong) and the control-frame rules of 5.1–5.2.

use crate::raw::{CONTINUATION, Out, PING, PONG, RawWs};
use crate::{alice_alone, still_works};

#[tokio::test]
async fn ping_is_answered_with_a_pong_of_the_same_payload() {
    // 2.1–2.4, 2.10: empty, text, binary and 125-byte payloads; ten pings in a
    // row get ten pongs in order.
    let (server, alice) = alice_alone().await;
    let (mut ws, _) = RawWs::connect(&server, &alice).await;
    let max: Vec<u8> = (0..125_u8).collect();
    let payloads: Vec<Vec<u8>> = [
        b"".to_vec(),
        b"Hello, world!".to_vec(),
        b"\x00\xff\xfe\xfd\xfc\xfb\x00\xff".to_vec(),
        max,
    ]
    .into_iter()
    .chain((0..10).map(|i| format!("ping {i}").into_bytes()))
    .collect();
    for payload in &payloads {
        ws.send(Out::new(PING, payload)).await;
    }
    for payload in &payloads {
        let pong = ws.next_frame().await.expect("pong");
        assert_eq!(pong.opcode, PONG, "{pong:?}");
        assert!(pong.fin);
        assert_eq!(&pong.payload, payload);
    }
    still_works(&mut ws).await;
}

#[tokio::test]
async fn unsolicited_pongs_are_ignored() {
    // 2.7–2.8: a pong nobody asked for is not an error.
    let (server, alice) = alice_alone().await;
    let (mut ws, _) = RawWs::connect(&server, &alice).await;
    ws.send(Out::new(PONG, b"")).await;
    ws.send(Out::new(PONG, b"unsolicited pong payload")).await;
    still_works(&mut ws).await;
}

#[tokio::test]
async fn ping_payload_over_125_bytes_closes_1002() {
    // 2.5: control frames carry at most 125 bytes.
    let (server, alice) = alice_alone().await;
    let (mut ws, _) = RawWs::connect(&server, &alice).await;
    ws.send(Out::new(PING, &[b'x'; 126])).await;
    ws.expect_close(1002, "126-byte ping").await;
}

#[tokio::test]
async fn fragmented_control_frames_close_1002() {
    // 5.1–5.2: control frames must not be fragmented.
    let (server, alice) = alice_alone().await;
    for (opcode, name) in [(PING, "ping"), (PONG, "pong")] {
        let (mut ws, _) = RawWs::connect(&server, &alice).await;
        ws.send(Out::new(opcode, b"frag").fin(false)).await;
        ws.send(Out::new(CONTINUATION, b"ment")).await;
        ws.expect_close(1002, &format!("fragmented {name}")).await;
    }
}
