//! Commands and `decide`: validation and business rules, turning a command into
//! events (or a typed refusal). Pure: the caller supplies the state and the clock.

use crate::account::{Account, State};
pub use crate::aggregate::Context;
use crate::events::{AccountEvent, Connected, Disconnected, HistorySync, Profile, Removed, Writable};
use crate::ids::AccountId;
use crate::integrations;
use crate::text::{self, Lines};
use crate::time::Timestamp;

pub const MAX_NAME: usize = 255;
pub const MAX_DESCRIPTION: usize = 1000;
pub const MAX_URL: usize = 2048;

/// A change of a nullable field: absent from the request = `None` (keep the value).
pub type Patch<T> = Option<Option<T>>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Connect {
        account_id: AccountId,
        integration: String,
        reconnect_url: String,
        history_sync_until: Option<Timestamp>,
    },
    Authorize(Profile),
    Disconnect {
        reason: Option<String>,
        reconnect_url: String,
    },
    Update(Changes),
    Remove,
    /// A hosted sign-in finished: the profile, and the credentials it got.
    SignedIn {
        profile: Profile,
        stored: crate::credentials::Stored,
        sealed: crate::credentials::Sealed,
    },
    /// Renewed credentials (a refresh) replace the stored ones.
    StoreCredentials {
        stored: crate::credentials::Stored,
        sealed: crate::credentials::Sealed,
    },
}

/// The fields a PUT may change; `None` leaves a field as it is.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Changes {
    pub username: Patch<String>,
    pub description: Patch<String>,
    pub avatar_url: Patch<String>,
    pub share_past_history: Option<bool>,
    pub history_sync_until: Patch<Timestamp>,
}

/// A field a command carries; the API crate gives each its wire name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Integration,
    ReconnectUrl,
    HistorySyncUntil,
    PlatformId,
    PlatformUsername,
    Username,
    Description,
    AvatarUrl,
    Reason,
}

/// Why a value was refused; the API crate words it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    Blank,
    TooLong {
        max: usize,
    },
    ControlCharacters,
    NotAUrl,
    InFuture,
    UnknownIntegration,
    /// Only characters that show nothing (zero-width spaces, fillers …).
    Invisible,
    /// Bidirectional overrides or isolates.
    BidiControl,
}

/// One refused value of a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Violation {
    pub field: Field,
    pub rule: Rule,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    #[error("invalid input")]
    Invalid(Vec<Violation>),
    #[error("account not found")]
    NotFound,
    #[error("account already exists")]
    AlreadyExists,
}

pub const DEFAULT_DISCONNECT_REASON: &str = "session_lost";

pub fn decide(state: &State, cmd: &Command, ctx: &Context) -> Result<Vec<AccountEvent>, DomainError> {
    decide_on(state.as_ref(), cmd, ctx)
}

