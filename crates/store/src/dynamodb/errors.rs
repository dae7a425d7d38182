//! The one mapping from SDK errors to [`StoreError`]: unreachable, throttled and
//! missing tables are `Unavailable` (503, naming table and endpoint); a
//! cancelled transaction on a failed condition is a version conflict.

use super::DynamoStore;
use crate::StoreError;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;

impl DynamoStore {
    pub(super) fn error<E, R>(&self, table: &str, e: SdkError<E, R>) -> StoreError
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: std::fmt::Debug + 'static,
    {
        let at = &self.endpoint;
        match &e {
            SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => {
                StoreError::Unavailable(format!("cannot reach {at} ({table}): {}", DisplayErr(&e)))
            }
            SdkError::ServiceError(se) => match se.err().code() {
                Some("ResourceNotFoundException") => {
                    StoreError::Unavailable(format!("table {table} does not exist at {at}"))
                }
                Some(
                    "ThrottlingException"
                    | "ProvisionedThroughputExceededException"
                    | "RequestLimitExceeded"
                    | "InternalServerError"
                    | "ServiceUnavailable",
                ) => StoreError::Unavailable(format!("{table} at {at}: {}", DisplayErr(&e))),
                _ => StoreError::Internal(format!("{table} at {at}: {}", DisplayErr(&e))),
            },
            _ => StoreError::Unavailable(format!("{table} at {at}: {}", DisplayErr(&e))),
        }
    }
}

/// Whether a transaction was cancelled because a condition failed or another
/// transaction held one of its items: for a command, the stream moved on.
pub(super) fn cancelled_by_condition<R>(e: &SdkError<TransactWriteItemsError, R>) -> bool {
    match e.as_service_error() {
        Some(TransactWriteItemsError::TransactionCanceledException(t)) => t
            .cancellation_reasons()
            .iter()
            .filter_map(|r| r.code())
            .any(|c| c == "ConditionalCheckFailed" || c == "TransactionConflict"),
        _ => false,
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

/// The cancellation code of each item of a cancelled transaction, in order
/// (`None` for items that did not fail, or for any other error).
pub(super) fn cancellation_codes<R>(e: &SdkError<TransactWriteItemsError, R>) -> Vec<Option<String>> {
    match e.as_service_error() {
        Some(TransactWriteItemsError::TransactionCanceledException(t)) => {
            t.cancellation_reasons().iter().map(|r| r.code().filter(|c| *c != "None").map(str::to_string)).collect()
        }
        _ => vec![],
    }
}
