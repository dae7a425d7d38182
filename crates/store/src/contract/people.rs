//! The contract of users, refresh-token families and failed-login counters.

use crate::commands::Envelope;
use crate::users::{self, Decision};
use crate::{Attempt, Client, RefreshFamily, RefreshToken, Store, StoreError, User};
use inbox_domain::{time, Timestamp};
use std::sync::Arc;
use uuid::Uuid;

fn now() -> Timestamp {
    time::truncate(chrono::Utc::now())
}

/// A new client, stored.
pub async fn client(store: &dyn Store) -> Uuid {
    let c = Client { id: Uuid::new_v4(), name: "Acme".into(), plan: "enterprise".into(), created_at: now() };
    store.create_client(&c).await.unwrap();
    c.id
}

/// A user of a client (not stored), with a unique username.
pub fn user(client_id: Uuid, role: &str) -> User {
    User {
        id: Uuid::new_v4(),
        client_id,
        username: format!("user-{}", Uuid::new_v4()),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        roles: vec![role.into()],
        enabled: true,
        version: 0,
        created_at: now(),
    }
}

pub fn user_envelope(client_id: Uuid, actor: &str) -> Envelope {
    Envelope { client_id, actor: actor.into(), correlation_id: "req-1".into(), at: None, idempotency: None }
}

pub async fn users_change_with_their_history(store: Arc<impl Store>) {
    let c = client(&*store).await;
    let env = user_envelope(c, "owner-1");
    let ann = users::create(&*store, &env, &user(c, "ROLE_OWNER")).await.unwrap();
    assert_eq!(ann.version, 1);
    assert_eq!(store.find_user(&ann.username).await.unwrap(), Some(ann.clone()));
    assert_eq!(store.get_user(c, ann.id).await.unwrap(), Some(ann.clone()));
    assert_eq!(store.get_user(Uuid::new_v4(), ann.id).await.unwrap(), None, "another client's user");
    assert_eq!(store.find_user("nobody").await.unwrap(), None);
    // A username is unique across clients.
    let other = client(&*store).await;
    let dup = User { id: Uuid::new_v4(), client_id: other, ..ann.clone() };
    let err = users::create(&*store, &user_envelope(other, "x"), &dup).await.unwrap_err();
    assert!(matches!(err, StoreError::Duplicate(_)), "{err:?}");
    assert_eq!(store.client_users(other).await.unwrap().1, vec![]);

    let change = |f: fn(&mut User)| {
        let env = env.clone();
        let store = store.clone();
        let id = ann.id;
        async move {
            users::change(&*store, &env, id, |all| {
                let mut u = all.iter().find(|u| u.id == id).cloned().unwrap();
                f(&mut u);
                Ok::<_, StoreError>(Decision::Put(u))
            })
            .await
            .unwrap()
        }
    };
    let changed = change(|u| u.roles = vec!["ROLE_AUDITOR".into()]).await.unwrap();
    assert_eq!((changed.version, changed.roles.clone()), (2, vec!["ROLE_AUDITOR".to_string()]));
    let same = change(|_| {}).await.unwrap();
    assert_eq!(same.version, 2, "a change that changes nothing is not recorded");
    change(|u| u.enabled = false).await;
    change(|u| u.password_hash = "$argon2id$other".into()).await;
    assert_eq!(store.find_user(&ann.username).await.unwrap().unwrap().password_hash, "$argon2id$other");
    let (version, all) = store.client_users(c).await.unwrap();
    assert_eq!((version, all.len()), (4, 1));
    assert!(!all[0].enabled);

    users::change(&*store, &env, ann.id, |_| Ok::<_, StoreError>(Decision::Delete)).await.unwrap();
    assert_eq!(store.get_user(c, ann.id).await.unwrap(), None);
    assert_eq!(store.find_user(&ann.username).await.unwrap(), None, "the username is free again");
    let history = store.user_events(c, ann.id).await.unwrap();
    let kinds: Vec<_> = history.iter().map(|e| (e.version, e.event_type.as_str())).collect();
    assert_eq!(
        kinds,
        [(1, "UserCreated"), (2, "UserChanged"), (3, "UserChanged"), (4, "UserChanged"), (5, "UserDeleted")]
    );
    assert_eq!(history[1].changes, serde_json::json!({"roles": ["ROLE_AUDITOR"]}));
    assert_eq!(history[3].changes, serde_json::json!({"passwordChanged": true}));
    assert!(history.iter().all(|e| e.actor == "owner-1" && e.correlation_id == "req-1"));
    assert_eq!(store.user_events(other, ann.id).await.unwrap(), vec![], "another client's history");
}

