//! The account lists: every filter combination's page and total agree with the
//! read models after every kind of change, keyed pages walk a list once, and a
//! reindex rebuilds them exactly.

use super::{authorize, create, ctx, run};
use inbox_domain::{Account, AccountId, ClientId, Command};
use inbox_store::lists::Member;
use inbox_store::{ListQuery, Store};
use std::sync::Arc;

/// Every combination of the filters the accounts have, and some they do not.
fn queries() -> Vec<ListQuery> {
    let mut all = vec![];
    for t in [None, Some("whatsapp"), Some("gmail")] {
        for a in [None, Some(true), Some(false)] {
            for b in [None, Some("customer:7"), Some("nobody")] {
                let q = ListQuery {
                    account_type: t.map(str::to_string),
                    is_authorized: a,
                    created_by: b.map(str::to_string),
                    ..ListQuery::default()
                };
                all.push(q);
            }
        }
    }
    all
}

/// Each list's total and page (whole, then in pages of 2 by offset and by key)
/// are those of the read models, filtered and ordered by hand.
pub async fn lists_agree(store: &impl Store, client_id: ClientId) {
    let mut models: Vec<Account> =
        store.all_accounts(Some(client_id)).await.unwrap().into_iter().map(|r| r.account.unwrap()).collect();
    models.sort_by_key(|a| (a.created_at, a.id));
    for q in queries() {
        let expected: Vec<_> = models.iter().filter(|a| Member::of(a).matches(&q)).cloned().collect();
        let page = store.list_accounts(client_id, &ListQuery { limit: 100, ..q.clone() }).await.unwrap();
        assert_eq!((page.total, &page.items), (expected.len() as u64, &expected), "{q:?}");
        let (mut by_offset, mut by_key) = (vec![], vec![]);
        for offset in (0..expected.len() as u64 + 2).step_by(2) {
            let page = store.list_accounts(client_id, &ListQuery { offset, limit: 2, ..q.clone() }).await.unwrap();
            by_offset.extend(page.items);
        }
        loop {
            let after = by_key.last().map(|a: &Account| Member::of(a).sort_key());
            let page = store.list_accounts(client_id, &ListQuery { after, limit: 2, ..q.clone() }).await.unwrap();
            if page.items.is_empty() {
                break;
            }
            by_key.extend(page.items);
        }
        assert_eq!(by_offset, expected, "pages by offset, {q:?}");
        assert_eq!(by_key, expected, "pages by key, {q:?}");
    }
}

pub async fn account_lists_follow_every_change(store: Arc<impl Store>) {
    let owner = ctx(ClientId::new(), "owner");
    let customer = ctx(owner.client_id, "customer:7");
    let mut ids = vec![];
    for (i, t) in ["whatsapp", "telegram", "gmail", "whatsapp", "telegram", "whatsapp", "gmail"].iter().enumerate() {
        ids.push(create(&*store, if i % 3 == 0 { &customer } else { &owner }, t).await);
    }
    let other = ctx(ClientId::new(), "owner");
    create(&*store, &other, "whatsapp").await;
    lists_agree(&*store, owner.client_id).await;

    for id in [ids[0], ids[1], ids[4]] {
        run(&*store, id, &authorize(), &owner).await.unwrap();
    }
    let disconnect =
        Command::Disconnect { reason: Some("logged_out".into()), reconnect_url: "https://x.test/r".into() };
    run(&*store, ids[1], &disconnect, &owner).await.unwrap();
    run(&*store, ids[2], &Command::Remove, &owner).await.unwrap();
    run(&*store, ids[3], &Command::Update(Default::default()), &customer).await.unwrap();
    lists_agree(&*store, owner.client_id).await;
    lists_agree(&*store, other.client_id).await;

    // Rebuilding the lists from the read models gives the same lists.
    assert_eq!(store.reindex_lists(owner.client_id).await.unwrap(), 6);
    lists_agree(&*store, owner.client_id).await;
    // A read model replaced by hand moves in the lists too.
    let mut a = store.get_account(owner.client_id, AccountId(ids[5])).await.unwrap().unwrap();
    a.is_authorized = true;
    store.replace_read_model(owner.client_id, a.id, Some(&a)).await.unwrap();
    store.replace_read_model(owner.client_id, AccountId(ids[6]), None).await.unwrap();
    lists_agree(&*store, owner.client_id).await;
}

/// Creations racing in one client all land, each counted once: they share
/// the client's counts, and a command is not refused for that.
pub async fn racing_creations_in_one_client_all_count(store: Arc<impl Store + 'static>) {
    let owner = ctx(ClientId::new(), "owner");
    let tasks: Vec<_> = (0..24)
        .map(|i| {
            let (store, owner) = (store.clone(), owner.clone());
            tokio::spawn(async move { create(&*store, &owner, if i % 2 == 0 { "whatsapp" } else { "gmail" }).await })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let page = store.list_accounts(owner.client_id, &ListQuery { limit: 100, ..ListQuery::default() }).await.unwrap();
    assert_eq!((page.total, page.items.len()), (24, 24));
    lists_agree(&*store, owner.client_id).await;
}
