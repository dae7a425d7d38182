//! Users and webhook endpoints stored before every stream was in the event
//! log: readable as before, refused commands (503) until `inbox dynamodb
//! migrate` upgrades them into streams, then commands as any stream — and the
//! upgrade is safe to run again.

use super::{fresh, raw_client};
use aws_sdk_dynamodb::types::AttributeValue::{self, Bool, L, N, S};
use inbox_domain::{Aggregate, ClientId, Endpoint, EndpointCommand, EndpointId, Role, Team, TeamCommand, UserId};
use inbox_store::commands::{self, CommandError, Envelope};
use inbox_store::{Client, Directory, DynamoStore, EventStore, StoreError, Users, Webhooks};
use inbox_store_contract::{Failed, Refused};
use serde_json::json;

async fn put(store: &DynamoStore, item: Vec<(&str, AttributeValue)>) {
    let item = item.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    let table = &store.tables().directory;
    raw_client().await.put_item().table_name(table).set_item(Some(item)).send().await.unwrap();
}

/// A user as the old command path left it: both items, and its records.
async fn legacy_user(
    store: &DynamoStore,
    client: ClientId,
    id: UserId,
    name: &str,
    records: &[(&str, serde_json::Value)],
) {
    for (pk, sk) in [(format!("USER#{name}"), "USER".to_string()), (format!("TENANT#{client}"), format!("USER#{id}"))] {
        put(
            store,
            vec![
                ("pk", S(pk)),
                ("sk", S(sk)),
                ("id", S(id.to_string())),
                ("tenantId", S(client.to_string())),
                ("username", S(name.into())),
                ("passwordHash", S(format!("$argon2id${name}"))),
                ("roles", L(vec![S("ROLE_OWNER".into())])),
                ("enabled", Bool(records.len() < 2)),
                ("version", N(records.len().to_string())),
                ("createdAt", S("2026-01-01T00:00:00.000Z".into())),
            ],
        )
        .await;
    }
    for (i, (kind, changes)) in records.iter().enumerate() {
        put(
            store,
            vec![
                ("pk", S(format!("USEREVENTS#{id}"))),
                ("sk", S(format!("{:020}", i + 1))),
                ("tenantId", S(client.to_string())),
                ("version", N((i + 1).to_string())),
                ("type", S(kind.to_string())),
                ("changes", S(changes.to_string())),
                ("actor", S("owner-before".into())),
                ("correlationId", S(format!("req-{i}"))),
                ("recordedAt", S(format!("2026-02-0{}T00:00:00.000Z", i + 1))),
            ],
        )
        .await;
    }
}

