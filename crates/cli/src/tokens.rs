//! `inbox token …`: create a client's API tokens, and review their use as an
//! owner does over HTTP (last use, request log).

use anyhow::bail;
use inbox_domain::time;
use inbox_domain::ClientId;
use inbox_store::{ApiToken, Store};
use std::io::Write;
use uuid::Uuid;

pub async fn create(store: &dyn Store, client: ClientId, name: &str) -> anyhow::Result<String> {
    let name = crate::directory::human_text("token name", name, inbox_api::tokens::MAX_NAME)?;
    let (secret, hint, secret_hash) = inbox_api::tokens::generate();
    let token = ApiToken {
        id: Uuid::new_v4(),
        client_id: client,
        name,
        hint,
        secret_hash,
        created_by: "cli".into(),
        created_at: time::truncate(chrono::Utc::now()),
        revoked_at: None,
        last_used: None,
    };
    store.create_api_token(&token).await?;
    Ok(secret)
}

/// One line per token: id, hint, name, created, revoked, last use (time, address, agent).
pub async fn list(store: &dyn Store, client: ClientId, only: Option<Uuid>, out: &mut impl Write) -> anyhow::Result<()> {
    let tokens = match only {
        Some(id) => match store.get_api_token(client, id).await? {
            Some(t) => vec![t],
            None => bail!("client {client} has no token {id}"),
        },
        None => store.list_api_tokens(client).await?,
    };
    let or_dash = |v: Option<String>| v.unwrap_or_else(|| "-".into());
    for t in tokens {
        let used = t.last_used.as_ref();
        writeln!(
            out,
            "{}  {}  {}  created {}  revoked {}  last used {} from {} ({})",
            t.id,
            t.hint,
            t.name,
            time::format(&t.created_at),
            or_dash(t.revoked_at.as_ref().map(time::format)),
            or_dash(used.map(|u| time::format(&u.at))),
            or_dash(used.and_then(|u| u.ip.clone())),
            or_dash(used.and_then(|u| u.user_agent.clone())),
        )?;
    }
    Ok(())
}

/// The token's request log, newest first: time, method, path, status, address,
/// agent, request id.
pub async fn log(
    store: &dyn Store,
    client: ClientId,
    token: Uuid,
    limit: usize,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    if store.get_api_token(client, token).await?.is_none() {
        bail!("client {client} has no token {token}");
    }
    let now = time::truncate(chrono::Utc::now());
    for e in store.token_requests(token, None, now, limit).await? {
        writeln!(
            out,
            "{}  {} {}  {}  from {} ({})  request {}",
            time::format(&e.used.at),
            e.method,
            e.path,
            e.status,
            e.used.ip.as_deref().unwrap_or("-"),
            e.used.user_agent.as_deref().unwrap_or("-"),
            e.request_id
        )?;
    }
    Ok(())
}
