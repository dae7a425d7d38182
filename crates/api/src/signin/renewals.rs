//! Renewal ahead of need: a scheduled run (`credentials-renew` on AWS, a task
//! of `inbox serve`) renews the access tokens that expire soon, so the inbox
//! finds them valid and a grant the provider no longer honours is noticed
//! (the account disconnected, `credentials_revoked`) before anyone needs it.
//! Each account is renewed under the same lease as a hand-out: never twice at
//! once. One that fails stays due and is tried again on the next run.

use super::handout::{self, By, Renewed, LEASE_SECONDS};
use crate::App;
#[cfg_attr(feature = "sqlite", allow(unused_imports))] // `dyn Store` needs no trait imports
use inbox_store::prelude::*;
use inbox_store::{Renewal, StoreError};
use serde::Serialize;
use std::time::Duration;
use tokio::time::Instant;

/// The scheduled function's name (no route).
pub const FUNCTION: &str = "credentials-renew";
/// Who renewals and their disconnects are recorded as.
pub const ACTOR: &str = "credentials-renew";
/// Tokens expiring within this are renewed: twice the schedule's period, so
/// each is renewed at least one run before it expires.
pub const AHEAD: Duration = Duration::from_secs(600);
/// How long one account's renewal keeps asking a failing provider.
const BUDGET: Duration = Duration::from_secs(5);
/// Accounts read from the index at a time.
const BATCH: usize = 100;

/// What one run did.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct Run {
    pub renewed: usize,
    pub disconnected: usize,
    /// Not renewed this time (the provider failed, another holds the lease …): still due.
    pub deferred: usize,
}

/// Renews what is due, until nothing is or `deadline` passes.
pub async fn run(app: &App, deadline: Instant) -> Result<Run, StoreError> {
    let mut done = Run::default();
    let holder = format!("{ACTOR}#{}", uuid::Uuid::new_v4());
    let mut seen = std::collections::HashSet::new();
    while Instant::now() < deadline {
        let before = chrono::Utc::now() + chrono::Duration::from_std(AHEAD).expect("a short duration");
        // Those deferred this run stay in the index: skip them, or the run would spin.
        let due: Vec<Renewal> = app.store.renewals_due(before, BATCH + seen.len()).await?;
        let fresh: Vec<Renewal> = due.into_iter().filter(|r| !seen.contains(&r.account_id)).take(BATCH).collect();
        if fresh.is_empty() {
            break;
        }
        for r in fresh {
            if Instant::now() >= deadline {
                break;
            }
            seen.insert(r.account_id);
            match one(app, &holder, &r).await {
                Ok(Some(Renewed::Fresh(_))) => done.renewed += 1,
                Ok(Some(Renewed::Revoked)) => done.disconnected += 1,
                Ok(Some(Renewed::Failed(e))) => {
                    tracing::warn!(account = %r.account_id, error = ?e, "not renewed; tried again next run");
                    done.deferred += 1;
                }
                Ok(None) => done.deferred += 1,
                Err(e) => {
                    tracing::warn!(account = %r.account_id, error = %e, "not renewed; tried again next run");
                    done.deferred += 1;
                }
            }
        }
    }
    if done != Run::default() {
        tracing::info!(?done, "credentials renewal run");
    }
    Ok(done)
}

/// One account's renewal; `None` when another holds its lease.
async fn one(app: &App, holder: &str, r: &Renewal) -> Result<Option<Renewed>, StoreError> {
    let Some(account) = app.store.get_account(r.client_id, r.account_id).await? else { return Ok(None) };
    let vault = app.vault().await.map_err(StoreError::Unavailable)?;
    let (sealed, credentials) = match handout::credentials_of(vault, &account).await {
        Ok(found) => found,
        Err(e) => return Ok(Some(Renewed::Failed(e))),
    };
    let now = chrono::Utc::now();
    let lease = handout::lease_of(account.id);
    if !app.store.take_lease(&lease, holder, now + chrono::Duration::seconds(LEASE_SECONDS), now).await? {
        return Ok(None);
    }
    let by = By {
        actor: ACTOR.to_string(),
        correlation: holder.to_string(),
        reconnect_url: app.connect_url_at(&app.config.public_url, &account.integration, account.id.0),
    };
    let renewed = handout::renew(app, &by, vault, &account, &sealed, credentials, BUDGET).await;
    if let Err(e) = app.store.release_lease(&lease, holder).await {
        tracing::warn!(error = %e, "a renewal lease was not given back (it ends by itself)");
    }
    Ok(Some(renewed))
}

/// `inbox serve`'s task: a run every `every`, for as long as the server runs.
pub async fn every(app: std::sync::Arc<App>, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(e) = run(&app, Instant::now() + every.max(Duration::from_secs(30))).await {
            tracing::warn!(error = %e, "credentials renewal: will try again");
        }
    }
}
