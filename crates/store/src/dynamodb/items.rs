//! Item mapping, in one place: every stored type to its DynamoDB item and back.
//! Attribute names are storage formats (clients live under `TENANT#` keys).

use crate::{
    ApiToken, Client, RefreshFamily, RefreshToken, Result, StoreError, TokenRequest, TokenUse, User, UserChange,
};
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use inbox_domain::{time, Account, ClientId, Role, StoredEvent, Timestamp, UserId};
use std::collections::HashMap;
use uuid::Uuid;

pub(super) type Item = HashMap<String, AttributeValue>;

pub(super) fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

pub(super) fn n(v: u64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

/// Reads typed attributes of a stored item; a missing or mistyped one is corrupt data.
pub(super) struct Read<'a>(pub &'a Item);

impl Read<'_> {
    pub fn s(&self, key: &str) -> Result<String> {
        match self.0.get(key) {
            Some(AttributeValue::S(v)) => Ok(v.clone()),
            _ => Err(StoreError::Internal(format!("stored item lacks string attribute {key}"))),
        }
    }

    pub fn n(&self, key: &str) -> Result<u64> {
        match self.0.get(key) {
            Some(AttributeValue::N(v)) => v.parse().map_err(|_| StoreError::Internal(format!("bad number in {key}"))),
            _ => Err(StoreError::Internal(format!("stored item lacks number attribute {key}"))),
        }
    }

    pub fn uuid(&self, key: &str) -> Result<Uuid> {
        Uuid::parse_str(&self.s(key)?).map_err(|e| StoreError::Internal(format!("bad uuid in {key}: {e}")))
    }

    pub fn time(&self, key: &str) -> Result<Timestamp> {
        let v = self.s(key)?;
        time::parse(&v).ok_or_else(|| StoreError::Internal(format!("bad time in {key}: {v}")))
    }

    pub fn opt_time(&self, key: &str) -> Result<Option<Timestamp>> {
        self.0.contains_key(key).then(|| self.time(key)).transpose()
    }

    pub fn strings(&self, key: &str) -> Vec<String> {
        match self.0.get(key) {
            Some(AttributeValue::L(l)) => {
                l.iter().filter_map(|v| if let AttributeValue::S(r) = v { Some(r.clone()) } else { None }).collect()
            }
            _ => vec![],
        }
    }
}

