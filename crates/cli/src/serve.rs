//! `inbox serve`: every route in one process, on the same handlers as Lambda,
//! behind a hardened HTTP/1 server: a header read timeout that also closes idle
//! keep-alive connections, a body read timeout, a cap on open connections with
//! a clear refusal past it, and size limits answered as problem+json.

use crate::directory::{ensure_demo, DEMO_PASSWORD, DEMO_USERNAME};
use crate::limits::{self, Limits};
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use inbox_api::config::StoreKind;
use inbox_api::usage::ClientIp;
use inbox_api::{App, Config};
use inbox_store::Store;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::sync::Semaphore;

pub async fn serve(
    config: Config,
    store: Arc<dyn Store>,
    listen: SocketAddr,
    demo: bool,
    limits: Limits,
) -> anyhow::Result<()> {
    if demo {
        if let Some(client) = ensure_demo(&store).await? {
            println!("Created the demo client {client}; log in as {DEMO_USERNAME} / {DEMO_PASSWORD}");
        }
    }
    // Webhooks are delivered outside the request path, by the same dispatcher
    // as on AWS, following the event log (SQLite) or the table's stream.
    let dispatcher = inbox_api::webhooks::Dispatcher::new(store.clone(), &config);
    let _webhooks = match config.store {
        StoreKind::Sqlite => {
            let log = inbox_store::SqliteStore::open(&config.sqlite_path())?;
            tokio::spawn(dispatcher.follow_sqlite(log))
        }
        StoreKind::DynamoDb => tokio::spawn(crate::streams::follow(dispatcher)),
    };
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let addr = listener.local_addr()?;
    let mut config = config;
    if config.public_url.is_empty() {
        // Links name this server as it listens (never as a request's `Host` says);
        // INBOX_PUBLIC_URL names it otherwise (a proxy, another host name).
        config.public_url = local_url(addr);
    }
    let app = Arc::new(App::new(config, store));
    // Provider tokens that expire soon are renewed ahead of need, as the
    // `credentials-renew` schedule does on AWS.
    let every = Duration::from_secs(app.config.renew_every_seconds as u64);
    let _renewals = tokio::spawn(inbox_api::signin::renewals::every(app.clone(), every));
    println!("Inbox Accounts API listening on http://{addr}");
    println!("Dashboard: http://{addr}/dashboard");
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
    let mut stop = std::pin::pin!(shutdown());
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of descriptors or the like: keep serving those already open.
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut stop => break,
        };
        // Answers leave at once rather than waiting on the client's delayed ACK (Nagle).
        stream.set_nodelay(true).ok();
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            tokio::spawn(refuse(stream));
            continue;
        };
        let (app, conn_limits) = (app.clone(), limits.clone());
        // Written out once a connection, not on each of its requests.
        let client_ip = ClientIp(peer.ip().to_string());
        let service = hyper::service::service_fn(move |req| {
            let (app, limits, client_ip) = (app.clone(), conn_limits.clone(), client_ip.clone());
            async move { Ok::<_, std::convert::Infallible>(limits::answer(&app, &limits, client_ip, req).await) }
        });
        let conn = http1::Builder::new()
            .timer(TokioTimer::new())
            // Also the idle keep-alive timeout: the timer runs while the next request is awaited.
            .header_read_timeout(limits.header_timeout)
            // Room for headers past our own limits, so those are answered as problem+json.
            .max_buf_size(limits::HYPER_BUFFER)
            .max_headers(limits::HYPER_HEADERS)
            .serve_connection(TokioIo::new(stream), service);
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "connection ended");
            }
            drop(permit);
        });
    }
    drop(listener);
    tokio::select! {
        _ = graceful.shutdown() => {},
        _ = tokio::time::sleep(Duration::from_secs(10)) => tracing::warn!("closing connections still busy after 10 s"),
    }
    Ok(())
}

/// `http://{addr}`; `localhost` for an address that listens on every interface.
fn local_url(addr: SocketAddr) -> String {
    if addr.ip().is_unspecified() {
        format!("http://localhost:{}", addr.port())
    } else {
        format!("http://{addr}")
    }
}

/// Past the connection cap: a 503 problem+json, then the connection is closed.
async fn refuse(mut stream: tokio::net::TcpStream) {
    let body = limits::problem_body(503, "Too many open connections; retry shortly.");
    let head = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/problem+json; charset=utf-8\r\n\
         retry-after: 1\r\nx-content-type-options: nosniff\r\ncache-control: no-store\r\nconnection: close\r\n\
         content-length: {}\r\n\r\n",
        body.len()
    );
    let write = async {
        stream.write_all(head.as_bytes()).await?;
        stream.write_all(&body).await?;
        stream.shutdown().await
    };
    let _ = tokio::time::timeout(Duration::from_secs(2), write).await;
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
