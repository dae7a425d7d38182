//! The account read model and the fold that builds it from events.

use crate::aggregate::{self, Aggregate, Context, ReplayError, StreamKind};
use crate::commands::{Command, DomainError};
use crate::credentials::Sealed;
use crate::events::{AccountEvent, StoredEvent, GENESIS_HASH};
use crate::ids::{AccountId, ClientId};
use crate::time::{serde_opt_ts, serde_ts, Timestamp};
use serde::{Deserialize, Serialize};

/// The read model of one active account: what GET serves, and the state commands
/// decide on. `version` and `last_hash` are the stream head the next append chains to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Account {
    pub id: AccountId,
    pub client_id: ClientId,
    pub created_by: String,
    /// Integration id; also the `accountType`.
    pub integration: String,
    pub username: Option<String>,
    pub description: Option<String>,
    pub avatar_url: Option<String>,
    pub platform_id: Option<String>,
    pub platform_username: Option<String>,
    pub is_authorized: bool,
    pub share_past_history: bool,
    pub reconnect_url: Option<String>,
    #[serde(with = "serde_ts")]
    pub created_at: Timestamp,
    #[serde(with = "serde_opt_ts")]
    pub disconnected_at: Option<Timestamp>,
    pub disconnect_reason: Option<String>,
    #[serde(with = "serde_opt_ts")]
    pub history_sync_until: Option<Timestamp>,
    /// The provider credentials of a hosted sign-in, sealed by the vault. Not
    /// an event (events are kept forever): set by the command that stores them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials: Option<Sealed>,
    pub version: u64,
    pub last_hash: String,
}

/// How the actor of a customer session is recorded (and so the `created_by`
/// of what it creates): `customer:{the host's id}`. User ids and `token:…`
/// never start so, so the two cannot collide.
pub const CUSTOMER_ACTOR_PREFIX: &str = "customer:";

impl Account {
    /// The host application's id of the end user whose customer session created
    /// the account; `None` when a user created it.
    pub fn customer_id(&self) -> Option<&str> {
        self.created_by.strip_prefix(CUSTOMER_ACTOR_PREFIX)
    }
}

/// The state of a stream after some events: `None` before the first event and
/// after removal (a removed account is gone from reads).
pub type State = Option<Account>;

/// Applies one domain event. Returns `None` when the event makes no sense in this
/// state (the caller turns that into a replay error).
pub fn apply_event(state: State, event: &AccountEvent) -> Option<State> {
    match (state, event) {
        (None, AccountEvent::AccountConnected(c)) => Some(Some(Account {
            id: c.account_id,
            client_id: c.client_id,
            created_by: c.created_by.clone(),
            integration: c.integration.clone(),
            username: None,
            description: None,
            avatar_url: None,
            platform_id: None,
            platform_username: None,
            is_authorized: false,
            share_past_history: false,
            reconnect_url: Some(c.reconnect_url.clone()),
            created_at: c.connected_at,
            disconnected_at: None,
            disconnect_reason: None,
            history_sync_until: None,
            credentials: None,
            version: 0,
            last_hash: GENESIS_HASH.to_string(),
        })),
        (None, _) | (Some(_), AccountEvent::AccountConnected(_)) => None,
        (Some(mut a), e) => {
            match e {
                AccountEvent::AccountAuthorized(p) => {
                    // Fields the channel did not report keep their value (a name set by PUT stays).
                    a.is_authorized = true;
                    a.username = p.username.clone().or(a.username);
                    a.description = p.description.clone().or(a.description);
                    a.avatar_url = p.avatar_url.clone().or(a.avatar_url);
                    a.platform_id = Some(p.platform_id.clone());
                    a.platform_username = p.platform_username.clone().or(a.platform_username);
                    a.reconnect_url = None;
                    a.disconnected_at = None;
                    a.disconnect_reason = None;
                }
                AccountEvent::AccountDisconnected(d) => {
                    a.is_authorized = false;
                    a.disconnected_at = Some(d.disconnected_at);
                    a.reconnect_url = Some(d.reconnect_url.clone());
                    a.disconnect_reason = Some(d.reason.clone());
                }
                AccountEvent::HistorySyncSet(h) => a.history_sync_until = h.history_sync_until,
                AccountEvent::AccountUpdated(w) => {
                    a.username = w.username.clone();
                    a.description = w.description.clone();
                    a.avatar_url = w.avatar_url.clone();
                    a.share_past_history = w.share_past_history;
                }
                AccountEvent::AccountRemoved(_) => return Some(None),
                // The sealed value is set by the command (`keep`), not by the event.
                AccountEvent::CredentialsStored(_) => {}
                AccountEvent::AccountConnected(_) => unreachable!("handled above"),
            }
            Some(Some(a))
        }
    }
}

impl Aggregate for Account {
    type Command = Command;
    type Event = AccountEvent;
    type Refusal = DomainError;
    const KIND: StreamKind = StreamKind::Account;

    fn decide(state: Option<&Self>, cmd: &Command, ctx: &Context) -> Result<Vec<AccountEvent>, DomainError> {
        crate::commands::decide_on(state, cmd, ctx)
    }

    fn apply(state: Option<Self>, event: &AccountEvent) -> Option<Option<Self>> {
        apply_event(state, event)
    }

    crate::aggregate::head_in_fields!();

    fn keep(&mut self, cmd: &Command) {
        if let Command::SignedIn { sealed, .. } | Command::StoreCredentials { sealed, .. } = cmd {
            self.credentials = Some(sealed.clone());
        }
    }

    fn without_secrets(&self) -> Self {
        Account { credentials: None, ..self.clone() }
    }
}

/// Applies one stored event: the domain change plus the stream head.
pub fn apply(state: State, stored: &StoredEvent) -> Result<State, ReplayError> {
    aggregate::apply_stored(state, stored)
}

/// Replay of an account stream (see [`aggregate::replay`]).
pub fn project<'a>(events: impl IntoIterator<Item = &'a StoredEvent>) -> Result<State, ReplayError> {
    aggregate::replay(events)
}
