//! The `Idempotency-Key` request header (IETF httpapi draft "The
//! Idempotency-Key HTTP Header Field") on every authenticated POST, PUT and
//! DELETE: the same key with the same request within 24 hours replays the first
//! answer and writes nothing; with another request it is 422; while the first
//! is still running, 409. Keys belong to the caller: its client, and itself
//! within it (customer sessions of one host share a client, never answers). An account
//! command records its answer in its own transaction; other writes record it
//! right after. Answers that carry a secret are recorded without it.

use crate::routing::{Answer, Call, Route};
use crate::{ApiError, App, Request, Response};
use bytes::Bytes;
use http::{header, HeaderValue, Method, StatusCode};
use inbox_domain::time;
#[cfg_attr(feature = "sqlite", allow(unused_imports))] // `dyn Store` needs no trait imports
use inbox_store::prelude::*;
use inbox_store::{Claim, IdempotencyRecord, KeyClaim, StoredAnswer};
use sha2::{Digest, Sha256};
use std::future::Future;
use uuid::Uuid;

/// A pending key left by a request that died is free again after this.
const LEASE: chrono::Duration = chrono::Duration::seconds(60);
/// How long an answer is replayed.
const KEEP: chrono::Duration = chrono::Duration::hours(24);
const MAX_KEY: usize = 255;

/// Whether a request takes part: a write, made with a key.
pub(crate) fn key_of(req: &Request) -> Result<Option<String>, ApiError> {
    if !matches!(*req.method(), Method::POST | Method::PUT | Method::DELETE) {
        return Ok(None);
    }
    let Some(value) = req.headers().get("idempotency-key") else { return Ok(None) };
    match value.to_str() {
        Ok(k) if !k.is_empty() && k.len() <= MAX_KEY && k.bytes().all(|b| b.is_ascii_graphic() || b == b' ') => {
            Ok(Some(k.to_string()))
        }
        _ => Err(ApiError::bad_request("Idempotency-Key should be 1 to 255 visible ASCII characters.")),
    }
}

/// The key as stored: the caller's subject, then its key (a newline cannot be
/// in either, so no two callers' keys meet).
pub(crate) fn scoped(subject: &str, key: &str) -> String {
    format!("{subject}\n{key}")
}

/// What makes two requests the same: method, path and body.
fn fingerprint(req: &Request) -> String {
    let mut h = Sha256::new();
    h.update(req.method().as_str());
    h.update(b" ");
    h.update(req.uri().path());
    h.update(b"\n");
    h.update(req.body());
    hex::encode(h.finalize())
}

/// The answer as a key replays it; a secret (an API token's) is not kept.
pub fn stored(resp: &Response) -> StoredAnswer {
    let header = |name| resp.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
    let body = match serde_json::from_slice::<serde_json::Value>(resp.body()) {
        Ok(serde_json::Value::Object(mut map)) => {
            map.remove("token");
            map.remove("secret");
            serde_json::Value::Object(map).to_string()
        }
        _ => String::from_utf8_lossy(resp.body()).into_owned(),
    };
    StoredAnswer {
        status: resp.status().as_u16(),
        content_type: header(header::CONTENT_TYPE),
        location: header(header::LOCATION),
        body: if resp.body().is_empty() { String::new() } else { body },
    }
}

fn replayed(a: StoredAnswer) -> Response {
    let mut resp = Response::new(Bytes::from(a.body));
    *resp.status_mut() = StatusCode::from_u16(a.status).unwrap_or(StatusCode::OK);
    let headers = resp.headers_mut();
    for (name, value) in [(header::CONTENT_TYPE, a.content_type), (header::LOCATION, a.location)] {
        if let Some(v) = value.and_then(|v| HeaderValue::from_str(&v).ok()) {
            headers.insert(name, v);
        }
    }
    headers.insert("idempotent-replayed", HeaderValue::from_static("true"));
    resp
}

/// Whether `Idempotency-Key`s are kept, chosen by type: a function whose one
/// route keeps none ([`NoKeys`]) then links none of this code.
pub trait KeyPolicy {
    /// Runs an authenticated call.
    fn run(app: &App, route: &Route, param: Option<String>, call: Call) -> impl Future<Output = Answer> + Send;
}

/// A write with a key is claimed, run, then recorded: wherever a route that
/// keeps keys may be served.
pub struct KeepKeys;
/// Keys are not looked at: only for a route that keeps none
/// ([`Route::keeps_idempotency_keys`]).
pub struct NoKeys;

impl KeyPolicy for NoKeys {
    async fn run(app: &App, route: &Route, param: Option<String>, call: Call) -> Answer {
        debug_assert!(!route.keeps_idempotency_keys(), "{} keeps idempotency keys", route.function);
        app.run(route, param, call).await
    }
}

impl KeyPolicy for KeepKeys {
    async fn run(app: &App, route: &Route, param: Option<String>, mut call: Call) -> Answer {
        let key = match &call.principal {
            Some(p) => key_of(&call.req)?.map(|k| (p.client_id, scoped(&p.subject, &k))),
            None => None,
        };
        let Some((client_id, key)) = key else {
            return app.run(route, param, call).await;
        };
        let claim = match app.begin_idempotent(client_id, key, &call.req).await? {
            Begin::Answer(resp) => return Ok(resp),
            Begin::Run(claim) => claim,
        };
        call.idempotency = Some(claim.clone());
        let resp = app.run(route, param, call).await.unwrap_or_else(ApiError::into_response);
        app.finish_idempotent(claim, &resp).await;
        Ok(resp)
    }
}

/// What a write with a key starts with.
pub(crate) enum Begin {
    /// Run it, holding the key.
    Run(KeyClaim),
    /// Answer this instead.
    Answer(Response),
}

impl App {
    pub(crate) async fn begin_idempotent(
        &self,
        client_id: inbox_domain::ClientId,
        key: String,
        req: &Request,
    ) -> Result<Begin, ApiError> {
        let now = time::truncate(chrono::Utc::now());
        let claim = KeyClaim {
            client_id,
            key,
            fingerprint: fingerprint(req),
            owner: Uuid::new_v4().to_string(),
            now,
            lease_until: now + LEASE,
            expires_at: now + KEEP,
        };
        match self.store.claim_key(&claim).await? {
            Claim::Fresh => Ok(Begin::Run(claim)),
            Claim::Replay(answer) => Ok(Begin::Answer(replayed(answer))),
            Claim::Mismatch => Err(ApiError::violation(
                "Idempotency-Key",
                "This key was used with another request; use a new key for a new request.",
            )),
            Claim::InProgress => Err(ApiError::new(
                StatusCode::CONFLICT,
                "A request with this Idempotency-Key is still being processed; retry later.",
            )),
        }
    }

    /// Records the answer (unless a commit already did), or gives the key back
    /// when the request may be retried (a conflict, throttling, a server error).
    pub(crate) async fn finish_idempotent(&self, claim: KeyClaim, resp: &Response) {
        let status = resp.status();
        let retryable =
            status.is_server_error() || status == StatusCode::CONFLICT || status == StatusCode::TOO_MANY_REQUESTS;
        let done = if retryable {
            self.store.release_key(claim.client_id, &claim.key, &claim.owner).await
        } else {
            let record = IdempotencyRecord {
                client_id: claim.client_id,
                key: claim.key,
                fingerprint: claim.fingerprint,
                owner: claim.owner,
                answer: stored(resp),
                expires_at: claim.expires_at,
            };
            self.store.complete_key(&record).await
        };
        if let Err(e) = done {
            tracing::error!(error = %e, "cannot record an Idempotency-Key's answer");
        }
    }
}
