//! Exercises the chat's domain rules and prints what each one decides.
//!
//! Run with `cargo run -p chat-core --example rules`.

use std::time::{Duration, Instant};

use chat_core::password::{Verification, check_password, hash_password, verify_password};
use chat_core::rate::{Throttle, TokenBucket, login_lockout};
use chat_core::unread::{advance_cursor, title_with_unread};
use chat_core::{MessageBody, MessageId, Timestamp, UserId, UserPair, Username};

fn main() {
    println!("usernames:");
    for input in ["alice", "Al", "élodie", "bob.smith"] {
        println!(
            "  {input:?} -> {:?}",
            Username::parse(input).map(|u| u.canonical())
        );
    }

    println!("message bodies:");
    for input in ["  hi\r\nthere  ", " \u{3000} ", "bell\u{7}"] {
        match MessageBody::parse(input) {
            Ok(body) => println!("  {input:?} -> ok {:?}", body.as_str()),
            Err(error) => println!("  {input:?} -> {error}"),
        }
    }

    println!("threads:");
    let (a, b) = (UserId(2), UserId(1));
    println!(
        "  pair(2, 1) == pair(1, 2): {}",
        UserPair::new(a, b) == UserPair::new(b, a)
    );
    println!(
        "  pair(2, 2): {:?}",
        UserPair::new(a, a).map_err(|e| e.to_string())
    );

    println!("passwords:");
    for (password, username) in [
        ("correct horse battery", "alice"),
        ("alice1234", "alice"),
        ("123", "bob"),
    ] {
        match check_password(password, username) {
            Ok(()) => println!("  {password:?} for {username:?}: accepted"),
            Err(problems) => {
                let messages: Vec<String> = problems.iter().map(ToString::to_string).collect();
                println!("  {password:?} for {username:?}: {}", messages.join("; "));
            }
        }
    }
    match hash_password("correct horse battery", &[42; 16]) {
        Ok(phc) => {
            let ok = verify_password("correct horse battery", &phc);
            let wrong = verify_password("wrong", &phc);
            println!("  hash {phc}");
            println!("  right password: {ok:?}, wrong one: {wrong:?}");
            assert_eq!(wrong, Ok(Verification::Invalid));
        }
        Err(error) => println!("  hashing failed: {error}"),
    }

    println!("unread:");
    let cursor = advance_cursor(MessageId(10), MessageId(50), MessageId(42));
    println!("  cursor 10, read up to 50, newest 42 -> {cursor}");
    println!(
        "  {:?} / {:?}",
        title_with_unread("Chat", 3),
        title_with_unread("Chat", 250)
    );

    println!("rates:");
    let t0 = Instant::now();
    let mut bucket = TokenBucket::new(1, 2, t0);
    let takes: Vec<_> = (0..3).map(|_| bucket.try_take(t0)).collect();
    println!("  burst 2 at once: {takes:?}");
    let mut typing = Throttle::new(Duration::from_secs(2));
    let frames: Vec<bool> = [0, 1, 2, 3]
        .map(|s| typing.allow((UserId(1), 7), t0 + Duration::from_secs(s)))
        .into();
    println!("  typing frames at 0, 1, 2, 3 s: {frames:?}");
    let now = Timestamp::from_millis(1_795_428_000_123);
    for failures in [4, 5, 8, 12] {
        println!(
            "  {failures} failed logins just now: wait {:?}",
            login_lockout(failures, now, now)
        );
    }
}
