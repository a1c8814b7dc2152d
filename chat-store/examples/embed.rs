//! Embedding the store: the same few calls on `MemoryStore` and on `SqliteStore`.
//!
//! Run with `cargo run -p chat-store --example embed`.

use std::error::Error;

use chat_core::{MessageBody, Timestamp, UserPair, Username};
use chat_store::{MemoryStore, NewMessage, SqliteStore, Store};

fn main() -> Result<(), Box<dyn Error>> {
    demo("memory", &MemoryStore::new())?;

    let dir = tempfile::tempdir()?;
    let path = dir.path().join("chat.db");
    demo("sqlite", &SqliteStore::open(&path)?)?;
    // The file outlives the store: open it again and the messages are there.
    let reopened = SqliteStore::open(&path)?;
    let thread = reopened.threads_of(chat_core::UserId(1))?[0].thread.id;
    println!(
        "sqlite after reopen: {} messages",
        reopened.history(thread, None, 50)?.messages.len()
    );
    Ok(())
}

/// Two users, their thread, three messages, then a page of history.
fn demo(name: &str, store: &dyn Store) -> Result<(), Box<dyn Error>> {
    let now = Timestamp::from_millis(1_700_000_000_000);
    let alice = store.create_user(&Username::parse("Alice")?, "$argon2id$…", now)?;
    let bob = store.create_user(&Username::parse("bob")?, "$argon2id$…", now)?;
    let thread = store.get_or_create_direct_thread(UserPair::new(alice.id, bob.id)?, now)?;

    for (i, (sender, text)) in [(&alice, "hi bob"), (&bob, "hi alice"), (&alice, "lunch?")]
        .into_iter()
        .enumerate()
    {
        store.append_message(NewMessage {
            thread: thread.id,
            sender: sender.id,
            body: MessageBody::parse(text)?,
            client_id: None,
            sent_at: now.plus_millis(i64::try_from(i)? * 1000),
        })?;
    }

    let page = store.history(thread.id, None, 2)?;
    println!("{name}: newest page (has_more: {}):", page.has_more);
    for message in &page.messages {
        let sender = if message.sender == alice.id {
            &alice
        } else {
            &bob
        };
        println!(
            "  #{} {} {}: {}",
            message.id, message.sent_at, sender.username, message.body
        );
    }
    let unread = store.threads_of(bob.id)?[0].unread;
    println!("{name}: bob has {unread} unread");
    Ok(())
}
