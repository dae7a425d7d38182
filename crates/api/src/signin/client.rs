//! The calls to a provider: discovery, the code exchange, the ID token's
//! check against the provider's keys, and the profile. Discovery documents
//! and key sets are kept for an hour per process.

use super::providers::{ClientAuth, Endpoints, Provider};
use crate::outbound;
use base64::Engine;
use bytes::Bytes;
use http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, USER_AGENT};
use http::Method;
use http_body_util::Full;
use jsonwebtoken::jwk::JwkSet;
use serde::Deserialize;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use url::Url;

const TIMEOUT: Duration = Duration::from_secs(10);
const KEPT: Duration = Duration::from_secs(3600);
const AGENT: &str = concat!("inbox-accounts/", env!("CARGO_PKG_VERSION"));

/// Why a call to the provider did not give what the sign-in needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallError {
    /// Not reached, or it failed on its side (5xx): worth trying again.
    Unreachable(String),
    /// It answered, and refused or said something that does not hold.
    Refused(String),
    /// The grant is gone (`invalid_grant`: revoked, expired, or a spent
    /// refresh token presented again).
    Revoked,
}

/// A provider's endpoints, found by discovery or configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metadata {
    /// The issuer an OpenID provider names itself by (`None`: plain OAuth 2.0).
    pub issuer: Option<String>,
    pub authorization: Url,
    pub token: Url,
    pub userinfo: Option<Url>,
    pub jwks: Option<Url>,
    pub revocation: Option<Url>,
    /// RFC 9207: every authorization answer carries `iss`.
    pub iss_parameter: bool,
}

#[derive(Deserialize)]
struct Discovered {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    userinfo_endpoint: Option<String>,
    jwks_uri: String,
    revocation_endpoint: Option<String>,
    #[serde(default)]
    authorization_response_iss_parameter_supported: bool,
}

/// A token endpoint's answer (RFC 6749 §5.1).
#[derive(Debug, Clone, Deserialize)]
pub struct Tokens {
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub expires_in: Option<u64>,
    pub id_token: Option<String>,
    pub scope: Option<String>,
}

/// What a process keeps of each provider.
#[derive(Default)]
pub struct Cache {
    metadata: Mutex<HashMap<&'static str, (Instant, Arc<Metadata>)>>,
    keys: Mutex<HashMap<String, (Instant, Arc<JwkSet>)>>,
}

impl Cache {
    /// The provider's endpoints: configured, or discovered (kept an hour).
    pub async fn metadata(&self, p: &Provider) -> Result<Arc<Metadata>, CallError> {
        let issuer = match &p.endpoints {
            Endpoints::Explicit { authorization, token, profile, revocation } => {
                return Ok(Arc::new(Metadata {
                    issuer: None,
                    authorization: authorization.clone(),
                    token: token.clone(),
                    userinfo: Some(profile.clone()),
                    jwks: None,
                    revocation: revocation.clone(),
                    iss_parameter: false,
                }))
            }
            Endpoints::Discovery { issuer } => issuer,
        };
        if let Some((at, m)) = self.metadata.lock().unwrap().get(p.integration) {
            if at.elapsed() < KEPT {
                return Ok(m.clone());
            }
        }
        let base = issuer.as_str().trim_end_matches('/');
        let url = Url::parse(&format!("{base}/.well-known/openid-configuration")).expect("an issuer URL extends");
        let d: Discovered = json(get(&url, None).await?, "discovery document")?;
        // OpenID Connect Discovery §4.3: the document names the issuer it was asked for.
        if d.issuer.trim_end_matches('/') != base {
            return Err(CallError::Refused(format!("the discovery document names issuer {}, not {base}", d.issuer)));
        }
        let url =
            |v: &str| super::providers::provider_url(v).map_err(|e| CallError::Refused(format!("discovery: {e}")));
        let m = Arc::new(Metadata {
            issuer: Some(d.issuer.clone()),
            authorization: url(&d.authorization_endpoint)?,
            token: url(&d.token_endpoint)?,
            userinfo: d.userinfo_endpoint.as_deref().map(url).transpose()?,
            jwks: Some(url(&d.jwks_uri)?),
            revocation: d.revocation_endpoint.as_deref().map(url).transpose()?,
            iss_parameter: d.authorization_response_iss_parameter_supported,
        });
        self.metadata.lock().unwrap().insert(p.integration, (Instant::now(), m.clone()));
        Ok(m)
    }

