//! The functions no route owns: driven by the events table's stream or by a
//! schedule, each running what `inbox serve` runs locally as a task.

use crate::access::Table::{self, Accounts, Directory, Events};
use crate::routes::{DELETE, DELIVERY, GET, PUT, QUERY, UPDATE};
use crate::signin::renewals;
use crate::webhooks::{DISPATCH_FUNCTION, RETRY_FUNCTION};

/// Each function, with what it does.
pub const FUNCTIONS: &[(&str, &str)] = &[
    (DISPATCH_FUNCTION, "Webhooks: records and sends the messages of new account events (the events table's stream)"),
    (RETRY_FUNCTION, "Webhooks: retries the messages that are due (every minute)"),
    (renewals::FUNCTION, "Credentials: renews the provider tokens that expire soon (every 5 minutes)"),
];

/// A renewal: find the accounts due (a query), hold each one's lease, and
/// rewrite the account with its event (and its moves in the index and lists).
pub const RENEWAL: &[(Table, &[&str])] =
    &[(Events, &[PUT]), (Accounts, &[GET, PUT]), (Directory, &[QUERY, PUT, DELETE, UPDATE])];

/// What a function may do with the tables.
pub fn grants(function: &str) -> &'static [(Table, &'static [&'static str])] {
    if function == renewals::FUNCTION {
        RENEWAL
    } else {
        DELIVERY
    }
}
