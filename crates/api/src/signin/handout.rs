//! `POST /api/accounts/{id}/access-token`: the connector gets a valid access
//! token of a signed-in account, never its refresh token. A token that
//! expires within a minute is renewed first, by one request at a time (a
//! lease); the others wait for its result. A grant the provider no longer
//! honours disconnects the account (`credentials_revoked`).

use super::client::{self, CallError, Tokens};
use crate::vault::{Credentials, Vault};
use crate::{Answer, ApiError, App, Call};
use http::{header, HeaderValue, StatusCode};
use inbox_domain::credentials::{Sealed, Stored};
use inbox_domain::{time, Account, AccountId, ClientId, Command, Timestamp};
use inbox_store::commands::{self, Envelope};
#[cfg_attr(feature = "sqlite", allow(unused_imports))] // `dyn Store` needs no trait imports
use inbox_store::prelude::*;
use serde::Serialize;
use std::time::Duration;
use uuid::Uuid;

/// Renewed when it expires sooner than this.
const MARGIN: i64 = 60;
/// How long one request may hold the refresh of an account.
pub(super) const LEASE_SECONDS: i64 = 30;
/// How long a request waits for a sibling's refresh.
const WAIT: Duration = Duration::from_secs(10);
/// How long a hand-out keeps asking a failing provider (its siblings wait `WAIT`).
const HAND_OUT_BUDGET: Duration = Duration::from_secs(5);

/// The hand-out's answer.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = AccessToken)]
pub struct AccessTokenView {
    pub access_token: String,
    #[schema(example = "Bearer")]
    pub token_type: &'static str,
    #[schema(value_type = Option<String>, format = "date-time")]
    pub expires_at: Option<String>,
    pub scope: Option<String>,
}

/// What a sign-in or a refresh keeps: the event's record and the sealed value.
/// A provider that sends no new refresh token keeps the old one.
pub async fn keep(
    vault: &Vault,
    tokens: &Tokens,
    previous_refresh: Option<&str>,
    client: ClientId,
    account: AccountId,
) -> Result<(Stored, Sealed), String> {
    let now = time::truncate(chrono::Utc::now());
    let expires_at = tokens.expires_in.map(|s| now + chrono::Duration::seconds(s.min(10 * 365 * 86_400) as i64));
    let refresh_token = tokens.refresh_token.clone().or_else(|| previous_refresh.map(str::to_string));
    let credentials = Credentials {
        access_token: tokens.access_token.clone(),
        refresh_token,
        expires_at,
        scope: tokens.scope.clone(),
    };
    let sealed = vault.seal(&credentials, client, account).await?;
    let stored = Stored {
        key_id: sealed.key_id.clone(),
        scopes: tokens.scope.clone(),
        expires_at,
        refreshable: credentials.refresh_token.is_some(),
    };
    Ok((stored, sealed))
}

pub async fn access_token(app: &App, call: Call, id: Uuid) -> Answer {
    let answer = hand_out(app, &call, id).await;
    // Every hand-out is logged (who, when, from where, request id), in the account's log.
    if let Ok(resp) = &answer {
        let used = crate::usage::Use::of(&call.req, &call.request_id);
        app.record_handout(AccountId(id), used, resp.status().as_u16(), &call.principal().subject).await;
    }
    answer
}

/// The account's access-token hand-outs, newest first (`GET /api/accounts/{id}/access-log`).
pub async fn log(app: &App, call: Call, id: Uuid) -> Answer {
    app.store.get_account(call.principal().client_id, AccountId(id)).await?.ok_or_else(ApiError::not_found)?;
    crate::handlers::tokens::log_page(app, &call, id, &format!("/api/accounts/{id}/access-log")).await
}