#[tokio::test]
async fn old_users_and_endpoints_are_read_refused_then_upgraded_into_streams() {
    let store = fresh().await;
    let client = ClientId::new();
    let now = inbox_domain::time::truncate(chrono::Utc::now());
    store
        .create_client(&Client { id: client, name: "Old".into(), plan: "free".into(), created_at: now })
        .await
        .unwrap();
    // A user from before users had versions, and one made by the old command path.
    let (early, made) = (UserId::new(), UserId::new());
    legacy_user(&store, client, early, "early@example.test", &[]).await;
    let created = json!({"username": "made@example.test", "roles": ["ROLE_OWNER"], "enabled": true});
    legacy_user(
        &store,
        client,
        made,
        "made@example.test",
        &[("UserCreated", created), ("UserChanged", json!({"enabled": false}))],
    )
    .await;
    // An endpoint, failing, with its creation recorded.
    let endpoint = EndpointId::new();
    let body = json!({
        "id": endpoint, "clientId": client, "url": "https://old.example.test/hook", "events": [],
        "description": null, "enabled": true, "disabledReason": null, "secret": "whsec_old",
        "createdAt": "2026-01-01T00:00:00.000Z", "failingSince": "2026-03-01T00:00:00.000Z", "version": 1
    });
    put(
        &store,
        vec![
            ("pk", S(format!("TENANT#{client}"))),
            ("sk", S(format!("WEBHOOK#{endpoint}"))),
            ("version", N("1".into())),
            ("body", S(body.to_string())),
        ],
    )
    .await;
    let record = json!({
        "clientId": client, "endpointId": endpoint, "version": 1, "eventType": "WebhookCreated",
        "changes": {"url": "https://old.example.test/hook", "events": [], "description": null, "enabled": true, "disabledReason": null},
        "actor": "owner-before", "correlationId": "req-w", "recordedAt": "2026-01-01T00:00:00.000Z"
    });
    put(
        &store,
        vec![
            ("pk", S(format!("WEBHOOK#{endpoint}"))),
            ("sk", S(format!("EVENT#{:020}", 1))),
            ("clientId", S(client.to_string())),
            ("body", S(record.to_string())),
        ],
    )
    .await;

    // Before the upgrade: reads answer from the old records; commands are refused.
    let history = store.user_changes(client, made).await.unwrap();
    assert_eq!(history.iter().map(|c| c.event_type.as_str()).collect::<Vec<_>>(), ["UserCreated", "UserChanged"]);
    let endpoint_history = store.webhook_changes(client, endpoint).await.unwrap();
    assert_eq!(endpoint_history.len(), 1);
    let env =
        Envelope { client_id: client, actor: "owner".into(), correlation_id: "r".into(), at: None, idempotency: None };
    let add = TeamCommand::Add {
        id: UserId::new(),
        username: format!("new-{}@example.test", uuid::Uuid::new_v4()),
        password_hash: "$argon2id$new".into(),
        roles: vec![Role::Auditor],
        enabled: true,
    };
    let run_team = || commands::execute::<Team, _, Refused>(&store, &env, client.team_stream(), |_| Ok(add.clone()));
    let refused = run_team().await.unwrap_err();
    assert!(
        matches!(&refused, CommandError::Store(StoreError::Unavailable(m)) if m.contains("inbox dynamodb migrate")),
        "{refused:?}"
    );
    let delete = |_: Option<&Endpoint>| Ok::<_, Failed>(EndpointCommand::Delete);
    let refused = commands::execute::<Endpoint, _, Failed>(&store, &env, endpoint.0, delete).await.unwrap_err();
    assert!(matches!(&refused, CommandError::Store(StoreError::Unavailable(_))), "{refused:?}");
    assert_eq!(store.load_stream(client.team_stream()).await.unwrap(), vec![], "nothing written");

    let upgraded = store.upgrade_streams().await.unwrap();
    assert_eq!((upgraded.teams, upgraded.endpoints, upgraded.events), (1, 1, 5));
    let team = store.team(client).await.unwrap().unwrap();
    let events = store.load_stream(client.team_stream()).await.unwrap();
    inbox_domain::verify_chain(client.team_stream(), &events).unwrap();
    let replayed: Option<Team> = inbox_domain::aggregate::replay(&events).unwrap();
    assert_eq!(replayed, Some(team.without_secrets()), "the read model is the stream's replay");
    assert_eq!((team.version, team.last_hash.as_str()), (3, events[2].hash.as_str()));
    assert_eq!(team.member(made).unwrap().password_hash, "$argon2id$made@example.test", "credentials kept");
    assert!(!team.member(made).unwrap().enabled);
    assert_eq!(events[0].actor, "upgrade", "the user from before records were kept is created by the upgrade");
    let after = store.user_changes(client, made).await.unwrap();
    assert_eq!(
        after.iter().map(|c| (&c.event_type, &c.changes, &c.actor)).collect::<Vec<_>>(),
        history.iter().map(|c| (&c.event_type, &c.changes, &c.actor)).collect::<Vec<_>>(),
        "the same history"
    );
    let e = store.webhook_endpoint(client, endpoint).await.unwrap().unwrap();
    assert_eq!((e.version, e.secret.as_str(), e.failing_since.is_some()), (2, "whsec_old", true));
    let kinds: Vec<_> =
        store.webhook_changes(client, endpoint).await.unwrap().into_iter().map(|c| c.event_type).collect();
    assert_eq!(kinds, ["WebhookCreated", "WebhookFailing"]);

    // Now commands run, and a second upgrade finds nothing to do.
    run_team().await.unwrap();
    assert_eq!(store.team(client).await.unwrap().unwrap().version, 4);
    commands::execute::<Endpoint, _, Failed>(&store, &env, endpoint.0, delete).await.unwrap();
    assert_eq!(store.upgrade_streams().await.unwrap(), inbox_store::dynamodb::Upgraded::default());
}
