//! The DynamoDB stream batch, as the Lambda event source mapping delivers it
//! (and as `inbox serve` replays DynamoDB Local's stream into it): each new
//! event's keys are read, the events loaded, and their messages dispatched.
//! A failed batch is reported from its first record (`ReportBatchItemFailures`),
//! so it is delivered again; recording messages is idempotent.

use super::Dispatcher;
#[cfg_attr(feature = "sqlite", allow(unused_imports))] // `dyn Store` needs no trait imports
use inbox_store::prelude::*;
use inbox_store::StoreError;
use serde_json::{json, Value};
use uuid::Uuid;

/// The keys of one stream record: the sequence number, the stream and version.
fn record_keys(record: &Value) -> Option<(String, Uuid, u64)> {
    let dynamodb = record.get("dynamodb")?;
    let sequence = dynamodb.get("SequenceNumber")?.as_str()?.to_string();
    let keys = dynamodb.get("Keys")?;
    let stream = Uuid::parse_str(keys.pointer("/streamId/S")?.as_str()?).ok()?;
    let version = keys.pointer("/version/N")?.as_str()?.parse().ok()?;
    Some((sequence, stream, version))
}

impl Dispatcher {
    /// Handles one batch; answers `{"batchItemFailures": [...]}`.
    pub async fn stream_batch(&self, batch: &Value) -> Value {
        let records = batch.get("Records").and_then(Value::as_array).cloned().unwrap_or_default();
        // Events are only ever inserted; anything else (or unreadable) is skipped.
        let inserted: Vec<(String, Uuid, u64)> = records
            .iter()
            .filter(|r| r.get("eventName").and_then(Value::as_str) == Some("INSERT"))
            .filter_map(record_keys)
            .collect();
        match self.dispatch_keys(&inserted).await {
            Ok(()) => json!({"batchItemFailures": []}),
            Err(e) => {
                tracing::warn!(error = %e, records = inserted.len(), "webhook dispatch failed; the batch comes again");
                let first = inserted.first().map(|(seq, _, _)| json!([{"itemIdentifier": seq}]));
                json!({"batchItemFailures": first.unwrap_or_else(|| json!([]))})
            }
        }
    }

    /// Loads the batch's events (all at once), then dispatches them in order.
    async fn dispatch_keys(&self, keys: &[(String, Uuid, u64)]) -> Result<(), StoreError> {
        let mut loads = tokio::task::JoinSet::new();
        for (i, (_, stream, version)) in keys.iter().enumerate() {
            let (store, stream, version) = (self.store.clone(), *stream, *version);
            loads.spawn(async move { (i, store.stream_range(stream, version, version).await) });
        }
        let mut events = vec![None; keys.len()];
        while let Some(done) = loads.join_next().await {
            let (i, loaded) = done.map_err(|e| StoreError::Internal(format!("event load failed: {e}")))?;
            events[i] = loaded?.pop();
        }
        self.dispatch(&events.into_iter().flatten().collect::<Vec<_>>()).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_come_from_the_record() {
        let r = json!({"eventName": "INSERT", "dynamodb": {"SequenceNumber": "42",
            "Keys": {"streamId": {"S": "7d5f0c2e-0000-4000-8000-000000000003"}, "version": {"N": "3"}}}});
        let (seq, stream, version) = record_keys(&r).unwrap();
        assert_eq!(
            (seq.as_str(), stream.to_string().as_str(), version),
            ("42", "7d5f0c2e-0000-4000-8000-000000000003", 3)
        );
        assert!(record_keys(&json!({"dynamodb": {}})).is_none());
    }
}