pub(crate) fn decide_on(
    state: Option<&Account>,
    cmd: &Command,
    ctx: &Context,
) -> Result<Vec<AccountEvent>, DomainError> {
    let mut v = Violations::default();
    match (state, cmd) {
        (Some(_), Command::Connect { .. }) => Err(DomainError::AlreadyExists),
        (None, Command::Connect { account_id, integration, reconnect_url, history_sync_until }) => {
            if integrations::find(integration).is_none() {
                v.add(Field::Integration, Rule::UnknownIntegration);
            }
            v.check_url(Field::ReconnectUrl, Some(reconnect_url));
            v.check_history(history_sync_until.as_ref(), ctx.now);
            v.into_result()?;
            let mut events = vec![AccountEvent::AccountConnected(Connected {
                account_id: *account_id,
                client_id: ctx.client_id,
                integration: integration.clone(),
                created_by: ctx.actor.clone(),
                reconnect_url: reconnect_url.clone(),
                connected_at: ctx.now,
            })];
            if history_sync_until.is_some() {
                events.push(AccountEvent::HistorySyncSet(HistorySync { history_sync_until: *history_sync_until }));
            }
            Ok(events)
        }
        (None, _) => Err(DomainError::NotFound),
        (Some(a), Command::Authorize(reported)) => authorize(a, reported, v),
        (Some(a), Command::SignedIn { profile, stored, .. }) => {
            let mut events = authorize(a, profile, v)?;
            events.push(AccountEvent::CredentialsStored(stored.clone()));
            Ok(events)
        }
        (Some(_), Command::StoreCredentials { stored, .. }) => {
            Ok(vec![AccountEvent::CredentialsStored(stored.clone())])
        }
        (Some(a), Command::Disconnect { reason, reconnect_url }) => {
            let reason = v.name(Field::Reason, reason.as_ref());
            v.check_url(Field::ReconnectUrl, Some(reconnect_url));
            v.into_result()?;
            if !a.is_authorized && a.disconnected_at.is_some() {
                return Ok(vec![]); // already disconnected: the report changes nothing
            }
            Ok(vec![AccountEvent::AccountDisconnected(Disconnected {
                reason: reason.unwrap_or_else(|| DEFAULT_DISCONNECT_REASON.to_string()),
                reconnect_url: reconnect_url.clone(),
                disconnected_at: ctx.now,
            })])
        }
        (Some(a), Command::Update(c)) => decide_update(a, c, ctx, v),
        (Some(_), Command::Remove) => Ok(vec![AccountEvent::AccountRemoved(Removed {})]),
    }
}

/// The events of a reported profile: `AccountAuthorized`, unless it changes nothing.
fn authorize(a: &Account, reported: &Profile, mut v: Violations) -> Result<Vec<AccountEvent>, DomainError> {
    let p = Profile {
        platform_id: v.name(Field::PlatformId, Some(&reported.platform_id)).unwrap_or_default(),
        platform_username: v.name(Field::PlatformUsername, reported.platform_username.as_ref()),
        username: v.name(Field::Username, reported.username.as_ref()),
        description: v.description(reported.description.as_ref()),
        avatar_url: reported.avatar_url.clone(),
    };
    v.check_url(Field::AvatarUrl, p.avatar_url.as_ref());
    v.into_result()?;
    let kept = |reported: &Option<String>, current: &Option<String>| reported.is_none() || reported == current;
    let same = a.is_authorized
        && a.platform_id.as_ref() == Some(&p.platform_id)
        && kept(&p.username, &a.username)
        && kept(&p.description, &a.description)
        && kept(&p.avatar_url, &a.avatar_url)
        && kept(&p.platform_username, &a.platform_username);
    Ok(if same { vec![] } else { vec![AccountEvent::AccountAuthorized(p.clone())] })
}

fn decide_update(a: &Account, c: &Changes, ctx: &Context, mut v: Violations) -> Result<Vec<AccountEvent>, DomainError> {
    // Validate (and normalise) only what the request sets: stored values were
    // valid when written.
    let username = c.username.as_ref().map(|u| v.name(Field::Username, u.as_ref()));
    let description = c.description.as_ref().map(|d| v.description(d.as_ref()));
    let pick = |patch: Option<Option<String>>, current: &Option<String>| patch.unwrap_or_else(|| current.clone());
    let next = Writable {
        username: pick(username, &a.username),
        description: pick(description, &a.description),
        avatar_url: pick(c.avatar_url.clone(), &a.avatar_url),
        share_past_history: c.share_past_history.unwrap_or(a.share_past_history),
    };
    if let Some(url) = &c.avatar_url {
        v.check_url(Field::AvatarUrl, url.as_ref());
    }
    if let Some(h) = &c.history_sync_until {
        v.check_history(h.as_ref(), ctx.now);
    }
    v.into_result()?;

    let mut events = vec![];
    let current = Writable {
        username: a.username.clone(),
        description: a.description.clone(),
        avatar_url: a.avatar_url.clone(),
        share_past_history: a.share_past_history,
    };
    if next != current {
        events.push(AccountEvent::AccountUpdated(next));
    }
    if let Some(h) = c.history_sync_until {
        if h != a.history_sync_until {
            events.push(AccountEvent::HistorySyncSet(HistorySync { history_sync_until: h }));
        }
    }
    Ok(events)
}