fn item<const N: usize>(pairs: [(&str, AttributeValue); N]) -> Item {
    pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

/// A conditional `Put` inside a transaction.
pub(super) fn put(table: &str, item: Item, condition: Option<&str>, values: Option<Item>) -> TransactWriteItem {
    let put = Put::builder()
        .table_name(table)
        .set_item(Some(item))
        .set_condition_expression(condition.map(str::to_string))
        .set_expression_attribute_values(values)
        .build()
        .expect("table and item set");
    TransactWriteItem::builder().put(put).build()
}

pub(super) fn event_item(e: &StoredEvent) -> Item {
    item([
        ("streamId", s(e.stream_id.to_string())),
        ("version", n(e.version)),
        ("tenant", s(e.client_id.to_string())),
        ("type", s(&e.event_type)),
        ("schemaVersion", n(e.schema_version.into())),
        ("payload", s(e.payload.to_string())),
        ("actor", s(&e.actor)),
        ("correlationId", s(&e.correlation_id)),
        ("recordedAt", s(time::format(&e.recorded_at))),
        ("prevHash", s(&e.prev_hash)),
        ("hash", s(&e.hash)),
    ])
}

pub(super) fn event_from(i: &Item) -> Result<StoredEvent> {
    let r = Read(i);
    Ok(StoredEvent {
        stream_id: r.uuid("streamId")?,
        version: r.n("version")?,
        event_type: r.s("type")?,
        schema_version: u32::try_from(r.n("schemaVersion")?)
            .map_err(|e| StoreError::Internal(format!("bad schemaVersion: {e}")))?,
        payload: serde_json::from_str(&r.s("payload")?)
            .map_err(|e| StoreError::Internal(format!("bad event payload: {e}")))?,
        client_id: ClientId(r.uuid("tenant")?),
        actor: r.s("actor")?,
        correlation_id: r.s("correlationId")?,
        recorded_at: r.time("recordedAt")?,
        prev_hash: r.s("prevHash")?,
        hash: r.s("hash")?,
    })
}

pub(super) fn account_item(a: &Account) -> Result<Item> {
    let body = serde_json::to_string(a).map_err(|e| StoreError::Internal(e.to_string()))?;
    Ok(item([
        ("clientId", s(a.client_id.to_string())),
        ("id", s(a.id.to_string())),
        ("version", n(a.version)),
        ("accountType", s(&a.integration)),
        ("isAuthorized", AttributeValue::Bool(a.is_authorized)),
        ("createdBy", s(&a.created_by)),
        ("createdAt", s(time::format(&a.created_at))),
        ("body", s(body)),
    ]))
}

pub(super) fn account_from(i: &Item) -> Result<Account> {
    serde_json::from_str(&Read(i).s("body")?).map_err(|e| StoreError::Internal(format!("bad account body: {e}")))
}

pub(super) fn client_key(id: ClientId) -> String {
    format!("TENANT#{id}")
}

pub(super) fn client_item(c: &Client) -> Item {
    item([
        ("pk", s(client_key(c.id))),
        ("sk", s("TENANT")),
        ("name", s(&c.name)),
        ("plan", s(&c.plan)),
        ("createdAt", s(time::format(&c.created_at))),
    ])
}

pub(super) fn client_from(id: ClientId, i: &Item) -> Result<Client> {
    let r = Read(i);
    Ok(Client { id, name: r.s("name")?, plan: r.s("plan")?, created_at: r.time("createdAt")? })
}

pub(super) fn user_key(username: &str) -> String {
    format!("USER#{username}")
}

/// A user is stored twice, under the same attributes: by username (login) and
/// under its client (listing, changes).
pub(super) fn user_keys(u: &User) -> [(String, String); 2] {
    [(user_key(&u.username), "USER".into()), (client_key(u.client_id), format!("USER#{}", u.id))]
}

pub(super) fn user_item((pk, sk): (String, String), u: &User) -> Item {
    item([
        ("pk", s(pk)),
        ("sk", s(sk)),
        ("id", s(u.id.to_string())),
        ("tenantId", s(u.client_id.to_string())),
        ("username", s(&u.username)),
        ("passwordHash", s(&u.password_hash)),
        ("roles", AttributeValue::L(u.roles.iter().map(|r| s(r.claim())).collect())),
        ("enabled", AttributeValue::Bool(u.enabled)),
        ("version", n(u.version)),
        ("createdAt", s(time::format(&u.created_at))),
    ])
}

/// Users stored before `enabled` and `version` existed are enabled, at version 0.
pub(super) fn user_from(i: &Item) -> Result<User> {
    let r = Read(i);
    Ok(User {
        id: UserId(r.uuid("id")?),
        client_id: ClientId(r.uuid("tenantId")?),
        username: r.s("username")?,
        password_hash: r.s("passwordHash")?,
        roles: r
            .strings("roles")
            .iter()
            .map(|c| Role::from_claim(c).ok_or_else(|| StoreError::Internal(format!("unknown stored role {c:?}"))))
            .collect::<Result<_>>()?,
        enabled: !matches!(i.get("enabled"), Some(AttributeValue::Bool(false))),
        version: if i.contains_key("version") { r.n("version")? } else { 0 },
        created_at: r.time("createdAt")?,
    })
}

/// The partition of a user's changes as recorded before teams had streams.
pub(super) fn user_event_key(user_id: UserId) -> String {
    format!("USEREVENTS#{user_id}")
}

pub(super) fn user_event_from(i: &Item) -> Result<UserChange> {
    let r = Read(i);
    let user_id = r.s("pk")?.strip_prefix("USEREVENTS#").and_then(|id| Uuid::parse_str(id).ok());
    Ok(UserChange {
        client_id: ClientId(r.uuid("tenantId")?),
        user_id: UserId(user_id.ok_or_else(|| StoreError::Internal("bad user event key".into()))?),
        version: r.n("version")?,
        event_type: r.s("type")?,
        changes: serde_json::from_str(&r.s("changes")?)
            .map_err(|e| StoreError::Internal(format!("bad user event changes: {e}")))?,
        actor: r.s("actor")?,
        correlation_id: r.s("correlationId")?,
        recorded_at: r.time("recordedAt")?,
    })
}

/// Epoch seconds: what the table's TTL attribute (`expiresAt`) holds.
pub(super) fn epoch(t: &Timestamp) -> AttributeValue {
    n(t.timestamp().max(0) as u64)
}

pub(super) fn read_epoch(r: &Read<'_>, key: &str) -> Result<Timestamp> {
    let secs = r.n(key)? as i64;
    chrono::DateTime::from_timestamp(secs, 0).ok_or_else(|| StoreError::Internal(format!("bad {key} {secs}")))
}

pub(super) fn family_key(id: Uuid) -> String {
    format!("REFRESHFAMILY#{id}")
}

pub(super) fn refresh_key(hash: &str) -> String {
    format!("REFRESH#{hash}")
}

pub(super) fn family_item(f: &RefreshFamily) -> Item {
    item([
        ("pk", s(family_key(f.id))),
        ("sk", s("FAMILY")),
        ("tenantId", s(f.client_id.to_string())),
        ("userId", s(f.user_id.to_string())),
        ("userVersion", n(f.user_version)),
        ("current", s(&f.current)),
        ("revoked", AttributeValue::Bool(f.revoked)),
        ("expiresAt", epoch(&f.expires_at)),
    ])
}

pub(super) fn family_from(id: Uuid, i: &Item) -> Result<RefreshFamily> {
    let r = Read(i);
    Ok(RefreshFamily {
        id,
        client_id: ClientId(r.uuid("tenantId")?),
        user_id: UserId(r.uuid("userId")?),
        user_version: r.n("userVersion")?,
        current: r.s("current")?,
        revoked: matches!(i.get("revoked"), Some(AttributeValue::Bool(true))),
        expires_at: read_epoch(&r, "expiresAt")?,
    })
}

pub(super) fn refresh_item(t: &RefreshToken) -> Item {
    item([
        ("pk", s(refresh_key(&t.hash))),
        ("sk", s("REFRESH")),
        ("familyId", s(t.family.to_string())),
        ("expiresAt", epoch(&t.expires_at)),
    ])
}

pub(super) fn refresh_from(hash: &str, i: &Item) -> Result<RefreshToken> {
    let r = Read(i);
    Ok(RefreshToken { hash: hash.to_string(), family: r.uuid("familyId")?, expires_at: read_epoch(&r, "expiresAt")? })
}

/// A token is stored twice, under the same attributes: by secret hash
/// (authentication) and under its client (listing, revoking).
pub(super) fn token_keys(t: &ApiToken) -> [(String, String); 2] {
    [(format!("TOKEN#{}", t.secret_hash), "TOKEN".into()), (client_key(t.client_id), format!("TOKEN#{}", t.id))]
}

pub(super) fn token_item((pk, sk): (String, String), t: &ApiToken) -> Item {
    let mut i = item([
        ("pk", s(pk)),
        ("sk", s(sk)),
        ("id", s(t.id.to_string())),
        ("tenantId", s(t.client_id.to_string())),
        ("name", s(&t.name)),
        ("hint", s(&t.hint)),
        ("secretHash", s(&t.secret_hash)),
        ("createdBy", s(&t.created_by)),
        ("createdAt", s(time::format(&t.created_at))),
    ]);
    if let Some(at) = &t.revoked_at {
        i.insert("revokedAt".into(), s(time::format(at)));
    }
    if let Some(used) = &t.last_used {
        i.extend(last_used(used));
    }
    i
}

/// The attributes of a token's last use (an `UpdateItem` sets the same ones).
pub(super) fn last_used(u: &TokenUse) -> Item {
    let mut i = item([("lastUsedAt", s(time::format(&u.at)))]);
    i.extend(u.ip.as_ref().map(|v| ("lastUsedIp".to_string(), s(v))));
    i.extend(u.user_agent.as_ref().map(|v| ("lastUsedAgent".to_string(), s(v))));
    i
}

fn opt_s(i: &Item, key: &str) -> Option<String> {
    match i.get(key) {
        Some(AttributeValue::S(v)) => Some(v.clone()),
        _ => None,
    }
}

pub(super) fn token_from(i: &Item) -> Result<ApiToken> {
    let r = Read(i);
    Ok(ApiToken {
        id: r.uuid("id")?,
        client_id: ClientId(r.uuid("tenantId")?),
        name: r.s("name")?,
        hint: r.s("hint")?,
        secret_hash: r.s("secretHash")?,
        created_by: r.s("createdBy")?,
        created_at: r.time("createdAt")?,
        revoked_at: r.opt_time("revokedAt")?,
        last_used: r.opt_time("lastUsedAt")?.map(|at| TokenUse {
            at,
            ip: opt_s(i, "lastUsedIp"),
            user_agent: opt_s(i, "lastUsedAgent"),
        }),
    })
}

pub(super) fn token_log_key(token_id: uuid::Uuid) -> String {
    format!("TOKENLOG#{token_id}")
}

/// A log entry; `expiresAt` (epoch seconds) is the table's TTL attribute.
pub(super) fn token_request_item(e: &TokenRequest) -> Item {
    let mut i = item([
        ("pk", s(token_log_key(e.token_id))),
        ("sk", s(e.key())),
        ("requestId", s(&e.request_id)),
        ("at", s(time::format(&e.used.at))),
        ("method", s(&e.method)),
        ("path", s(&e.path)),
        ("status", n(e.status.into())),
        ("expiresAt", epoch(&e.expires_at)),
    ]);
    i.extend(e.used.ip.as_ref().map(|v| ("ip".to_string(), s(v))));
    i.extend(e.used.user_agent.as_ref().map(|v| ("userAgent".to_string(), s(v))));
    i.extend(e.actor.as_ref().map(|v| ("actor".to_string(), s(v))));
    i
}

pub(super) fn token_request_from(token_id: uuid::Uuid, i: &Item) -> Result<TokenRequest> {
    let r = Read(i);
    Ok(TokenRequest {
        token_id,
        request_id: r.s("requestId")?,
        method: r.s("method")?,
        path: r.s("path")?,
        status: u16::try_from(r.n("status")?).map_err(|e| StoreError::Internal(format!("bad status: {e}")))?,
        used: TokenUse { at: r.time("at")?, ip: opt_s(i, "ip"), user_agent: opt_s(i, "userAgent") },
        expires_at: read_epoch(&r, "expiresAt")?,
        actor: opt_s(i, "actor"),
    })
}
