//! A client's team of users as one aggregate: its stream records every user
//! change, and its rules see the whole team, so the last enabled owner of a
//! client stays whoever changes users at the same time. A password hash is
//! kept in the state but never in an event (credentials are not events).

mod history;

pub use history::{history, upgrade, UserChange};

use crate::aggregate::{Aggregate, Context, DomainEvent, StreamKind};
use crate::events::GENESIS_HASH;
use crate::ids::{ClientId, UserId};
use crate::time::{serde_ts, Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

/// What a user of a client may do (also the role of a customer session,
/// which no user holds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// Dashboard owner: everything on all accounts of its client.
    Owner,
    /// Embedded-inbox user: creates accounts; reads and changes only its own.
    Customer,
    /// Reads accounts and their history, nothing else.
    Auditor,
    /// The channel connector service: reports sign-ins and lost sessions.
    Connector,
    /// A customer session minted by the host application for one of its end
    /// users (`ROLE_CUSTOMER` plus the `customer_id` claim): its own accounts only.
    CustomerSession,
}

impl Role {
    /// The roles a user can hold.
    pub const ALL: [Role; 4] = [Role::Owner, Role::Customer, Role::Auditor, Role::Connector];

    /// The role as carried in tokens and stored (`ROLE_OWNER`, …).
    pub fn claim(self) -> &'static str {
        match self {
            Role::Owner => "ROLE_OWNER",
            Role::Customer | Role::CustomerSession => "ROLE_CUSTOMER",
            Role::Auditor => "ROLE_AUDITOR",
            Role::Connector => "ROLE_CONNECTOR",
        }
    }

    /// A role a user can hold, by its claim.
    pub fn from_claim(s: &str) -> Option<Role> {
        Self::ALL.into_iter().find(|r| r.claim() == s)
    }
}

impl Serialize for Role {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.claim())
    }
}

impl<'de> Deserialize<'de> for Role {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Role::from_claim(&s).ok_or_else(|| serde::de::Error::custom(format_args!("unknown role {s:?}")))
    }
}

/// The longest username, in characters.
pub const MAX_USERNAME: usize = 180;

/// One user of a client's team.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub id: UserId,
    pub client_id: ClientId,
    /// Unique across all clients: the login name.
    pub username: String,
    /// PHC string (argon2id); never in an event.
    pub password_hash: String,
    pub roles: Vec<Role>,
    /// A disabled user cannot log in or refresh.
    pub enabled: bool,
    /// The number of changes recorded for this user (1 once created).
    pub version: u64,
    #[serde(with = "serde_ts")]
    pub created_at: Timestamp,
}

impl User {
    fn is_enabled_owner(&self) -> bool {
        self.enabled && self.roles.contains(&Role::Owner)
    }
}

/// A client's users, oldest first, and the head of the team's stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Team {
    pub members: Vec<User>,
    pub version: u64,
    pub last_hash: String,
}

impl Team {
    pub fn member(&self, id: UserId) -> Option<&User> {
        self.members.iter().find(|u| u.id == id)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TeamCommand {
    /// A new user (its username cleaned and its password hashed by the caller).
    Add {
        id: UserId,
        username: String,
        password_hash: String,
        roles: Vec<Role>,
        enabled: bool,
    },
    /// A change of some of a user's values; `None` keeps one.
    Change {
        id: UserId,
        roles: Option<Vec<Role>>,
        enabled: Option<bool>,
        password_hash: Option<String>,
    },
    Remove {
        id: UserId,
    },
}

/// The field whose change would leave the client without an enabled owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TeamField {
    Roles,
    Enabled,
    Id,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TeamRefusal {
    #[error("no such user")]
    NotFound,
    #[error("the user exists already")]
    AlreadyExists,
    #[error("a user holds at least one role")]
    NoRoles,
    #[error("the username is taken")]
    UsernameTaken,
    /// Disabling, demoting or deleting the client's last enabled owner.
    #[error("the client's last enabled owner cannot be disabled, demoted or deleted")]
    LastOwner(TeamField),
}

/// The team's events; the variant name is the stored event type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "payload")]
pub enum TeamEvent {
    UserCreated(UserCreated),
    UserChanged(UserChanged),
    UserDeleted(UserDeleted),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UserCreated {
    pub user_id: UserId,
    pub client_id: ClientId,
    pub username: String,
    pub roles: Vec<Role>,
    pub enabled: bool,
    #[serde(with = "serde_ts")]
    pub created_at: Timestamp,
}

/// What changed (never the password, only that it did).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UserChanged {
    pub user_id: UserId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<Role>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub password_changed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UserDeleted {
    pub user_id: UserId,
}

impl DomainEvent for TeamEvent {
    const TYPES: &'static [&'static str] = &["UserCreated", "UserChanged", "UserDeleted"];

    fn event_type(&self) -> &'static str {
        match self {
            TeamEvent::UserCreated(_) => "UserCreated",
            TeamEvent::UserChanged(_) => "UserChanged",
            TeamEvent::UserDeleted(_) => "UserDeleted",
        }
    }
}

impl TeamEvent {
    /// The user the event is about.
    pub fn user_id(&self) -> UserId {
        match self {
            TeamEvent::UserCreated(e) => e.user_id,
            TeamEvent::UserChanged(e) => e.user_id,
            TeamEvent::UserDeleted(e) => e.user_id,
        }
    }