    /// The provider's signing keys; fetched again when a token names a key
    /// the kept set lacks (the provider rotated its keys).
    async fn keys(&self, url: &Url, kid: Option<&str>) -> Result<Arc<JwkSet>, CallError> {
        if let Some((at, set)) = self.keys.lock().unwrap().get(url.as_str()) {
            let has_kid = kid.is_none_or(|k| set.find(k).is_some());
            if at.elapsed() < KEPT && has_kid {
                return Ok(set.clone());
            }
        }
        let set: Arc<JwkSet> = Arc::new(json(get(url, None).await?, "key set")?);
        self.keys.lock().unwrap().insert(url.to_string(), (Instant::now(), set.clone()));
        Ok(set)
    }

    /// The claims of an ID token once its signature, issuer, audience, expiry
    /// and nonce hold (OpenID Connect Core §3.1.3.7).
    pub async fn id_claims(&self, p: &Provider, m: &Metadata, id_token: &str, nonce: &str) -> Result<Value, CallError> {
        let refused = |why: String| CallError::Refused(format!("the ID token {why}"));
        let (Some(issuer), Some(jwks)) = (&m.issuer, &m.jwks) else {
            return Err(refused("comes from a provider without OpenID discovery".into()));
        };
        let header = jsonwebtoken::decode_header(id_token).map_err(|e| refused(format!("is unreadable: {e}")))?;
        let set = self.keys(jwks, header.kid.as_deref()).await?;
        let jwk = match &header.kid {
            Some(kid) => set.find(kid),
            None => set.keys.first(),
        }
        .ok_or_else(|| refused("is signed by a key the provider does not publish".into()))?;
        let key =
            jsonwebtoken::DecodingKey::from_jwk(jwk).map_err(|e| refused(format!("names an unusable key: {e}")))?;
        let mut v = jsonwebtoken::Validation::new(header.alg);
        v.set_audience(&[&p.client_id]);
        v.leeway = 60;
        v.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        // Microsoft's multi-tenant issuer is a template (`{tenantid}`): checked below.
        v.validate_aud = true;
        v.iss = None;
        let data = jsonwebtoken::decode::<Value>(id_token, &key, &v).map_err(|e| refused(format!("fails: {e}")))?;
        let claims = data.claims;
        let tenant = claims["tid"].as_str().unwrap_or_default();
        let expected = issuer.replace("{tenantid}", tenant);
        if claims["iss"].as_str() != Some(expected.as_str()) {
            return Err(refused(format!("names issuer {}, not {expected}", claims["iss"])));
        }
        if claims["nonce"].as_str() != Some(nonce) {
            return Err(refused("is not the answer to this sign-in (its nonce differs)".into()));
        }
        Ok(claims)
    }
}

/// Exchanges an authorization code (with its PKCE verifier) for tokens.
pub async fn exchange_code(
    p: &Provider,
    m: &Metadata,
    code: &str,
    redirect_uri: &str,
    verifier: &str,
) -> Result<Tokens, CallError> {
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", redirect_uri),
        ("code_verifier", verifier),
    ];
    token_request(p, m, &form).await
}

/// Renews an access token with the refresh token (RFC 6749 §6).
/// A provider that cannot be reached, or answers 5xx, is asked again after
/// these pauses, while the next attempt still starts within `budget`; a
/// refusal is final at once.
pub const BACKOFF: [Duration; 2] = [Duration::from_millis(250), Duration::from_secs(1)];

pub async fn refresh(p: &Provider, m: &Metadata, refresh_token: &str, budget: Duration) -> Result<Tokens, CallError> {
    let started = tokio::time::Instant::now();
    let mut pauses = BACKOFF.iter();
    loop {
        let pairs = [("grant_type", "refresh_token"), ("refresh_token", refresh_token)];
        match token_request(p, m, &pairs).await {
            Err(CallError::Unreachable(why)) => match pauses.next() {
                Some(pause) if started.elapsed() + *pause < budget => {
                    tracing::info!(reason = %why, "the token endpoint failed; asking again");
                    tokio::time::sleep(*pause).await;
                }
                _ => return Err(CallError::Unreachable(why)),
            },
            done => return done,
        }
    }
}

