//! The production store on Amazon DynamoDB. Table design: see `DYNAMODB.md`.
//!
//! Round trips (the contract `tests/dynamodb_calls.rs` checks): a GET is one
//! `GetItem`; a list page is one `Query` of the client's partition; a command is
//! one consistent `GetItem` plus one `TransactWriteItems`.

use crate::{
    AccountReads, ApiToken, Commit, Directory, EventStore, ListQuery, Page, ReadModelAdmin, Result, StoreError, Tenant,
    User,
};
use async_trait::async_trait;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, Delete, KeySchemaElement, KeyType, Put, ScalarAttributeType,
    StreamSpecification, StreamViewType, TransactWriteItem, Update,
};
use aws_sdk_dynamodb::Client;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use inbox_domain::{time, Account, StoredEvent};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use uuid::Uuid;

type Item = HashMap<String, AttributeValue>;

/// The three table names; defaults, overridden by `INBOX_EVENTS_TABLE`,
/// `INBOX_ACCOUNTS_TABLE` and `INBOX_DIRECTORY_TABLE` (the SAM template sets them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tables {
    pub events: String,
    pub accounts: String,
    pub directory: String,
}

impl Default for Tables {
    fn default() -> Self {
        Tables { events: "inbox-events".into(), accounts: "inbox-accounts".into(), directory: "inbox-directory".into() }
    }
}

impl Tables {
    pub fn from_env() -> Self {
        let d = Tables::default();
        let var = |name: &str, default: String| std::env::var(name).ok().filter(|v| !v.is_empty()).unwrap_or(default);
        Tables {
            events: var("INBOX_EVENTS_TABLE", d.events),
            accounts: var("INBOX_ACCOUNTS_TABLE", d.accounts),
            directory: var("INBOX_DIRECTORY_TABLE", d.directory),
        }
    }

    /// Every table with `prefix-` before its default name (tests isolate with it).
    pub fn prefixed(prefix: &str) -> Self {
        let d = Tables::default();
        Tables {
            events: format!("{prefix}-{}", d.events),
            accounts: format!("{prefix}-{}", d.accounts),
            directory: format!("{prefix}-{}", d.directory),
        }
    }

    /// What each table looks like: the one definition `create-tables` uses and the
    /// SAM template is checked against.
    pub fn definitions(&self) -> [TableDef; 3] {
        [
            TableDef { name: self.events.clone(), key: [("streamId", 'S'), ("version", 'N')], stream: true },
            TableDef { name: self.accounts.clone(), key: [("clientId", 'S'), ("id", 'S')], stream: false },
            TableDef { name: self.directory.clone(), key: [("pk", 'S'), ("sk", 'S')], stream: false },
        ]
    }
}

