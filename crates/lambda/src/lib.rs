//! Runs one endpoint of the API as a Lambda function behind API Gateway (or
//! `cargo lambda watch`). Config and store are built once, at init. Each
//! function's `main` is the same two lines:
//!
//! ```text
//! const FUNCTION: inbox_lambda::Function = inbox_lambda::function(env!("CARGO_PKG_NAME"));
//! fn main() -> Result<(), inbox_lambda::Error> { inbox_lambda::main(FUNCTION) }
//! ```

use bytes::Bytes;
use inbox_api::jobs::FUNCTIONS as JOB_FUNCTIONS;
use inbox_api::routing::{same, Route};
use inbox_api::usage::ClientIp;
use inbox_api::warm;
use inbox_api::{routes, ApiDomain, App, KeepKeys, KeyPolicy, NoKeys, Scope, FALLBACK_FUNCTION, ROUTES};
use lambda_http::request::RequestContext;
use lambda_http::{service_fn, Body, RequestExt};
use std::sync::Arc;

pub use lambda_http::Error;

pub mod renewals;
pub mod webhooks;

/// What a function serves: its route, the pages, the unrouted requests, or
/// a job. Found by [`function`] at compile time.
#[derive(Debug, Clone, Copy)]
pub enum Function {
    /// A route, with the read that warms its store during init (if it has tables).
    Route(&'static Route, Option<warm::Read>),
    Pages(&'static [Route]),
    Unrouted(&'static [&'static Route]),
    Job(&'static str),
}

/// The function named `name` (a `functions/` crate's name), for a `const`: the
/// binary then holds only that route, hence only its handler is linked. An
/// unknown name fails the build.
pub const fn function(name: &'static str) -> Function {
    let mut i = 0;
    while i < ROUTES.len() {
        if same(ROUTES[i].function, name) {
            return Function::Route(ROUTES[i], warm::read_for(ROUTES[i]));
        }
        i += 1;
    }
    if same(name, routes::PAGES_FUNCTION) {
        return Function::Pages(routes::PAGES);
    }
    if same(name, FALLBACK_FUNCTION) {
        return Function::Unrouted(ROUTES);
    }
    let mut i = 0;
    while i < JOB_FUNCTIONS.len() {
        if same(JOB_FUNCTIONS[i].0, name) {
            return Function::Job(JOB_FUNCTIONS[i].0);
        }
        i += 1;
    }
    panic!("no route, page or job has this name")
}

/// A function's `main`: serves `function` until the runtime stops. Inlined
/// into a `main` whose `function` is a constant, so only its own arm (and what
/// that arm reaches) is linked.
#[inline(always)]
pub fn main(function: Function) -> Result<(), Error> {
    match function {
        // A constant: the other arm is not linked.
        Function::Route(route, warm) if !route.keeps_idempotency_keys() => serve_keyless_route(route, warm),
        Function::Route(route, warm) => serve_route(route, warm),
        Function::Pages(pages) => serve_pages(pages),
        Function::Unrouted(routes) => serve_unrouted(routes),
        Function::Job(name) => run_job(name),
    }
}

// Each arm is compiled once, here, and not in the 44 function crates: what a
// function crate instantiates itself is compiled again for each of them, which
// made each one's build a minute long.

#[doc(hidden)]
#[inline(never)]
pub fn serve_route(route: &'static Route, warm: Option<warm::Read>) -> Result<(), Error> {
    block_on(serve::<KeepKeys>(Scope::Route(route), &[route], warm))
}

/// [`serve_route`] for a route that keeps no `Idempotency-Key`s
/// ([`Route::keeps_idempotency_keys`]), without the code that keeps them.
#[doc(hidden)]
#[inline(never)]
pub fn serve_keyless_route(route: &'static Route, warm: Option<warm::Read>) -> Result<(), Error> {
    block_on(serve::<NoKeys>(Scope::Route(route), &[route], warm))
}

#[doc(hidden)]
#[inline(never)]
pub fn serve_pages(pages: &'static [Route]) -> Result<(), Error> {
    block_on(serve::<NoKeys>(Scope::Pages(pages), &[], None))
}

#[doc(hidden)]
#[inline(never)]
pub fn serve_unrouted(routes: &'static [&'static Route]) -> Result<(), Error> {
    block_on(serve::<NoKeys>(Scope::Unrouted(routes), &[], None))
}

#[doc(hidden)]
#[inline(never)]
pub fn run_job(name: &'static str) -> Result<(), Error> {
    if name == inbox_api::signin::renewals::FUNCTION {
        return block_on(renewals::run());
    }
    block_on(webhooks::run(name))
}

fn block_on(job: impl std::future::Future<Output = Result<(), Error>>) -> Result<(), Error> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    init_tracing();
    runtime.block_on(job)
}

