//! Given these past events, when this command, then these new events (or this refusal).

use inbox_domain::commands::{Changes, Command, Context, DomainError, Field, Violation};
use inbox_domain::events::*;
use inbox_domain::{execute, project, time, AccountId, ClientId, State, Timestamp};
use uuid::Uuid;

fn now() -> Timestamp {
    time::parse("2025-12-06T04:35:33.192Z").unwrap()
}

fn ctx() -> Context {
    Context { client_id: ClientId(Uuid::from_u128(7)), actor: "user-1".into(), now: now() }
}

const ID: Uuid = Uuid::from_u128(1);

fn connected() -> AccountEvent {
    AccountEvent::AccountConnected(Connected {
        account_id: AccountId(ID),
        client_id: ClientId(Uuid::from_u128(7)),
        integration: "whatsapp".into(),
        created_by: "user-1".into(),
        reconnect_url: "https://connect.example.test/whatsapp/1".into(),
        connected_at: now(),
    })
}

fn profile() -> Profile {
    Profile {
        username: Some("Michael Scott".into()),
        description: Some("Regional Manager".into()),
        avatar_url: Some("https://example.com/m.png".into()),
        platform_id: "15551234".into(),
        platform_username: Some("michael".into()),
    }
}

/// The state after `history`, built through the same sealing and fold as production.
fn given(history: &[AccountEvent]) -> State {
    let meta =
        Metadata { client_id: ctx().client_id, actor: "user-1".into(), correlation_id: "t".into(), recorded_at: now() };
    project(&seal(ID, 0, GENESIS_HASH, history, &meta)).unwrap()
}

fn when(history: &[AccountEvent], cmd: Command) -> Result<Vec<AccountEvent>, DomainError> {
    inbox_domain::decide(&given(history), &cmd, &ctx())
}

fn invalid(field: Field) -> impl Fn(&Result<Vec<AccountEvent>, DomainError>) -> bool {
    move |r| matches!(r, Err(DomainError::Invalid(v)) if v.iter().any(|Violation { field: f, .. }| *f == field))
}

fn connect(integration: &str, hist: Option<&str>) -> Command {
    Command::Connect {
        account_id: AccountId(ID),
        integration: integration.into(),
        reconnect_url: "https://connect.example.test/whatsapp/1".into(),
        history_sync_until: hist.map(|h| time::parse(h).unwrap()),
    }
}

fn update(f: impl FnOnce(&mut Changes)) -> Command {
    let mut c = Changes::default();
    f(&mut c);
    Command::Update(c)
}

#[test]
fn connect_emits_connected() {
    assert_eq!(when(&[], connect("whatsapp", None)), Ok(vec![connected()]));
}

#[test]
fn connect_with_history_also_sets_history() {
    let h = time::parse("2025-01-01").unwrap();
    assert_eq!(
        when(&[], connect("whatsapp", Some("2025-01-01"))),
        Ok(vec![connected(), AccountEvent::HistorySyncSet(HistorySync { history_sync_until: Some(h) })])
    );
}

#[test]
fn connect_refuses_unknown_integration_and_future_history() {
    assert!(invalid(Field::Integration)(&when(&[], connect("myspace", None))));
    assert!(invalid(Field::HistorySyncUntil)(&when(&[], connect("x", Some("2999-01-01")))));
}

#[test]
fn connect_twice_is_refused() {
    assert_eq!(when(&[connected()], connect("whatsapp", None)), Err(DomainError::AlreadyExists));
}

#[test]
fn commands_on_missing_or_removed_account_are_not_found() {
    let removed = [connected(), AccountEvent::AccountRemoved(Removed {})];
    for history in [&[][..], &removed[..]] {
        assert_eq!(when(history, Command::Remove), Err(DomainError::NotFound));
        assert_eq!(when(history, Command::Authorize(profile())), Err(DomainError::NotFound));
        assert_eq!(when(history, update(|c| c.share_past_history = Some(true))), Err(DomainError::NotFound));
    }
}

#[test]
fn authorize_emits_profile_then_is_idempotent() {
    assert_eq!(
        when(&[connected()], Command::Authorize(profile())),
        Ok(vec![AccountEvent::AccountAuthorized(profile())])
    );
    let authorized = [connected(), AccountEvent::AccountAuthorized(profile())];
    assert_eq!(when(&authorized, Command::Authorize(profile())), Ok(vec![]));
    let mut changed = profile();
    changed.username = Some("Dwight".into());
    assert_eq!(
        when(&authorized, Command::Authorize(changed.clone())),
        Ok(vec![AccountEvent::AccountAuthorized(changed)])
    );
}

#[test]
fn authorize_refuses_blank_platform_id_and_bad_avatar() {
    let mut p = profile();
    p.platform_id = "  ".into();
    assert!(invalid(Field::PlatformId)(&when(&[connected()], Command::Authorize(p))));
    let mut p = profile();
    p.avatar_url = Some("javascript:alert(1)".into());
    assert!(invalid(Field::AvatarUrl)(&when(&[connected()], Command::Authorize(p))));
}