async fn hand_out(app: &App, call: &Call, id: Uuid) -> Answer {
    let p = call.principal();
    let account = app.store.get_account(p.client_id, AccountId(id)).await?.ok_or_else(ApiError::not_found)?;
    sealed_of(&account)?;
    let vault = app.vault().await.map_err(|e| vault_unavailable(&e))?;
    let (sealed, credentials) = credentials_of(vault, &account).await?;
    let now = chrono::Utc::now();
    if expires_after(&credentials, now + chrono::Duration::seconds(MARGIN)) {
        return Ok(answer(&credentials));
    }
    let lease = lease_of(account.id);
    let until = now + chrono::Duration::seconds(LEASE_SECONDS);
    if app.store.take_lease(&lease, &call.request_id, until, now).await? {
        let by = By {
            actor: p.subject.clone(),
            correlation: call.request_id.clone(),
            reconnect_url: app.connect_url(&call.req, &account.integration, account.id.0),
        };
        let renewed = renew(app, &by, vault, &account, &sealed, credentials, HAND_OUT_BUDGET).await;
        if let Err(e) = app.store.release_lease(&lease, &call.request_id).await {
            tracing::warn!(error = %e, "a refresh lease was not given back (it ends by itself)");
        }
        return match renewed {
            Renewed::Fresh(c) => Ok(answer(&c)),
            Renewed::Revoked => Err(ApiError::new(
                StatusCode::CONFLICT,
                "The provider revoked access: the account is now disconnected and must be signed in again.",
            )),
            Renewed::Failed(e) => Err(e),
        };
    }
    // A sibling request is renewing it: its result is the answer.
    let deadline = tokio::time::Instant::now() + WAIT;
    while tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let account = app.store.get_account(p.client_id, AccountId(id)).await?.ok_or_else(ApiError::not_found)?;
        let (now_sealed, c) = credentials_of(vault, &account).await?;
        if now_sealed != sealed && expires_after(&c, chrono::Utc::now()) {
            return Ok(answer(&c));
        }
    }
    Err(retry_later())
}

/// The account's sealed credentials; a clear refusal for an account that holds none.
fn sealed_of(a: &Account) -> Result<Sealed, ApiError> {
    a.credentials.clone().filter(|_| a.is_authorized).ok_or_else(|| {
        let why = if a.credentials.is_some() {
            "This account is disconnected: it must be signed in again before its token can be handed out."
        } else {
            "This account holds no credentials here: its connector signs it in, or its sign-in has not finished."
        };
        ApiError::new(StatusCode::CONFLICT, why)
    })
}

/// The account's credentials, opened.
pub(super) async fn credentials_of(vault: &Vault, a: &Account) -> Result<(Sealed, Credentials), ApiError> {
    let sealed = sealed_of(a)?;
    let opened = vault
        .open(&sealed, a.client_id, a.id)
        .await
        .map_err(|e| vault_unavailable(&format!("account {}: {e}", a.id)))?;
    Ok((sealed, opened))
}

/// The vault (its key file, or KMS) cannot seal or open now: the caller may retry.
pub(super) fn vault_unavailable(e: &str) -> ApiError {
    tracing::error!(error = %e, "the credentials vault failed");
    ApiError::unavailable("The credentials vault is unavailable; retry later.")
}

/// Whether the access token is still valid at `at` (one without an expiry is).
pub(super) fn expires_after(c: &Credentials, at: Timestamp) -> bool {
    c.expires_at.is_none_or(|e| e > at)
}

/// The lease on renewing an account's credentials.
pub(super) fn lease_of(id: AccountId) -> String {
    format!("refresh#{id}")
}

/// Who renews: the actor and correlation id of the events it writes, and the
/// connect page a disconnect points to.
pub(super) struct By {
    pub actor: String,
    pub correlation: String,
    pub reconnect_url: String,
}

/// What a renewal came to.
pub(super) enum Renewed {
    Fresh(Credentials),
    /// The provider no longer honours the grant: the account is disconnected.
    Revoked,
    /// Not renewed, and why, for the caller to answer or to try again later.
    Failed(ApiError),
}

