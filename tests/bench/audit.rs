//! `inbox audit verify` on a large SQLite log: events/s and peak memory
//! (`cargo build --release -p inbox && cargo bench -p inbox-tests --bench audit`;
//! `INBOX_BENCH_EVENTS` sets the size, default 1,000,000: 100,000 accounts of
//! 10 events). `INBOX_BENCH_DIR` keeps the seeded log in that folder and reuses
//! it on the next run (to profile `inbox audit verify` on the same file).
//!
//! Verify reads the log a stream at a time (`inbox_store::walk::Streams`), so
//! its memory should not grow with the log. The baselines, in the same run on
//! the same file: `inbox audit export` of the same events (the log read and
//! written out as JSON, no replay), and, in this process, the bare walk over
//! the log (pages read and decoded, nothing checked).

#[path = "../support/mod.rs"]
mod support;

use inbox_store::walk::{Streams, PAGE};
use inbox_store::{SqliteStore, Store};
use inbox_store_contract as contract;
use std::process::Command;
use std::time::Instant;
use support::*;
use uuid::Uuid;

const PER_ACCOUNT: u64 = 10;

/// Wall seconds and peak resident memory (MiB) of one `inbox` command.
fn measured(dir: &std::path::Path, args: &[&str]) -> (f64, f64) {
    let out = Command::new("/usr/bin/time")
        .args(["-f", "%e %M"])
        .arg(inbox_bin())
        .args(args)
        .envs(env(dir))
        .stdout(std::process::Stdio::null())
        .output()
        .expect("run /usr/bin/time (Debian package time)");
    assert!(out.status.success(), "inbox {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let last = stderr.lines().last().expect("time's line");
    let mut fields = last.split_whitespace().map(|f| f.parse::<f64>().expect("number"));
    (fields.next().unwrap(), fields.next().unwrap() / 1024.0)
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return; // `cargo test` builds benches and runs them without --bench: nothing to do
    }
    let events: u64 = std::env::var("INBOX_BENCH_EVENTS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let accounts = events / PER_ACCOUNT;
    let kept = std::env::var_os("INBOX_BENCH_DIR").map(std::path::PathBuf::from);
    let dir = kept.clone().unwrap_or_else(|| temp_dir("bench-audit"));
    std::fs::create_dir_all(&dir).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let store = SqliteStore::open(&dir.join("inbox.db")).unwrap();
    let seeded = std::fs::read_to_string(dir.join("client")).ok().and_then(|c| c.trim().parse().ok());
    let client = match seeded {
        Some(client) => client,
        None => {
            let (client, t) = (inbox_domain::ClientId::new(), Instant::now());
            rt.block_on(async {
                let c = contract::ctx(client, "bench");
                for _ in 0..accounts {
                    let id = Uuid::new_v4();
                    contract::run(&store, id, &contract::connect(id, "whatsapp"), &c).await.unwrap();
                    contract::append_updates(&store, &c, id, PER_ACCOUNT - 1, 32).await;
                }
            });
            std::fs::write(dir.join("client"), client.to_string()).unwrap();
            println!(
                "seeded {} events ({accounts} accounts) in {:.0} s",
                accounts * PER_ACCOUNT,
                t.elapsed().as_secs_f64()
            );
            client
        }
    };

    let t = Instant::now();
    let walked = rt.block_on(async {
        let mut walk = Streams::new(&store as &dyn Store, None, PAGE);
        let mut n = 0u64;
        while let Some(stream) = walk.next().await.unwrap() {
            n += stream.len() as u64;
        }
        n
    });
    let walk_s = t.elapsed().as_secs_f64();
    assert_eq!(walked, accounts * PER_ACCOUNT, "a kept INBOX_BENCH_DIR holds another size");
    drop(store);

    let (verify_s, verify_mib) = measured(&dir, &["audit", "verify"]);
    let tenant = client.to_string();
    let (export_s, export_mib) = measured(&dir, &["audit", "export", "--tenant", &tenant]);
    let rate = |s: f64| walked as f64 / s.max(1e-9);
    println!("\naudit over {walked} events in one SQLite file");
    println!("{:<36} {:>12} {:>14} {:>12}", "", "seconds", "events/s", "peak MiB");
    println!("{:<36} {:>12.2} {:>14.0} {:>12.1}", "inbox audit verify (now)", verify_s, rate(verify_s), verify_mib);
    println!(
        "{:<36} {:>12.2} {:>14.0} {:>12.1}",
        "inbox audit export (baseline)",
        export_s,
        rate(export_s),
        export_mib
    );
    println!("{:<36} {:>12.2} {:>14.0} {:>12}", "bare walk, in process (baseline)", walk_s, rate(walk_s), "-");
    println!("targets: verify >= 300000 events/s, peak <= 100 MiB at 1,000,000 events");
    if kept.is_none() {
        std::fs::remove_dir_all(&dir).ok();
    }
}
