//! The account lists, as both stores keep them: for every filter combination
//! the API offers (integration, authorized or not, created by whom), a list of
//! its members' keys in creation order and its member count. A command updates
//! them in its own transaction, so a page costs its own length (plus, for
//! `?page=N`, a keys-only skip) and its total one read, whatever the client's
//! size. Pure: no I/O here, only which lists an account is in.

use crate::ListQuery;
use inbox_domain::{time, Account, Timestamp};
use std::collections::{BTreeMap, BTreeSet};
use uuid::Uuid;

/// An account's place in every list it is in: creation time, then id. The time
/// has a fixed width (milliseconds, UTC), so byte order is creation order.
pub fn sort_key(created_at: &Timestamp, id: Uuid) -> String {
    format!("{}#{id}", time::format(created_at))
}

/// The account id at the end of a sort key.
pub fn id_of(sort_key: &str) -> Option<Uuid> {
    sort_key.rsplit_once('#').and_then(|(_, id)| Uuid::parse_str(id).ok())
}

/// The name of the list of one filter combination. Each value carries its length,
/// so no value can make two combinations share a name.
pub fn list_name(account_type: Option<&str>, is_authorized: Option<bool>, created_by: Option<&str>) -> String {
    let mut parts = vec![];
    if let Some(t) = account_type {
        parts.push(format!("t{}:{t}", t.len()));
    }
    if let Some(a) = is_authorized {
        parts.push(format!("a:{}", u8::from(a)));
    }
    if let Some(b) = created_by {
        parts.push(format!("b{}:{b}", b.len()));
    }
    if parts.is_empty() {
        "all".into()
    } else {
        parts.join("|")
    }
}

/// The list a query reads.
pub fn list_of(q: &ListQuery) -> String {
    list_name(q.account_type.as_deref(), q.is_authorized, q.created_by.as_deref())
}

/// What places an account in lists: its key, creation and filter values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub id: Uuid,
    pub created_at: Timestamp,
    pub account_type: String,
    pub is_authorized: bool,
    pub created_by: String,
}

impl Member {
    pub fn of(a: &Account) -> Member {
        Member {
            id: a.id.0,
            created_at: a.created_at,
            account_type: a.integration.clone(),
            is_authorized: a.is_authorized,
            created_by: a.created_by.clone(),
        }
    }

    pub fn sort_key(&self) -> String {
        sort_key(&self.created_at, self.id)
    }

    /// Every list it is in: one per subset of its three filter values.
    pub fn lists(&self) -> Vec<String> {
        let (t, auth, by) = (self.account_type.as_str(), self.is_authorized, self.created_by.as_str());
        (0..8u8)
            .map(|m| list_name((m & 1 != 0).then_some(t), (m & 2 != 0).then_some(auth), (m & 4 != 0).then_some(by)))
            .collect()
    }

    /// Whether a query's answer includes it.
    pub fn matches(&self, q: &ListQuery) -> bool {
        self.lists().contains(&list_of(q))
    }
}

/// What one change of a read model does to the lists.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ListChange {
    /// `(list, sort key)` entries to remove.
    pub remove: Vec<(String, String)>,
    /// `(list, sort key)` entries to add (their account id is the change's).
    pub add: Vec<(String, String)>,
    /// How each list's count moves (never zero).
    pub counts: BTreeMap<String, i64>,
}

impl ListChange {
    pub fn is_empty(&self) -> bool {
        self.remove.is_empty() && self.add.is_empty()
    }
}

/// The lists' change from one read model to the next (`None`: absent).
pub fn change(before: Option<&Member>, after: Option<&Member>) -> ListChange {
    let entries = |m: Option<&Member>| {
        m.map(|m| {
            let sort = m.sort_key();
            m.lists().into_iter().map(|l| (l, sort.clone())).collect::<Vec<_>>()
        })
        .unwrap_or_default()
    };
    let (old, new) = (entries(before), entries(after));
    let remove: Vec<_> = old.iter().filter(|e| !new.contains(e)).cloned().collect();
    let add: Vec<_> = new.iter().filter(|e| !old.contains(e)).cloned().collect();
    let mut counts = BTreeMap::new();
    for (list, _) in &remove {
        *counts.entry(list.clone()).or_insert(0) -= 1;
    }
    for (list, _) in &add {
        *counts.entry(list.clone()).or_insert(0) += 1;
    }
    counts.retain(|_, d| *d != 0);
    ListChange { remove, add, counts }
}

/// How long after its creation an account may still be added to or removed
/// from its lists with no effect on older members' places (a command commits
/// within seconds of its clock reading; clocks agree within far less): such a
/// member sorts after every member older than that.
pub const APPEND_WINDOW: chrono::TimeDelta = chrono::TimeDelta::minutes(5);

/// Whether a member is old enough, at `now`, that no recent member can ever
/// come before it: twice the window, so a writer's clock running up to a
/// window behind still sees every member before it as older than its window.
pub fn is_settled(sort_key: &str, now: &Timestamp) -> bool {
    sort_key < time::format(&(*now - APPEND_WINDOW * 2)).as_str()
}

/// The lists in which a change, made at `now`, may move settled members to
/// other places: those it adds a member to or removes one from that is older
/// than the window (a creation appends, and a recent account's authorization
/// or removal happens after every settled member). Bookmarks of places in a
/// list hold until one of these.
pub fn reranked(change: &ListChange, now: &Timestamp) -> BTreeSet<String> {
    let since = time::format(&(*now - APPEND_WINDOW));
    let entries = change.remove.iter().chain(&change.add);
    entries.filter(|(_, sort)| *sort < since).map(|(list, _)| list.clone()).collect()
}