/// A table's key (partition, sort; type `S` or `N`) and whether it streams new images.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableDef {
    pub name: String,
    pub key: [(&'static str, char); 2],
    pub stream: bool,
}

/// Counts SDK operations by name, and records which IAM action each request
/// needs on which table, so tests can hold the store to its round trips and
/// every endpoint to its least privilege.
#[derive(Debug, Default, Clone)]
pub struct CallCounter {
    counts: Arc<Mutex<BTreeMap<String, u64>>>,
    accesses: Arc<Mutex<BTreeSet<(String, String)>>>,
}

impl CallCounter {
    pub fn snapshot(&self) -> BTreeMap<String, u64> {
        self.counts.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// `(IAM action, table name)` pairs seen since the last reset.
    pub fn accesses(&self) -> BTreeSet<(String, String)> {
        self.accesses.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn reset(&self) {
        self.counts.lock().unwrap_or_else(|p| p.into_inner()).clear();
        self.accesses.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }
}

/// The IAM actions and tables of one request body: the operation's own, or for a
/// transaction those of each item (IAM checks them one by one).
fn accesses_of(op: &str, body: &[u8]) -> Vec<(String, String)> {
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) else { return vec![] };
    let table = |v: &serde_json::Value| v["TableName"].as_str().unwrap_or("?").to_string();
    match op {
        "TransactWriteItems" => v["TransactItems"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|item| {
                [
                    ("Put", "PutItem"),
                    ("Delete", "DeleteItem"),
                    ("Update", "UpdateItem"),
                    ("ConditionCheck", "ConditionCheckItem"),
                ]
                .into_iter()
                .filter_map(|(key, action)| item.get(key).map(|i| (format!("dynamodb:{action}"), table(i))))
                .collect::<Vec<_>>()
            })
            .collect(),
        _ => vec![(format!("dynamodb:{op}"), table(&v))],
    }
}

impl Intercept for CallCounter {
    fn name(&self) -> &'static str {
        "CallCounter"
    }

    /// Every attempt that goes on the wire, named by DynamoDB's `X-Amz-Target`.
    fn read_before_transmit(
        &self,
        ctx: &BeforeTransmitInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> std::result::Result<(), aws_smithy_runtime_api::box_error::BoxError> {
        let target = ctx.request().headers().get("x-amz-target").unwrap_or("unknown");
        let op = target.rsplit('.').next().unwrap_or(target).to_string();
        if let Some(body) = ctx.request().body().bytes() {
            self.accesses.lock().unwrap_or_else(|p| p.into_inner()).extend(accesses_of(&op, body));
        }
        *self.counts.lock().unwrap_or_else(|p| p.into_inner()).entry(op).or_default() += 1;
        Ok(())
    }
}

/// A fresh token per transaction. The SDK's default generator can repeat across
/// processes started at the same instant, which DynamoDB answers with
/// `IdempotentParameterMismatchException` when the two transactions differ.
fn idempotency_token() -> String {
    Uuid::new_v4().to_string()
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

#[derive(Clone)]
pub struct DynamoStore {
    client: Client,
    tables: Tables,
    /// Where requests go, for error messages.
    endpoint: String,
    calls: CallCounter,
}

impl DynamoStore {
    /// A client from the standard AWS configuration (region, credentials,
    /// `AWS_ENDPOINT_URL_DYNAMODB`).
    pub async fn from_env(tables: Tables) -> Self {
        Self::new(&loader().load().await, tables)
    }

    /// A client for a local DynamoDB-compatible server, with dummy credentials.
    pub async fn local(endpoint: &str, tables: Tables) -> Self {
        use aws_sdk_dynamodb::config::{Credentials, Region};
        let sdk = loader()
            .endpoint_url(endpoint)
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("local", "local", None, None, "local"))
            .load()
            .await;
        Self::new(&sdk, tables)
    }

    fn new(sdk: &aws_config::SdkConfig, tables: Tables) -> Self {
        let calls = CallCounter::default();
        let config = aws_sdk_dynamodb::config::Builder::from(sdk).interceptor(calls.clone()).build();
        let endpoint = sdk.endpoint_url().map(str::to_string).unwrap_or_else(|| {
            format!("DynamoDB in {}", sdk.region().map_or("(no region)".to_string(), |r| r.to_string()))
        });
        DynamoStore { client: Client::from_conf(config), tables, endpoint, calls }
    }

    pub fn tables(&self) -> &Tables {
        &self.tables
    }

    pub fn calls(&self) -> &CallCounter {
        &self.calls
    }

    /// Creates the tables that do not exist yet; returns the names it created.
    pub async fn create_tables(&self) -> Result<Vec<String>> {
        let mut created = vec![];
        for def in self.tables.definitions() {
            let attr = |(name, ty): (&str, char)| {
                AttributeDefinition::builder()
                    .attribute_name(name)
                    .attribute_type(if ty == 'N' { ScalarAttributeType::N } else { ScalarAttributeType::S })
                    .build()
                    .expect("name and type set")
            };
            let key =
                |name: &str, kt| KeySchemaElement::builder().attribute_name(name).key_type(kt).build().expect("set");
            let mut req = self
                .client
                .create_table()
                .table_name(&def.name)
                .billing_mode(BillingMode::PayPerRequest)
                .attribute_definitions(attr(def.key[0]))
                .attribute_definitions(attr(def.key[1]))
                .key_schema(key(def.key[0].0, KeyType::Hash))
                .key_schema(key(def.key[1].0, KeyType::Range));
            if def.stream {
                req = req.stream_specification(
                    StreamSpecification::builder()
                        .stream_enabled(true)
                        .stream_view_type(StreamViewType::NewImage)
                        .build()
                        .expect("enabled set"),
                );
            }
            match req.send().await {
                Ok(_) => created.push(def.name.clone()),
                Err(e) if e.code() == Some("ResourceInUseException") => {}
                Err(e) => return Err(self.error(&def.name, e)),
            }
        }
        Ok(created)
    }

    fn error<E, R>(&self, table: &str, e: SdkError<E, R>) -> StoreError
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: std::fmt::Debug + 'static,
    {
        match &e {
            SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => {
                StoreError::Unavailable(format!("cannot reach {} ({table}): {}", self.endpoint, DisplayErr(&e)))
            }
            SdkError::ServiceError(se) => match se.err().code() {
                Some("ResourceNotFoundException") => {
                    StoreError::Unavailable(format!("table {table} does not exist at {}", self.endpoint))
                }
                Some(
                    "ThrottlingException"
                    | "ProvisionedThroughputExceededException"
                    | "RequestLimitExceeded"
                    | "InternalServerError"
                    | "ServiceUnavailable",
                ) => StoreError::Unavailable(format!("{table} at {}: {}", self.endpoint, DisplayErr(&e))),
                _ => StoreError::Internal(format!("{table} at {}: {}", self.endpoint, DisplayErr(&e))),
            },
            _ => StoreError::Unavailable(format!("{table} at {}: {}", self.endpoint, DisplayErr(&e))),
        }
    }

    /// Every item of a table (whose `attribute` is `tenant`, if given): a consistent
    /// scan, for offline work only (audit, rebuild).
    async fn scan_all(&self, table: &str, attribute: &str, tenant: Option<Uuid>) -> Result<Vec<Item>> {
        let mut req = self.client.scan().table_name(table).consistent_read(true);
        if let Some(t) = tenant {
            req = req
                .filter_expression("#a = :t")
                .expression_attribute_names("#a", attribute)
                .expression_attribute_values(":t", s(t.to_string()));
        }
        let mut items = vec![];
        let mut pages = req.into_paginator().send();
        while let Some(page) = pages.next().await {
            items.extend(page.map_err(|e| self.error(table, e))?.items.unwrap_or_default());
        }
        Ok(items)
    }

    async fn query_all(
        &self,
        table: &str,
        req: aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder,
    ) -> Result<Vec<Item>> {
        let mut items = vec![];
        let mut pages = req.consistent_read(true).into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| self.error(table, e))?;
            items.extend(page.items.unwrap_or_default());
        }
        Ok(items)
    }
}

