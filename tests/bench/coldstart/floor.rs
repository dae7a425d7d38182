//! The cold-start benchmark's floor: the least a function serving one account
//! from DynamoDB needs, lambda_http and aws-sdk-dynamodb doing one consistent
//! GetItem per request. With `FLOOR_WARM=1` it makes that call once during init
//! too, as the real functions do, so its first request finds the connection open.

use aws_sdk_dynamodb::types::AttributeValue;
use lambda_http::{service_fn, Body, Error, Request, Response};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let config = aws_config::load_from_env().await;
    let client = aws_sdk_dynamodb::Client::new(&config);
    let var = |name: &str| std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set"));
    let (table, client_id, id) = (var("FLOOR_TABLE"), var("FLOOR_CLIENT"), var("FLOOR_ID"));
    let get = move |client: aws_sdk_dynamodb::Client| {
        let (table, client_id, id) = (table.clone(), client_id.clone(), id.clone());
        async move {
            client
                .get_item()
                .table_name(table)
                .key("clientId", AttributeValue::S(client_id))
                .key("id", AttributeValue::S(id))
                .consistent_read(true)
                .send()
                .await
        }
    };
    if std::env::var("FLOOR_WARM").as_deref() == Ok("1") {
        get(client.clone()).await?;
    }
    lambda_http::run(service_fn(move |_: Request| {
        let (client, get) = (client.clone(), get.clone());
        async move {
            let item = get(client).await?.item.ok_or("no such item")?;
            Ok::<_, Error>(Response::new(Body::from(format!("{} attributes", item.len()))))
        }
    }))
    .await
}