#[test]
fn disconnect_emits_once() {
    let authorized = [connected(), AccountEvent::AccountAuthorized(profile())];
    let cmd =
        Command::Disconnect { reason: Some("logged_out".into()), reconnect_url: "https://c.example.test/r".into() };
    let d = AccountEvent::AccountDisconnected(Disconnected {
        reason: "logged_out".into(),
        reconnect_url: "https://c.example.test/r".into(),
        disconnected_at: now(),
    });
    assert_eq!(when(&authorized, cmd.clone()), Ok(vec![d.clone()]));
    let after = [connected(), AccountEvent::AccountAuthorized(profile()), d];
    assert_eq!(when(&after, cmd), Ok(vec![]));
}

#[test]
fn disconnect_defaults_reason_and_checks_url() {
    let cmd = Command::Disconnect { reason: None, reconnect_url: "https://c.example.test/r".into() };
    let Ok(events) = when(&[connected()], cmd) else { panic!() };
    assert!(matches!(&events[..], [AccountEvent::AccountDisconnected(d)] if d.reason == "session_lost"));
    let bad = Command::Disconnect { reason: None, reconnect_url: "not a url".into() };
    assert!(invalid(Field::ReconnectUrl)(&when(&[connected()], bad)));
}

#[test]
fn update_emits_full_writable_values() {
    let got = when(&[connected()], update(|c| c.description = Some(Some("Sales".into()))));
    let expected = Writable { description: Some("Sales".into()), ..Writable::default() };
    assert_eq!(got, Ok(vec![AccountEvent::AccountUpdated(expected)]));
}

#[test]
fn update_with_same_values_is_a_no_op() {
    let history =
        [connected(), AccountEvent::AccountUpdated(Writable { username: Some("A".into()), ..Default::default() })];
    assert_eq!(when(&history, update(|c| c.username = Some(Some("A".into())))), Ok(vec![]));
    assert_eq!(when(&history, update(|_| {})), Ok(vec![]));
}

#[test]
fn update_history_emits_history_sync_set() {
    let h = time::parse("2025-06-01").unwrap();
    assert_eq!(
        when(&[connected()], update(|c| c.history_sync_until = Some(Some(h)))),
        Ok(vec![AccountEvent::HistorySyncSet(HistorySync { history_sync_until: Some(h) })])
    );
    assert_eq!(when(&[connected()], update(|c| c.history_sync_until = Some(None))), Ok(vec![]));
}

#[test]
fn update_refuses_invalid_values_and_reports_each() {
    let r = when(
        &[connected()],
        update(|c| {
            c.username = Some(Some(" ".into()));
            c.description = Some(Some("x".repeat(1001)));
            c.avatar_url = Some(Some("ftp://x".into()));
            c.history_sync_until = Some(Some(time::parse("2999-01-01").unwrap()));
        }),
    );
    for field in [Field::Username, Field::Description, Field::AvatarUrl, Field::HistorySyncUntil] {
        assert!(invalid(field)(&r), "{field:?}: {r:?}");
    }
}

#[test]
fn remove_emits_removed_and_state_is_gone() {
    assert_eq!(when(&[connected()], Command::Remove), Ok(vec![AccountEvent::AccountRemoved(Removed {})]));
    assert_eq!(given(&[connected(), AccountEvent::AccountRemoved(Removed {})]), None);
}

#[test]
fn projection_follows_the_lifecycle() {
    let a = given(&[connected(), AccountEvent::AccountAuthorized(profile())]).unwrap();
    assert!(a.is_authorized);
    assert_eq!(a.reconnect_url, None);
    assert_eq!(a.platform_id.as_deref(), Some("15551234"));
    assert_eq!(a.version, 2);
    let d = Disconnected {
        reason: "revoked".into(),
        reconnect_url: "https://c.example.test/r".into(),
        disconnected_at: now(),
    };
    let a = given(&[connected(), AccountEvent::AccountAuthorized(profile()), AccountEvent::AccountDisconnected(d)])
        .unwrap();
    assert!(!a.is_authorized);
    assert_eq!(a.disconnected_at, Some(now()));
    assert_eq!(a.reconnect_url.as_deref(), Some("https://c.example.test/r"));
}

#[test]
fn replay_refuses_events_out_of_place() {
    let meta =
        Metadata { client_id: ctx().client_id, actor: "a".into(), correlation_id: "c".into(), recorded_at: now() };
    let bad = seal(ID, 0, GENESIS_HASH, &[AccountEvent::AccountRemoved(Removed {})], &meta);
    assert!(project(&bad).is_err());
    let twice = seal(ID, 0, GENESIS_HASH, &[connected(), connected()], &meta);
    assert!(project(&twice).is_err());
}