/// The whole source chain of an SDK error, on one line.
struct DisplayErr<'a>(&'a (dyn std::error::Error + 'static));

impl std::fmt::Display for DisplayErr<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(s) = source {
            write!(f, ": {s}")?;
            source = s.source();
        }
        Ok(())
    }
}

fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

fn n(v: u64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

fn get_s(item: &Item, key: &str) -> Result<String> {
    match item.get(key) {
        Some(AttributeValue::S(v)) => Ok(v.clone()),
        _ => Err(StoreError::Internal(format!("stored item lacks string attribute {key}"))),
    }
}

fn get_n(item: &Item, key: &str) -> Result<u64> {
    match item.get(key) {
        Some(AttributeValue::N(v)) => v.parse().map_err(|_| StoreError::Internal(format!("bad number in {key}"))),
        _ => Err(StoreError::Internal(format!("stored item lacks number attribute {key}"))),
    }
}

fn get_uuid(item: &Item, key: &str) -> Result<Uuid> {
    Uuid::parse_str(&get_s(item, key)?).map_err(|e| StoreError::Internal(format!("bad uuid in {key}: {e}")))
}

fn get_time(item: &Item, key: &str) -> Result<inbox_domain::Timestamp> {
    let v = get_s(item, key)?;
    time::parse(&v).ok_or_else(|| StoreError::Internal(format!("bad time in {key}: {v}")))
}

/// A conditional `Put` inside a transaction.
fn put(table: &str, item: Item, condition: Option<&str>, values: Option<Item>) -> TransactWriteItem {
    let put = Put::builder()
        .table_name(table)
        .set_item(Some(item))
        .set_condition_expression(condition.map(str::to_string))
        .set_expression_attribute_values(values)
        .build()
        .expect("table and item set");
    TransactWriteItem::builder().put(put).build()
}

fn event_item(e: &StoredEvent) -> Item {
    HashMap::from([
        ("streamId".into(), s(e.stream_id.to_string())),
        ("version".into(), n(e.version)),
        ("tenant".into(), s(e.tenant.to_string())),
        ("type".into(), s(&e.event_type)),
        ("schemaVersion".into(), n(e.schema_version.into())),
        ("payload".into(), s(e.payload.to_string())),
        ("actor".into(), s(&e.actor)),
        ("correlationId".into(), s(&e.correlation_id)),
        ("recordedAt".into(), s(time::format(&e.recorded_at))),
        ("prevHash".into(), s(&e.prev_hash)),
        ("hash".into(), s(&e.hash)),
    ])
}

fn event_from(item: &Item) -> Result<StoredEvent> {
    Ok(StoredEvent {
        stream_id: get_uuid(item, "streamId")?,
        version: get_n(item, "version")?,
        event_type: get_s(item, "type")?,
        schema_version: get_n(item, "schemaVersion")? as u32,
        payload: serde_json::from_str(&get_s(item, "payload")?)
            .map_err(|e| StoreError::Internal(format!("bad event payload: {e}")))?,
        tenant: get_uuid(item, "tenant")?,
        actor: get_s(item, "actor")?,
        correlation_id: get_s(item, "correlationId")?,
        recorded_at: get_time(item, "recordedAt")?,
        prev_hash: get_s(item, "prevHash")?,
        hash: get_s(item, "hash")?,
    })
}

fn account_item(a: &Account) -> Result<Item> {
    let body = serde_json::to_string(a).map_err(|e| StoreError::Internal(e.to_string()))?;
    Ok(HashMap::from([
        ("clientId".into(), s(a.client_id.to_string())),
        ("id".into(), s(a.id.to_string())),
        ("version".into(), n(a.version)),
        ("accountType".into(), s(&a.integration)),
        ("isAuthorized".into(), AttributeValue::Bool(a.is_authorized)),
        ("createdBy".into(), s(&a.created_by)),
        ("createdAt".into(), s(time::format(&a.created_at))),
        ("body".into(), s(body)),
    ]))
}

fn account_from(item: &Item) -> Result<Account> {
    serde_json::from_str(&get_s(item, "body")?).map_err(|e| StoreError::Internal(format!("bad account body: {e}")))
}

#[async_trait]
impl EventStore for DynamoStore {
    async fn commit(&self, c: Commit) -> Result<()> {
        if c.events.is_empty() {
            return Ok(());
        }
        let events = &self.tables.events;
        let mut items: Vec<_> =
            c.events.iter().map(|e| put(events, event_item(e), Some("attribute_not_exists(version)"), None)).collect();
        // The read model carries the stream head: its version is the optimistic lock.
        let (condition, values) = if c.expected_version == 0 {
            ("attribute_not_exists(id)", None)
        } else {
            ("version = :expected", Some(HashMap::from([(":expected".to_string(), n(c.expected_version))])))
        };
        items.push(match &c.state {
            Some(a) => put(&self.tables.accounts, account_item(a)?, Some(condition), values),
            None => TransactWriteItem::builder()
                .delete(
                    Delete::builder()
                        .table_name(&self.tables.accounts)
                        .key("clientId", s(c.client_id.to_string()))
                        .key("id", s(c.stream_id.to_string()))
                        .condition_expression(condition)
                        .set_expression_attribute_values(values)
                        .build()
                        .expect("table and key set"),
                )
                .build(),
        });
        match self
            .client
            .transact_write_items()
            .client_request_token(idempotency_token())
            .set_transact_items(Some(items))
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) => {
                let cancelled = e.as_service_error().and_then(|se| match se {
                    aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError::TransactionCanceledException(t) => Some(t),
                    _ => None,
                });
                if let Some(t) = cancelled {
                    let codes: Vec<&str> = t.cancellation_reasons().iter().filter_map(|r| r.code()).collect();
                    // A failed condition or a concurrent transaction on the same items:
                    // the stream moved on; the caller reloads and decides again.
                    if codes.iter().any(|c| *c == "ConditionalCheckFailed" || *c == "TransactionConflict") {
                        return Err(StoreError::Conflict { stream_id: c.stream_id, expected: c.expected_version });
                    }
                }
                Err(self.error(&self.tables.events, e))
            }
        }
    }

    async fn load_stream(&self, stream_id: Uuid) -> Result<Vec<StoredEvent>> {
        let req = self
            .client
            .query()
            .table_name(&self.tables.events)
            .key_condition_expression("streamId = :s")
            .expression_attribute_values(":s", s(stream_id.to_string()));
        self.query_all(&self.tables.events, req).await?.iter().map(event_from).collect()
    }

    async fn all_events(&self, tenant: Option<Uuid>) -> Result<Vec<StoredEvent>> {
        let items = self.scan_all(&self.tables.events, "tenant", tenant).await?;
        let mut events = items.iter().map(event_from).collect::<Result<Vec<_>>>()?;
        events.sort_by_key(|e| (e.stream_id, e.version));
        Ok(events)
    }
}

