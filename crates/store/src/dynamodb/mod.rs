//! The production store on Amazon DynamoDB (table design: `DYNAMODB.md`). This
//! file builds the client; each role lives in its own file beside it: table
//! definitions, error mapping, item mapping, the event log, account reads, the
//! directory, and (for tests only) call counting.
//!
//! Round trips (`tests/dynamodb.rs` counts them): a GET is one `GetItem`; a list
//! page is a `GetItem` (its count) beside a keys-only `Query` (its list), then
//! one `BatchGetItem`; a command is one consistent `GetItem` plus one
//! `TransactWriteItems`.

mod accounts;
mod calls;
mod cursors;
mod directory;
mod errors;
mod events;
mod idempotency;
mod items;
mod leases;
mod lists;
mod reindex;
mod renewals;
mod sessions;
mod signins;
mod tables;
mod token_usage;
mod upgrade;
mod users;
mod webhooks;

pub use calls::CallCounter;
pub use tables::{TableDef, Tables};
pub use upgrade::Upgraded;

use crate::Result;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::TransactWriteItem;
use aws_sdk_dynamodb::Client;
use items::{s, Item};
use std::time::Duration;
use uuid::Uuid;

#[derive(Clone)]
pub struct DynamoStore {
    client: Client,
    tables: Tables,
    /// Where requests go, for error messages.
    endpoint: String,
    /// Counts calls on local endpoints (tests); `None` on AWS.
    calls: Option<CallCounter>,
}

/// Bounded retries (throttling, 5xx) and short timeouts, so an unreachable
/// endpoint becomes a 503 quickly rather than a hung request.
fn loader() -> aws_config::ConfigLoader {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .retry_config(
            aws_config::retry::RetryConfig::standard()
                .with_max_attempts(4)
                .with_initial_backoff(Duration::from_millis(50))
                .with_max_backoff(Duration::from_secs(1)),
        )
        .timeout_config(
            aws_config::timeout::TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(2))
                .operation_attempt_timeout(Duration::from_secs(5))
                .operation_timeout(Duration::from_secs(15))
                .build(),
        )
}

type TransactError = SdkError<TransactWriteItemsError, aws_sdk_dynamodb::config::http::HttpResponse>;

impl DynamoStore {
    /// A client from the standard AWS configuration (region, credentials,
    /// `AWS_ENDPOINT_URL_DYNAMODB`).
    pub async fn from_env(tables: Tables) -> Self {
        Self::new(&loader().load().await, tables, None)
    }

    /// A client for a local DynamoDB-compatible server, with dummy credentials,
    /// counting its calls.
    pub async fn local(endpoint: &str, tables: Tables) -> Self {
        use aws_sdk_dynamodb::config::{Credentials, Region};
        let sdk = loader()
            .endpoint_url(endpoint)
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("local", "local", None, None, "local"))
            .load()
            .await;
        Self::new(&sdk, tables, Some(CallCounter::default()))
    }

    fn new(sdk: &aws_config::SdkConfig, tables: Tables, calls: Option<CallCounter>) -> Self {
        let mut config = aws_sdk_dynamodb::config::Builder::from(sdk);
        if let Some(counter) = &calls {
            config = config.interceptor(counter.clone());
        }
        let endpoint = sdk.endpoint_url().map(str::to_string).unwrap_or_else(|| {
            format!("DynamoDB in {}", sdk.region().map_or("(no region)".to_string(), |r| r.to_string()))
        });
        DynamoStore { client: Client::from_conf(config.build()), tables, endpoint, calls }
    }

    pub fn tables(&self) -> &Tables {
        &self.tables
    }

    /// What this store sent to DynamoDB (tests, on a local endpoint).
    pub fn calls(&self) -> &CallCounter {
        self.calls.as_ref().expect("calls are counted on local endpoints only")
    }

    /// Writes all items or none. A fresh client token per transaction: the SDK's
    /// default generator can repeat across processes started at the same instant,
    /// which DynamoDB answers with `IdempotentParameterMismatchException`.
    async fn transact(&self, items: Vec<TransactWriteItem>) -> std::result::Result<(), TransactError> {
        let req = self.client.transact_write_items().client_request_token(Uuid::new_v4().to_string());
        req.set_transact_items(Some(items)).send().await.map(drop)
    }

    /// Every item of a table (whose `attribute` is `client_id`, if given): a
    /// consistent scan, for offline work only (audit, rebuild).
    async fn scan_all(&self, table: &str, attribute: &str, client_id: Option<Uuid>) -> Result<Vec<Item>> {
        let mut req = self.client.scan().table_name(table).consistent_read(true);
        if let Some(c) = client_id {
            req = req
                .filter_expression("#a = :c")
                .expression_attribute_names("#a", attribute)
                .expression_attribute_values(":c", s(c.to_string()));
        }
        let mut items = vec![];
        let mut pages = req.into_paginator().send();
        while let Some(page) = pages.next().await {
            items.extend(page.map_err(|e| self.error(table, e))?.items.unwrap_or_default());
        }
        Ok(items)
    }

    /// Every item a query matches, consistently, following `LastEvaluatedKey`.
    async fn query_all(&self, table: &str, req: QueryFluentBuilder) -> Result<Vec<Item>> {
        let mut items = vec![];
        let mut pages = req.consistent_read(true).into_paginator().send();
        while let Some(page) = pages.next().await {
            items.extend(page.map_err(|e| self.error(table, e))?.items.unwrap_or_default());
        }
        Ok(items)
    }
}
