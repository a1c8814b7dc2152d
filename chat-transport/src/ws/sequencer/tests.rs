use chat_core::{MessageId, ThreadId};
use tokio_tungstenite::tungstenite::Utf8Bytes;

use super::{Overflow, Sequencer};
use crate::wire::{ServerFrame, WireMessage};
use crate::ws::socket::Outbound;

fn live(id: i64) -> Outbound {
    Outbound::Live {
        text: Utf8Bytes::from(format!("m{id}")),
        message_id: Some(MessageId(id)),
    }
}

fn typing() -> Outbound {
    Outbound::Live {
        text: Utf8Bytes::from_static("typing"),
        message_id: None,
    }
}

fn direct() -> Outbound {
    Outbound::Direct(Utf8Bytes::from_static("direct"))
}

fn hello(last_id: i64) -> Outbound {
    Outbound::Hello {
        text: Utf8Bytes::from_static("hello"),
        last_id: MessageId(last_id),
    }
}

fn replay(ids: &[i64], truncated: bool) -> Outbound {
    let messages = ids
        .iter()
        .map(|&id| WireMessage {
            id: MessageId(id),
            thread: ThreadId(1),
            sender: "alice".to_owned(),
            body: format!("body {id}"),
            sent_at: "2025-01-01T00:00:00Z".to_owned(),
            client_id: None,
        })
        .collect();
    Outbound::Replay {
        messages,
        truncated,
    }
}

/// Replayed frames are real JSON; live markers are plain text. Render both compactly.
fn render(frame: &Utf8Bytes) -> String {
    match serde_json::from_str::<ServerFrame>(frame.as_str()) {
        Ok(ServerFrame::Message(message)) => format!("m{}", message.id),
        Ok(ServerFrame::Resumed {
            last_id,
            truncated: false,
        }) => format!("resumed {last_id}"),
        Ok(ServerFrame::Resumed {
            last_id,
            truncated: true,
        }) => format!("resumed {last_id} truncated"),
        Ok(other) => panic!("unexpected frame {other:?}"),
        Err(_) => frame.as_str().to_owned(),
    }
}

fn check(items: Vec<Outbound>, expected: &[&str]) {
    let mut sequencer = Sequencer::new(16);
    let mut out = Vec::new();
    for item in items {
        sequencer.push(item, &mut out).unwrap();
    }
    let rendered: Vec<String> = out.iter().map(render).collect();
    assert_eq!(rendered, expected);
}

#[test]
fn live_messages_after_hello_are_written_in_order() {
    check(
        vec![hello(10), live(11), live(12)],
        &["hello", "m11", "m12"],
    );
}

#[test]
fn live_messages_covered_by_hello_are_dropped() {
    check(
        vec![hello(10), live(9), live(10), live(11)],
        &["hello", "m11"],
    );
}

#[test]
fn items_before_hello_are_held_then_filtered() {
    check(
        vec![live(9), typing(), live(11), hello(10), live(12)],
        &["hello", "typing", "m11", "m12"],
    );
}

#[test]
fn duplicate_and_late_live_messages_are_dropped() {
    check(
        vec![hello(10), live(11), live(11), live(12), live(11)],
        &["hello", "m11", "m12"],
    );
}

#[test]
fn replay_with_nothing_live_writes_everything() {
    check(
        vec![hello(10), replay(&[6, 7, 8, 9, 10], false)],
        &["hello", "m6", "m7", "m8", "m9", "m10", "resumed 10"],
    );
}

#[test]
fn replay_skips_what_was_written_live() {
    check(
        vec![
            hello(10),
            live(11),
            live(12),
            replay(&[6, 7, 8, 9, 10, 11, 12], false),
        ],
        &[
            "hello",
            "m11",
            "m12",
            "m6",
            "m7",
            "m8",
            "m9",
            "m10",
            "resumed 12",
        ],
    );
}

#[test]
fn replay_beyond_high_water_raises_it_and_later_live_copies_are_dropped() {
    check(
        vec![
            hello(10),
            live(11),
            replay(&[6, 7, 8, 9, 10, 11, 12, 13], false),
            live(12),
            live(13),
            live(14),
        ],
        &[
            "hello",
            "m11",
            "m6",
            "m7",
            "m8",
            "m9",
            "m10",
            "m12",
            "m13",
            "resumed 13",
            "m14",
        ],
    );
}

#[test]
fn replay_before_anything_live_then_live_continues() {
    check(
        vec![hello(10), replay(&[11, 12], false), live(11), live(13)],
        &["hello", "m11", "m12", "resumed 12", "m13"],
    );
}

#[test]
fn truncated_replay_reports_it() {
    check(
        vec![hello(10), replay(&[3, 4], true)],
        &["hello", "m3", "m4", "resumed 10 truncated"],
    );
}

#[test]
fn empty_replay_still_answers_resumed() {
    check(
        vec![hello(10), replay(&[], false)],
        &["hello", "resumed 10"],
    );
}

#[test]
fn direct_replies_bypass_the_filter() {
    check(
        vec![hello(10), direct(), live(3), direct()],
        &["hello", "direct", "direct"],
    );
}

#[test]
fn a_second_hello_resets_the_baseline() {
    check(
        vec![hello(10), live(11), hello(20), live(15), live(21)],
        &["hello", "m11", "hello", "m21"],
    );
}

#[test]
fn without_hello_open_done_releases_held_frames_unfiltered() {
    check(
        vec![live(5), typing(), Outbound::OpenDone, live(4), live(6)],
        &["m5", "typing", "m6"],
    );
}

#[test]
fn holding_back_is_bounded() {
    let mut sequencer = Sequencer::new(2);
    let mut out = Vec::new();
    assert_eq!(sequencer.push(live(1), &mut out), Ok(()));
    assert_eq!(sequencer.push(live(2), &mut out), Ok(()));
    assert_eq!(sequencer.push(live(3), &mut out), Err(Overflow));
    assert!(out.is_empty());
}
