//! Recording what API tokens are used for: each request made with a token is
//! logged (time, method, path, status, client address, user agent, request id;
//! never a query string or a secret), and the token's last use is updated at
//! most once a minute. Both writes run after the answer is ready, outside the
//! handler; a failed write is logged and never fails the request.

use crate::App;
use inbox_domain::{time, Timestamp};
#[cfg_attr(feature = "sqlite", allow(unused_imports))] // `dyn Store` needs no trait imports
use inbox_store::prelude::*;
use inbox_store::{ApiToken, AppStore, TokenRequest, TokenUse};
use std::sync::Arc;

/// The client address of a request, as the adapter saw it (the TCP peer
/// locally, API Gateway's `sourceIp` on Lambda): a request extension.
#[derive(Debug, Clone)]
pub struct ClientIp(pub String);

/// How follow-up writes run: spawned (a server keeps running after it answers),
/// or awaited with a bound (a Lambda sandbox may freeze once it has answered).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Background {
    Spawn,
    Await,
}

/// How long an awaited follow-up may take before it is given up (and logged).
const AWAIT_AT_MOST: std::time::Duration = std::time::Duration::from_millis(500);

/// A last use older than this is rewritten.
const TOUCH_EVERY: chrono::Duration = chrono::Duration::seconds(60);

/// What a request made with a token looked like.
pub(crate) struct Use {
    pub method: String,
    pub path: String,
    pub request_id: String,
    pub used: TokenUse,
}

impl Use {
    pub fn of(req: &crate::Request, request_id: &str) -> Self {
        let header =
            |name| req.headers().get(name).and_then(|v| v.to_str().ok()).map(|v| v.chars().take(512).collect());
        Use {
            method: req.method().to_string(),
            path: req.uri().path().chars().take(2048).collect(),
            request_id: request_id.to_string(),
            used: TokenUse {
                at: time::truncate(chrono::Utc::now()),
                ip: req.extensions().get::<ClientIp>().map(|c| c.0.clone()),
                user_agent: header(http::header::USER_AGENT),
            },
        }
    }
}

impl App {
    /// Records one answered request of `token`.
    pub(crate) async fn record_use(&self, token: ApiToken, u: Use, status: u16) {
        let entry = self.log_entry(token.id, u, status, None);
        self.follow_up(write(self.store.clone(), token, entry), "recording an API token's use").await;
    }

    /// Records one hand-out of an account's access token, and who asked, in the account's log.
    pub(crate) async fn record_handout(&self, account: inbox_domain::AccountId, u: Use, status: u16, actor: &str) {
        let entry = self.log_entry(account.0, u, status, Some(actor.to_string()));
        let store = self.store.clone();
        let work = async move {
            if let Err(e) = store.log_token_request(&entry).await {
                tracing::error!(error = %e, account = %entry.token_id, "cannot log a token hand-out");
            }
        };
        self.follow_up(work, "logging a token hand-out").await;
    }

    fn log_entry(&self, log: uuid::Uuid, u: Use, status: u16, actor: Option<String>) -> TokenRequest {
        TokenRequest {
            token_id: log,
            request_id: u.request_id,
            method: u.method,
            path: u.path,
            status,
            expires_at: u.used.at + chrono::Duration::days(self.config.token_log_days),
            used: u.used,
            actor,
        }
    }

    /// Runs a follow-up write as this process does ([`Background`]).
    async fn follow_up(&self, work: impl std::future::Future<Output = ()> + Send + 'static, what: &str) {
        match self.background {
            Background::Spawn => drop(tokio::spawn(work)),
            Background::Await => {
                if tokio::time::timeout(AWAIT_AT_MOST, work).await.is_err() {
                    tracing::warn!("{what} took too long; given up");
                }
            }
        }
    }
}

async fn write(store: Arc<AppStore>, token: ApiToken, entry: TokenRequest) {
    // The last use is rewritten only when stale: a burst costs one write a minute.
    let stale = |at: Timestamp| token.last_used.as_ref().is_none_or(|u| u.at < at - TOUCH_EVERY);
    if stale(entry.used.at) {
        if let Err(e) = store.touch_api_token(&token, &entry.used, entry.used.at - TOUCH_EVERY).await {
            tracing::error!(error = %e, token = %token.id, "cannot record an API token's last use");
        }
    }
    if let Err(e) = store.log_token_request(&entry).await {
        tracing::error!(error = %e, token = %token.id, "cannot log an API token's request");
    }
}
