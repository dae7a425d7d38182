//! The Accounts HTTP API: the [route table](routes), one handler per endpoint,
//! over `http` types so the same code serves Lambda and the local server.

pub mod access;
pub mod auth;
#[cfg(feature = "openapi")]
pub mod classes;
pub mod config;
#[cfg(feature = "openapi")]
mod constraints;
pub mod cors;
mod error;
mod handlers;
#[cfg(feature = "openapi")]
pub mod hydra;
mod idempotency;
pub mod jobs;
mod links;
// The documents are built only where served (feature `openapi`): elsewhere the
// schema derives are dead code the linker drops.
#[cfg(feature = "openapi")]
pub mod openapi;
mod outbound;
mod passwords;
mod query;
pub mod resources;
pub mod routes;
pub mod routing;
pub mod signin;
pub mod tokens;
pub mod usage;
pub mod vault;
pub mod warm;
pub mod webhooks;

use auth::{Keys, Principal};
use bytes::Bytes;
use http::{header, HeaderName, HeaderValue, StatusCode};
#[cfg_attr(feature = "sqlite", allow(unused_imports))] // `dyn Store` needs no trait imports
use inbox_store::prelude::*;
use inbox_store::AppStore;
use routing::{Access, Handler, Resolved, Route};
use serde::Serialize;
use std::sync::Arc;

pub use config::Config;
pub use error::ApiError;
pub use idempotency::{KeepKeys, KeyPolicy, NoKeys};
pub use links::ApiDomain;
pub use routes::ROUTES;
pub use routing::{Answer, Call};

pub type Request = http::Request<Bytes>;
pub type Response = http::Response<Bytes>;

/// Which routes a process answers ([`App::handle`]). Each scope carries its
/// own tables, so a Lambda function's binary holds only the routes it serves.
#[derive(Debug, Clone, Copy)]
pub enum Scope {
    /// Every route, then the pages: the local server ([`Scope::ALL`]).
    All { routes: &'static [&'static Route], pages: &'static [Route] },
    /// One function's route: any other path or method is a 404, as for API Gateway.
    Route(&'static Route),
    /// Requests API Gateway matched to no route: 404, or 405 for a path of these routes.
    Unrouted(&'static [&'static Route]),
    /// The dashboard, connect page and widget ([`routes::PAGES`]): one function.
    Pages(&'static [Route]),
}

impl Scope {
    pub const ALL: Scope = Scope::All { routes: ROUTES, pages: routes::PAGES };
}

/// The Lambda function behind API Gateway's `$default` route.
pub const FALLBACK_FUNCTION: &str = "not-found";

/// Everything a handler needs, built once per process.
pub struct App {
    pub store: Arc<AppStore>,
    pub config: Config,
    keys: Keys,
    background: usage::Background,
    /// Providers' discovery documents and keys, kept between requests.
    sign_ins: signin::Cache,
    /// The credentials vault, opened on first use (only routes of signed-in
    /// accounts need its key).
    vault: tokio::sync::OnceCell<Result<vault::Vault, String>>,
    /// A server's request log writer, started on first use ([`usage`]).
    log_writer: std::sync::OnceLock<usage::LogWriter>,
}

impl App {
    pub fn new(config: Config, store: Arc<AppStore>) -> Self {
        let keys = Keys::rotating(&config.jwt_secret, config.jwt_previous_secret.as_deref(), config.token_ttl_seconds);
        App {
            store,
            config,
            keys,
            background: usage::Background::Spawn,
            sign_ins: signin::Cache::default(),
            vault: tokio::sync::OnceCell::new(),
            log_writer: std::sync::OnceLock::new(),
        }
    }

    /// Awaits follow-up writes before answering (a Lambda sandbox may freeze
    /// once it has answered); by default they run on their own.
    pub fn awaiting_follow_ups(mut self) -> Self {
        self.background = usage::Background::Await;
        self
    }

    /// Configuration and store from the environment (see [`Config::load`]),
    /// for a process that serves `routes`: of the secrets, it reads the JWT
    /// keys if one of them signs or verifies tokens, the client secrets if
    /// one of them holds credentials ([`routes::CREDENTIALS`]).
    pub async fn from_env(routes: impl IntoIterator<Item = &Route>) -> Result<Self, String> {
        let mut needs = config::Secrets::default();
        for r in routes {
            needs.jwt |= r.uses_jwt();
            needs.client_secrets |= !routes::credential_grants(r.function).is_empty();
        }
        Self::from_env_with(needs).await
    }

