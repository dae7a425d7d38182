//! Hosted sign-in: OAuth 2.0 with PKCE, and OpenID Connect where the provider
//! has it. `POST /api/accounts/{id}/sign-in` starts one and answers the
//! provider's authorization URL; the provider sends the browser back to
//! `GET /oauth/callback`, which checks the answer, exchanges the code, reads
//! the profile and appends `AccountAuthorized` — then sends the browser on to
//! the account's connect page, which says how it went.

pub mod client;
pub mod handout;
pub mod providers;
pub mod renewals;

use crate::handlers::may_see;
use crate::query::{encode, json_body, pairs};
use crate::resources::{SignInInput, SignInStart};
use crate::{Answer, ApiError, App, Call, Response};
use bytes::Bytes;
use client::CallError;
use http::{header, HeaderValue, StatusCode};
use inbox_domain::signin::{pkce_challenge, profile_of, state_key, Failure};
use inbox_domain::{integrations, time, Account, AccountId, Command, DomainError};
use inbox_store::commands::{self, Envelope};
#[cfg_attr(feature = "sqlite", allow(unused_imports))] // `dyn Store` needs no trait imports
use inbox_store::prelude::*;
use inbox_store::{SignIn, StoreError};
use serde_json::Value;
use std::collections::HashMap;
use uuid::Uuid;

pub use client::Cache;
pub use providers::Provider;

/// Where providers send the browser back: `{public URL}/oauth/callback`.
pub const CALLBACK_PATH: &str = "/oauth/callback";
/// How long a started sign-in can be finished.
const STATE_SECONDS: i64 = 600;

pub async fn start(app: &App, call: Call, id: Uuid) -> Answer {
    let body: SignInInput = if call.req.body().is_empty() { SignInInput::default() } else { json_body(&call.req)? };
    let p = call.principal();
    let account = match app.store.get_account(p.client_id, AccountId(id)).await? {
        Some(a) if may_see(p, &a) => a,
        _ => return Err(ApiError::not_found()),
    };
    let name = integrations::find(&account.integration).map_or(account.integration.as_str(), |i| i.name);
    let provider = app.config.provider(&account.integration).ok_or_else(|| {
        ApiError::new(
            StatusCode::CONFLICT,
            format!(
                "This server does not sign {name} accounts in itself: the {name} connector does, at the account's \
                 reconnectUrl."
            ),
        )
    })?;
    let metadata = app.sign_ins.metadata(provider).await.map_err(|e| unreachable_at_start(name, e))?;
    let (state, verifier, nonce) = (random(32), random(32), random(16));
    let expires_at = time::truncate(chrono::Utc::now()) + chrono::Duration::seconds(STATE_SECONDS);
    let redirect_uri = format!("{}{CALLBACK_PATH}", app.public_url(&call.req));
    app.store
        .put_sign_in(&SignIn {
            state_hash: state_key(&state),
            client_id: p.client_id,
            account_id: account.id,
            integration: account.integration.clone(),
            actor: p.subject.clone(),
            code_verifier: verifier.clone(),
            nonce: nonce.clone(),
            redirect_uri: redirect_uri.clone(),
            expires_at,
        })
        .await?;
    let mut url = metadata.authorization.clone();
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("response_type", "code")
            .append_pair("client_id", &provider.client_id)
            .append_pair("redirect_uri", &redirect_uri)
            .append_pair("scope", &provider.scopes)
            .append_pair("state", &state)
            .append_pair("code_challenge", &pkce_challenge(&verifier))
            .append_pair("code_challenge_method", "S256");
        if metadata.issuer.is_some() {
            q.append_pair("nonce", &nonce);
        }
        for (k, v) in &provider.authorize_params {
            q.append_pair(k, v);
        }
        if let Some(hint) = body.login_hint.filter(|h| !h.trim().is_empty()) {
            q.append_pair("login_hint", hint.trim());
        }
    }
    let answer = SignInStart { authorization_url: url.to_string(), expires_at: time::format(&expires_at) };
    Ok(crate::json_response(StatusCode::OK, "application/json", &answer))
}

fn unreachable_at_start(name: &str, e: CallError) -> ApiError {
    let why = call_error(&e);
    tracing::warn!(provider = name, reason = %why, "sign-in provider unavailable");
    ApiError::new(StatusCode::BAD_GATEWAY, format!("{name} cannot be reached to start the sign-in; retry shortly."))
}

