//! Test support, on local endpoints only (never on AWS): counts the SDK
//! operations a store sends and the IAM action each needs on which table, so
//! tests hold the store to its round trips and every endpoint to least privilege.

use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

/// Counts SDK operations by name, and records which IAM action each request
/// needs on which table, so tests can hold the store to its round trips and
/// every endpoint to its least privilege.
#[derive(Debug, Default, Clone)]
pub struct CallCounter {
    counts: Arc<Mutex<BTreeMap<String, u64>>>,
    accesses: Arc<Mutex<BTreeSet<(String, String)>>>,
    /// Capacity units the list reads consumed (benchmarks).
    capacity: Arc<Mutex<f64>>,
}

impl CallCounter {
    pub fn snapshot(&self) -> BTreeMap<String, u64> {
        self.counts.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// `(IAM action, table name)` pairs seen since the last reset.
    pub fn accesses(&self) -> BTreeSet<(String, String)> {
        self.accesses.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Read capacity units consumed by list reads since the last reset.
    pub fn capacity(&self) -> f64 {
        *self.capacity.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(super) fn add_capacity(&self, units: f64) {
        *self.capacity.lock().unwrap_or_else(|p| p.into_inner()) += units;
    }

    pub fn reset(&self) {
        self.counts.lock().unwrap_or_else(|p| p.into_inner()).clear();
        self.accesses.lock().unwrap_or_else(|p| p.into_inner()).clear();
        *self.capacity.lock().unwrap_or_else(|p| p.into_inner()) = 0.0;
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
        // Batches name their tables as the keys of `RequestItems`.
        "BatchGetItem" | "BatchWriteItem" => v["RequestItems"]
            .as_object()
            .into_iter()
            .flat_map(|tables| tables.keys().map(|t| (format!("dynamodb:{op}"), t.clone())))
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
