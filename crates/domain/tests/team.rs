//! The team: given these past events, when this command, then these events
//! (or this refusal); and the upcaster of the records kept before the team
//! had a stream.

use inbox_domain::aggregate::{execute, replay, Aggregate};
use inbox_domain::team::{history, upgrade, TeamEvent, TeamField, UserChange, UserChanged, UserCreated, UserDeleted};
use inbox_domain::{time, ClientId, Context, Role, Team, TeamCommand, TeamRefusal, Timestamp, UserId};
use serde_json::json;
use uuid::Uuid;

const CLIENT: ClientId = ClientId(Uuid::from_u128(7));
const ANN: UserId = UserId(Uuid::from_u128(1));
const BOB: UserId = UserId(Uuid::from_u128(2));

fn now() -> Timestamp {
    time::parse("2025-12-06T04:35:33.192Z").unwrap()
}

fn ctx() -> Context {
    Context { client_id: CLIENT, actor: "owner".into(), now: now() }
}

fn add(id: UserId, name: &str, roles: &[Role]) -> TeamCommand {
    TeamCommand::Add {
        id,
        username: name.into(),
        password_hash: format!("hash-{name}"),
        roles: roles.to_vec(),
        enabled: true,
    }
}

/// The team after these commands, each decided and sealed as in production.
fn given(commands: &[TeamCommand]) -> Option<Team> {
    let mut state: Option<Team> = None;
    for cmd in commands {
        state = execute::<Team>(state.as_ref(), CLIENT.team_stream(), cmd, &ctx(), "t").unwrap().1;
    }
    state
}

fn when(past: &[TeamCommand], cmd: TeamCommand) -> Result<Vec<TeamEvent>, TeamRefusal> {
    Team::decide(given(past).as_ref(), &cmd, &ctx())
}

fn change(id: UserId, roles: Option<&[Role]>, enabled: Option<bool>) -> TeamCommand {
    TeamCommand::Change { id, roles: roles.map(<[Role]>::to_vec), enabled, password_hash: None }
}

#[test]
fn adding_records_the_user_without_its_password() {
    let events = when(&[], add(ANN, "ann", &[Role::Owner, Role::Owner])).unwrap();
    let created = UserCreated {
        user_id: ANN,
        client_id: CLIENT,
        username: "ann".into(),
        roles: vec![Role::Owner],
        enabled: true,
        created_at: now(),
    };
    assert_eq!(events, vec![TeamEvent::UserCreated(created)]);
    let team = given(&[add(ANN, "ann", &[Role::Owner])]).unwrap();
    assert_eq!((team.version, team.members[0].version), (1, 1));
    assert_eq!(team.members[0].password_hash, "hash-ann", "kept in the state");
    let (stored, _) =
        execute::<Team>(None, CLIENT.team_stream(), &add(ANN, "ann", &[Role::Owner]), &ctx(), "t").unwrap();
    assert!(!stored[0].payload.to_string().contains("hash-ann"), "never in an event");
}

#[test]
fn adding_is_refused_for_a_taken_id_or_name_or_no_role() {
    let past = [add(ANN, "ann", &[Role::Owner])];
    assert_eq!(when(&past, add(ANN, "other", &[Role::Owner])), Err(TeamRefusal::AlreadyExists));
    assert_eq!(when(&past, add(BOB, "ann", &[Role::Owner])), Err(TeamRefusal::UsernameTaken));
    assert_eq!(when(&past, add(BOB, "bob", &[])), Err(TeamRefusal::NoRoles));
}

#[test]
fn a_change_records_only_what_changed() {
    let past = [add(ANN, "ann", &[Role::Owner]), add(BOB, "bob", &[Role::Auditor])];
    assert_eq!(when(&past, change(BOB, Some(&[Role::Auditor]), Some(true))), Ok(vec![]), "nothing changes");
    let demote = when(&past, change(BOB, Some(&[Role::Customer]), Some(true))).unwrap();
    let expected = UserChanged { user_id: BOB, roles: Some(vec![Role::Customer]), ..UserChanged::default() };
    assert_eq!(demote, vec![TeamEvent::UserChanged(expected)]);
    let password = TeamCommand::Change { id: BOB, roles: None, enabled: None, password_hash: Some("new".into()) };
    let changed = UserChanged { user_id: BOB, password_changed: true, ..UserChanged::default() };
    assert_eq!(when(&past, password.clone()), Ok(vec![TeamEvent::UserChanged(changed)]));
    let mut all = past.to_vec();
    all.push(password);
    let bob = given(&all).unwrap().member(BOB).cloned().unwrap();
    assert_eq!((bob.password_hash.as_str(), bob.version), ("new", 2));
    assert_eq!(when(&past, change(UserId(Uuid::from_u128(9)), None, Some(false))), Err(TeamRefusal::NotFound));
}