/// Revokes a token at the provider (RFC 7009); with most providers revoking
/// the refresh token ends the whole grant.
pub async fn revoke(p: &Provider, url: &Url, token: &str, hint: &str) -> Result<(), CallError> {
    let form = [("token", token), ("token_type_hint", hint)];
    let req = authenticated(p, Method::POST, url, &form)?;
    let answer = outbound::fetch(req, url, TIMEOUT).await.map_err(CallError::Unreachable)?;
    match answer.status {
        200..=299 => Ok(()),
        s if s >= 500 => Err(CallError::Unreachable(format!("the revocation endpoint answered {s}"))),
        s => Err(CallError::Refused(format!("the revocation endpoint answered {s}"))),
    }
}

/// A token request, with the client's authentication.
async fn token_request(p: &Provider, m: &Metadata, pairs: &[(&str, &str)]) -> Result<Tokens, CallError> {
    let req = authenticated(p, Method::POST, &m.token, pairs)?;
    let answer = outbound::fetch(req, &m.token, TIMEOUT).await.map_err(CallError::Unreachable)?;
    if answer.status >= 500 {
        return Err(CallError::Unreachable(format!("the token endpoint answered {}", answer.status)));
    }
    if answer.status != 200 {
        // RFC 6749 §5.2: `error` (and maybe `error_description`), never a secret.
        let body: Value = serde_json::from_slice(&answer.body).unwrap_or(Value::Null);
        let error = body["error"].as_str().unwrap_or("no error code");
        if error == "invalid_grant" {
            return Err(CallError::Revoked);
        }
        return Err(CallError::Refused(format!("the token endpoint answered {}: {error}", answer.status)));
    }
    json(answer, "token answer")
}

/// A form POST to one of the provider's endpoints, with the client's authentication.
fn authenticated(
    p: &Provider,
    method: Method,
    url: &Url,
    pairs: &[(&str, &str)],
) -> Result<http::Request<Full<Bytes>>, CallError> {
    if p.client_secret.is_empty() {
        // On AWS only the functions that call token endpoints read the secrets.
        let why = format!("this process holds no client secret for {} (see INBOX_OAUTH_SECRET_ID)", p.integration);
        return Err(CallError::Refused(why));
    }
    let mut pairs = pairs.to_vec();
    let mut req = outbound::request(method, url)
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(ACCEPT, "application/json")
        .header(USER_AGENT, AGENT);
    match p.client_auth {
        ClientAuth::Basic => {
            // RFC 6749 §2.3.1: each part form-encoded before the Basic encoding.
            let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
            let pair = format!("{}:{}", enc(&p.client_id), enc(&p.client_secret));
            let basic = base64::engine::general_purpose::STANDARD.encode(pair);
            req = req.header(AUTHORIZATION, format!("Basic {basic}"));
        }
        ClientAuth::Post => {
            pairs.extend([("client_id", p.client_id.as_str()), ("client_secret", p.client_secret.as_str())]);
        }
    }
    let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish();
    Ok(req.body(Full::new(Bytes::from(body))).expect("a form request builds"))
}

/// The provider's profile of the signed-in person, with the access token.
pub async fn profile(url: &Url, access_token: &str) -> Result<Value, CallError> {
    json(get(url, Some(access_token)).await?, "profile")
}

async fn get(url: &Url, bearer: Option<&str>) -> Result<outbound::Answer, CallError> {
    let mut req = outbound::request(Method::GET, url).header(ACCEPT, "application/json").header(USER_AGENT, AGENT);
    if let Some(token) = bearer {
        req = req.header(AUTHORIZATION, format!("Bearer {token}"));
    }
    let req = req.body(Full::new(Bytes::new())).expect("a GET builds");
    let answer = outbound::fetch(req, url, TIMEOUT).await.map_err(CallError::Unreachable)?;
    match answer.status {
        200 => Ok(answer),
        s if s >= 500 => Err(CallError::Unreachable(format!("{} answered {s}", strip(url)))),
        s => Err(CallError::Refused(format!("{} answered {s}", strip(url)))),
    }
}

/// A URL without its query, for messages.
fn strip(url: &Url) -> String {
    url[..url::Position::AfterPath].to_string()
}

fn json<T: serde::de::DeserializeOwned>(answer: outbound::Answer, what: &str) -> Result<T, CallError> {
    serde_json::from_slice(&answer.body)
        .map_err(|e| CallError::Refused(format!("the provider's {what} is unreadable: {e}")))
}
