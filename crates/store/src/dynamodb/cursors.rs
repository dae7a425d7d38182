//! Where `inbox serve`'s follower of the events table's stream stopped, per
//! shard (Lambda's event source mapping keeps its own): a restart goes on
//! from there instead of reading the whole stream again.

use super::items::{epoch, s, Read};
use super::DynamoStore;
use crate::Result;

/// Stream records live 24 hours; a cursor is useless well before this.
const KEPT_HOURS: i64 = 48;

impl DynamoStore {
    fn cursor_key(&self) -> String {
        format!("STREAMCURSOR#{}", self.tables.events)
    }

    /// The sequence number of the last record handled in `shard`, if any.
    pub async fn stream_cursor(&self, shard: &str) -> Result<Option<String>> {
        let item = self.get_directory(&self.cursor_key(), shard).await?;
        item.as_ref().map(|i| Read(i).s("sequence")).transpose()
    }

    pub async fn save_stream_cursor(&self, shard: &str, sequence: &str) -> Result<()> {
        let expires = chrono::Utc::now() + chrono::Duration::hours(KEPT_HOURS);
        self.client
            .put_item()
            .table_name(&self.tables.directory)
            .item("pk", s(self.cursor_key()))
            .item("sk", s(shard))
            .item("sequence", s(sequence))
            .item("expiresAt", epoch(&expires))
            .send()
            .await
            .map_err(|e| self.error(&self.tables.directory, e))?;
        Ok(())
    }
}