/// 256 random bits (or `bytes`), base64url: a state, a PKCE verifier, a nonce.
fn random(bytes: usize) -> String {
    use base64::Engine;
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).expect("operating system randomness");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
}

/// How a callback ends.
enum Ending {
    /// On the account's connect page, with the outcome in its query.
    Back(String),
    /// A page of its own: no sign-in (or no account) to go back to.
    Page(StatusCode, String),
}

pub async fn callback(app: &App, call: Call) -> Answer {
    let query: HashMap<String, String> = pairs(call.req.uri().query()).into_iter().collect();
    Ok(match finish(app, &call, &query).await {
        Ending::Back(to) => see_other(&to),
        Ending::Page(status, text) => page(status, &text),
    })
}

async fn finish(app: &App, call: &Call, q: &HashMap<String, String>) -> Ending {
    // An empty state names no sign-in, as an unknown one does (404 below).
    let Some(state) = q.get("state") else {
        return Ending::Page(
            StatusCode::BAD_REQUEST,
            "This address is where a provider sends you back after a sign-in, and this visit carries none. \
             Start the sign-in again from your inbox."
                .into(),
        );
    };
    let now = time::truncate(chrono::Utc::now());
    let sign_in = match app.store.take_sign_in(&state_key(state), now).await {
        Ok(Some(s)) => s,
        // Like any unknown resource: never said which of the three it is.
        Ok(None) => {
            return Ending::Page(
                StatusCode::NOT_FOUND,
                "This sign-in has expired or has already finished. Start it again from your inbox.".into(),
            )
        }
        Err(e) => return store_page(e),
    };
    let integration = sign_in.integration.clone();
    let name = integrations::find(&integration).map_or(integration.as_str(), |i| i.name).to_string();
    let back = |outcome: Result<(), Failure>| {
        let base = app.connect_url(&call.req, &integration, sign_in.account_id.0);
        Ending::Back(match outcome {
            Ok(()) => format!("{base}?signIn=connected"),
            Err(f) => format!("{base}?signIn=failed&reason={}", f.code()),
        })
    };
    let Some(provider) = app.config.provider(&integration) else {
        return Ending::Page(StatusCode::BAD_REQUEST, format!("{name} sign-in is no longer offered by this server."));
    };
    let failed = |f: Failure, why: &str| {
        tracing::info!(provider = %integration, account = %sign_in.account_id, reason = f.code(), detail = why, "sign-in failed");
        back(Err(f))
    };
    let metadata = match app.sign_ins.metadata(provider).await {
        Ok(m) => m,
        Err(e) => return failed(Failure::Unreachable, &call_error(&e)),
    };
    // RFC 9207: the answer names who sent it; checked before anything in it is used.
    if let Some(issuer) = &metadata.issuer {
        match q.get("iss") {
            Some(iss) if iss != issuer => return failed(Failure::WrongIssuer, &format!("iss {iss}")),
            None if metadata.iss_parameter => return failed(Failure::WrongIssuer, "no iss"),
            _ => {}
        }
    }
    if let Some(error) = q.get("error") {
        let f = if error == "access_denied" { Failure::Denied } else { Failure::ProviderError };
        return failed(f, error);
    }
    let Some(code) = q.get("code").filter(|c| !c.is_empty()) else {
        return failed(Failure::ProviderError, "no code");
    };
    let tokens =
        match client::exchange_code(provider, &metadata, code, &sign_in.redirect_uri, &sign_in.code_verifier).await {
            Ok(t) => t,
            Err(e) => return failed(failure(&e), &call_error(&e)),
        };
    let mut answer = Value::Object(Default::default());
    if metadata.issuer.is_some() {
        let Some(id_token) = &tokens.id_token else {
            return failed(Failure::Unconfirmed, "no ID token");
        };
        match app.sign_ins.id_claims(provider, &metadata, id_token, &sign_in.nonce).await {
            Ok(claims) => merge(&mut answer, claims),
            Err(e) => return failed(failure(&e), &call_error(&e)),
        }
    }
    if let Some(url) = &metadata.userinfo {
        match client::profile(url, &tokens.access_token).await {
            // OpenID Connect Core §5.3.4: the userinfo answer is about the ID token's subject.
            Ok(info) if answer.get("sub").is_some_and(|sub| info.get("sub") != Some(sub)) => {
                return failed(Failure::Unconfirmed, "userinfo names another subject")
            }
            Ok(info) => merge(&mut answer, info),
            Err(e) => return failed(failure(&e), &call_error(&e)),
        }
    }
    let Some(profile) = profile_of(&answer, &provider.profile) else {
        return failed(Failure::Unconfirmed, "no subject in the profile");
    };
    let kept = match app.vault().await {
        Ok(vault) => handout::keep(vault, &tokens, None, sign_in.client_id, sign_in.account_id).await,
        Err(e) => Err(e),
    };
    let (stored, sealed) = match kept {
        Ok(kept) => kept,
        Err(e) => {
            tracing::error!(error = %e, "the credentials vault failed");
            return Ending::Page(
                StatusCode::SERVICE_UNAVAILABLE,
                "The sign-in cannot be kept right now. Try again later.".into(),
            );
        }
    };
    let envelope = Envelope {
        client_id: sign_in.client_id,
        actor: sign_in.actor.clone(),
        correlation_id: call.request_id.clone(),
        at: None,
        idempotency: None,
    };
    let done =
        commands::execute::<Account, _, Finish>(&*app.store, &envelope, sign_in.account_id.0, |state| match state {
            Some(_) => {
                Ok(Command::SignedIn { profile: profile.clone(), stored: stored.clone(), sealed: sealed.clone() })
            }
            None => Err(Finish::Removed),
        })
        .await;
    match done {
        Ok(_) => back(Ok(())),
        Err(Finish::Removed) => Ending::Page(
            StatusCode::BAD_REQUEST,
            format!("This {name} account was removed before its sign-in finished: add it again from your inbox."),
        ),
        // A profile outside the account's rules (a name too long …).
        Err(Finish::Refused(e)) => failed(Failure::Unconfirmed, &format!("{e:?}")),
        Err(Finish::Store(StoreError::Duplicate(what))) => failed(Failure::AlreadyConnected, &what),
        Err(Finish::Store(e)) => store_page(e),
    }
}

