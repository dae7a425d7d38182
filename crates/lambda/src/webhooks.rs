//! The two webhook functions: `webhooks-dispatch`, driven by the events
//! table's stream (one batch of new events at a time), and `webhooks-retry`,
//! driven by a schedule (what is due). Both run the dispatcher `inbox serve`
//! runs locally.

use inbox_api::config::{open_store, Config};
use inbox_api::webhooks::{Dispatcher, DISPATCH_FUNCTION, RETRY_FUNCTION};
use lambda_http::{lambda_runtime, service_fn, Error, LambdaEvent};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// How long one scheduled run keeps trying what is due (the function's
/// timeout is longer by more than one attempt's 15 s).
const RETRY_BUDGET: Duration = Duration::from_secs(40);

pub async fn run(function: &str) -> Result<(), Error> {
    let config = Config::load_keys(false).await?;
    let store = open_store(&config).await?;
    let dispatcher = Dispatcher::new(store, &config);
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
    let started = Instant::now();
    let mut tried = 0;
    while started.elapsed() < RETRY_BUDGET {
        let n = dispatcher.deliver_due(100).await?;
        tried += n;
        if n < 100 {
            break;
        }
    }
    Ok(json!({ "tried": tried }))
}
