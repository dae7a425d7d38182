//! What each endpoint may do to which table: the least privilege the SAM
//! template grants, and that a test holds the handlers to.

use crate::routes::Endpoint;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Table {
    Events,
    Accounts,
    Directory,
}

impl Table {
    pub const ALL: [Table; 3] = [Table::Events, Table::Accounts, Table::Directory];

    /// Its logical name in the SAM template.
    pub fn resource(self) -> &'static str {
        match self {
            Table::Events => "EventsTable",
            Table::Accounts => "AccountsTable",
            Table::Directory => "DirectoryTable",
        }
    }

    pub fn env(self) -> &'static str {
        match self {
            Table::Events => "INBOX_EVENTS_TABLE",
            Table::Accounts => "INBOX_ACCOUNTS_TABLE",
            Table::Directory => "INBOX_DIRECTORY_TABLE",
        }
    }
}

/// The DynamoDB actions an endpoint needs, per table. A command's
/// `TransactWriteItems` needs the item actions it contains (`PutItem`, `DeleteItem`).
pub fn table_access(e: Endpoint) -> &'static [(Table, &'static [&'static str])] {
    use Endpoint::*;
    use Table::*;
    const TOKEN: (Table, &[&str]) = (Directory, &["dynamodb:GetItem"]);
    match e {
        AccountsList => &[(Accounts, &["dynamodb:Query"])],
        AccountsGet => &[(Accounts, &["dynamodb:GetItem"])],
        AccountsCreate => &[(Events, &["dynamodb:PutItem"]), (Accounts, &["dynamodb:PutItem"])],
        AccountsUpdate | AccountsAuthorize | AccountsDisconnect => {
            &[(Events, &["dynamodb:PutItem"]), (Accounts, &["dynamodb:GetItem", "dynamodb:PutItem"])]
        }
        AccountsDelete => &[(Events, &["dynamodb:PutItem"]), (Accounts, &["dynamodb:GetItem", "dynamodb:DeleteItem"])],
        AccountsEvents => &[(Events, &["dynamodb:Query"])],
        TokensCreate => &[(Directory, &["dynamodb:PutItem"])],
        TokensList => &[(Directory, &["dynamodb:Query"])],
        TokensDelete => &[(Directory, &["dynamodb:GetItem", "dynamodb:UpdateItem"])],
        V1Team => &[TOKEN],
        V1AccountLinksList => &[TOKEN, (Accounts, &["dynamodb:Query"])],
        V1AccountLinksGet => &[TOKEN, (Accounts, &["dynamodb:GetItem"])],
        LoginCheck => &[(Directory, &["dynamodb:GetItem"])],
        IntegrationsList | IntegrationsGet | ApiDocs => &[],
    }
}
