//! `GET /api/v1/team` as its own Lambda function.

#[tokio::main]
async fn main() -> Result<(), inbox_lambda::Error> {
    inbox_lambda::run(inbox_api::Endpoint::V1Team).await
}
