//! A file written before every stream was in the event log: its user and
//! webhook endpoint records become streams when it is next opened, once.

use inbox_domain::{Aggregate, ClientId, EndpointId, Team, UserId};
use inbox_store::{Client, Directory, EventStore, SqliteStore, Users, Webhooks};
use rusqlite::params;
use serde_json::json;

#[tokio::test]
async fn a_file_from_before_streams_is_upgraded_when_opened() {
    let dir = std::env::temp_dir().join(format!("inbox-sqlite-{}", uuid::Uuid::new_v4()));
    let path = dir.join("inbox.db");
    let client = ClientId::new();
    let now = inbox_domain::time::truncate(chrono::Utc::now());
    {
        let store = SqliteStore::open(&path).unwrap();
        store
            .create_client(&Client { id: client, name: "Old".into(), plan: "free".into(), created_at: now })
            .await
            .unwrap();
    }
    // What the old version wrote: users with their records, an endpoint with its record.
    let (early, made, endpoint) = (UserId::new(), UserId::new(), EndpointId::new());
    let old = rusqlite::Connection::open(&path).unwrap();
    let user = "INSERT INTO users (id, tenant_id, username, password_hash, roles, enabled, version, created_at)
                VALUES (?1, ?2, ?3, ?4, 'ROLE_OWNER', ?5, ?6, '2026-01-01T00:00:00.000Z')";
    old.execute(user, params![early.to_string(), client.to_string(), "early", "$argon2id$early", true, 0]).unwrap();
    old.execute(user, params![made.to_string(), client.to_string(), "made", "$argon2id$made", false, 2]).unwrap();
    let record =
        "INSERT INTO user_events (user_id, version, tenant_id, event_type, changes, actor, correlation_id, recorded_at)
                  VALUES (?1, ?2, ?3, ?4, ?5, 'owner-before', 'req', ?6)";
    let created = json!({"username": "made", "roles": ["ROLE_OWNER"], "enabled": true}).to_string();
    let c = client.to_string();
    old.execute(record, params![made.to_string(), 1, c, "UserCreated", created, "2026-02-01T00:00:00.000Z"]).unwrap();
    let disabled = json!({"enabled": false}).to_string();
    old.execute(record, params![made.to_string(), 2, c, "UserChanged", disabled, "2026-02-02T00:00:00.000Z"]).unwrap();
    old.execute("UPDATE tenants SET users_version = 2 WHERE id = ?1", [&c]).unwrap();
    let body = json!({
        "id": endpoint, "clientId": client, "url": "https://old.example.test/hook", "events": ["account.connected"],
        "description": "old", "enabled": true, "disabledReason": null, "secret": "whsec_old",
        "createdAt": "2026-01-01T00:00:00.000Z", "failingSince": null, "version": 1
    });
    old.execute(
        "INSERT INTO webhook_endpoints (client_id, id, version, body) VALUES (?1, ?2, 1, ?3)",
        params![c, endpoint.to_string(), body.to_string()],
    )
    .unwrap();
    let change = json!({
        "clientId": client, "endpointId": endpoint, "version": 1, "eventType": "WebhookCreated",
        "changes": {"url": "https://old.example.test/hook", "events": ["account.connected"], "description": "old",
                    "enabled": true, "disabledReason": null},
        "actor": "owner-before", "correlationId": "req-w", "recordedAt": "2026-01-01T00:00:00.000Z"
    });
    old.execute(
        "INSERT INTO webhook_events (endpoint_id, version, client_id, body) VALUES (?1, 1, ?2, ?3)",
        params![endpoint.to_string(), c, change.to_string()],
    )
    .unwrap();
    old.execute_batch("UPDATE tenants SET team_hash = NULL; PRAGMA user_version = 1").unwrap();
    drop(old);

    for _ in 0..2 {
        // Opened twice: upgraded once.
        let store = SqliteStore::open(&path).unwrap();
        let team = store.team(client).await.unwrap().unwrap();
        let events = store.load_stream(client.team_stream()).await.unwrap();
        assert_eq!(events.len(), 3, "a creation for the early user, then the made user's two records");
        inbox_domain::verify_chain(client.team_stream(), &events).unwrap();
        let replayed: Option<Team> = inbox_domain::aggregate::replay(&events).unwrap();
        assert_eq!(replayed, Some(team.without_secrets()));
        assert_eq!((team.version, team.last_hash.as_str()), (3, events[2].hash.as_str()));
        assert_eq!(team.member(made).unwrap().password_hash, "$argon2id$made");
        let history = store.user_changes(client, made).await.unwrap();
        let kinds: Vec<_> = history.iter().map(|h| (h.version, h.event_type.as_str(), h.actor.as_str())).collect();
        assert_eq!(kinds, [(1, "UserCreated", "owner-before"), (2, "UserChanged", "owner-before")]);
        let e = store.webhook_endpoint(client, endpoint).await.unwrap().unwrap();
        assert_eq!((e.version, e.secret.as_str(), e.description.as_deref()), (1, "whsec_old", Some("old")));
        assert_eq!(e.last_hash, store.load_stream(endpoint.0).await.unwrap()[0].hash);
        assert_eq!(store.webhook_changes(client, endpoint).await.unwrap()[0].changes, change["changes"]);
    }
    std::fs::remove_dir_all(dir).unwrap();
}