/// Renews the credentials at the provider and stores them, once the caller
/// holds the account's lease. Asks the provider again within `budget` when it
/// fails (5xx, unreachable); a grant it refuses disconnects the account.
pub(super) async fn renew(
    app: &App,
    by: &By,
    vault: &Vault,
    account: &Account,
    sealed: &Sealed,
    credentials: Credentials,
    budget: Duration,
) -> Renewed {
    let renewed = async {
        // A sibling may have renewed them between the caller's read and its lease.
        let current = app.store.get_account(account.client_id, account.id).await?.ok_or_else(ApiError::not_found)?;
        let (current_sealed, current_credentials) = credentials_of(vault, &current).await?;
        if current_sealed != *sealed && expires_after(&current_credentials, chrono::Utc::now()) {
            return Ok::<_, ApiError>(Renewed::Fresh(current_credentials));
        }
        let provider = app.config.provider(&account.integration).ok_or_else(|| {
            ApiError::new(
                StatusCode::CONFLICT,
                "This integration is no longer signed in here: its token cannot be renewed.",
            )
        })?;
        let Some(refresh_token) = credentials.refresh_token.clone() else {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "The access token has expired and the provider gave no refresh token: sign the account in again.",
            ));
        };
        let metadata = app.sign_ins.metadata(provider).await.map_err(|_| retry_later())?;
        let envelope = Envelope {
            client_id: account.client_id,
            actor: by.actor.clone(),
            correlation_id: by.correlation.clone(),
            at: None,
            idempotency: None,
        };
        match client::refresh(provider, &metadata, &refresh_token, budget).await {
            Ok(tokens) => {
                let kept = keep(vault, &tokens, Some(&refresh_token), account.client_id, account.id).await;
                let (stored, sealed) = kept.map_err(|e| vault_unavailable(&e))?;
                let a = on_account(app, &envelope, account.id, Command::StoreCredentials { stored, sealed }).await?;
                Ok(Renewed::Fresh(credentials_of(vault, &a).await?.1))
            }
            Err(CallError::Revoked) => {
                tracing::info!(account = %account.id, "the provider revoked the grant: disconnecting");
                let cmd = Command::Disconnect {
                    reason: Some("credentials_revoked".into()),
                    reconnect_url: by.reconnect_url.clone(),
                };
                on_account(app, &envelope, account.id, cmd).await?;
                Ok(Renewed::Revoked)
            }
            Err(CallError::Unreachable(why)) => {
                tracing::warn!(account = %account.id, reason = %why, "the token could not be renewed");
                Err(retry_later())
            }
            Err(CallError::Refused(why)) => {
                tracing::warn!(account = %account.id, reason = %why, "the provider refused the renewal");
                Err(ApiError::new(StatusCode::BAD_GATEWAY, "The provider refused to renew the token; retry later."))
            }
        }
    };
    renewed.await.unwrap_or_else(Renewed::Failed)
}

/// Runs `cmd` on the account, which must still exist; its state after.
async fn on_account(app: &App, envelope: &Envelope, id: AccountId, cmd: Command) -> Result<Account, ApiError> {
    let done = commands::execute::<Account, _, ApiError>(&*app.store, envelope, id.0, |s| match s {
        Some(_) => Ok(cmd.clone()),
        None => Err(ApiError::not_found()),
    })
    .await?;
    done.state.ok_or_else(ApiError::not_found)
}

fn retry_later() -> ApiError {
    ApiError::unavailable("The token is being renewed, or the provider cannot be reached; retry shortly.")
}

fn answer(c: &Credentials) -> crate::Response {
    let view = AccessTokenView {
        access_token: c.access_token.clone(),
        token_type: "Bearer",
        expires_at: c.expires_at.as_ref().map(time::format),
        scope: c.scope.clone(),
    };
    let mut resp = crate::json_response(StatusCode::OK, "application/json", &view);
    resp.headers_mut().insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    resp
}

/// Once an account is removed: revokes its grant at the provider (RFC 7009),
/// best effort — the removal itself destroyed the sealed credentials, the only
/// stored copy of their data key, whatever the provider answers.
pub async fn revoke(app: &App, a: &Account) {
    let (Some(sealed), Some(provider)) = (&a.credentials, app.config.provider(&a.integration)) else { return };
    let revoked = async {
        let c = app.vault().await?.open(sealed, a.client_id, a.id).await?;
        let metadata = app.sign_ins.metadata(provider).await.map_err(|e| format!("{e:?}"))?;
        let Some(url) = &metadata.revocation else { return Ok(()) };
        let (token, hint) = match &c.refresh_token {
            Some(r) => (r.as_str(), "refresh_token"),
            None => (c.access_token.as_str(), "access_token"),
        };
        client::revoke(provider, url, token, hint).await.map_err(|e| format!("{e:?}"))
    };
    if let Err(e) = revoked.await {
        tracing::warn!(account = %a.id, error = %e, "the grant was not revoked at the provider");
    }
}
