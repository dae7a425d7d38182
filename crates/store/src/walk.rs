//! The whole event log, one stream at a time, in memory bounded by a page:
//! what audit verify, rebuild and export read.

use crate::{EventKey, EventStore, Result, Segment, StoreError};
use inbox_domain::ClientId;
use inbox_domain::StoredEvent;
use std::collections::{HashSet, VecDeque};
use uuid::Uuid;

/// Events read a page, by default.
pub const PAGE: usize = 1000;

/// Every stream of the log (of one client, if given), whole, in the store's order.
pub struct Streams<'a, S: EventStore + ?Sized> {
    store: &'a S,
    client_id: Option<ClientId>,
    segment: Segment,
    page: usize,
    buffer: VecDeque<StoredEvent>,
    after: Option<EventKey>,
    ended: bool,
    /// Streams already answered: one seen again means the store split it.
    done: HashSet<Uuid>,
}

impl<'a, S: EventStore + ?Sized> Streams<'a, S> {
    pub fn new(store: &'a S, client_id: Option<ClientId>, page: usize) -> Self {
        Self::segment(store, client_id, Segment::WHOLE, page)
    }

    /// The streams of one segment of the log.
    pub fn segment(store: &'a S, client_id: Option<ClientId>, segment: Segment, page: usize) -> Self {
        let (page, buffer, done) = (page.max(1), VecDeque::new(), HashSet::new());
        Streams { store, client_id, segment, page, buffer, after: None, ended: false, done }
    }

    /// The next stream with all its events, by version; `None` after the last.
    pub async fn next(&mut self) -> Result<Option<Vec<StoredEvent>>> {
        loop {
            // A stream is whole once a later stream has begun, or the log has ended.
            if let Some(id) = self.buffer.front().map(|e| e.stream_id) {
                let end = self.buffer.iter().position(|e| e.stream_id != id);
                if end.is_some() || self.ended {
                    let stream: Vec<StoredEvent> = self.buffer.drain(..end.unwrap_or(self.buffer.len())).collect();
                    if !self.done.insert(id) {
                        return Err(StoreError::Internal(format!("the store returned stream {id} in two parts")));
                    }
                    return Ok(Some(stream));
                }
            } else if self.ended {
                return Ok(None);
            }
            let page = self.store.events_page(self.client_id, self.segment, self.after, self.page).await?;
            self.ended = page.len() < self.page;
            self.after = page.last().map(|e| (e.stream_id, e.version)).or(self.after);
            self.buffer.extend(page);
        }
    }
}
