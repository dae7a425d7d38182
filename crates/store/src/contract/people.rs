//! The contract of users, refresh-token families and failed-login counters.

use crate::commands::Envelope;
use crate::users::{self, Decision};
use crate::{Client, LoginFailures, RefreshFamily, RefreshToken, Store, StoreError, User};
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
    // Expiry is kept to the second (DynamoDB's TTL attribute holds epoch seconds).
    let expires = chrono::DateTime::from_timestamp(now().timestamp() + 30 * 86_400, 0).unwrap();
    let family = RefreshFamily {
        id: Uuid::new_v4(),
        client_id: Uuid::new_v4(),
        user_id: Uuid::new_v4(),
        user_version: 3,
        current: format!("h1-{}", Uuid::new_v4()),
        revoked: false,
        expires_at: expires,
    };
    store.start_family(&family).await.unwrap();
    let (token, found) = store.find_refresh(&family.current).await.unwrap().unwrap();
    assert_eq!((token.family, found.clone()), (family.id, family.clone()));
    assert_eq!(store.find_refresh("unknown").await.unwrap(), None);

    let next = RefreshToken { hash: format!("h2-{}", Uuid::new_v4()), family: family.id, expires_at: expires };
    assert!(store.rotate_refresh(&family.current, &next).await.unwrap());
    let third = RefreshToken { hash: format!("h3-{}", Uuid::new_v4()), ..next.clone() };
    assert!(!store.rotate_refresh(&family.current, &third).await.unwrap(), "a used token rotates no more");
    assert_eq!(store.find_refresh(&third.hash).await.unwrap(), None, "nothing written");
    let (_, after) = store.find_refresh(&family.current).await.unwrap().unwrap();
    assert_eq!(after.current, next.hash, "the old token still names its family, whose newest token moved on");

    store.revoke_family(family.id).await.unwrap();
    let (_, revoked) = store.find_refresh(&next.hash).await.unwrap().unwrap();
    assert!(revoked.revoked);
    assert!(!store.rotate_refresh(&next.hash, &third).await.unwrap(), "a revoked family rotates no more");
    store.revoke_family(Uuid::new_v4()).await.unwrap();
}

pub async fn login_failures_count_within_a_window(store: Arc<impl Store>) {
    let name = format!("ann-{}", Uuid::new_v4());
    let t0 = now();
    assert_eq!(store.login_failures(&name).await.unwrap(), None);
    let window = chrono::Duration::minutes(15);
    for i in 0..3 {
        store.record_login_failure(&name, t0 + chrono::Duration::seconds(i), t0 - window).await.unwrap();
    }
    assert_eq!(store.login_failures(&name).await.unwrap(), Some(LoginFailures { count: 3, since: t0 }));
    // Past the window, the count starts again.
    let later = t0 + window + chrono::Duration::seconds(1);
    store.record_login_failure(&name, later, later - window).await.unwrap();
    assert_eq!(store.login_failures(&name).await.unwrap(), Some(LoginFailures { count: 1, since: later }));
    store.clear_login_failures(&name).await.unwrap();
    assert_eq!(store.login_failures(&name).await.unwrap(), None);
}