    /// [`App::from_env`] for a process that reads the secrets `needs` says.
    pub async fn from_env_with(needs: config::Secrets) -> Result<Self, String> {
        let config = Config::load_secrets(needs).await.map_err(|e| e.to_string())?;
        let store = config::open_store(&config).await.map_err(|e| e.to_string())?;
        Ok(Self::new(config, store))
    }

    pub fn keys(&self) -> &Keys {
        &self.keys
    }

    /// The credentials vault ([`vault::Vault::from_env`]).
    pub async fn vault(&self) -> Result<&vault::Vault, String> {
        let opened = self.vault.get_or_init(|| vault::Vault::from_env(&self.config.data_dir)).await;
        opened.as_ref().map_err(Clone::clone)
    }

    /// Answers a request for `scope`: every route (the local server), one route
    /// (a Lambda function: any other path is a 404, as for API Gateway), or
    /// none (the function behind API Gateway's `$default` route).
    pub async fn handle(&self, req: Request, scope: Scope) -> Response {
        self.handle_as::<KeepKeys>(req, scope).await
    }

    /// [`App::handle`], keeping `Idempotency-Key`s or not ([`KeyPolicy`]).
    pub async fn handle_as<K: KeyPolicy>(&self, req: Request, scope: Scope) -> Response {
        let started = std::time::Instant::now();
        if let Some(resp) = cors::preflight(&self.config.embed_origins, &req) {
            return resp;
        }
        let origin = cors::allowed_origin(&self.config.embed_origins, &req).map(str::to_string);
        let request_id = request_id(&req);
        let base = self.public_url(&req);
        let (method, path) = (req.method().clone(), req.uri().path().to_string());
        let resolved = match scope {
            Scope::Route(route) => routing::resolve([route], &method, &path),
            Scope::Pages(pages) => routing::resolve(pages, &method, &path),
            Scope::Unrouted(routes) => routing::resolve(routes.iter().copied(), &method, &path),
            Scope::All { routes, pages } => match routing::resolve(routes.iter().copied(), &method, &path) {
                Resolved::NotFound => routing::resolve(pages, &method, &path),
                found => found,
            },
        };
        let mut documentation = false;
        let result = match resolved {
            Resolved::Found(route, param) if !matches!(scope, Scope::Unrouted(_)) => {
                // The sign-in callback is public but personal: never cached.
                documentation = route.access == Access::Public
                    && route.method == http::Method::GET
                    && route.path != signin::CALLBACK_PATH;
                let param = param.map(str::to_string);
                self.dispatch::<K>(route, param, req, &request_id).await
            }
            Resolved::MethodNotAllowed(allow) if !matches!(scope, Scope::Route(_)) => {
                Err(ApiError::method_not_allowed(&method, &path, allow))
            }
            _ => Err(ApiError::new(StatusCode::NOT_FOUND, format!("No route found for \"{method} {path}\""))),
        };
        let mut resp = result.unwrap_or_else(ApiError::into_response);
        if let Some(origin) = origin {
            cors::expose(&mut resp, &origin);
        }
        cors::varies(&self.config.embed_origins, &mut resp);
        if let Ok(v) = HeaderValue::from_str(&request_id) {
            resp.headers_mut().insert(X_REQUEST_ID, v);
        }
        let headers = resp.headers_mut();
        headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
        // Only public documentation and pages may be kept by caches; anything else
        // may carry data or a secret (a login's token, a new API token).
        if !documentation {
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        }
        if method == http::Method::HEAD {
            let length = resp.body().len();
            resp.headers_mut().insert(header::CONTENT_LENGTH, HeaderValue::from(length));
            *resp.body_mut() = Bytes::new();
        }
        // Every answer points at the Hydra documentation, as API Platform's do.
        let link = format!("<{}/api/docs.jsonld>; rel=\"http://www.w3.org/ns/hydra/core#apiDocumentation\"", base);
        if let Ok(v) = HeaderValue::from_str(&link) {
            resp.headers_mut().insert(header::LINK, v);
        }
        let status = resp.status().as_u16();
        let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
        tracing::info!(%method, %path, status, request_id, elapsed_ms, "request");
        resp
    }

