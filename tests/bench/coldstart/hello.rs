//! The cold-start benchmark's lower baseline: a lambda_http hello world, built
//! with the same profile as the functions (`cargo build --profile deploy -p
//! inbox-tests --example lambda-hello`).

use lambda_http::{service_fn, Error, Request};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_http::run(service_fn(|_: Request| async { Ok::<_, Error>("hello") })).await
}
