//! `inbox serve`: every route in one process, on the same handlers as Lambda.

use crate::{ensure_demo, DEMO_PASSWORD, DEMO_USERNAME};
use axum::extract::{ConnectInfo, State};
use inbox_api::usage::ClientIp;
use inbox_api::{ApiError, App, Config};
use inbox_store::Store;
use std::net::SocketAddr;
use std::sync::Arc;

/// Larger bodies are refused with 413 (API Gateway's own limit is 10 MB).
const MAX_BODY: usize = 1024 * 1024;

pub async fn serve(config: Config, store: Arc<dyn Store>, listen: SocketAddr, demo: bool) -> anyhow::Result<()> {
    if demo {
        if let Some(client) = ensure_demo(&store).await? {
            println!("Created the demo client {client}; log in as {DEMO_USERNAME} / {DEMO_PASSWORD}");
        }
    }
    let app = Arc::new(App::new(config, store));
    let router = axum::Router::new().fallback(forward).with_state(app);
    let listener = tokio::net::TcpListener::bind(listen).await?;
    println!("Inbox Accounts API listening on http://{}", listener.local_addr()?);
    let service = router.into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, service).with_graceful_shutdown(shutdown()).await?;
    Ok(())
}

async fn forward(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: axum::extract::Request,
) -> axum::response::Response {
    let (mut parts, body) = req.into_parts();
    parts.extensions.insert(ClientIp(peer.ip().to_string()));
    let too_large =
        || ApiError::new(http::StatusCode::PAYLOAD_TOO_LARGE, "The request body is larger than 1 MiB.").into_response();
    let declared = parts.headers.get(http::header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
    let resp = if declared.is_some_and(|n| n > MAX_BODY) {
        too_large()
    } else {
        match axum::body::to_bytes(body, MAX_BODY).await {
            Ok(bytes) => app.handle(http::Request::from_parts(parts, bytes), None).await,
            Err(_) => too_large(),
        }
    };
    resp.map(axum::body::Body::from)
}

async fn shutdown() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("SIGTERM handler");
        tokio::select! { _ = ctrl_c => {}, _ = term.recv() => {} }
    }
    #[cfg(not(unix))]
    ctrl_c.await.ok();
}