/// Why the callback's command did not append.
enum Finish {
    Removed,
    Refused(DomainError),
    Store(StoreError),
}

impl From<DomainError> for Finish {
    fn from(e: DomainError) -> Self {
        Finish::Refused(e)
    }
}

impl From<StoreError> for Finish {
    fn from(e: StoreError) -> Self {
        Finish::Store(e)
    }
}

/// Copies the fields of `from` into `into` (both objects), keeping those set.
fn merge(into: &mut Value, from: Value) {
    if let (Value::Object(into), Value::Object(from)) = (into, from) {
        for (k, v) in from {
            into.entry(k).or_insert(v);
        }
    }
}

fn failure(e: &CallError) -> Failure {
    match e {
        CallError::Unreachable(_) => Failure::Unreachable,
        CallError::Refused(_) | CallError::Revoked => Failure::Unconfirmed,
    }
}

fn call_error(e: &CallError) -> String {
    match e {
        CallError::Unreachable(why) | CallError::Refused(why) => why.clone(),
        CallError::Revoked => "invalid_grant".into(),
    }
}

fn store_page(e: StoreError) -> Ending {
    tracing::error!(error = %e, "sign-in callback: store");
    let status = match e {
        StoreError::Unavailable(_) | StoreError::Conflict { .. } => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    Ending::Page(status, "The sign-in cannot be finished right now. Try again in a moment.".into())
}

fn see_other(to: &str) -> Response {
    let mut resp = crate::error::empty(StatusCode::SEE_OTHER);
    if let Ok(v) = HeaderValue::from_str(to) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    resp
}

/// A small page of its own, for a person whose sign-in cannot go back to its account.
fn page(status: StatusCode, text: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Sign-in · Inbox Accounts</title>\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <link rel=\"stylesheet\" href=\"/dashboard/dashboard.css\"></head><body><main class=\"card\">\
         <h1>The sign-in did not finish</h1><p class=\"alert\" role=\"alert\">{}</p>\
         <p><a href=\"/dashboard\">Go to the dashboard</a></p></main></body></html>",
        escape(text)
    );
    let mut resp = Response::new(Bytes::from(html));
    *resp.status_mut() = status;
    let headers = resp.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(crate::handlers::pages::CSP));
    resp
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// `{connect base}/{integration}/{id}`: an account's connect page.
pub fn connect_path(base: &str, integration: &str, id: Uuid) -> String {
    format!("{base}/{}/{id}", encode(integration))
}