#[test]
fn the_last_enabled_owner_stays() {
    let past = [add(ANN, "ann", &[Role::Owner]), add(BOB, "bob", &[Role::Auditor])];
    assert_eq!(when(&past, change(ANN, Some(&[Role::Auditor]), None)), Err(TeamRefusal::LastOwner(TeamField::Roles)));
    assert_eq!(when(&past, change(ANN, None, Some(false))), Err(TeamRefusal::LastOwner(TeamField::Enabled)));
    assert_eq!(when(&past, TeamCommand::Remove { id: ANN }), Err(TeamRefusal::LastOwner(TeamField::Id)));
    assert_eq!(
        when(&past, TeamCommand::Remove { id: BOB }),
        Ok(vec![TeamEvent::UserDeleted(UserDeleted { user_id: BOB })])
    );
    // With a second enabled owner either may go, but a disabled owner does not count.
    let two = [add(ANN, "ann", &[Role::Owner]), add(BOB, "bob", &[Role::Owner])];
    assert!(when(&two, TeamCommand::Remove { id: ANN }).is_ok());
    let mut disabled = two.to_vec();
    disabled.push(change(BOB, None, Some(false)));
    assert_eq!(when(&disabled, TeamCommand::Remove { id: ANN }), Err(TeamRefusal::LastOwner(TeamField::Id)));
}

#[test]
fn a_users_history_is_read_from_the_teams_stream() {
    let mut state = None;
    let mut events = vec![];
    for cmd in [add(ANN, "ann", &[Role::Owner]), add(BOB, "bob", &[Role::Auditor]), change(BOB, None, Some(false))] {
        let (new, next) = execute::<Team>(state.as_ref(), CLIENT.team_stream(), &cmd, &ctx(), "t").unwrap();
        events.extend(new);
        state = next;
    }
    let bob = history(BOB, &events).unwrap();
    assert_eq!(
        bob.iter().map(|c| (c.version, c.event_type.as_str())).collect::<Vec<_>>(),
        [(1, "UserCreated"), (2, "UserChanged")]
    );
    assert_eq!(bob[0].changes, json!({"username": "bob", "roles": ["ROLE_AUDITOR"], "enabled": true}));
    assert_eq!(bob[1].changes, json!({"enabled": false}));
    assert_eq!(replay::<Team>(&events).unwrap().unwrap().without_secrets(), state.unwrap().without_secrets());
}

fn record(user: UserId, version: u64, kind: &str, changes: serde_json::Value, at: &str) -> UserChange {
    UserChange {
        client_id: CLIENT,
        user_id: user,
        version,
        event_type: kind.into(),
        changes,
        actor: "owner".into(),
        correlation_id: format!("req-{version}"),
        recorded_at: time::parse(at).unwrap(),
    }
}

#[test]
fn stored_records_upcast_into_the_teams_stream() {
    // Ann predates recorded changes (version 0, no records) and was changed
    // once since; Bob was created and changed; Carl was created and deleted.
    let carl = UserId(Uuid::from_u128(3));
    let member = |id, name: &str, roles: Vec<Role>, version| inbox_domain::User {
        id,
        client_id: CLIENT,
        username: name.into(),
        password_hash: format!("hash-{name}"),
        roles,
        enabled: true,
        version,
        created_at: time::parse("2025-01-01T00:00:00Z").unwrap(),
    };
    let members = [member(ANN, "ann", vec![Role::Owner], 1), member(BOB, "bob", vec![Role::Customer], 2)];
    let records = [
        record(BOB, 2, "UserChanged", json!({"roles": ["ROLE_CUSTOMER"]}), "2025-03-01T00:00:00Z"),
        record(
            BOB,
            1,
            "UserCreated",
            json!({"username": "bob", "roles": ["ROLE_AUDITOR"], "enabled": true}),
            "2025-02-01T00:00:00Z",
        ),
        record(
            carl,
            1,
            "UserCreated",
            json!({"username": "carl", "roles": ["ROLE_AUDITOR"], "enabled": true}),
            "2025-02-02T00:00:00Z",
        ),
        record(ANN, 1, "UserChanged", json!({"passwordChanged": true}), "2025-02-03T00:00:00Z"),
        record(carl, 2, "UserDeleted", json!({}), "2025-02-04T00:00:00Z"),
    ];
    let (events, team) = upgrade(CLIENT, &members, &records).unwrap();
    let order: Vec<_> = events.iter().map(|e| (e.event_type.as_str(), e.actor.as_str())).collect();
    assert_eq!(
        order,
        [
            ("UserCreated", "upgrade"), // Ann, at her creation
            ("UserCreated", "owner"),   // Bob
            ("UserCreated", "owner"),   // Carl
            ("UserChanged", "owner"),   // Ann's password
            ("UserDeleted", "owner"),   // Carl
            ("UserChanged", "owner"),   // Bob's role
        ]
    );
    inbox_domain::verify_chain(CLIENT.team_stream(), &events).unwrap();
    let team = team.unwrap();
    assert_eq!(team.version, 6);
    let ann = team.member(ANN).unwrap();
    assert_eq!((ann.version, ann.password_hash.as_str()), (2, "hash-ann"));
    assert_eq!(team.member(BOB).unwrap().roles, [Role::Customer]);
    assert!(team.member(carl).is_none());
    // The records' own history keeps its words and versions.
    let bob = history(BOB, &events).unwrap();
    assert_eq!(bob[1].changes, records[0].changes);
    assert_eq!((bob[1].version, bob[1].correlation_id.as_str()), (2, "req-2"));
    // The same records always make the same stream.
    assert_eq!(upgrade(CLIENT, &members, &records).unwrap().0, events);
}
