//! Every single mutation of stored events is reported — by `inbox audit verify`
//! on the store, and by `verify-export` on an exported file.

mod support;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use support::*;

/// Embedded-store environment for `dir` (mutations edit the SQLite file directly).
fn sqlite_env(dir: &Path) -> Vec<(String, String)> {
    let mut env = env(dir);
    env.retain(|(k, _)| !k.starts_with("AWS_") && k != "INBOX_STORE" && !k.ends_with("_TABLE"));
    env
}

fn inbox(dir: &Path, args: &[&str]) -> Output {
    Command::new(inbox_bin()).args(args).envs(sqlite_env(dir)).output().unwrap()
}

/// A recorded history: an account with 5 events, another removed, another
/// client; and each client's team (its owner: one event).
fn recorded() -> (PathBuf, String, String) {
    let dir = temp_dir("mut-src");
    let srv = Server::start_env(&["--no-demo"], dir.clone(), sqlite_env(&dir));
    let s = srv.client("owner");
    let id = srv.create_account(&s, "whatsapp");
    let path = format!("/api/accounts/{id}");
    srv.put_json(&path, &s, &json!({"username": "A"}));
    srv.post_json(&format!("{path}/authorize"), Some(&s.token), &json!({"platformId": "1"}));
    srv.put_json(&path, &s, &json!({"description": "D"}));
    srv.post_json(&format!("{path}/disconnect"), Some(&s.token), &json!({}));
    let gone = srv.create_account(&s, "x");
    srv.delete(&format!("/api/accounts/{gone}"), &s);
    srv.client("owner");
    let tenant = s.tenant.clone();
    (srv.stop_keeping_data(), id, tenant)
}

fn copy_db(from: &Path, to: &Path) {
    for f in ["inbox.db", "inbox.db-wal", "inbox.db-shm", "jwt-secret"] {
        if from.join(f).exists() {
            std::fs::copy(from.join(f), to.join(f)).unwrap();
        }
    }
}

/// Applies `sql` to a copy of the recorded store and runs `inbox audit verify` on it.
fn verify_after(src: &Path, sql: &str) -> String {
    let dir = temp_dir("mut");
    copy_db(src, &dir);
    let conn = rusqlite::Connection::open(dir.join("inbox.db")).unwrap();
    let changed = conn.execute_batch(sql);
    changed.unwrap_or_else(|e| panic!("{sql}: {e}"));
    drop(conn);
    let out = inbox(&dir, &["audit", "verify"]);
    std::fs::remove_dir_all(dir).ok();
    assert!(!out.status.success(), "verify missed: {sql}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn verify_reports_every_mutation_of_the_store() {
    let (src, id, _) = recorded();
    let clean = inbox(&src, &["audit", "verify"]);
    assert!(clean.status.success(), "{}", String::from_utf8_lossy(&clean.stdout));
    let w = |v: u32| format!("stream_id = '{id}' AND version = {v}");
    let cases = [
        // one payload byte changed
        (format!("UPDATE events SET payload = replace(payload, '\"A\"', '\"B\"') WHERE {}", w(2)), 2),
        // an event deleted: in the middle, and the last one
        (format!("DELETE FROM events WHERE {}", w(3)), 3),
        (format!("DELETE FROM events WHERE {}", w(5)), 5),
        // two events swapped
        (
            format!(
                "UPDATE events SET version = -1 WHERE {}; UPDATE events SET version = 2 WHERE {}; \
                 UPDATE events SET version = 3 WHERE stream_id = '{id}' AND version = -1",
                w(2),
                w(3)
            ),
            2,
        ),
        // a version changed
        (format!("UPDATE events SET version = 9 WHERE {}", w(4)), 4),
        // an event inserted (a copy of v2 appended as v6)
        (
            format!(
                "INSERT INTO events SELECT stream_id, 6, tenant, event_type, schema_version, payload, actor, \
                 correlation_id, recorded_at, prev_hash, hash FROM events WHERE {}",
                w(2)
            ),
            6,
        ),
        // metadata edited: the actor
        (format!("UPDATE events SET actor = 'mallory' WHERE {}", w(1)), 1),
    ];
    for (sql, version) in cases {
        let report = verify_after(&src, &sql);
        assert!(report.contains(&format!("account {id} v{version}")), "{sql}\n{report}");
    }
    std::fs::remove_dir_all(src).ok();
}

/// Verify checks streams in batches of about 4,096 events while it reads on: a
/// mutation in the last batch of a log several batches long is reported too.
#[test]
fn verify_reports_a_mutation_past_its_first_batches() {
    let src = temp_dir("mut-long");
    let store = inbox_store::SqliteStore::open(&src.join("inbox.db")).unwrap();
    let ctx = inbox_store_contract::ctx(inbox_domain::ClientId::new(), "bulk");
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        for _ in 0..1000 {
            let id = uuid::Uuid::new_v4();
            inbox_store_contract::run(&store, id, &inbox_store_contract::connect(id, "whatsapp"), &ctx).await.unwrap();
            inbox_store_contract::append_updates(&store, &ctx, id, 9, 8).await;
        }
    });
    drop(store);
    let clean = inbox(&src, &["audit", "verify"]);
    assert!(clean.status.success(), "{}", String::from_utf8_lossy(&clean.stdout));
    // The walk reads streams by id: the 500th is in a middle batch, the last in the last one.
    let conn = rusqlite::Connection::open(src.join("inbox.db")).unwrap();
    let nth = |n: u32| -> String {
        let sql = "SELECT DISTINCT stream_id FROM events ORDER BY stream_id LIMIT 1 OFFSET ?1";
        conn.query_row(sql, [n], |r| r.get(0)).unwrap()
    };
    let (middle, last) = (nth(499), nth(999));
    drop(conn);
    let report = verify_after(
        &src,
        &format!("UPDATE events SET actor = 'mallory' WHERE stream_id IN ('{middle}', '{last}') AND version = 10"),
    );
    for id in [middle, last] {
        assert!(report.contains(&format!("account {id} v10")), "{id}: {report}");
    }
    std::fs::remove_dir_all(src).ok();
}