#[async_trait]
impl AccountReads for DynamoStore {
    async fn get_account(&self, client_id: Uuid, id: Uuid) -> Result<Option<Account>> {
        let out = self
            .client
            .get_item()
            .table_name(&self.tables.accounts)
            .key("clientId", s(client_id.to_string()))
            .key("id", s(id.to_string()))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| self.error(&self.tables.accounts, e))?;
        out.item.as_ref().map(account_from).transpose()
    }

    async fn list_accounts(&self, client_id: Uuid, q: &ListQuery) -> Result<Page> {
        // One query of the client's partition (filters applied server-side), then
        // order by creation and cut the page. One call up to 1 MB of accounts
        // per client (thousands); beyond, the paginator follows LastEvaluatedKey.
        let mut req = self
            .client
            .query()
            .table_name(&self.tables.accounts)
            .key_condition_expression("clientId = :c")
            .expression_attribute_values(":c", s(client_id.to_string()));
        let mut filters = vec![];
        if let Some(t) = &q.account_type {
            filters.push("accountType = :t");
            req = req.expression_attribute_values(":t", s(t));
        }
        if let Some(a) = q.is_authorized {
            filters.push("isAuthorized = :a");
            req = req.expression_attribute_values(":a", AttributeValue::Bool(a));
        }
        if let Some(by) = &q.created_by {
            filters.push("createdBy = :b");
            req = req.expression_attribute_values(":b", s(by));
        }
        if !filters.is_empty() {
            req = req.filter_expression(filters.join(" AND "));
        }
        let mut accounts =
            self.query_all(&self.tables.accounts, req).await?.iter().map(account_from).collect::<Result<Vec<_>>>()?;
        accounts.sort_by_key(|a| (a.created_at, a.id));
        let total = accounts.len() as u64;
        let items = accounts.into_iter().skip(q.offset as usize).take(q.limit as usize).collect();
        Ok(Page { items, total })
    }
}