#[test]
fn execute_chains_hashes_and_numbers_versions() {
    let state = given(&[connected()]);
    let (events, next) =
        execute(&state, ID, &update(|c| c.username = Some(Some("N".into()))), &ctx(), "req-1").unwrap();
    assert_eq!(events[0].version, 2);
    assert_eq!(events[0].prev_hash, state.as_ref().unwrap().last_hash);
    assert_eq!(events[0].correlation_id, "req-1");
    assert_eq!(next.as_ref().unwrap().last_hash, events[0].hash);
}

#[test]
fn chain_detects_edits_gaps_and_swaps() {
    let meta =
        Metadata { client_id: ctx().client_id, actor: "a".into(), correlation_id: "c".into(), recorded_at: now() };
    let history = [connected(), AccountEvent::AccountAuthorized(profile()), AccountEvent::AccountRemoved(Removed {})];
    let events = seal(ID, 0, GENESIS_HASH, &history, &meta);
    verify_chain(ID, &events).unwrap();

    let mut edited = events.clone();
    edited[1].payload["username"] = "Mallory".into();
    assert_eq!(verify_chain(ID, &edited), Err(ChainError::BadHash { stream_id: ID, version: 2 }));
    let mut gap = events.clone();
    gap.remove(1);
    assert!(matches!(verify_chain(ID, &gap), Err(ChainError::VersionGap { expected: 2, found: 3, .. })));
    let mut swapped = events.clone();
    swapped.swap(1, 2);
    assert!(verify_chain(ID, &swapped).is_err());
    let mut truncated_tail = events;
    truncated_tail.pop();
    verify_chain(ID, &truncated_tail).unwrap(); // a cut tail is caught by the read model check, not the chain
}

#[test]
fn canonical_encoding_sorts_keys_at_every_depth() {
    let meta = Metadata {
        client_id: ClientId(Uuid::nil()),
        actor: "a".into(),
        correlation_id: "c".into(),
        recorded_at: now(),
    };
    let e = &seal(ID, 0, GENESIS_HASH, &[AccountEvent::AccountUpdated(Writable::default())], &meta)[0];
    assert_eq!(
        e.canonical(),
        format!(
            "{{\"actor\":\"a\",\"correlationId\":\"c\",\"payload\":{{\"avatarUrl\":null,\"description\":null,\
             \"sharePastHistory\":false,\"username\":null}},\"recordedAt\":\"2025-12-06T04:35:33.192Z\",\
             \"schemaVersion\":1,\"streamId\":\"{ID}\",\"tenant\":\"00000000-0000-0000-0000-000000000000\",\
             \"type\":\"AccountUpdated\",\"version\":1}}"
        )
    );
}

#[test]
fn canonical_encoding_escapes_strings_as_serde_json_does() {
    // Strings with nothing to escape are copied as they are; the others go
    // through serde_json: the result must be serde_json's encoding either way.
    for text in ["plain", "quo\"te", "back\\slash", "line\nbreak\u{1}\u{1f}", "ünïcødé ✓ </script>", ""] {
        let meta = Metadata {
            client_id: ClientId(Uuid::nil()),
            actor: text.into(),
            correlation_id: text.into(),
            recorded_at: now(),
        };
        let writable = Writable { username: Some(text.into()), ..Writable::default() };
        let e = &seal(ID, 0, GENESIS_HASH, &[AccountEvent::AccountUpdated(writable)], &meta)[0];
        let expected = serde_json::json!({
            "actor": text, "correlationId": text, "payload": e.payload, "recordedAt": "2025-12-06T04:35:33.192Z",
            "schemaVersion": 1, "streamId": ID, "tenant": Uuid::nil(), "type": "AccountUpdated", "version": 1,
        });
        assert_eq!(e.canonical(), serde_json::to_string(&expected).unwrap(), "{text:?}");
        verify_chain(ID, std::slice::from_ref(e)).unwrap();
    }
}

#[test]
fn a_hash_is_matched_exactly_as_written() {
    let meta = Metadata {
        client_id: ClientId(Uuid::nil()),
        actor: "a".into(),
        correlation_id: "c".into(),
        recorded_at: now(),
    };
    let events = seal(ID, 0, GENESIS_HASH, &[connected()], &meta);
    let bad = |hash: String| {
        let mut e = events.clone();
        e[0].hash = hash;
        verify_chain(ID, &e)
    };
    let hash = &events[0].hash;
    assert_eq!(bad(hash.clone()), Ok(()));
    let bad_hash = Err(ChainError::BadHash { stream_id: ID, version: 1 });
    // The same digest in capitals, cut short, one digit longer, or not hex.
    assert_eq!(bad(hash.to_uppercase()), bad_hash);
    assert_eq!(bad(hash[..62].to_string()), bad_hash);
    assert_eq!(bad(format!("{hash}0")), bad_hash);
    assert_eq!(bad(format!("{}g", &hash[..63])), bad_hash);
    assert_eq!(bad(String::new()), bad_hash);
}
