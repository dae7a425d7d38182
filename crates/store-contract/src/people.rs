//! The contract of users, refresh-token families and failed-login counters.

use inbox_domain::{time, Aggregate, ClientId, Role, Team, TeamCommand, TeamRefusal, Timestamp, User, UserId};
use inbox_store::commands::{self, CommandError, Envelope};
use inbox_store::{Attempt, Client, RefreshFamily, RefreshToken, Store, StoreError};
use std::sync::Arc;
use uuid::Uuid;

fn now() -> Timestamp {
    time::truncate(chrono::Utc::now())
}

/// A new client, stored.
pub async fn client(store: &dyn Store) -> ClientId {
    let c = Client { id: ClientId::new(), name: "Acme".into(), plan: "enterprise".into(), created_at: now() };
    store.create_client(&c).await.unwrap();
    c.id
}

pub fn user_envelope(client_id: ClientId, actor: &str) -> Envelope {
    Envelope { client_id, actor: actor.into(), correlation_id: "req-1".into(), at: None, idempotency: None }
}

/// The command adding a user with a unique username.
pub fn add(role: Role) -> TeamCommand {
    TeamCommand::Add {
        id: UserId::new(),
        username: format!("user-{}", Uuid::new_v4()),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        roles: vec![role],
        enabled: true,
    }
}

/// Runs a team command through the one command path.
pub async fn team(store: &dyn Store, env: &Envelope, cmd: TeamCommand) -> Result<Option<Team>, Refused> {
    let stream = env.client_id.team_stream();
    Ok(commands::execute::<Team, _, Refused>(store, env, stream, |_| Ok(cmd.clone())).await?.state)
}

/// Adds a user; returns it as stored.
pub async fn add_user(store: &dyn Store, env: &Envelope, role: Role) -> User {
    let cmd = add(role);
    let TeamCommand::Add { id, .. } = &cmd else { unreachable!() };
    team(store, env, cmd.clone()).await.unwrap();
    store.get_user(env.client_id, *id).await.unwrap().expect("added")
}

/// A refused or failed team command.
pub type Refused = CommandError<TeamRefusal>;

/// A change of some of a user's values (`None` keeps one).
pub fn change(id: UserId, roles: Option<Vec<Role>>, enabled: Option<bool>, password_hash: Option<&str>) -> TeamCommand {
    TeamCommand::Change { id, roles, enabled, password_hash: password_hash.map(str::to_string) }
}