#[derive(Default)]
struct Violations(Vec<Violation>);

impl Violations {
    fn add(&mut self, field: Field, rule: Rule) {
        self.0.push(Violation { field, rule });
    }

    /// A one-line name that must not be blank, normalised; a refused one is
    /// recorded (and returned as given, never used since the command fails).
    fn name(&mut self, field: Field, value: Option<&String>) -> Option<String> {
        self.text(field, value, MAX_NAME, Lines::Single, true)
    }

    fn description(&mut self, value: Option<&String>) -> Option<String> {
        self.text(Field::Description, value, MAX_DESCRIPTION, Lines::Multi, false)
    }

    fn text(
        &mut self,
        field: Field,
        value: Option<&String>,
        max: usize,
        lines: Lines,
        required: bool,
    ) -> Option<String> {
        let s = value?;
        match text::clean(s, max, lines, required) {
            Ok(clean) => Some(clean),
            Err(rule) => {
                self.add(field, rule);
                Some(s.clone())
            }
        }
    }

    fn check_url(&mut self, field: Field, value: Option<&String>) {
        let Some(s) = value else { return };
        if s.len() > MAX_URL {
            self.add(field, Rule::TooLong { max: MAX_URL });
        } else if !is_http_url(s) {
            self.add(field, Rule::NotAUrl);
        }
    }

    fn check_history(&mut self, value: Option<&Timestamp>, now: Timestamp) {
        if value.is_some_and(|t| *t > now) {
            self.add(Field::HistorySyncUntil, Rule::InFuture);
        }
    }

    fn into_result(self) -> Result<(), DomainError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(DomainError::Invalid(self.0))
        }
    }
}

/// An absolute `http(s)` URL with a host, written as RFC 3986 allows: ASCII
/// only, percent-escapes well formed, each part with its own characters (an
/// international name is written in its punycode form).
pub fn is_http_url(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("https://").or_else(|| s.strip_prefix("http://")) else { return false };
    let (rest, fragment) = rest.split_once('#').unwrap_or((rest, ""));
    let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
    let (authority, path) = rest.find('/').map_or((rest, ""), |i| rest.split_at(i));
    let (userinfo, host_port) = authority.rsplit_once('@').unwrap_or(("", authority));
    let (host, port) = host_port.split_once(':').unwrap_or((host_port, ""));
    !host.is_empty()
        && uri_part(host, b"")
        && port.bytes().all(|b| b.is_ascii_digit())
        && uri_part(userinfo, b":")
        && uri_part(path, b":@/")
        && uri_part(query, b":@/?")
        && uri_part(fragment, b":@/?")
}

/// Unreserved and sub-delimiter characters, `extra`, and well-formed `%XX` escapes.
fn uri_part(part: &str, extra: &[u8]) -> bool {
    let bytes = part.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' {
            if !bytes.get(i + 1..i + 3).is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) {
                return false;
            }
            i += 3;
            continue;
        }
        if !(b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=".contains(&b) || extra.contains(&b)) {
            return false;
        }
        i += 1;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::is_http_url;

    #[test]
    fn urls_follow_rfc_3986() {
        for ok in [
            "https://example.com",
            "http://a.b/c/d?e=f&g#h",
            "https://u:p@host:8080/x",
            "https://h/%C3%A9",
            "https://xn--bcher-kva.example/",
        ] {
            assert!(is_http_url(ok), "{ok}");
        }
        for bad in [
            "ftp://x",
            "javascript:alert(1)",
            "http://",
            "https://:80",
            "https://Â",
            "https://h/é",
            "http://%zz",
            "https://a#b#c",
            "https://a:x",
            "https://a b",
            "https://h/\u{7}",
        ] {
            assert!(!is_http_url(bad), "{bad}");
        }
    }
}