const TENANTS_MARKER: &str = "META#TENANTS";

#[async_trait]
impl Directory for DynamoStore {
    async fn create_tenant(&self, t: &Tenant) -> Result<()> {
        let item = HashMap::from([
            ("pk".to_string(), s(format!("TENANT#{}", t.id))),
            ("sk".to_string(), s("TENANT")),
            ("name".to_string(), s(&t.name)),
            ("plan".to_string(), s(&t.plan)),
            ("createdAt".to_string(), s(time::format(&t.created_at))),
        ]);
        let marker = HashMap::from([("pk".to_string(), s(TENANTS_MARKER)), ("sk".to_string(), s(TENANTS_MARKER))]);
        let directory = &self.tables.directory;
        self.client
            .transact_write_items()
            .client_request_token(idempotency_token())
            .transact_items(put(directory, item, Some("attribute_not_exists(pk)"), None))
            .transact_items(put(directory, marker, None, None))
            .send()
            .await
            .map_err(|e| {
                if e.as_service_error().is_some_and(|se| se.code() == Some("TransactionCanceledException")) {
                    StoreError::Duplicate(format!("tenant {}", t.id))
                } else {
                    self.error(&self.tables.directory, e)
                }
            })?;
        Ok(())
    }

    async fn get_tenant(&self, id: Uuid) -> Result<Option<Tenant>> {
        let Some(item) = self.get_directory(&format!("TENANT#{id}"), "TENANT").await? else { return Ok(None) };
        Ok(Some(Tenant {
            id,
            name: get_s(&item, "name")?,
            plan: get_s(&item, "plan")?,
            created_at: get_time(&item, "createdAt")?,
        }))
    }

