//! Property: folding the events `execute` produced equals the state it returned,
//! for any sequence of commands (refused commands change nothing).

use inbox_domain::{execute, project, time, Changes, Command, Context, Profile, StoredEvent};
use proptest::prelude::*;
use uuid::Uuid;

fn command() -> impl Strategy<Value = Command> {
    let name = prop_oneof![Just(None), "[a-z]{0,6}".prop_map(Some)];
    prop_oneof![
        (name.clone(), any::<Option<bool>>()).prop_map(|(u, s)| Command::Update(Changes {
            username: Some(u),
            share_past_history: s,
            ..Default::default()
        })),
        ("[0-9]{0,3}", name).prop_map(|(id, u)| Command::Authorize(Profile {
            platform_id: id,
            username: u,
            ..Default::default()
        })),
        Just(Command::Disconnect { reason: None, reconnect_url: "https://c.example.test".into() }),
        Just(Command::Remove),
        Just(Command::Connect {
            account_id: inbox_domain::AccountId(Uuid::from_u128(1)),
            integration: "x".into(),
            reconnect_url: "https://c.example.test".into(),
            history_sync_until: None,
        }),
    ]
}

proptest! {
    #[test]
    fn fold_of_all_events_equals_final_state(cmds in prop::collection::vec(command(), 0..30)) {
        let ctx = Context { client_id: inbox_domain::ClientId(Uuid::from_u128(9)), actor: "a".into(), now: time::truncate(chrono::Utc::now()) };
        let id = Uuid::from_u128(1);
        let mut state = None;
        let mut log: Vec<StoredEvent> = vec![];
        for cmd in &cmds {
            // Ids are fresh per POST; the store refuses a stream that already has events.
            if matches!(cmd, Command::Connect { .. }) && !log.is_empty() {
                continue;
            }
            if let Ok((events, next)) = execute(&state, id, cmd, &ctx, "p") {
                log.extend(events);
                state = next;
            }
        }
        prop_assert_eq!(project(&log).unwrap(), state);
        if !log.is_empty() {
            inbox_domain::verify_chain(id, &log).unwrap();
        }
    }
}
