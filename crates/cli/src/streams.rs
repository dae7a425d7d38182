//! `inbox serve` on DynamoDB: the events table's stream read as the Lambda
//! event source mapping reads it, each batch handed to the same handler as the
//! `webhooks-dispatch` function. Each shard is read on from a durable cursor
//! (after each handled batch), else from its oldest record; either way nothing
//! committed while the server was down is missed, and recording a message
//! again changes nothing. What is due is tried in between, as the
//! `webhooks-retry` function does on AWS.

use aws_sdk_dynamodbstreams::types::ShardIteratorType;
use aws_sdk_dynamodbstreams::Client;
use inbox_api::webhooks::Dispatcher;
use inbox_store::{DynamoStore, Tables};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Shards are looked for this often (they change every few hours on AWS).
const DISCOVERY: Duration = Duration::from_secs(5);
/// What is due is looked for this often when the stream is quiet.
const DUE_CHECK: Duration = Duration::from_secs(1);

pub async fn follow(dispatcher: Dispatcher) {
    let client = client().await;
    let store = DynamoStore::from_env(Tables::from_env()).await;
    let mut f = Follower { client, store, dispatcher, iterators: HashMap::new(), discovered: None, due_checked: None };
    loop {
        let busy = match f.round().await {
            Ok(busy) => busy,
            Err(e) => {
                tracing::warn!(error = %aws_smithy_types::error::display::DisplayErrorContext(&*e), "webhook stream follower: will try again");
                tokio::time::sleep(Duration::from_secs(1)).await;
                false
            }
        };
        if !busy {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

struct Follower {
    client: Client,
    store: DynamoStore,
    dispatcher: Dispatcher,
    /// Open shards and where reading goes on in each.
    iterators: HashMap<String, Option<String>>,
    discovered: Option<Instant>,
    due_checked: Option<Instant>,
}

fn older_than(at: Option<Instant>, age: Duration) -> bool {
    at.is_none_or(|t| t.elapsed() >= age)
}

async fn client() -> Client {
    let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let mut config = aws_sdk_dynamodbstreams::config::Builder::from(&sdk);
    // DynamoDB Local serves its streams on the table endpoint.
    if std::env::var_os("AWS_ENDPOINT_URL_DYNAMODB_STREAMS").is_none() {
        if let Ok(url) = std::env::var("AWS_ENDPOINT_URL_DYNAMODB") {
            config = config.endpoint_url(url);
        }
    }
    Client::from_conf(config.build())
}

impl Follower {
    /// Reads each shard once and hands new records to the dispatcher; `true` if
    /// there was work.
    async fn round(&mut self) -> anyhow::Result<bool> {
        if self.iterators.is_empty() || older_than(self.discovered, DISCOVERY) {
            self.discover().await?;
            self.discovered = Some(Instant::now());
        }
        let (client, store, dispatcher) = (&self.client, &self.store, &self.dispatcher);
        let mut busy = false;
        let mut lost = vec![];
        for (shard, position) in self.iterators.iter_mut() {
            let Some(iterator) = position.clone() else { continue };
            let out = match client.get_records().shard_iterator(iterator).limit(100).send().await {
                Ok(out) => out,
                Err(e) => {
                    // An expired or invalidated iterator (DynamoDB Local invalidates
                    // one taken on an empty shard): read the shard again from its
                    // start; recording messages again is harmless.
                    tracing::debug!(shard, error = ?e, "stream iterator lost");
                    lost.push(shard.clone());
                    continue;
                }
            };
            if !out.records().is_empty() {
                busy = true;
                let records: Vec<Value> = out.records().iter().filter_map(record_json).collect();
                let answer = dispatcher.stream_batch(&json!({ "Records": records })).await;
                if answer["batchItemFailures"].as_array().is_some_and(|f| !f.is_empty()) {
                    continue; // The same batch again next round.
                }
                if let Some(last) = out.records().last().and_then(|r| r.dynamodb()?.sequence_number()) {
                    store.save_stream_cursor(shard, last).await?;
                }
            }
            *position = out.next_shard_iterator().map(str::to_string);
        }
        for shard in lost {
            self.iterators.remove(&shard);
        }
        if busy || older_than(self.due_checked, DUE_CHECK) {
            busy |= dispatcher.deliver_due(100).await? > 0;
            self.due_checked = Some(Instant::now());
        }
        Ok(busy)
    }

    /// Finds the stream's shards, and where to read each new one from.
    async fn discover(&mut self) -> anyhow::Result<()> {
        let (client, store, iterators) = (&self.client, &self.store, &mut self.iterators);
        let table = &store.tables().events;
        let streams = client.list_streams().table_name(table).send().await?;
        let Some(arn) = streams.streams().last().and_then(|s| s.stream_arn()).map(str::to_string) else {
            return Ok(());
        };
        let description = client.describe_stream().stream_arn(&arn).send().await?;
        for shard in description.stream_description().map(|d| d.shards()).unwrap_or_default() {
            let Some(id) = shard.shard_id() else { continue };
            if !iterators.contains_key(id) {
                let start = client.get_shard_iterator().stream_arn(&arn).shard_id(id);
                let after = match store.stream_cursor(id).await? {
                    Some(seq) => {
                        let it = start.clone().shard_iterator_type(ShardIteratorType::AfterSequenceNumber);
                        it.sequence_number(seq).send().await.ok()
                    }
                    None => None,
                };
                // No cursor, or one whose records are gone: from the oldest record.
                let it = match after {
                    Some(it) => it,
                    None => start.shard_iterator_type(ShardIteratorType::TrimHorizon).send().await?,
                };
                iterators.insert(id.to_string(), it.shard_iterator().map(str::to_string));
            }
        }
        Ok(())
    }
}

/// A stream record in the Lambda event's shape (what the handler reads of it).
fn record_json(r: &aws_sdk_dynamodbstreams::types::Record) -> Option<Value> {
    use aws_sdk_dynamodbstreams::types::AttributeValue;
    let d = r.dynamodb()?;
    let keys = d.keys()?;
    let stream = match keys.get("streamId")? {
        AttributeValue::S(s) => s.clone(),
        _ => return None,
    };
    let version = match keys.get("version")? {
        AttributeValue::N(n) => n.clone(),
        _ => return None,
    };
    Some(json!({
        "eventName": r.event_name()?.as_str(),
        "dynamodb": {
            "SequenceNumber": d.sequence_number()?,
            "Keys": {"streamId": {"S": stream}, "version": {"N": version}},
        },
    }))
}