    async fn has_tenants(&self) -> Result<bool> {
        Ok(self.get_directory(TENANTS_MARKER, TENANTS_MARKER).await?.is_some())
    }

    async fn create_user(&self, u: &User) -> Result<()> {
        let item = HashMap::from([
            ("pk".to_string(), s(format!("USER#{}", u.username))),
            ("sk".to_string(), s("USER")),
            ("id".to_string(), s(u.id.to_string())),
            ("tenantId".to_string(), s(u.tenant_id.to_string())),
            ("username".to_string(), s(&u.username)),
            ("passwordHash".to_string(), s(&u.password_hash)),
            ("roles".to_string(), AttributeValue::L(u.roles.iter().map(s).collect())),
            ("createdAt".to_string(), s(time::format(&u.created_at))),
        ]);
        self.client
            .put_item()
            .table_name(&self.tables.directory)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await
            .map_err(|e| {
                if e.as_service_error().is_some_and(|se| se.is_conditional_check_failed_exception()) {
                    StoreError::Duplicate(format!("user {:?}", u.username))
                } else {
                    self.error(&self.tables.directory, e)
                }
            })?;
        Ok(())
    }

    /// Two items per token: by secret hash (authentication) and under its tenant
    /// (listing, revoking), written and revoked together in one transaction.
    async fn create_api_token(&self, t: &ApiToken) -> Result<()> {
        let new = |item| put(&self.tables.directory, item, Some("attribute_not_exists(pk)"), None);
        self.client
            .transact_write_items()
            .client_request_token(idempotency_token())
            .transact_items(new(token_item(format!("TOKEN#{}", t.secret_hash), "TOKEN".into(), t)))
            .transact_items(new(token_item(format!("TENANT#{}", t.tenant_id), format!("TOKEN#{}", t.id), t)))
            .send()
            .await
            .map_err(|e| self.error(&self.tables.directory, e))?;
        Ok(())
    }

    async fn list_api_tokens(&self, tenant: Uuid) -> Result<Vec<ApiToken>> {
        let req = self
            .client
            .query()
            .table_name(&self.tables.directory)
            .key_condition_expression("pk = :p AND begins_with(sk, :t)")
            .expression_attribute_values(":p", s(format!("TENANT#{tenant}")))
            .expression_attribute_values(":t", s("TOKEN#"));
        let mut tokens =
            self.query_all(&self.tables.directory, req).await?.iter().map(token_from).collect::<Result<Vec<_>>>()?;
        tokens.sort_by_key(|t| (t.created_at, t.id));
        Ok(tokens)
    }

    async fn find_api_token(&self, secret_hash: &str) -> Result<Option<ApiToken>> {
        self.get_directory(&format!("TOKEN#{secret_hash}"), "TOKEN").await?.as_ref().map(token_from).transpose()
    }

