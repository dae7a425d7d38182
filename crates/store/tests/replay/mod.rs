//! Property: after any sequence of commands, replaying each account's stored
//! events gives exactly the stored read model (byte for byte in JSON).

use inbox_domain::{execute, project, time, Changes, Command, Context, Profile};
use inbox_store::{AccountReads, Commit, EventStore, SqliteStore};
use proptest::prelude::*;
use uuid::Uuid;

fn text() -> impl Strategy<Value = Option<String>> {
    prop_oneof![Just(None), "[a-zA-Z ]{1,12}".prop_map(Some)]
}

fn command() -> impl Strategy<Value = (usize, Command)> {
    let cmd = prop_oneof![
        3 => (text(), text(), any::<Option<bool>>(), any::<Option<bool>>(), 0i64..3).prop_map(|(u, d, share, set_u, hist)| {
            Command::Update(Changes {
                username: set_u.map(|_| u.clone()),
                description: Some(d),
                avatar_url: None,
                share_past_history: share,
                history_sync_until: (hist > 0).then(|| Some(time::parse("2024-01-01").unwrap() + chrono::Duration::days(hist))),
            })
        }),
        2 => ("[0-9]{1,4}", text()).prop_map(|(id, name)| Command::Authorize(Profile {
            platform_id: id,
            username: name,
            ..Default::default()
        })),
        1 => text().prop_map(|reason| Command::Disconnect { reason, reconnect_url: "https://c.example.test/r".into() }),
        1 => Just(Command::Remove),
    ];
    (0usize..3, cmd)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]
    #[test]
    fn replay_equals_stored_read_model(cmds in prop::collection::vec(command(), 0..25)) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let store = SqliteStore::in_memory().unwrap();
            let ctx = Context { client_id: Uuid::new_v4(), actor: "p".into(), now: time::truncate(chrono::Utc::now()) };
            let ids: Vec<Uuid> = (0..3).map(|_| Uuid::new_v4()).collect();
            for id in &ids {
                let connect = Command::Connect {
                    account_id: *id, integration: "whatsapp".into(),
                    reconnect_url: "https://c.example.test".into(), history_sync_until: None,
                };
                let (events, state) = execute(&None, *id, &connect, &ctx, "p").unwrap();
                store.commit(Commit { stream_id: *id, client_id: ctx.client_id, expected_version: 0, events, state }).await.unwrap();
            }
            for (i, cmd) in &cmds {
                let id = ids[*i];
                let state = store.get_account(ctx.client_id, id).await.unwrap();
                // Refusals (e.g. a command on a removed account) write nothing.
                if let Ok((events, next)) = execute(&state, id, cmd, &ctx, "p") {
                    let expected_version = state.as_ref().map_or(0, |a| a.version);
                    store.commit(Commit { stream_id: id, client_id: ctx.client_id, expected_version, events, state: next }).await.unwrap();
                }
            }
            for id in &ids {
                let events = store.load_stream(*id).await.unwrap();
                inbox_domain::verify_chain(*id, &events).unwrap();
                let replayed = project(&events).unwrap();
                let stored = store.get_account(ctx.client_id, *id).await.unwrap();
                assert_eq!(serde_json::to_string(&replayed).unwrap(), serde_json::to_string(&stored).unwrap());
            }
        });
    }
}
