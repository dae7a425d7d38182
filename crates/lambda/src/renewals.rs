//! `credentials-renew`, driven by a schedule: renews the provider tokens that
//! expire soon, as `inbox serve` does every minute locally.

use inbox_api::config::Secrets;
use inbox_api::signin::renewals;
use inbox_api::App;
use lambda_http::{lambda_runtime, service_fn, Error, LambdaEvent};
use serde_json::Value;
use std::time::Duration;

/// How long one run starts renewals (each ends within seconds, before the
/// function's 60 s timeout); what is left stays due for the next run.
const BUDGET: Duration = Duration::from_secs(40);

pub async fn run() -> Result<(), Error> {
    // Renewals write account events: the store, the providers (with their
    // client secrets) and the vault; no route, no JWT.
    let app = App::from_env_with(Secrets { jwt: false, client_secrets: true }).await?;
    tracing::info!(function = renewals::FUNCTION, "ready");
    let app = std::sync::Arc::new(app);
    lambda_runtime::run(service_fn(move |_: LambdaEvent<Value>| {
        let app = app.clone();
        async move {
            let done = renewals::run(&app, tokio::time::Instant::now() + BUDGET).await?;
            Ok::<_, Error>(serde_json::to_value(done)?)
        }
    }))
    .await
}
