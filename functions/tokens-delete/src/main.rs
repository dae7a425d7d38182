//! `DELETE /api/tokens/{id}` as its own Lambda function.

#[tokio::main]
async fn main() -> Result<(), inbox_lambda::Error> {
    inbox_lambda::run(inbox_api::Endpoint::TokensDelete).await
}
