//! The two webhook functions: `webhooks-dispatch`, driven by the events
//! table's stream (one batch of new events at a time), and `webhooks-retry`,
//! driven by a schedule (what is due). Both run the dispatcher `inbox serve`
//! runs locally.

use inbox_api::config::{open_store, Config};
use inbox_api::webhooks::{Dispatcher, DISPATCH_FUNCTION, RETRY_FUNCTION};
use lambda_http::{lambda_runtime, service_fn, Error, LambdaEvent};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// How long one scheduled run starts attempts (each ends within 15 s, before
/// the function's 60 s timeout).
const RETRY_BUDGET: Duration = Duration::from_secs(40);

/// How long one stream batch starts attempts (the function's timeout is 120 s);
/// what is left stays due for `webhooks-retry`.
const DISPATCH_BUDGET: Duration = Duration::from_secs(60);

pub async fn run(function: &str) -> Result<(), Error> {
    let config = Config::load_secrets(Default::default()).await?;
    let store = open_store(&config).await?;
    let dispatcher = Dispatcher::new(store, &config).within(DISPATCH_BUDGET);
    // Warm the store's connection during init, with a read both may make.
    let _ = dispatcher.due_count(1).await;
    tracing::info!(function, "ready");
    match function {
        DISPATCH_FUNCTION => {
            lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
                let dispatcher = dispatcher.clone();
                async move { Ok::<_, Error>(dispatcher.stream_batch(&event.payload).await) }
            }))
            .await
        }
        RETRY_FUNCTION => {
            lambda_runtime::run(service_fn(move |_: LambdaEvent<Value>| {
                let dispatcher = dispatcher.clone();
                async move { retry(&dispatcher).await }
            }))
            .await
        }
        other => Err(format!("{other} is not a webhook function").into()),
    }
}

/// Tries what is due, a hundred at a time, until nothing is or the budget is spent.
pub async fn retry(dispatcher: &Dispatcher) -> Result<Value, Error> {
    let deadline = Instant::now() + RETRY_BUDGET;
    let mut tried = 0;
    while Instant::now() < deadline {
        let n = dispatcher.deliver_due_until(100, Some(deadline)).await?;
        tried += n;
        if n < 100 {
            break;
        }
    }
    Ok(json!({ "tried": tried }))
}