pub async fn users_change_with_their_history(store: Arc<impl Store>) {
    let c = client(&*store).await;
    let env = user_envelope(c, "owner-1");
    let ann = add_user(&*store, &env, Role::Owner).await;
    assert_eq!(ann.version, 1);
    assert_eq!(store.find_user(&ann.username).await.unwrap(), Some(ann.clone()));
    assert_eq!(store.get_user(ClientId::new(), ann.id).await.unwrap(), None, "another client's user");
    assert_eq!(store.find_user("nobody").await.unwrap(), None);
    // A username is unique across clients, and a refused command writes nothing.
    let other = client(&*store).await;
    let dup = TeamCommand::Add {
        id: UserId::new(),
        username: ann.username.clone(),
        password_hash: ann.password_hash.clone(),
        roles: vec![Role::Owner],
        enabled: true,
    };
    let err = team(&*store, &user_envelope(other, "x"), dup).await.unwrap_err();
    assert!(matches!(err, CommandError::Store(StoreError::Duplicate(_))), "{err:?}");
    assert_eq!(store.team(other).await.unwrap(), None);
    assert_eq!(store.load_stream(other.team_stream()).await.unwrap(), vec![]);

    let roles = change(ann.id, Some(vec![Role::Auditor, Role::Owner]), None, None);
    team(&*store, &env, roles).await.unwrap();
    let same = team(&*store, &env, change(ann.id, None, None, None)).await.unwrap().unwrap();
    assert_eq!(same.member(ann.id).unwrap().version, 2, "a change that changes nothing is not recorded");
    let second = add_user(&*store, &env, Role::Owner).await;
    team(&*store, &env, change(ann.id, None, Some(false), None)).await.unwrap();
    let password = change(ann.id, None, None, Some("$argon2id$other"));
    team(&*store, &env, password).await.unwrap();
    assert_eq!(store.find_user(&ann.username).await.unwrap().unwrap().password_hash, "$argon2id$other");
    let stored = store.team(c).await.unwrap().unwrap();
    assert_eq!((stored.version, stored.members.len()), (5, 2));
    assert!(!stored.member(ann.id).unwrap().enabled);

    // The team's read model is what its stream replays to (but the password hashes).
    let events = store.load_stream(c.team_stream()).await.unwrap();
    inbox_domain::verify_chain(c.team_stream(), &events).unwrap();
    let replayed: Option<Team> = inbox_domain::aggregate::replay(&events).unwrap();
    assert_eq!(replayed, Some(stored.without_secrets()));
    assert_eq!(stored.last_hash, events.last().unwrap().hash);
    assert!(!serde_json::to_string(&events).unwrap().contains("argon2"), "no password hash in an event");

    team(&*store, &env, TeamCommand::Remove { id: ann.id }).await.unwrap();
    assert_eq!(store.get_user(c, ann.id).await.unwrap(), None);
    assert_eq!(store.find_user(&ann.username).await.unwrap(), None, "the username is free again");
    let last = team(&*store, &env, TeamCommand::Remove { id: second.id }).await.unwrap_err();
    assert!(matches!(last, CommandError::Domain(TeamRefusal::LastOwner(_))), "{last:?}");
    let history = store.user_changes(c, ann.id).await.unwrap();
    let kinds: Vec<_> = history.iter().map(|e| (e.version, e.event_type.as_str())).collect();
    assert_eq!(
        kinds,
        [(1, "UserCreated"), (2, "UserChanged"), (3, "UserChanged"), (4, "UserChanged"), (5, "UserDeleted")]
    );
    assert_eq!(history[1].changes, serde_json::json!({"roles": ["ROLE_AUDITOR", "ROLE_OWNER"]}));
    assert_eq!(history[3].changes, serde_json::json!({"passwordChanged": true}));
    assert!(history.iter().all(|e| e.actor == "owner-1" && e.correlation_id == "req-1"));
    assert_eq!(store.user_changes(other, ann.id).await.unwrap(), vec![], "another client's history");
}

/// Two owners demoting each other at once: the second decision sees the
/// first, and the team's rule keeps one owner.
pub async fn user_changes_race_on_the_clients_users(store: Arc<impl Store + 'static>) {
    let c = client(&*store).await;
    let env = user_envelope(c, "owner");
    let a = add_user(&*store, &env, Role::Owner).await;
    let b = add_user(&*store, &env, Role::Owner).await;
    let demote = |id: UserId| {
        let (store, env) = (store.clone(), env.clone());
        tokio::spawn(async move { team(&*store, &env, change(id, Some(vec![Role::Auditor]), None, None)).await })
    };
    let (ra, rb) = (demote(a.id), demote(b.id));
    let results = [ra.await.unwrap(), rb.await.unwrap()];
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1, "exactly one demotion wins: {results:?}");
    assert!(results.iter().any(|r| matches!(r, Err(CommandError::Domain(TeamRefusal::LastOwner(_))))));
    let stored = store.team(c).await.unwrap().unwrap();
    assert_eq!(stored.members.iter().filter(|u| u.roles == [Role::Owner]).count(), 1);
    assert_eq!(stored.version, 3);
}

pub async fn refresh_families_rotate_once(store: Arc<impl Store>) {
    let c = client(&*store).await;
    let env = user_envelope(c, "owner");
    let ann = add_user(&*store, &env, Role::Owner).await;
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
    let password = change(ann.id, None, None, Some("$argon2id$changed"));
    team(&*store, &env, password).await.unwrap();
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