#[test]
fn verify_export_reports_every_mutation_of_the_file() {
    let (src, id, tenant) = recorded();
    let out = inbox(&src, &["audit", "export", "--tenant", &tenant]);
    assert!(out.status.success());
    let export = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = export.lines().collect();
    assert_eq!(lines.len(), 5 + 2 + 1 + 1, "7 account events, the team's, and the manifest");
    let check = |content: &str| {
        let file = temp_dir("export").join("export.jsonl");
        std::fs::write(&file, content).unwrap();
        let out = Command::new(inbox_bin()).args(["audit", "verify-export"]).arg(&file).output().unwrap();
        (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned())
    };
    assert!(check(&export).0, "the untouched export verifies");

    let mine = format!("\"streamId\":\"{id}\"");
    let pos: Vec<usize> = lines.iter().enumerate().filter(|(_, l)| l.contains(&mine)).map(|(i, _)| i).collect();
    assert_eq!(pos.len(), 5);
    let join = |ls: Vec<String>| ls.join("\n") + "\n";
    let owned = || lines.iter().map(|l| l.to_string()).collect::<Vec<_>>();
    let mut mutations: Vec<(String, Vec<String>)> = vec![];
    let mut m = owned();
    m[pos[1]] = m[pos[1]].replacen("\"A\"", "\"B\"", 1);
    mutations.push(("payload byte".into(), m));
    let mut m = owned();
    m.remove(pos[2]);
    mutations.push(("deleted middle".into(), m));
    let mut m = owned();
    m.remove(pos[4]);
    mutations.push(("deleted last".into(), m));
    let mut m = owned();
    m.swap(pos[1], pos[2]);
    mutations.push(("swapped".into(), m));
    let mut m = owned();
    m[pos[3]] = m[pos[3]].replace("\"version\":4", "\"version\":7");
    mutations.push(("version".into(), m));
    let mut m = owned();
    let copy = m[pos[1]].clone();
    m.insert(pos[3], copy);
    mutations.push(("inserted".into(), m));
    // The stream's last event moved after the other stream's: not together any more.
    let mut m = owned();
    let moved = m.remove(pos[4]);
    m.insert(m.len() - 1, moved);
    if m == owned() {
        let moved = m.remove(pos[4]);
        m.insert(0, moved);
    }
    mutations.push(("moved apart".into(), m));
    for (what, m) in mutations {
        assert_ne!(join(m.clone()), export, "{what} changed nothing");
        let (ok, report) = check(&join(m));
        assert!(!ok, "verify-export missed: {what}");
        assert!(report.contains(&format!("account {id} v")), "{what}: {report}");
    }
    assert!(!check(&join(owned()[..lines.len() - 1].to_vec())).0, "no manifest: incomplete");
    std::fs::remove_dir_all(src).ok();
}

#[test]
fn verify_reports_an_unreadable_read_model_and_goes_on_and_rebuild_repairs_it() {
    let (src, id, _) = recorded();
    let unreadable = format!("UPDATE accounts SET body = '{{\"not\": \"an account\"' WHERE id = '{id}'");
    let edit_another_stream = format!("UPDATE events SET actor = 'mallory' WHERE stream_id != '{id}' AND version = 1");
    let report = verify_after(&src, &format!("{unreadable}; {edit_another_stream}"));
    assert!(report.contains(&format!("MISMATCH account {id}: stored read model cannot be read")), "{report}");
    // The other account, and both clients' teams: every kind of stream is verified.
    assert_eq!(report.matches("MISMATCH").count(), 4, "the other streams are still checked: {report}");
    assert_eq!(report.matches("MISMATCH team ").count(), 2, "{report}");

    let dir = temp_dir("unreadable");
    copy_db(&src, &dir);
    rusqlite::Connection::open(dir.join("inbox.db")).unwrap().execute_batch(&unreadable).unwrap();
    assert!(!inbox(&dir, &["audit", "verify"]).status.success());
    let rebuilt = inbox(&dir, &["audit", "rebuild"]);
    assert!(rebuilt.status.success(), "{}", String::from_utf8_lossy(&rebuilt.stderr));
    let again = inbox(&dir, &["audit", "verify"]);
    assert!(again.status.success(), "rebuild repairs it: {}", String::from_utf8_lossy(&again.stdout));
    std::fs::remove_dir_all(dir).ok();
    std::fs::remove_dir_all(src).ok();
}
