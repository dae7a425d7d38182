//! The contract of started sign-ins: kept until taken, taken once (also by
//! racing callbacks), never after they expire.

use inbox_domain::{time, AccountId, ClientId};
use inbox_store::{SignIn, Store, StoreError};
use std::sync::Arc;

fn sign_in(hash: &str, expires_at: inbox_domain::Timestamp) -> SignIn {
    SignIn {
        state_hash: hash.into(),
        client_id: ClientId::new(),
        account_id: AccountId::new(),
        integration: "gmail".into(),
        actor: "user-1".into(),
        code_verifier: "v".repeat(43),
        nonce: "n".repeat(22),
        redirect_uri: "http://127.0.0.1:3000/oauth/callback".into(),
        expires_at,
    }
}

pub async fn sign_ins_are_taken_once_and_never_after_expiry(store: Arc<impl Store + 'static>) {
    let now = time::truncate(chrono::Utc::now());
    // Expiry is kept to the second at least (DynamoDB's TTL attribute is epoch seconds).
    let later = now + chrono::Duration::minutes(10);
    let hash = |tag: &str| format!("{tag}-{}", uuid::Uuid::new_v4().simple());
    let kept = sign_in(&hash("kept"), later);
    store.put_sign_in(&kept).await.unwrap();
    assert!(matches!(store.put_sign_in(&kept).await, Err(StoreError::Duplicate(_))), "a state is kept once");
    assert_eq!(store.take_sign_in(&hash("unknown"), now).await.unwrap(), None);
    assert_eq!(store.take_sign_in(&kept.state_hash, now).await.unwrap(), Some(kept.clone()));
    assert_eq!(store.take_sign_in(&kept.state_hash, now).await.unwrap(), None, "taken once");

    let expired = sign_in(&hash("expired"), now + chrono::Duration::seconds(1));
    store.put_sign_in(&expired).await.unwrap();
    let after = now + chrono::Duration::seconds(2);
    assert_eq!(store.take_sign_in(&expired.state_hash, after).await.unwrap(), None, "expired");
    assert_eq!(store.take_sign_in(&expired.state_hash, now).await.unwrap(), None, "an expired take removes it");

    let raced = sign_in(&hash("raced"), later);
    store.put_sign_in(&raced).await.unwrap();
    let takes = (0..8).map(|_| {
        let (store, hash) = (store.clone(), raced.state_hash.clone());
        tokio::spawn(async move { store.take_sign_in(&hash, now).await.unwrap() })
    });
    let mut won = 0;
    for take in takes {
        won += usize::from(take.await.unwrap().is_some());
    }
    assert_eq!(won, 1, "of racing takes, one wins");
}

pub async fn a_lease_has_one_holder_until_it_ends(store: Arc<impl Store + 'static>) {
    let now = time::truncate(chrono::Utc::now());
    let name = format!("refresh#{}", uuid::Uuid::new_v4());
    let until = now + chrono::Duration::seconds(30);
    let takes = (0..8).map(|i| {
        let (store, name) = (store.clone(), name.clone());
        tokio::spawn(async move { store.take_lease(&name, &format!("h{i}"), until, now).await.unwrap() })
    });
    let mut won = 0;
    for take in takes {
        won += usize::from(take.await.unwrap());
    }
    assert_eq!(won, 1, "of racing takes, one wins");
    assert!(!store.take_lease(&name, "late", until, now + chrono::Duration::seconds(29)).await.unwrap());
    let after = until + chrono::Duration::seconds(1);
    assert!(store.take_lease(&name, "next", after + chrono::Duration::seconds(30), after).await.unwrap(), "once ended");
    store.release_lease(&name, "someone else").await.unwrap();
    assert!(
        !store.take_lease(&name, "third", after + chrono::Duration::seconds(60), after).await.unwrap(),
        "not released by another"
    );
    store.release_lease(&name, "next").await.unwrap();
    assert!(store.take_lease(&name, "third", after + chrono::Duration::seconds(60), after).await.unwrap(), "released");
}
