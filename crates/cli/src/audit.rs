//! `inbox audit …`: history, point-in-time state, verify, rebuild, export — on
//! whichever store is configured — and `verify-export`, which needs no store.

use anyhow::{bail, Context as _};
use inbox_api::resources::AccountView;
use inbox_domain::audit::{compare, replay_checked, state_at, Finding};
use inbox_domain::{apply, time, State, StoredEvent};
use inbox_store::{Store, StoredReadModel};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, Write};
use uuid::Uuid;

/// Events grouped by stream, each stream in the order given.
fn by_stream(events: Vec<StoredEvent>) -> BTreeMap<Uuid, Vec<StoredEvent>> {
    let mut streams: BTreeMap<Uuid, Vec<StoredEvent>> = BTreeMap::new();
    for e in events {
        streams.entry(e.stream_id).or_default().push(e);
    }
    streams
}

fn view(state: &State) -> BTreeMap<String, Value> {
    match state {
        Some(a) => match serde_json::to_value(AccountView::of(a, false)) {
            Ok(Value::Object(map)) => map.into_iter().filter(|(k, _)| !k.starts_with('@')).collect(),
            _ => BTreeMap::new(),
        },
        None => BTreeMap::new(),
    }
}

async fn stream(store: &dyn Store, id: Uuid) -> anyhow::Result<Vec<StoredEvent>> {
    let events = store.load_stream(id).await?;
    if events.is_empty() {
        bail!("there is no account {id}");
    }
    Ok(events)
}

/// A readable timeline: time, version, event, who, and what changed.
pub async fn history(store: &dyn Store, id: Uuid, out: &mut impl Write) -> anyhow::Result<()> {
    let mut state: State = None;
    for e in stream(store, id).await? {
        let before = view(&state);
        state = apply(state, &e).with_context(|| format!("cannot replay account {id}"))?;
        let after = view(&state);
        writeln!(
            out,
            "{}  v{}  {}  by {}  (request {})",
            time::format(&e.recorded_at),
            e.version,
            e.event_type,
            e.actor,
            e.correlation_id
        )?;
        if state.is_none() {
            writeln!(out, "    account removed")?;
        }
        for (key, new) in &after {
            match before.get(key) {
                None if !new.is_null() => writeln!(out, "    {key}: {new}")?,
                Some(old) if old != new => writeln!(out, "    {key}: {old} -> {new}")?,
                _ => {}
            }
        }
    }
    Ok(())
}

/// The account as it was at `at`, in the API's JSON shape.
pub async fn state(store: &dyn Store, id: Uuid, at: &str) -> anyhow::Result<String> {
    let at = time::parse(at).with_context(|| format!("--at {at:?} is not an RFC 3339 date-time"))?;
    let events = stream(store, id).await?;
    match state_at(&events, at)? {
        Some(a) => Ok(serde_json::to_string_pretty(&AccountView::of(&a, true))?),
        None if events[0].recorded_at > at => bail!("account {id} did not exist yet at {}", time::format(&at)),
        None => bail!("account {id} was removed at {}", time::format(&at)),
    }
}

/// Recomputes every chain and read model; returns the problems found.
pub async fn verify(store: &dyn Store, client: Option<Uuid>) -> anyhow::Result<(usize, usize, Vec<Finding>)> {
    let events = store.all_events(client).await?;
    let event_count = events.len();
    let mut stored: HashMap<Uuid, StoredReadModel> =
        store.all_accounts(client).await?.into_iter().map(|r| (r.id, r)).collect();
    let streams = by_stream(events);
    let mut findings = vec![];
    for (id, events) in &streams {
        let replayed = replay_checked(*id, events);
        match (replayed, stored.remove(id).map(|r| r.account).transpose()) {
            (Err(f), _) => findings.push(f),
            (Ok(replayed), Ok(read_model)) => findings.extend(compare(*id, &replayed, &read_model)),
            // An unreadable row is reported, and the other streams are still checked.
            (Ok(_), Err(reason)) => findings.push(Finding {
                stream_id: *id,
                version: None,
                problem: format!("stored read model cannot be read: {reason}"),
            }),
        }
    }
    for (id, _) in stored {
        findings.push(Finding { stream_id: id, version: None, problem: "read model without any event".into() });
    }
    Ok((streams.len(), event_count, findings))
}

