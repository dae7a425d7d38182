//! The DynamoDB tables, as routes name them in their least-privilege grants
//! (`Route::tables`) and as the SAM template declares them.

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
