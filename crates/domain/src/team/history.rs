//! A user's history as people read it, and the upcaster of the records kept
//! before the team had a stream: each user's changes stored apart, as
//! `{type, changes}` with the user's own version.

use super::{Role, Team, TeamEvent, User, UserChanged, UserCreated, UserDeleted};
use crate::aggregate::{replay, ReplayError};
use crate::events::{seal, Metadata, StoredEvent, GENESIS_HASH};
use crate::ids::{ClientId, UserId};
use crate::time::{serde_ts, Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// One recorded change of a user: also the shape the changes were stored in
/// before the team's stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserChange {
    pub client_id: ClientId,
    pub user_id: UserId,
    /// The user's version after this change (1 for its creation).
    pub version: u64,
    /// `UserCreated`, `UserChanged` or `UserDeleted`.
    pub event_type: String,
    /// What changed: `username`, `roles`, `enabled`, `passwordChanged` (never a password).
    pub changes: Value,
    pub actor: String,
    pub correlation_id: String,
    #[serde(with = "serde_ts")]
    pub recorded_at: Timestamp,
}

/// The changes of one user, oldest first, from the team's stream.
pub fn history(user: UserId, team_events: &[StoredEvent]) -> Result<Vec<UserChange>, ReplayError> {
    let mut out = vec![];
    for stored in team_events {
        let event: TeamEvent = stored.decode()?;
        if event.user_id() != user {
            continue;
        }
        out.push(UserChange {
            client_id: stored.client_id,
            user_id: user,
            version: out.len() as u64 + 1,
            event_type: stored.event_type.clone(),
            changes: event.changes(),
            actor: stored.actor.clone(),
            correlation_id: stored.correlation_id.clone(),
            recorded_at: stored.recorded_at,
        });
    }
    Ok(out)
}

/// Who the events the upgrade adds are recorded as.
pub const UPGRADE_ACTOR: &str = "upgrade";

fn roles(changes: &Value) -> Option<Vec<Role>> {
    let list = changes.get("roles")?.as_array()?;
    Some(list.iter().filter_map(|r| r.as_str().and_then(Role::from_claim)).collect())
}

/// One stored record as the event it stands for; a creation takes the
/// user's own creation time when the user is still there.
fn upcast(record: &UserChange, member: Option<&User>) -> Result<TeamEvent, String> {
    let c = &record.changes;
    let user_id = record.user_id;
    match record.event_type.as_str() {
        "UserCreated" => Ok(TeamEvent::UserCreated(UserCreated {
            user_id,
            client_id: record.client_id,
            username: c.get("username").and_then(Value::as_str).ok_or("a creation without a username")?.to_string(),
            roles: roles(c).unwrap_or_default(),
            enabled: c.get("enabled").and_then(Value::as_bool).unwrap_or(true),
            created_at: member.map_or(record.recorded_at, |m| m.created_at),
        })),
        "UserChanged" => Ok(TeamEvent::UserChanged(UserChanged {
            user_id,
            roles: roles(c),
            enabled: c.get("enabled").and_then(Value::as_bool),
            password_changed: c.get("passwordChanged").and_then(Value::as_bool).unwrap_or(false),
        })),
        "UserDeleted" => Ok(TeamEvent::UserDeleted(UserDeleted { user_id })),
        other => Err(format!("unknown user event type {other:?}")),
    }
}

/// The team's stream made from what was stored before it existed: every
/// user's recorded changes (`records`, of one client), merged in time order
/// with each user's own order kept, and a creation (by [`UPGRADE_ACTOR`]) for
/// each user whose records do not start with one — users from before changes
/// were recorded. Returns the sealed events and the team after them, with the
/// stored users' password hashes. The same input always gives the same
/// events, so an upgrade that runs twice writes the same thing.
pub fn upgrade(
    client_id: ClientId,
    members: &[User],
    records: &[UserChange],
) -> Result<(Vec<StoredEvent>, Option<Team>), String> {
    let mut by_user: BTreeMap<UserId, Vec<&UserChange>> = BTreeMap::new();
    for r in records.iter().filter(|r| r.client_id == client_id) {
        by_user.entry(r.user_id).or_default().push(r);
    }
    for m in members {
        by_user.entry(m.id).or_default();
    }
    // Each user's events in its own order, with the time they were recorded at.
    let mut lanes: Vec<Vec<(TeamEvent, Metadata)>> = vec![];
    for (user, mut list) in by_user {
        list.sort_by_key(|r| r.version);
        let member = members.iter().find(|m| m.id == user);
        let mut lane = vec![];
        if list.first().is_none_or(|r| r.event_type != "UserCreated") {
            let at = member.map(|m| m.created_at).or(list.first().map(|r| r.recorded_at)).expect("a user or a record");
            let created = UserCreated {
                user_id: user,
                client_id,
                username: member.map_or_else(|| user.to_string(), |m| m.username.clone()),
                roles: member.map_or_else(Vec::new, |m| m.roles.clone()),
                enabled: member.is_some_and(|m| m.enabled),
                created_at: at,
            };
            let meta = Metadata {
                client_id,
                actor: UPGRADE_ACTOR.into(),
                correlation_id: UPGRADE_ACTOR.into(),
                recorded_at: at,
            };
            lane.push((TeamEvent::UserCreated(created), meta));
        }
        for r in list {
            let meta = Metadata {
                client_id,
                actor: r.actor.clone(),
                correlation_id: r.correlation_id.clone(),
                recorded_at: r.recorded_at,
            };
            lane.push((upcast(r, member)?, meta));
        }
        lanes.push(lane);
    }
    // Merged by time (then user id), each lane consumed in order.
    let mut heads = vec![0usize; lanes.len()];
    let mut stored: Vec<StoredEvent> = vec![];
    let stream = client_id.team_stream();
    loop {
        let next = (0..lanes.len())
            .filter(|&i| heads[i] < lanes[i].len())
            .min_by_key(|&i| (lanes[i][heads[i]].1.recorded_at, lanes[i][heads[i]].0.user_id()));
        let Some(i) = next else { break };
        let (event, meta) = &lanes[i][heads[i]];
        heads[i] += 1;
        let (version, prev) = stored.last().map_or((0, GENESIS_HASH), |e| (e.version, e.hash.as_str()));
        let sealed = seal(stream, version, prev, std::slice::from_ref(event), meta);
        stored.extend(sealed);
    }
    let mut team: Option<Team> = replay(&stored).map_err(|e| e.to_string())?;
    if let Some(t) = &mut team {
        for u in &mut t.members {
            u.password_hash =
                members.iter().find(|m| m.id == u.id).map(|m| m.password_hash.clone()).unwrap_or_default();
        }
    }
    Ok((stored, team))
}
