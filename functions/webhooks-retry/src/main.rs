//! `webhooks-retry`: a webhook function (no route).
//! Runs the webhook function named after this crate.

#[tokio::main]
async fn main() -> Result<(), inbox_lambda::Error> {
    inbox_lambda::run(env!("CARGO_PKG_NAME")).await
}