    /// Authenticates the caller, parses the path parameter, runs the handler;
    /// a request made with an API token is then recorded in the token's log.
    async fn dispatch<K: KeyPolicy>(
        &self,
        route: &Route,
        param: Option<String>,
        req: Request,
        request_id: &str,
    ) -> Answer {
        let api_token = match route.access {
            Access::ApiToken => true,
            Access::RolesOrApiToken(_) => auth::bearer(req.headers()).is_ok_and(|t| t.starts_with(tokens::PREFIX)),
            _ => false,
        };
        let principal = match route.access {
            Access::Public => None,
            _ if api_token => {
                let token = self.api_token(req.headers()).await?;
                let used = usage::Use::of(&req, request_id);
                let principal =
                    Principal { subject: format!("token:{}", token.id), client_id: token.client_id, roles: vec![] };
                let call =
                    Call { principal: Some(principal), request_id: request_id.to_string(), req, idempotency: None };
                let resp = self.run(route, param, call).await.unwrap_or_else(ApiError::into_response);
                self.record_use(token, used, resp.status().as_u16()).await;
                return Ok(resp);
            }
            Access::Roles(allowed) | Access::RolesOrApiToken(allowed) => {
                let p = self.keys.verify(auth::bearer(req.headers())?)?;
                if !p.roles.iter().any(|r| allowed.contains(r)) {
                    return Err(ApiError::forbidden());
                }
                Some(p)
            }
            Access::ApiToken => unreachable!("API-token routes are answered above"),
        };
        let call = Call { principal, request_id: request_id.to_string(), req, idempotency: None };
        K::run(self, route, param, call).await
    }

    pub(crate) async fn run(&self, route: &Route, param: Option<String>, call: Call) -> Answer {
        match (route.handler, param) {
            (Handler::Plain(h), None) => h(self, call).await,
            (Handler::ById(h), Some(p)) => match uuid::Uuid::parse_str(&p) {
                Ok(id) => h(self, call, id).await,
                // Any id that is not a UUID names nothing.
                Err(_) => Err(ApiError::not_found_at(route)),
            },
            (Handler::ByName(h), Some(p)) => h(self, call, p).await,
            _ => Err(ApiError::not_found_at(route)),
        }
    }

    /// The API token of a request. Missing, unknown and revoked tokens all get
    /// the same 401.
    async fn api_token(&self, headers: &http::HeaderMap) -> Result<inbox_store::ApiToken, ApiError> {
        let unauthorized = || ApiError::Enterprise(error::Enterprise::Unauthorized);
        let secret = auth::bearer(headers).map_err(|_| unauthorized())?;
        if !secret.starts_with(tokens::PREFIX) {
            return Err(unauthorized());
        }
        match self.store.find_api_token(&tokens::hash(secret)).await? {
            Some(t) if t.revoked_at.is_none() => Ok(t),
            _ => Err(unauthorized()),
        }
    }
}

// Header names as constants: a name given as a string is parsed on every use.
const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
/// Where a caller's correlation id may come from, in order.
const REQUEST_ID_HEADERS: [HeaderName; 3] = [
    X_REQUEST_ID,
    HeaderName::from_static("x-correlation-id"),
    HeaderName::from_static("lambda-runtime-aws-request-id"),
];

/// The caller's correlation id if it sent a sensible one, else a new one.
fn request_id(req: &Request) -> String {
    REQUEST_ID_HEADERS
        .iter()
        .filter_map(|h| req.headers().get(h)?.to_str().ok())
        .find(|v| !v.is_empty() && v.len() <= 128 && v.bytes().all(|b| b.is_ascii_graphic()))
        .map_or_else(
            || uuid::Uuid::new_v4().hyphenated().encode_lower(&mut uuid::Uuid::encode_buffer()).to_owned(),
            str::to_string,
        )
}

pub(crate) fn json_response(status: StatusCode, content_type: &'static str, body: &impl Serialize) -> Response {
    // Room for a resource or a short page up front: growing a small buffer copies it each time.
    let mut bytes = Vec::with_capacity(1024);
    serde_json::to_writer(&mut bytes, body).expect("responses serialize");
    let mut resp = Response::new(Bytes::from(bytes));
    *resp.status_mut() = status;
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    resp
}

pub(crate) fn jsonld(status: StatusCode, body: &impl Serialize) -> Response {
    json_response(status, "application/ld+json; charset=utf-8", body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(headers: &[(&str, &str)]) -> Request {
        let mut b = http::Request::builder().uri("/api");
        for (name, value) in headers {
            b = b.header(*name, *value);
        }
        b.body(Bytes::new()).unwrap()
    }

    #[test]
    fn a_request_id_is_the_callers_when_sensible() {
        assert_eq!(request_id(&req(&[("x-correlation-id", "abc-1")])), "abc-1");
        assert_eq!(request_id(&req(&[("lambda-runtime-aws-request-id", "l-1")])), "l-1");
        assert_eq!(request_id(&req(&[("x-correlation-id", "c1"), ("x-request-id", "r1")])), "r1");
        for sent in [&[("x-request-id", "has space")][..], &[]] {
            let made = request_id(&req(sent));
            assert_eq!(uuid::Uuid::parse_str(&made).unwrap().hyphenated().to_string(), made);
        }
    }
}
