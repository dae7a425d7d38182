//! Property: after any sequence of commands, replaying each account's stored
//! events gives exactly the stored read model (byte for byte in JSON).

use inbox_domain::{project, time, Changes, Command, Profile};
use inbox_store::commands::{self, CommandError, Envelope};
use inbox_store::{AccountReads, EventStore, SqliteStore};
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
            let client_id = inbox_domain::ClientId::new();
            let envelope = Envelope { client_id, actor: "p".into(), correlation_id: "p".into(), at: None, idempotency: None };
            let run = |id: Uuid, cmd: Command| {
                let (store, envelope) = (&store, &envelope);
                async move { commands::execute::<inbox_domain::Account, _, _>(store, envelope, id, |_| Ok::<_, CommandError>(cmd.clone())).await }
            };
            let ids: Vec<Uuid> = (0..3).map(|_| Uuid::new_v4()).collect();
            for id in &ids {
                let connect = Command::Connect {
                    account_id: inbox_domain::AccountId(*id), integration: "whatsapp".into(),
                    reconnect_url: "https://c.example.test".into(), history_sync_until: None,
                };
                run(*id, connect).await.unwrap();
            }
            for (i, cmd) in &cmds {
                // Refusals (e.g. a command on a removed account) write nothing.
                match run(ids[*i], cmd.clone()).await {
                    Ok(_) | Err(CommandError::Domain(_)) => {}
                    Err(e) => panic!("{e:?}"),
                }
            }
            for id in &ids {
                let events = store.load_stream(*id).await.unwrap();
                inbox_domain::verify_chain(*id, &events).unwrap();
                let replayed = project(&events).unwrap();
                let stored = store.get_account(client_id, inbox_domain::AccountId(*id)).await.unwrap();
                assert_eq!(serde_json::to_string(&replayed).unwrap(), serde_json::to_string(&stored).unwrap());
            }
        });
    }
}