    async fn revoke_api_token(&self, tenant: Uuid, id: Uuid, at: inbox_domain::Timestamp) -> Result<bool> {
        let Some(item) = self.get_directory(&format!("TENANT#{tenant}"), &format!("TOKEN#{id}")).await? else {
            return Ok(false);
        };
        let token = token_from(&item)?;
        let update = |pk: String, sk: String| {
            TransactWriteItem::builder()
                .update(
                    Update::builder()
                        .table_name(&self.tables.directory)
                        .key("pk", s(pk))
                        .key("sk", s(sk))
                        .update_expression("SET revokedAt = if_not_exists(revokedAt, :at)")
                        .expression_attribute_values(":at", s(time::format(&at)))
                        .build()
                        .expect("table, key and expression set"),
                )
                .build()
        };
        self.client
            .transact_write_items()
            .client_request_token(idempotency_token())
            .transact_items(update(format!("TOKEN#{}", token.secret_hash), "TOKEN".into()))
            .transact_items(update(format!("TENANT#{tenant}"), format!("TOKEN#{id}")))
            .send()
            .await
            .map_err(|e| self.error(&self.tables.directory, e))?;
        Ok(true)
    }

    async fn find_user(&self, username: &str) -> Result<Option<User>> {
        let Some(item) = self.get_directory(&format!("USER#{username}"), "USER").await? else { return Ok(None) };
        let roles = match item.get("roles") {
            Some(AttributeValue::L(l)) => {
                l.iter().filter_map(|v| if let AttributeValue::S(r) = v { Some(r.clone()) } else { None }).collect()
            }
            _ => vec![],
        };
        Ok(Some(User {
            id: get_uuid(&item, "id")?,
            tenant_id: get_uuid(&item, "tenantId")?,
            username: get_s(&item, "username")?,
            password_hash: get_s(&item, "passwordHash")?,
            roles,
            created_at: get_time(&item, "createdAt")?,
        }))
    }
}

fn token_item(pk: String, sk: String, t: &ApiToken) -> Item {
    let mut item = HashMap::from([
        ("pk".to_string(), s(pk)),
        ("sk".to_string(), s(sk)),
        ("id".to_string(), s(t.id.to_string())),
        ("tenantId".to_string(), s(t.tenant_id.to_string())),
        ("name".to_string(), s(&t.name)),
        ("hint".to_string(), s(&t.hint)),
        ("secretHash".to_string(), s(&t.secret_hash)),
        ("createdBy".to_string(), s(&t.created_by)),
        ("createdAt".to_string(), s(time::format(&t.created_at))),
    ]);
    if let Some(at) = &t.revoked_at {
        item.insert("revokedAt".into(), s(time::format(at)));
    }
    item
}

fn token_from(item: &Item) -> Result<ApiToken> {
    Ok(ApiToken {
        id: get_uuid(item, "id")?,
        tenant_id: get_uuid(item, "tenantId")?,
        name: get_s(item, "name")?,
        hint: get_s(item, "hint")?,
        secret_hash: get_s(item, "secretHash")?,
        created_by: get_s(item, "createdBy")?,
        created_at: get_time(item, "createdAt")?,
        revoked_at: item.contains_key("revokedAt").then(|| get_time(item, "revokedAt")).transpose()?,
    })
}

impl DynamoStore {
    async fn get_directory(&self, pk: &str, sk: &str) -> Result<Option<Item>> {
        let out = self
            .client
            .get_item()
            .table_name(&self.tables.directory)
            .key("pk", s(pk))
            .key("sk", s(sk))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| self.error(&self.tables.directory, e))?;
        Ok(out.item)
    }
}

#[async_trait]
impl ReadModelAdmin for DynamoStore {
    async fn all_accounts(&self, tenant: Option<Uuid>) -> Result<Vec<Account>> {
        let items = self.scan_all(&self.tables.accounts, "clientId", tenant).await?;
        let mut accounts = items.iter().map(account_from).collect::<Result<Vec<_>>>()?;
        accounts.sort_by_key(|a| (a.client_id, a.created_at, a.id));
        Ok(accounts)
    }

    async fn replace_read_model(&self, client_id: Uuid, id: Uuid, state: Option<&Account>) -> Result<()> {
        match state {
            Some(a) => self
                .client
                .put_item()
                .table_name(&self.tables.accounts)
                .set_item(Some(account_item(a)?))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| self.error(&self.tables.accounts, e)),
            None => self
                .client
                .delete_item()
                .table_name(&self.tables.accounts)
                .key("clientId", s(client_id.to_string()))
                .key("id", s(id.to_string()))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| self.error(&self.tables.accounts, e)),
        }
    }
}
