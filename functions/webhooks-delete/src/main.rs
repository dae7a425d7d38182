//! `DELETE /api/webhooks/{id}` as its own Lambda function.
//! Serves the route whose `function` is this crate's name.

#[tokio::main]
async fn main() -> Result<(), inbox_lambda::Error> {
    inbox_lambda::run(env!("CARGO_PKG_NAME")).await
}
