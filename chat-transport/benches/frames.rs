//! Micro-benchmarks of the per-message hot path of the transport: decoding a
//! client `send` frame, encoding the `message` frame fanned out to both
//! members, framing it as a WebSocket text message, and parsing a frame header.
//!
//! Run with `cargo bench -p chat-transport --bench frames`.

use std::hint::black_box;
use std::io::Cursor;

use chat_core::{MessageId, ThreadId};
use chat_transport::wire::{ServerFrame, WireMessage, decode_client_frame};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::{Frame, FrameHeader};

const SEND: &str = r#"{"type":"send","thread":1234,"body":"bench 5f1c 17 42 1732412345678901 a message of ordinary length","client_id":"5f1c-17-42"}"#;

fn message_frame() -> ServerFrame {
    ServerFrame::Message(WireMessage {
        id: MessageId(987_654),
        thread: ThreadId(1234),
        sender: "user0017".to_owned(),
        body: "bench 5f1c 17 42 1732412345678901 a message of ordinary length".to_owned(),
        sent_at: "2026-11-24T02:30:00.123Z".to_owned(),
        client_id: Some("5f1c-17-42".to_owned()),
    })
}

fn frames(c: &mut Criterion) {
    let mut group = c.benchmark_group("wire");
    group.throughput(Throughput::Elements(1));
    group.bench_function("decode client send", |b| {
        b.iter(|| decode_client_frame(black_box(SEND)));
    });
    let frame = message_frame();
    group.bench_function("encode server message", |b| {
        b.iter(|| black_box(&frame).encode());
    });
    let payload = frame.encode();
    let mut out = Vec::with_capacity(512);
    group.bench_function("websocket text frame", |b| {
        b.iter(|| {
            out.clear();
            let ws = Frame::message(payload.clone(), OpCode::Data(Data::Text), true);
            ws.format(&mut out).map(|()| out.len())
        });
    });
    let mut framed = Vec::new();
    Frame::message(payload, OpCode::Data(Data::Text), true)
        .format(&mut framed)
        .unwrap_or_default();
    group.bench_function("websocket frame header parse", |b| {
        b.iter(|| FrameHeader::parse(&mut Cursor::new(black_box(framed.as_slice()))));
    });
    group.finish();
}

criterion_group!(benches, frames);
criterion_main!(benches);