/// Rewrites every read model from its events; safe to interrupt and run again.
pub async fn rebuild(store: &dyn Store, client: Option<Uuid>) -> anyhow::Result<(usize, Vec<Finding>)> {
    let streams = by_stream(store.all_events(client).await?);
    let bar = indicatif::ProgressBar::new(streams.len() as u64).with_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} accounts {msg}").expect("valid template"),
    );
    let mut findings = vec![];
    let mut written = 0;
    for (id, events) in &streams {
        match replay_checked(*id, events) {
            // A history that does not verify is reported, never projected.
            Err(f) => findings.push(f),
            Ok(state) => {
                store.replace_read_model(events[0].client_id, *id, state.as_ref()).await?;
                written += 1;
            }
        }
        bar.inc(1);
    }
    for orphan in store.all_accounts(client).await?.into_iter().filter(|r| !streams.contains_key(&r.id)) {
        store.replace_read_model(orphan.client_id, orphan.id, None).await?;
    }
    bar.finish_and_clear();
    Ok((written, findings))
}

/// The last line of an export: what the store held, so a cut tail is seen.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    /// The client exported (`tenant` in the file format).
    #[serde(rename = "tenant")]
    pub client_id: Uuid,
    pub exported_at: String,
    pub events: usize,
    /// Version and hash of each stream's last event.
    pub heads: BTreeMap<Uuid, Head>,
}

#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Head {
    pub version: u64,
    pub hash: String,
}

#[derive(Serialize, Deserialize)]
struct ManifestLine {
    manifest: Manifest,
}

/// JSON Lines: every event of the client, then the manifest.
pub async fn export(store: &dyn Store, client: Uuid, out: &mut impl Write) -> anyhow::Result<usize> {
    let events = store.all_events(Some(client)).await?;
    let mut heads = BTreeMap::new();
    for e in &events {
        serde_json::to_writer(&mut *out, e)?;
        writeln!(out)?;
        heads.insert(e.stream_id, Head { version: e.version, hash: e.hash.clone() });
    }
    let manifest = Manifest {
        client_id: client,
        exported_at: time::format(&time::truncate(std::time::SystemTime::now().into())),
        events: events.len(),
        heads,
    };
    serde_json::to_writer(&mut *out, &ManifestLine { manifest })?;
    writeln!(out)?;
    Ok(events.len())
}

/// Verifies an export on its own: chains, replays, and the manifest.
pub fn verify_export(input: impl BufRead) -> anyhow::Result<(usize, Vec<Finding>)> {
    let mut events = vec![];
    let mut manifest = None;
    for (n, line) in input.lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        if manifest.is_some() {
            bail!("line {}: content after the manifest", n + 1);
        }
        let value: Value = serde_json::from_str(&line).with_context(|| format!("line {}: not JSON", n + 1))?;
        if value.get("manifest").is_some() {
            manifest = Some(serde_json::from_value::<ManifestLine>(value)?.manifest);
        } else {
            events.push(serde_json::from_value::<StoredEvent>(value).with_context(|| format!("line {}", n + 1))?);
        }
    }
    let Some(manifest) = manifest else { bail!("the export has no manifest line: it is incomplete") };
    let count = events.len();
    let mut findings = vec![];
    let streams = by_stream(events);
    for (id, events) in &streams {
        if let Err(f) = replay_checked(*id, events) {
            findings.push(f);
            continue;
        }
        let last = events.last().expect("streams are never empty");
        let head = Head { version: last.version, hash: last.hash.clone() };
        match manifest.heads.get(id) {
            Some(h) if *h == head => {}
            Some(h) => findings.push(Finding {
                stream_id: *id,
                version: Some(head.version.min(h.version) + 1),
                problem: format!("the export ends at v{} but the manifest says v{}", head.version, h.version),
            }),
            None => findings.push(Finding {
                stream_id: *id,
                version: None,
                problem: "stream missing from the manifest".into(),
            }),
        }
        if let Some(e) = events.iter().find(|e| e.client_id != manifest.client_id) {
            findings.push(Finding {
                stream_id: *id,
                version: Some(e.version),
                problem: "event of another client".into(),
            });
        }
    }
    for (id, h) in &manifest.heads {
        if !streams.contains_key(id) {
            findings.push(Finding {
                stream_id: *id,
                version: Some(h.version),
                problem: "every event of the stream is missing".into(),
            });
        }
    }
    if count != manifest.events {
        findings.push(Finding {
            stream_id: Uuid::nil(),
            version: None,
            problem: format!("the export holds {count} events, the manifest says {}", manifest.events),
        });
    }
    Ok((count, findings))
}
