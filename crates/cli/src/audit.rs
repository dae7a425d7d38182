//! `inbox audit …`: history, point-in-time state, verify, rebuild, export — on
//! whichever store is configured — and `verify-export`, which needs no store.

use anyhow::{bail, Context as _};
use inbox_api::resources::AccountView;
use inbox_domain::audit::{compare, kind_of, replay_any, replay_checked, state_at, Finding, Replayed};
use inbox_domain::{apply, time, Account, AccountId, ClientId, EndpointId, State, StoredEvent, StreamKind};
use inbox_store::walk::{self, Streams};
use inbox_store::{Segment, Store};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::io::{BufRead, Write};
use std::sync::Arc;
use uuid::Uuid;

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
    // Another kind of stream (a team, an endpoint) is not an account's history.
    if events.is_empty() || kind_of(&events) != StreamKind::Account {
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

/// A counter of events on stderr, with their rate (hidden when not a terminal).
fn progress() -> indicatif::ProgressBar {
    let style =
        indicatif::ProgressStyle::with_template("{spinner} {human_pos} events, {per_sec}").expect("valid template");
    indicatif::ProgressBar::new_spinner().with_style(style)
}

fn orphan(id: AccountId) -> Finding {
    Finding {
        kind: StreamKind::Account,
        stream_id: id.0,
        version: None,
        problem: "read model without any event".into(),
    }
}

/// Recomputes every chain and read model, one stream at a time; returns the
/// streams and events read and the problems found. The log is read in
/// [`SEGMENTS`] parts at once, and reading overlaps checking: each batch of
/// about [`BATCH_EVENTS`] events has its read models read (one call) and is
/// checked on the blocking pool, at most [`IN_FLIGHT`] batches a part at once.
pub async fn verify(store: Arc<dyn Store>, client: Option<ClientId>) -> anyhow::Result<(usize, usize, Vec<Finding>)> {
    let bar = progress();
    let parts: Vec<_> = Segment::all(SEGMENTS)
        .map(|segment| tokio::spawn(verify_part(store.clone(), client, segment, bar.clone())))
        .collect();
    let (mut streams, mut events, mut seen, mut findings) = (0, 0, HashSet::new(), vec![]);
    // Part by part, so findings come out in the log's order.
    for part in parts {
        let part = part.await??;
        (streams, events) = (streams + part.streams, events + part.events);
        seen.extend(part.seen);
        findings.extend(part.findings);
    }
    let keys = store.read_model_keys(client).await?;
    findings.extend(keys.into_iter().filter(|(_, id)| !seen.contains(&id.0)).map(|(_, id)| orphan(id)));
    bar.finish_and_clear();
    Ok((streams, events, findings))
}

/// What verifying one segment of the log found.
#[derive(Default)]
struct Part {
    streams: usize,
    events: usize,
    seen: HashSet<Uuid>,
    findings: Vec<Finding>,
}

async fn verify_part(
    store: Arc<dyn Store>,
    client: Option<ClientId>,
    segment: Segment,
    bar: indicatif::ProgressBar,
) -> anyhow::Result<Part> {
    let (mut walk, mut part) = (Streams::segment(&*store, client, segment, walk::PAGE), Part::default());
    let (mut batch, mut batch_events, mut checking) = (vec![], 0, std::collections::VecDeque::new());
    loop {
        let next = walk.next().await?;
        let done = next.is_none();
        if let Some(stream) = next {
            (part.streams, part.events) = (part.streams + 1, part.events + stream.len());
            batch_events += stream.len();
            bar.inc(stream.len() as u64);
            part.seen.insert(stream[0].stream_id);
            batch.push(stream);
        }
        if batch_events >= BATCH_EVENTS || (done && !batch.is_empty()) {
            batch_events = 0;
            checking.push_back(tokio::spawn(check_batch(store.clone(), std::mem::take(&mut batch))));
        }
        // In order, so findings come out as streams were read.
        while checking.len() > IN_FLIGHT || (done && !checking.is_empty()) {
            part.findings.extend(checking.pop_front().expect("not empty").await??);
        }
        if done {
            return Ok(part);
        }
    }
}

const SEGMENTS: u16 = 2;
const BATCH_EVENTS: usize = 4096;
const IN_FLIGHT: usize = 2;

/// Reads the batch's read models (the accounts' in one call; a team's or an
/// endpoint's one by one: few, and small), then checks it on the blocking pool.
async fn check_batch(store: Arc<dyn Store>, streams: Vec<Vec<StoredEvent>>) -> anyhow::Result<Vec<Finding>> {
    let is_account = |s: &Vec<StoredEvent>| kind_of(s) == StreamKind::Account;
    let keys: Vec<_> =
        streams.iter().filter(|s| is_account(s)).map(|s| (s[0].client_id, AccountId(s[0].stream_id))).collect();
    let mut accounts = store.read_models(&keys).await?.into_iter();
    let mut work: Vec<ToCheck> = vec![];
    for s in streams {
        let (client, id) = (s[0].client_id, s[0].stream_id);
        let stored = match kind_of(&s) {
            StreamKind::Account => accounts.next().flatten().map(|r| r.account).transpose().map(Replayed::Account),
            StreamKind::Team if client.team_stream() == id => Ok(Replayed::Team(store.team(client).await?)),
            StreamKind::Team => Err("a team's events in a stream that is not its client's team".into()),
            StreamKind::Webhook => Ok(Replayed::Webhook(store.webhook_endpoint(client, EndpointId(id)).await?)),
        };
        work.push((s, stored));
    }
    Ok(tokio::task::spawn_blocking(move || check(work)).await?)
}

/// A stream and its stored read model (or why it cannot be read).
type ToCheck = (Vec<StoredEvent>, Result<Replayed, String>);

fn check(batch: Vec<ToCheck>) -> Vec<Finding> {
    let mut findings = vec![];
    for (stream, stored) in batch {
        let id = stream[0].stream_id;
        let finding = match (replay_any(id, &stream), stored) {
            (Err(f), _) => Some(f),
            (Ok(Replayed::Account(r)), Ok(Replayed::Account(s))) => compare(id, &r, &s),
            (Ok(Replayed::Team(r)), Ok(Replayed::Team(s))) => compare(id, &r, &s),
            (Ok(Replayed::Webhook(r)), Ok(Replayed::Webhook(s))) => compare(id, &r, &s),
            (Ok(_), Ok(_)) => unreachable!("the stored read model is read for the stream's kind"),
            // An unreadable row is reported, and the other streams are still checked.
            (Ok(_), Err(reason)) => Some(Finding {
                kind: kind_of(&stream),
                stream_id: id,
                version: None,
                problem: format!("stored read model cannot be read: {reason}"),
            }),
        };
        findings.extend(finding);
    }
    findings
}

/// Rewrites every account read model from its events, one stream at a time,
/// then each client's account lists and counts (keeping the accounts' sealed
/// credentials); safe to interrupt and run again. Other streams (teams, endpoints) are verified, not rewritten: their
/// read models hold credentials that no event records.
pub async fn rebuild(store: &dyn Store, client: Option<ClientId>) -> anyhow::Result<(usize, Vec<Finding>)> {
    let (bar, mut walk) = (progress(), Streams::new(store, client, walk::PAGE));
    let (mut written, mut seen, mut findings, mut clients) = (0, HashSet::new(), vec![], BTreeSet::new());
    while let Some(stream) = walk.next().await? {
        let id = stream[0].stream_id;
        if kind_of(&stream) != StreamKind::Account {
            findings.extend(replay_any(id, &stream).err());
            continue;
        }
        seen.insert(id);
        clients.insert(stream[0].client_id);
        match replay_checked::<Account>(id, &stream) {
            // A history that does not verify is reported, never projected.
            Err(f) => findings.push(f),
            Ok(mut state) => {
                // Sealed provider credentials are no event: the stored ones stay.
                let (client_id, account) = (stream[0].client_id, AccountId(id));
                if let (Some(a), Some(stored)) = (&mut state, store.read_model(client_id, account).await?) {
                    a.credentials = stored.account.ok().and_then(|s| s.credentials);
                }
                store.replace_read_model(client_id, account, state.as_ref()).await?;
                written += 1;
            }
        }
        bar.inc(stream.len() as u64);
    }
    for (client_id, id) in store.read_model_keys(client).await?.into_iter().filter(|(_, id)| !seen.contains(&id.0)) {
        store.replace_read_model(client_id, id, None).await?;
        clients.insert(client_id);
    }
    for client_id in clients {
        store.reindex_lists(client_id).await?;
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
    pub client_id: ClientId,
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

/// JSON Lines: every event of the client, a stream at a time, then the manifest.
pub async fn export(store: &dyn Store, client: ClientId, out: &mut impl Write) -> anyhow::Result<usize> {
    let (mut walk, mut heads, mut events) = (Streams::new(store, Some(client), walk::PAGE), BTreeMap::new(), 0);
    while let Some(stream) = walk.next().await? {
        for e in &stream {
            serde_json::to_writer(&mut *out, e)?;
            writeln!(out)?;
        }
        let last = stream.last().expect("streams are never empty");
        heads.insert(last.stream_id, Head { version: last.version, hash: last.hash.clone() });
        events += stream.len();
    }
    let manifest = Manifest {
        client_id: client,
        exported_at: time::format(&time::truncate(std::time::SystemTime::now().into())),
        events,
        heads,
    };
    serde_json::to_writer(&mut *out, &ManifestLine { manifest })?;
    writeln!(out)?;
    Ok(events)
}

/// What verifying an export keeps of each stream once it has been read.
struct Checked {
    head: Head,
    kind: StreamKind,
    /// The client and version of the stream's first event.
    first: (ClientId, u64),
    /// The first event of another client than the stream's first, if any.
    mixed: Option<u64>,
}

/// Verifies an export on its own, a stream at a time: chains, replays, and the
/// manifest. Each stream's events must be together, as `export` writes them.
pub fn verify_export(input: impl BufRead) -> anyhow::Result<(usize, Vec<Finding>)> {
    let (mut count, mut findings, mut manifest) = (0, vec![], None);
    let mut checked: BTreeMap<Uuid, Checked> = BTreeMap::new();
    let mut current: Vec<StoredEvent> = vec![];
    let mut finish = |stream: &mut Vec<StoredEvent>, findings: &mut Vec<Finding>| {
        let Some(first) = stream.first() else { return };
        let id = first.stream_id;
        if checked.contains_key(&id) {
            let problem = "the stream's events are not together: the export was edited".into();
            findings.push(Finding { kind: kind_of(stream), stream_id: id, version: Some(first.version), problem });
        } else if let Err(f) = replay_any(id, stream) {
            findings.push(f);
        }
        let last = stream.last().expect("not empty");
        let mixed = stream.iter().find(|e| e.client_id != first.client_id).map(|e| e.version);
        let head = Head { version: last.version, hash: last.hash.clone() };
        let kind = kind_of(stream);
        checked.entry(id).or_insert(Checked { head, kind, first: (first.client_id, first.version), mixed });
        stream.clear();
    };
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
            continue;
        }
        let event = serde_json::from_value::<StoredEvent>(value).with_context(|| format!("line {}", n + 1))?;
        if current.first().is_some_and(|e| e.stream_id != event.stream_id) {
            finish(&mut current, &mut findings);
        }
        current.push(event);
        count += 1;
    }
    finish(&mut current, &mut findings);
    let Some(manifest) = manifest else { bail!("the export has no manifest line: it is incomplete") };
    for (id, c) in &checked {
        match manifest.heads.get(id) {
            Some(h) if *h == c.head => {}
            Some(h) => findings.push(Finding {
                kind: c.kind,
                stream_id: *id,
                version: Some(c.head.version.min(h.version) + 1),
                problem: format!("the export ends at v{} but the manifest says v{}", c.head.version, h.version),
            }),
            None => findings.push(Finding {
                kind: c.kind,
                stream_id: *id,
                version: None,
                problem: "stream missing from the manifest".into(),
            }),
        }
        let foreign = if c.first.0 != manifest.client_id { Some(c.first.1) } else { c.mixed };
        if let Some(version) = foreign {
            let problem = "event of another client".into();
            findings.push(Finding { kind: c.kind, stream_id: *id, version: Some(version), problem });
        }
    }
    for (id, h) in &manifest.heads {
        if !checked.contains_key(id) {
            findings.push(Finding {
                kind: StreamKind::Account,
                stream_id: *id,
                version: Some(h.version),
                problem: "every event of the stream is missing".into(),
            });
        }
    }
    if count != manifest.events {
        findings.push(Finding {
            kind: StreamKind::Account,
            stream_id: Uuid::nil(),
            version: None,
            problem: format!("the export holds {count} events, the manifest says {}", manifest.events),
        });
    }
    Ok((count, findings))
}