    /// What a person reads changed: `username`, `roles`, `enabled`,
    /// `passwordChanged` (the shape the history has always had).
    pub fn changes(&self) -> Value {
        let mut changes = Map::new();
        match self {
            TeamEvent::UserCreated(c) => {
                changes.insert("username".into(), json!(c.username));
                changes.insert("roles".into(), json!(c.roles));
                changes.insert("enabled".into(), json!(c.enabled));
            }
            TeamEvent::UserChanged(c) => {
                if let Some(roles) = &c.roles {
                    changes.insert("roles".into(), json!(roles));
                }
                if let Some(enabled) = c.enabled {
                    changes.insert("enabled".into(), json!(enabled));
                }
                if c.password_changed {
                    changes.insert("passwordChanged".into(), json!(true));
                }
            }
            TeamEvent::UserDeleted(_) => {}
        }
        Value::Object(changes)
    }
}

/// The roles in the order given, each once.
fn distinct(roles: &[Role]) -> Vec<Role> {
    let mut out = Vec::with_capacity(roles.len());
    for r in roles {
        if !out.contains(r) {
            out.push(*r);
        }
    }
    out
}

/// Whether the team keeps an enabled owner once `id` becomes `after` (`None`:
/// deleted). A team without one already is not held to it.
fn keeps_an_owner(members: &[User], id: UserId, after: Option<&User>) -> bool {
    let was = members.iter().any(|u| u.id == id && u.is_enabled_owner());
    let others = members.iter().filter(|u| u.id != id && u.is_enabled_owner()).count();
    !was || others > 0 || after.is_some_and(User::is_enabled_owner)
}

impl Aggregate for Team {
    type Command = TeamCommand;
    type Event = TeamEvent;
    type Refusal = TeamRefusal;
    const KIND: StreamKind = StreamKind::Team;

    fn decide(state: Option<&Self>, cmd: &TeamCommand, ctx: &Context) -> Result<Vec<TeamEvent>, TeamRefusal> {
        let members = state.map_or(&[][..], |t| &t.members[..]);
        let find = |id: UserId| members.iter().find(|u| u.id == id);
        match cmd {
            TeamCommand::Add { id, username, roles, enabled, .. } => {
                if find(*id).is_some() {
                    return Err(TeamRefusal::AlreadyExists);
                }
                if roles.is_empty() {
                    return Err(TeamRefusal::NoRoles);
                }
                if members.iter().any(|u| u.username == *username) {
                    return Err(TeamRefusal::UsernameTaken);
                }
                Ok(vec![TeamEvent::UserCreated(UserCreated {
                    user_id: *id,
                    client_id: ctx.client_id,
                    username: username.clone(),
                    roles: distinct(roles),
                    enabled: *enabled,
                    created_at: ctx.now,
                })])
            }
            TeamCommand::Change { id, roles, enabled, password_hash } => {
                let before = find(*id).ok_or(TeamRefusal::NotFound)?;
                if roles.as_ref().is_some_and(Vec::is_empty) {
                    return Err(TeamRefusal::NoRoles);
                }
                let roles = roles.as_deref().map(distinct).filter(|r| *r != before.roles);
                let enabled = enabled.filter(|e| *e != before.enabled);
                let change = UserChanged { user_id: *id, roles, enabled, password_changed: password_hash.is_some() };
                if change == (UserChanged { user_id: *id, ..UserChanged::default() }) {
                    return Ok(vec![]);
                }
                let mut after = before.clone();
                after.roles = change.roles.clone().unwrap_or(after.roles);
                after.enabled = change.enabled.unwrap_or(after.enabled);
                if !keeps_an_owner(members, *id, Some(&after)) {
                    let field = if after.enabled { TeamField::Roles } else { TeamField::Enabled };
                    return Err(TeamRefusal::LastOwner(field));
                }
                Ok(vec![TeamEvent::UserChanged(change)])
            }
            TeamCommand::Remove { id } => {
                find(*id).ok_or(TeamRefusal::NotFound)?;
                if !keeps_an_owner(members, *id, None) {
                    return Err(TeamRefusal::LastOwner(TeamField::Id));
                }
                Ok(vec![TeamEvent::UserDeleted(UserDeleted { user_id: *id })])
            }
        }
    }

    fn apply(state: Option<Self>, event: &TeamEvent) -> Option<Option<Self>> {
        let mut team =
            state.unwrap_or_else(|| Team { members: vec![], version: 0, last_hash: GENESIS_HASH.to_string() });
        let at = team.members.iter().position(|u| u.id == event.user_id());
        match (event, at) {
            (TeamEvent::UserCreated(c), None) => {
                team.members.push(User {
                    id: c.user_id,
                    client_id: c.client_id,
                    username: c.username.clone(),
                    password_hash: String::new(),
                    roles: c.roles.clone(),
                    enabled: c.enabled,
                    version: 1,
                    created_at: c.created_at,
                });
                team.members.sort_by_key(|u| (u.created_at, u.id));
            }
            (TeamEvent::UserChanged(c), Some(i)) => {
                let u = &mut team.members[i];
                u.roles = c.roles.clone().unwrap_or(std::mem::take(&mut u.roles));
                u.enabled = c.enabled.unwrap_or(u.enabled);
                u.version += 1;
            }
            (TeamEvent::UserDeleted(_), Some(i)) => {
                team.members.remove(i);
            }
            _ => return None,
        }
        Some(Some(team))
    }

    crate::aggregate::head_in_fields!();

    fn keep(&mut self, cmd: &TeamCommand) {
        let (id, hash) = match cmd {
            TeamCommand::Add { id, password_hash, .. } => (id, password_hash),
            TeamCommand::Change { id, password_hash: Some(hash), .. } => (id, hash),
            _ => return,
        };
        if let Some(u) = self.members.iter_mut().find(|u| u.id == *id) {
            u.password_hash = hash.clone();
        }
    }

    fn without_secrets(&self) -> Self {
        let mut team = self.clone();
        team.members.iter_mut().for_each(|u| u.password_hash.clear());
        team
    }
}
