//! The pages (`/dashboard`, `/connect/…`, `/embed/accounts.js`) as one Lambda function.
//! Serves every route whose `function` is this crate's name.

#[tokio::main]
async fn main() -> Result<(), inbox_lambda::Error> {
    inbox_lambda::run(env!("CARGO_PKG_NAME")).await
}
