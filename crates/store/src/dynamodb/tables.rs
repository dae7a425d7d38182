//! The three tables: their names (from the environment) and their definitions,
//! the one description `create-tables` uses and the SAM template is checked against.

use super::DynamoStore;
use crate::Result;
use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType, StreamSpecification,
    StreamViewType, TimeToLiveSpecification,
};

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

/// A table's key (partition, sort; type `S` or `N`), whether it streams new
/// images, and its TTL attribute (epoch seconds), if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableDef {
    pub name: String,
    pub key: [(&'static str, char); 2],
    pub stream: bool,
    pub ttl: Option<&'static str>,
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

    pub fn definitions(&self) -> [TableDef; 3] {
        [
            TableDef { name: self.events.clone(), key: [("streamId", 'S'), ("version", 'N')], stream: true, ttl: None },
            TableDef { name: self.accounts.clone(), key: [("clientId", 'S'), ("id", 'S')], stream: false, ttl: None },
            // Token request logs expire through `expiresAt`.
            TableDef {
                name: self.directory.clone(),
                key: [("pk", 'S'), ("sk", 'S')],
                stream: false,
                ttl: Some("expiresAt"),
            },
        ]
    }
}

impl DynamoStore {
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
                Err(e) if e.code() == Some("ResourceInUseException") => continue,
                Err(e) => return Err(self.error(&def.name, e)),
            }
            if let Some(attribute) = def.ttl {
                let spec = TimeToLiveSpecification::builder()
                    .attribute_name(attribute)
                    .enabled(true)
                    .build()
                    .expect("name and state set");
                let ttl = self.client.update_time_to_live().table_name(&def.name).time_to_live_specification(spec);
                ttl.send().await.map_err(|e| self.error(&def.name, e))?;
            }
        }
        Ok(created)
    }
}