/// Two owners demoting each other at once: the second decision sees the first.
pub async fn user_changes_race_on_the_clients_users(store: Arc<impl Store + 'static>) {
    let c = client(&*store).await;
    let env = user_envelope(c, "owner");
    let a = users::create(&*store, &env, &user(c, "ROLE_OWNER")).await.unwrap();
    let b = users::create(&*store, &env, &user(c, "ROLE_OWNER")).await.unwrap();
    let demote = |id: Uuid| {
        let (store, env) = (store.clone(), env.clone());
        tokio::spawn(async move {
            users::change(&*store, &env, id, |all| {
                let owners = all.iter().filter(|u| u.enabled && u.roles.iter().any(|r| r == "ROLE_OWNER")).count();
                if owners < 2 {
                    return Err(StoreError::Internal("last owner".into()));
                }
                let mut u = all.iter().find(|u| u.id == id).cloned().unwrap();
                u.roles = vec!["ROLE_AUDITOR".into()];
                Ok(Decision::Put(u))
            })
            .await
        })
    };
    let (ra, rb) = (demote(a.id), demote(b.id));
    let results = [ra.await.unwrap().is_ok(), rb.await.unwrap().is_ok()];
    assert_eq!(results.iter().filter(|ok| **ok).count(), 1, "exactly one demotion wins: {results:?}");
    let (_, all) = store.client_users(c).await.unwrap();
    assert_eq!(all.iter().filter(|u| u.roles == ["ROLE_OWNER"]).count(), 1);
}

pub async fn refresh_families_rotate_once(store: Arc<impl Store>) {
    let c = client(&*store).await;
    let env = user_envelope(c, "owner");
    let ann = users::create(&*store, &env, &user(c, "ROLE_OWNER")).await.unwrap();
    // Expiry is kept to the second (DynamoDB's TTL attribute holds epoch seconds).
    let expires = chrono::DateTime::from_timestamp(now().timestamp() + 30 * 86_400, 0).unwrap();
    let family = RefreshFamily {
        id: Uuid::new_v4(),
        client_id: c,
        user_id: ann.id,
        user_version: ann.version,
        current: format!("h1-{}", Uuid::new_v4()),
        revoked: false,
        expires_at: expires,
    };
    store.start_family(&family).await.unwrap();
    let (token, found) = store.find_refresh(&family.current).await.unwrap().unwrap();
    assert_eq!((token.family, found.clone()), (family.id, family.clone()));
    assert_eq!(store.find_refresh("unknown").await.unwrap(), None);

    let token =
        |n: &str| RefreshToken { hash: format!("{n}-{}", Uuid::new_v4()), family: family.id, expires_at: expires };
    let (next, third) = (token("h2"), token("h3"));
    assert!(store.rotate_refresh(&family, &family.current, &next).await.unwrap());
    assert!(!store.rotate_refresh(&family, &family.current, &third).await.unwrap(), "a used token rotates no more");
    assert_eq!(store.find_refresh(&third.hash).await.unwrap(), None, "nothing written");
    let (_, after) = store.find_refresh(&family.current).await.unwrap().unwrap();
    assert_eq!(after.current, next.hash, "the old token still names its family, whose newest token moved on");

    // A change of the user since the login: the family rotates no more.
    users::change(&*store, &env, ann.id, |all| {
        let mut u = all.iter().find(|u| u.id == ann.id).cloned().unwrap();
        u.password_hash = "$argon2id$changed".into();
        Ok::<_, StoreError>(Decision::Put(u))
    })
    .await
    .unwrap();
    assert!(!store.rotate_refresh(&family, &next.hash, &third).await.unwrap(), "the user changed");
    assert_eq!(store.find_refresh(&third.hash).await.unwrap(), None, "nothing written");

    store.revoke_family(family.id).await.unwrap();
    let (_, revoked) = store.find_refresh(&next.hash).await.unwrap().unwrap();
    assert!(revoked.revoked);
    let current_user = RefreshFamily { user_version: ann.version + 1, ..family.clone() };
    assert!(!store.rotate_refresh(&current_user, &next.hash, &third).await.unwrap(), "a revoked family");
    store.revoke_family(Uuid::new_v4()).await.unwrap();
}

pub async fn login_attempts_are_counted_atomically_within_a_window(store: Arc<impl Store + 'static>) {
    let name = format!("ann-{}", Uuid::new_v4());
    let t0 = now();
    let window = chrono::Duration::minutes(15);
    // Of 20 concurrent attempts, exactly `max` are allowed.
    let attempts: Vec<_> = (0..20)
        .map(|_| {
            let (store, name) = (store.clone(), name.clone());
            tokio::spawn(async move { store.take_login_attempt(&name, t0, t0 - window, 5).await.unwrap() })
        })
        .collect();
    let mut allowed = 0;
    for a in attempts {
        match a.await.unwrap() {
            Attempt::Allowed => allowed += 1,
            Attempt::Refused { since } => assert_eq!(since, t0),
        }
    }
    assert_eq!(allowed, 5);
    // Past the window, a new one starts.
    let later = t0 + window + chrono::Duration::seconds(1);
    assert_eq!(store.take_login_attempt(&name, later, later - window, 5).await.unwrap(), Attempt::Allowed);
    for _ in 0..4 {
        assert_eq!(store.take_login_attempt(&name, later, later - window, 5).await.unwrap(), Attempt::Allowed);
    }
    let refused = store.take_login_attempt(&name, later, later - window, 5).await.unwrap();
    assert_eq!(refused, Attempt::Refused { since: later });
    // A success clears the count; other usernames were never affected.
    store.clear_login_failures(&name).await.unwrap();
    assert_eq!(store.take_login_attempt(&name, later, later - window, 5).await.unwrap(), Attempt::Allowed);
    assert_eq!(store.take_login_attempt("someone-else", later, later - window, 5).await.unwrap(), Attempt::Allowed);
}
