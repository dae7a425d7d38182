//! The contract of started sign-ins: kept until taken, taken once (also by
//! racing callbacks), never after they expire.

use inbox_domain::{time, AccountId, ClientId, Timestamp};
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

/// A hosted sign-in's command for `person` (what the callback runs).
fn signed_in(person: &str) -> inbox_domain::Command {
    signed_in_until(person, None, true)
}

fn signed_in_until(person: &str, expires_at: Option<Timestamp>, refreshable: bool) -> inbox_domain::Command {
    let (stored, sealed) = credentials(expires_at, refreshable);
    let profile = inbox_domain::Profile { platform_id: person.into(), ..Default::default() };
    inbox_domain::Command::SignedIn { profile, stored, sealed }
}

fn credentials(
    expires_at: Option<Timestamp>,
    refreshable: bool,
) -> (inbox_domain::credentials::Stored, inbox_domain::credentials::Sealed) {
    use inbox_domain::credentials::{Sealed, Stored};
    let key_id = "local:test".to_string();
    let stored = Stored { key_id: key_id.clone(), scopes: None, expires_at, refreshable };
    (stored, Sealed { key_id, blob: "c2VhbGVk".into(), expires_at, refreshable })
}

pub async fn renewals_follow_each_accounts_expiry_while_it_is_signed_in(store: Arc<impl Store + 'static>) {
    use inbox_domain::Command;
    let owner = super::ctx(ClientId::new(), "owner");
    let t0 = time::truncate(chrono::Utc::now()) + chrono::Duration::hours(1);
    let at = |minutes: i64| t0 + chrono::Duration::minutes(minutes);
    let client = owner.client_id;
    let due = |before: Timestamp| {
        let store = store.clone();
        async move {
            let found = store.renewals_due(before, 100).await.unwrap();
            found.iter().filter(|r| r.client_id == client).map(|r| (r.account_id.0, r.expires_at)).collect::<Vec<_>>()
        }
    };
    let (a, b, c) = (
        super::create(&*store, &owner, "gmail").await,
        super::create(&*store, &owner, "outlook").await,
        super::create(&*store, &owner, "x").await,
    );
    super::run(&*store, a, &signed_in_until("ann", Some(at(10)), true), &owner).await.unwrap();
    super::run(&*store, b, &signed_in_until("bob", Some(at(5)), true), &owner).await.unwrap();
    // Nothing to renew without a refresh token, or without an expiry.
    super::run(&*store, c, &signed_in_until("cy", Some(at(1)), false), &owner).await.unwrap();
    let plain = super::create(&*store, &owner, "linkedin").await;
    super::run(&*store, plain, &signed_in_until("dee", None, true), &owner).await.unwrap();
    assert_eq!(due(at(60)).await, [(b, at(5)), (a, at(10))], "soonest first");
    assert_eq!(due(at(10)).await, [(b, at(5))], "expiring before the bound only");
    let limited = store.renewals_due(at(60), 1).await.unwrap();
    assert!(limited.len() == 1 && limited[0].expires_at <= at(5), "{limited:?}");

    // A renewal moves it; a disconnect or a removal takes it out.
    let (stored, sealed) = credentials(Some(at(70)), true);
    super::run(&*store, b, &Command::StoreCredentials { stored, sealed }, &owner).await.unwrap();
    assert_eq!(due(at(60)).await, [(a, at(10))]);
    assert_eq!(due(at(71)).await, [(a, at(10)), (b, at(70))]);
    let revoked = Command::Disconnect {
        reason: Some("credentials_revoked".into()),
        reconnect_url: "https://inbox.example.test/connect".into(),
    };
    super::run(&*store, a, &revoked, &owner).await.unwrap();
    super::run(&*store, b, &Command::Remove, &owner).await.unwrap();
    assert_eq!(due(at(100)).await, []);
    // Signed in again, it is due again.
    super::run(&*store, a, &signed_in_until("ann", Some(at(20)), true), &owner).await.unwrap();
    assert_eq!(due(at(100)).await, [(a, at(20))]);
}

pub async fn one_provider_subject_is_one_account_of_a_client_even_when_racing(store: Arc<impl Store + 'static>) {
    let owner = super::ctx(ClientId::new(), "owner");
    let accounts: Vec<uuid::Uuid> = {
        let mut ids = vec![];
        for _ in 0..6 {
            ids.push(super::create(&*store, &owner, "gmail").await);
        }
        ids
    };
    let tasks = accounts.iter().map(|id| {
        let (store, owner, id) = (store.clone(), owner.clone(), *id);
        tokio::spawn(async move { super::run(&*store, id, &signed_in("eve"), &owner).await })
    });
    let (mut won, mut refused) = (0, 0);
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => won += 1,
            Err(inbox_store::commands::CommandError::Store(StoreError::Duplicate(what))) => {
                assert!(what.contains("gmail") && what.contains("eve"), "{what}");
                refused += 1;
            }
            Err(e) => panic!("{e:?}"),
        }
    }
    assert_eq!((won, refused), (1, 5), "one account holds the person; the others wrote nothing");
    let query = inbox_store::ListQuery { is_authorized: Some(true), limit: 10, ..Default::default() };
    assert_eq!(store.list_accounts(owner.client_id, &query).await.unwrap().total, 1);
    // A connector's report claims nothing: the same id on a plain account is accepted.
    let plain = super::create(&*store, &owner, "gmail").await;
    let report =
        inbox_domain::Command::Authorize(inbox_domain::Profile { platform_id: "eve".into(), ..Default::default() });
    super::run(&*store, plain, &report, &owner).await.unwrap();
    // Another client's account may hold the same person.
    let other = super::ctx(ClientId::new(), "owner");
    let theirs = super::create(&*store, &other, "gmail").await;
    super::run(&*store, theirs, &signed_in("eve"), &other).await.unwrap();
}
