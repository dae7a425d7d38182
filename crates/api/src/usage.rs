//! Request logs: each request made with an API token is logged in the token's
//! log, each hand-out of an account's access token in the account's (time,
//! method, path, status, client address, user agent, request id, who; never a
//! query string or a secret); a token's last use is updated at most once a
//! minute. The writes run after the answer is ready, outside the handler (a
//! server batches the log's); a failed write is logged and never fails the
//! request.

use crate::App;
use inbox_domain::time;
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
        // The last use is rewritten only when stale: a burst costs one write a minute.
        let stale = token.last_used.as_ref().is_none_or(|last| last.at < entry.used.at - TOUCH_EVERY);
        let (store, used) = (self.store.clone(), entry.used.clone());
        let touch = async move {
            if stale {
                if let Err(e) = store.touch_api_token(&token, &used, used.at - TOUCH_EVERY).await {
                    tracing::error!(error = %e, token = %token.id, "cannot record an API token's last use");
                }
            }
        };
        self.log(entry, Some(Box::pin(touch))).await;
    }

    /// Records one hand-out of an account's access token, and who asked, in the account's log.
    pub(crate) async fn record_handout(&self, account: inbox_domain::AccountId, u: Use, status: u16, actor: &str) {
        let entry = self.log_entry(account.0, u, status, Some(actor.to_string()));
        self.log(entry, None).await;
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

    /// Writes a log entry (and `also`) as this process does ([`Background`]):
    /// a server queues the entry for its log writer, which writes what has
    /// queued up in one go; a Lambda function writes it before it answers.
    async fn log(&self, entry: TokenRequest, also: Option<FollowUp>) {
        match self.background {
            Background::Spawn => {
                if let Some(work) = also {
                    drop(tokio::spawn(work));
                }
                let writer = self.log_writer.get_or_init(|| spawn_log_writer(self.store.clone()));
                if writer.send(entry).is_err() {
                    tracing::error!("the request log writer has stopped: an entry is lost");
                }
            }
            Background::Await => {
                let store = self.store.clone();
                let work = async move {
                    if let Some(work) = also {
                        work.await;
                    }
                    if let Err(e) = store.log_token_request(&entry).await {
                        tracing::error!(error = %e, log = %entry.token_id, "cannot write a request log entry");
                    }
                };
                if tokio::time::timeout(AWAIT_AT_MOST, work).await.is_err() {
                    tracing::warn!("writing a request log entry took too long; given up");
                }
            }
        }
    }
}

type FollowUp = std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>;

/// Where a server's request log entries go: a task that writes, each time,
/// every entry queued within [`LOG_GATHER`] of the first (at most
/// [`LOG_BATCH`]) in one write.
pub(crate) type LogWriter = tokio::sync::mpsc::UnboundedSender<TokenRequest>;

const LOG_BATCH: usize = 256;
/// How long the writer lets entries gather before it writes them.
const LOG_GATHER: std::time::Duration = std::time::Duration::from_millis(25);

fn spawn_log_writer(store: Arc<AppStore>) -> LogWriter {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<TokenRequest>();
    tokio::spawn(async move {
        while let Some(first) = rx.recv().await {
            // A moment for more to queue: a busy server writes many entries a write.
            tokio::time::sleep(LOG_GATHER).await;
            let mut batch = vec![first];
            while batch.len() < LOG_BATCH {
                match rx.try_recv() {
                    Ok(e) => batch.push(e),
                    Err(_) => break,
                }
            }
            if let Err(e) = store.log_token_requests(&batch).await {
                tracing::error!(error = %e, entries = batch.len(), "cannot write request log entries");
            }
        }
    });
    tx
}
