//! The read that opens a Lambda function's store connection during init, so
//! that its first request pays no TLS handshake: one its grants already allow,
//! of a key that does not exist. Chosen by a `const fn` when the function's
//! binary is built, which then links that one read and not the others.

use crate::access::Table;
use crate::routing::Route;
use crate::App;
#[cfg_attr(feature = "sqlite", allow(unused_imports))] // `dyn Store` needs no trait imports
use inbox_store::prelude::*;
use inbox_store::StoreError;
use std::future::Future;
use std::pin::Pin;
use uuid::Uuid;

/// A warm-up read.
pub type Read = for<'a> fn(&'a App) -> Pin<Box<dyn Future<Output = Result<(), StoreError>> + Send + 'a>>;

/// The warm-up read of `route`: the first of these its grants allow, or none
/// for a route without tables.
pub const fn read_for(route: &Route) -> Option<Read> {
    if route.allows(Table::Directory, "dynamodb:GetItem") {
        Some(|app| Box::pin(async move { app.store.get_client(inbox_domain::ClientId(Uuid::nil())).await.map(drop) }))
    } else if route.allows(Table::Accounts, "dynamodb:GetItem") {
        Some(|app| {
            Box::pin(async move {
                app.store
                    .get_account(inbox_domain::ClientId(Uuid::nil()), inbox_domain::AccountId(Uuid::nil()))
                    .await
                    .map(drop)
            })
        })
    } else if route.allows(Table::Events, "dynamodb:Query") {
        Some(|app| Box::pin(async move { app.store.stream_head(Uuid::nil()).await.map(drop) }))
    } else if route.allows(Table::Directory, "dynamodb:Query") {
        Some(|app| {
            Box::pin(async move { app.store.list_api_tokens(inbox_domain::ClientId(Uuid::nil())).await.map(drop) })
        })
    } else {
        None
    }
}

impl App {
    /// Runs a warm-up read. A failure is only logged: the first request will try again.
    pub async fn warm_up(&self, read: Read) {
        if let Err(e) = read(self).await {
            tracing::warn!(error = %e, "warm-up read failed");
        }
    }
}
