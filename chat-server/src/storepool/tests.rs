//! The store threads: results come back, a panicking call fails alone, and
//! dropping the pool releases the store.

use std::sync::Arc;

use chat_core::{Timestamp, Username};
use chat_store::{MemoryStore, Store};

use super::StorePool;
use crate::error::AppError;

fn store() -> Arc<dyn Store> {
    Arc::new(MemoryStore::new())
}

#[tokio::test]
async fn calls_return_their_results_in_any_number() {
    let store = store();
    let pool = Arc::new(StorePool::new(&store, 2));
    let alice = Username::parse("alice").unwrap();
    let created = pool
        .run(move |s| s.create_user(&alice, "h", Timestamp::from_millis(1)))
        .await
        .unwrap();
    let mut calls = tokio::task::JoinSet::new();
    for _ in 0..100 {
        let pool = Arc::clone(&pool);
        calls.spawn(async move { pool.run(move |s| s.user(created.id)).await });
    }
    let mut answered = 0;
    while let Some(found) = calls.join_next().await {
        assert_eq!(found.unwrap().unwrap().unwrap().username.as_str(), "alice");
        answered += 1;
    }
    assert_eq!(answered, 100);
}

#[tokio::test]
async fn a_panicking_call_fails_alone() {
    let store = store();
    let pool = StorePool::new(&store, 1);
    let failed = pool.run(|_| -> Result<(), _> { panic!("boom") }).await;
    assert!(matches!(failed, Err(AppError::Internal(_))), "{failed:?}");
    // The one thread survived and takes the next call.
    let newest = pool.run(Store::newest_message_id).await.unwrap();
    assert_eq!(newest.get(), 0);
}

#[test]
fn dropping_the_pool_joins_its_threads_and_releases_the_store() {
    let store = store();
    let pool = StorePool::new(&store, 3);
    assert_eq!(Arc::strong_count(&store), 4);
    drop(pool);
    assert_eq!(Arc::strong_count(&store), 1);
}
