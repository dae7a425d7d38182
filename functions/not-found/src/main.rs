//! API Gateway's `$default` route: every request no route matches, answered
//! as problem+json (404, or 405 with `Allow` for a known path) like locally.

#[tokio::main]
async fn main() -> Result<(), inbox_lambda::Error> {
    inbox_lambda::run(env!("CARGO_PKG_NAME")).await
}
