//! One account per provider subject in a client: the claim an account signed
//! in here holds on `{integration}#{platform id}`, kept by each store's account
//! read-model writer in the command's own transaction, so a second account of
//! the same person is refused ([`crate::StoreError::Duplicate`]) even when both
//! sign-ins finish at once. Accounts a connector signs in hold none.

use inbox_domain::Account;

/// The claim of an account's state, if it was signed in here.
pub fn claim(a: Option<&Account>) -> Option<String> {
    let a = a?;
    let id = a.platform_id.as_ref().filter(|_| a.credentials.is_some())?;
    Some(format!("{}#{id}", a.integration))
}

/// What the duplicate is called in errors.
pub fn taken(claim: &str) -> String {
    let (integration, id) = claim.split_once('#').unwrap_or(("", claim));
    format!("a {integration} account of {id}")
}
