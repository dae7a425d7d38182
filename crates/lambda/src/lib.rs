//! Runs one endpoint of the API as a Lambda function behind API Gateway (or
//! `cargo lambda watch`). Config and store are built once, at init.

use bytes::Bytes;
use inbox_api::usage::ClientIp;
use inbox_api::{routes, App, Scope};
use lambda_http::request::RequestContext;
use lambda_http::{service_fn, Body, RequestExt};
use std::sync::Arc;

pub use lambda_http::Error;

pub mod webhooks;

/// Serves the route of `function` (a `functions/` crate's name) until the
/// runtime stops.
pub async fn run(function: &str) -> Result<(), Error> {
    init_tracing();
    if inbox_api::webhooks::FUNCTIONS.iter().any(|(f, _)| *f == function) {
        return webhooks::run(function).await;
    }
    let (scope, routes) = if function == inbox_api::FALLBACK_FUNCTION {
        (Scope::Unrouted, &[][..])
    } else if function == routes::PAGES_FUNCTION {
        (Scope::Pages, routes::PAGES)
    } else {
        let route = routes::by_function(function).ok_or_else(|| format!("no route is served by {function}"))?;
        (Scope::Route(route), std::slice::from_ref(route))
    };
    let app = App::from_env(routes).await.map_err(|e| {
        tracing::error!(error = %e, "cannot start");
        e
    })?;
    if let Scope::Route(route) = scope {
        app.warm_up(route).await;
    }
    let app = Arc::new(app.awaiting_follow_ups());
    tracing::info!(function, "ready");
    lambda_http::run(service_fn(move |req: lambda_http::Request| {
        let app = app.clone();
        async move { Ok::<_, std::convert::Infallible>(handle(&app, scope, req).await) }
    }))
    .await
}

/// Converts the Lambda request, lets the app answer, converts back.
pub async fn handle(app: &App, scope: Scope, req: lambda_http::Request) -> lambda_http::Response<Body> {
    let request_id = req.lambda_context_ref().map(|c| c.request_id.clone());
    let source_ip = match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(c)) => c.http.source_ip.clone(),
        Some(RequestContext::ApiGatewayV1(c)) => c.identity.source_ip.clone(),
        _ => None,
    };
    let (mut parts, body) = req.into_parts();
    if let Some(ip) = source_ip {
        parts.extensions.insert(ClientIp(ip));
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
    let resp = app.handle(http::Request::from_parts(parts, bytes), scope).await;
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