/// The change between two read models.
pub fn change_of(before: Option<&Account>, after: Option<&Account>) -> ListChange {
    change(before.map(Member::of).as_ref(), after.map(Member::of).as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(t: &str, auth: bool, by: &str, at: &str) -> Account {
        Account {
            id: inbox_domain::AccountId(Uuid::new_v4()),
            client_id: inbox_domain::ClientId(Uuid::nil()),
            created_by: by.into(),
            integration: t.into(),
            username: None,
            description: None,
            avatar_url: None,
            platform_id: None,
            platform_username: None,
            is_authorized: auth,
            share_past_history: false,
            reconnect_url: None,
            created_at: time::parse(at).expect("a time"),
            disconnected_at: None,
            disconnect_reason: None,
            history_sync_until: None,
            credentials: None,
            version: 1,
            last_hash: String::new(),
        }
    }

    #[test]
    fn every_query_reads_a_list_the_matching_accounts_are_in() {
        let a = account("whatsapp", true, "customer:7", "2026-01-01T00:00:00Z");
        let all = Member::of(&a).lists();
        assert_eq!(all.len(), 8);
        for t in [None, Some("whatsapp")] {
            for auth in [None, Some(true)] {
                for by in [None, Some("customer:7")] {
                    let q = ListQuery {
                        account_type: t.map(str::to_string),
                        is_authorized: auth,
                        created_by: by.map(str::to_string),
                        ..Default::default()
                    };
                    assert!(all.contains(&list_of(&q)), "{q:?}");
                }
            }
        }
        let other = ListQuery { is_authorized: Some(false), ..Default::default() };
        assert!(!all.contains(&list_of(&other)));
    }

    #[test]
    fn values_cannot_forge_another_combination() {
        assert_ne!(list_name(Some("x|a:1"), None, None), list_name(Some("x"), Some(true), None));
        assert_ne!(list_name(None, None, Some("all")), list_name(None, None, None));
    }

    #[test]
    fn sort_keys_order_by_creation_then_id() {
        let t = |s| time::parse(s).unwrap();
        let (a, b) = (Uuid::from_u128(2), Uuid::from_u128(1));
        assert!(sort_key(&t("2026-01-01T00:00:00.999Z"), a) < sort_key(&t("2026-01-01T00:00:01Z"), b));
        assert!(sort_key(&t("2026-01-01T00:00:00Z"), b) < sort_key(&t("2026-01-01T00:00:00Z"), a));
        assert_eq!(id_of(&sort_key(&t("2026-01-01T00:00:00Z"), a)), Some(a));
    }

    #[test]
    fn an_authorization_moves_four_lists_and_an_edit_none() {
        let before = account("telegram", false, "u1", "2026-01-01T00:00:00Z");
        let mut after = before.clone();
        after.description = Some("x".into());
        assert!(change_of(Some(&before), Some(&after)).is_empty());
        after.is_authorized = true;
        let c = change_of(Some(&before), Some(&after));
        assert_eq!((c.remove.len(), c.add.len()), (4, 4));
        assert_eq!(c.counts.values().sum::<i64>(), 0);
        assert_eq!(c.counts.get(&list_name(None, Some(true), None)), Some(&1));
        assert_eq!(c.counts.get("all"), None);
    }

    #[test]
    fn creation_and_removal_count_every_list_once() {
        let a = account("gmail", true, "u1", "2026-01-01T00:00:00Z");
        let created = change_of(None, Some(&a));
        assert_eq!(created.add.len(), 8);
        assert!(created.counts.values().all(|d| *d == 1));
        let removed = change_of(Some(&a), None);
        assert_eq!(removed.remove, created.add);
        assert!(removed.counts.values().all(|d| *d == -1));
    }

    #[test]
    fn only_moves_of_members_older_than_the_window_rerank() {
        let now = time::parse("2026-06-01T12:00:00Z").unwrap();
        let fresh = account("gmail", false, "u1", "2026-06-01T11:55:00Z");
        let mut authorized = fresh.clone();
        authorized.is_authorized = true;
        for (before, after) in [(None, Some(&fresh)), (Some(&fresh), Some(&authorized)), (Some(&fresh), None)] {
            assert!(reranked(&change_of(before, after), &now).is_empty(), "a recent account moves no older one");
        }
        let old = account("gmail", false, "u1", "2026-06-01T11:54:59.999Z");
        assert_eq!(reranked(&change_of(None, Some(&old)), &now).len(), 8, "a rebuilt or late add inserts");
        assert_eq!(reranked(&change_of(Some(&old), None), &now).len(), 8, "a removal moves what follows");
        let mut old_authorized = old.clone();
        old_authorized.is_authorized = true;
        assert_eq!(reranked(&change_of(Some(&old), Some(&old_authorized)), &now).len(), 8, "left four, joined four");
    }

    #[test]
    fn only_members_older_than_two_windows_are_settled() {
        let now = time::parse("2026-06-01T12:00:00Z").unwrap();
        let key = |at: &str| sort_key(&time::parse(at).unwrap(), Uuid::nil());
        assert!(is_settled(&key("2026-06-01T11:49:59.999Z"), &now));
        assert!(!is_settled(&key("2026-06-01T11:50:00Z"), &now));
    }
}