/// Serves `scope` behind API Gateway; `routes` are those it runs handlers of
/// (the JWT secret is read only if one of them needs it), keeping
/// `Idempotency-Key`s or not.
async fn serve<K: KeyPolicy>(scope: Scope, routes: &[&'static Route], warm: Option<warm::Read>) -> Result<(), Error> {
    let app = App::from_env(routes.iter().copied()).await.map_err(|e| {
        tracing::error!(error = %e, "cannot start");
        e
    })?;
    if let Some(read) = warm {
        app.warm_up(read).await;
    }
    let app = Arc::new(app.awaiting_follow_ups());
    tracing::info!("ready");
    lambda_http::run(service_fn(move |req: lambda_http::Request| {
        let app = app.clone();
        async move { Ok::<_, std::convert::Infallible>(handle_as::<K>(&app, scope, req).await) }
    }))
    .await
}

/// Converts the Lambda request, lets the app answer, converts back.
pub async fn handle(app: &App, scope: Scope, req: lambda_http::Request) -> lambda_http::Response<Body> {
    handle_as::<KeepKeys>(app, scope, req).await
}

/// [`handle`], keeping `Idempotency-Key`s or not, as the function serving `scope` does.
pub async fn handle_as<K: KeyPolicy>(
    app: &App,
    scope: Scope,
    req: lambda_http::Request,
) -> lambda_http::Response<Body> {
    let request_id = req.lambda_context_ref().map(|c| c.request_id.clone());
    // API Gateway's own record of the request: the caller's address, and the
    // domain it was received on (the API's URL, whatever `Host` claims).
    let (source_ip, domain) = match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(c)) => (c.http.source_ip.clone(), c.domain_name.clone()),
        Some(RequestContext::ApiGatewayV1(c)) => (c.identity.source_ip.clone(), c.domain_name.clone()),
        _ => (None, None),
    };
    let (mut parts, body) = req.into_parts();
    if let Some(ip) = source_ip {
        parts.extensions.insert(ClientIp(ip));
    }
    if let Some(domain) = domain.filter(|d| !d.is_empty()) {
        parts.extensions.insert(ApiDomain(domain));
    }
    if let Some(id) = request_id.and_then(|id| http::HeaderValue::from_str(&id).ok()) {
        parts.headers.entry("lambda-runtime-aws-request-id").or_insert(id);
    }
    let bytes = match body {
        Body::Empty => Bytes::new(),
        Body::Text(s) => Bytes::from(s),
        Body::Binary(b) => Bytes::from(b),
        _ => Bytes::new(),
    };
    let req = http::Request::from_parts(parts, bytes);
    let resp = app.handle_as::<K>(req, scope).await;
    let (parts, body) = resp.into_parts();
    let body = if body.is_empty() {
        Body::Empty
    } else {
        match String::from_utf8(body.to_vec()) {
            Ok(text) => Body::Text(text),
            Err(e) => Body::Binary(e.into_bytes()),
        }
    };
    lambda_http::Response::from_parts(parts, body)
}

/// JSON logs, as CloudWatch wants them; level from `RUST_LOG` (default info).
fn init_tracing() {
    use tracing_subscriber::prelude::*;
    let json = tracing_subscriber::fmt::layer()
        .json()
        .with_current_span(false)
        .with_ansi(false)
        .without_time() // CloudWatch stamps every line
        .with_target(false);
    tracing_subscriber::registry().with(log_filter()).with(json).init();
}

/// `RUST_LOG` as `level` or `target=level` directives (default info). No
/// regex filters: that keeps a regex engine out of every function.
fn log_filter() -> tracing_subscriber::filter::Targets {
    let info = || tracing_subscriber::filter::Targets::new().with_default(tracing::Level::INFO);
    std::env::var("RUST_LOG").ok().and_then(|v| v.parse().ok()).unwrap_or_else(info)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_function_name_finds_what_it_serves() {
        const GET: Function = function("accounts-get");
        assert!(matches!(GET, Function::Route(r, _) if r.function == "accounts-get" && r.path == "/api/accounts/{id}"));
        for r in ROUTES {
            assert!(
                matches!(function(r.function), Function::Route(found, _) if found.function == r.function && found.path == r.path),
                "{}",
                r.function
            );
        }
        assert!(matches!(function("dashboard"), Function::Pages(p) if p.len() == routes::PAGES.len()));
        assert!(matches!(function("not-found"), Function::Unrouted(all) if all.len() == ROUTES.len()));
        for (name, _) in JOB_FUNCTIONS {
            assert!(matches!(function(name), Function::Job(n) if n == *name));
        }
    }

    #[test]
    #[should_panic(expected = "no route, page or job has this name")]
    fn an_unknown_name_is_refused() {
        function("accounts-gets");
    }
}
