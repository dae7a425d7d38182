//! Lambda cold start, on this machine (`tests/bench/coldstart.sh`, which builds
//! the binaries below with the release profile and starts DynamoDB Local).
//!
//! Each binary is started as Lambda would start it, against a local Runtime API
//! (`runtime.rs`), and DynamoDB is reached over HTTPS (`proxy.rs`: TLS in front
//! of DynamoDB Local, with a CA the binaries trust through `SSL_CERT_FILE`).
//! Measured, as medians over `RUNS` cold starts: the binary's size; init (from
//! spawning the process to its first poll for an invocation); the first and the
//! second invocation of `events/accounts-get.json` (queued to answered); and
//! the TLS handshakes the proxy saw during each.
//!
//! Compared, built in the same run with the same profile: `accounts-get` as
//! deployed (no default features), a lambda_http hello world, and the floor (a
//! lambda_http + aws-sdk-dynamodb function doing one GetItem), cold and warmed
//! in init as `accounts-get` is.

mod proxy;
mod runtime;

use runtime::{FakeRuntime, Note};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const RUNS: usize = 15;
/// The fixture data `events/` refers to (`inbox infra fixtures` loads it).
const JWT_SECRET: &str = "example-events-secret-not-for-production";
const CLIENT: &str = "7d5f0c2e-0000-4000-8000-000000000001";
const ACCOUNT: &str = "7d5f0c2e-0000-4000-8000-000000000003";

struct Subject {
    name: &'static str,
    bin: PathBuf,
    env: Vec<(&'static str, String)>,
}

#[derive(Default)]
struct Sample {
    init: Vec<Duration>,
    first: Vec<Duration>,
    second: Vec<Duration>,
    /// Handshakes during init, the first and the second invocation (last run).
    handshakes: [u64; 3],
}

fn median(xs: &[Duration]) -> Duration {
    let mut xs = xs.to_vec();
    xs.sort();
    xs[xs.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// One cold start: spawn, wait for the first poll, invoke twice, stop.
async fn cold_start(subject: &Subject, common: &[(&str, String)], event: &str, proxy: &proxy::TlsProxy) -> Sample {
    let mut rt = FakeRuntime::start().await;
    let stderr = std::env::temp_dir().join(format!("coldstart-{}.log", subject.name.replace(' ', "-")));
    let before = proxy.handshakes();
    let t0 = Instant::now();
    let mut child = Command::new(&subject.bin)
        .env_clear()
        .envs(common.iter().map(|(k, v)| (*k, v.as_str())))
        .envs(subject.env.iter().map(|(k, v)| (*k, v.as_str())))
        .env("AWS_LAMBDA_RUNTIME_API", rt.addr.to_string())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&stderr).unwrap())
        .spawn()
        .unwrap();
    let mut sample = Sample::default();
    let failed = |what: String| -> ! {
        let log = std::fs::read_to_string(&stderr).unwrap_or_default();
        panic!("{}: {what}\n{log}", subject.name)
    };
    match rt.next_note().await {
        Note::Polled(at) => sample.init.push(at - t0),
        Note::Failed(e) => failed(e),
        other => failed(format!("{other:?} before its first poll")),
    }
    sample.handshakes[0] = proxy.handshakes() - before;
    for i in 0..2 {
        let before = proxy.handshakes();
        let t1 = Instant::now();
        rt.invoke(event);
        let took = match rt.next_note().await {
            Note::Answered(at, body) if body.contains("\"statusCode\":200") => at - t1,
            Note::Failed(e) => failed(e),
            other => failed(format!("invocation {}: {other:?}", i + 1)),
        };
        if i == 0 { &mut sample.first } else { &mut sample.second }.push(took);
        sample.handshakes[i + 1] = proxy.handshakes() - before;
        match rt.next_note().await {
            Note::Polled(_) => {}
            other => failed(format!("{other:?} instead of polling again")),
        }
    }
    child.kill().ok();
    child.wait().ok();
    rt.stop();
    sample
}

fn seed(inbox: &Path, common: &[(&str, String)], endpoint: &str) {
    for args in [&["dynamodb", "create-tables"][..], &["infra", "fixtures"]] {
        let out = Command::new(inbox)
            .args(args)
            .envs(common.iter().map(|(k, v)| (*k, v.as_str())))
            .env("AWS_ENDPOINT_URL_DYNAMODB", endpoint)
            .output()
            .unwrap();
        assert!(out.status.success(), "inbox {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return; // `cargo test` builds benches and runs them without --bench: nothing to do
    }
    let endpoint = std::env::var("INBOX_TEST_DYNAMODB_ENDPOINT")
        .expect("INBOX_TEST_DYNAMODB_ENDPOINT: run tests/bench/coldstart.sh, which starts DynamoDB Local");
    // This bench runs from target/release/deps; the subjects are built with the
    // profile `sam build` ships (`deploy`), `inbox` (which seeds) with release.
    let release = std::env::current_exe().unwrap().parent().unwrap().parent().unwrap().to_path_buf();
    let deploy = release.parent().unwrap().join("deploy");
    let bin = |path: &str| {
        let p = if path == "inbox" { release.join(path) } else { deploy.join(path) };
        assert!(p.exists(), "{} is missing: run tests/bench/coldstart.sh", p.display());
        p
    };
    let dir = std::env::temp_dir().join(format!("coldstart-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let prefix = format!("coldstart{}", uuid::Uuid::new_v4().simple());
    let tables = [
        ("INBOX_EVENTS_TABLE", format!("{prefix}-inbox-events")),
        ("INBOX_ACCOUNTS_TABLE", format!("{prefix}-inbox-accounts")),
        ("INBOX_DIRECTORY_TABLE", format!("{prefix}-inbox-directory")),
    ];
    let rt = tokio::runtime::Runtime::new().unwrap();
    let upstream = endpoint.trim_start_matches("http://").trim_end_matches('/').to_string();
    let proxy = rt.block_on(proxy::TlsProxy::start(&dir, upstream));
    let mut common: Vec<(&str, String)> = vec![
        ("PATH", std::env::var("PATH").unwrap_or_default()),
        ("AWS_REGION", "eu-west-1".into()),
        ("AWS_ACCESS_KEY_ID", "local".into()),
        ("AWS_SECRET_ACCESS_KEY", "local".into()),
        ("AWS_EC2_METADATA_DISABLED", "true".into()),
        ("AWS_ENDPOINT_URL_DYNAMODB", format!("https://localhost:{}", proxy.port)),
        ("SSL_CERT_FILE", dir.join("ca.pem").display().to_string()),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128".into()),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".into()),
        ("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/bench".into()),
        ("AWS_LAMBDA_LOG_STREAM_NAME", "bench".into()),
        ("RUST_LOG", "warn".into()),
        ("INBOX_STORE", "dynamodb".into()),
        ("INBOX_JWT_SECRET", JWT_SECRET.into()),
    ];
    common.extend(tables.iter().cloned());
    seed(&bin("inbox"), &common, &endpoint);
    let event =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../events/accounts-get.json")).unwrap();

    let name = |n: &str| ("AWS_LAMBDA_FUNCTION_NAME", n.to_string());
    let floor = |warm: &str| {
        vec![
            name("floor"),
            ("FLOOR_TABLE", tables[1].1.clone()),
            ("FLOOR_CLIENT", CLIENT.into()),
            ("FLOOR_ID", ACCOUNT.into()),
            ("FLOOR_WARM", warm.into()),
        ]
    };
    let subjects = [
        Subject { name: "hello world", bin: bin("examples/lambda-hello"), env: vec![name("hello")] },
        Subject { name: "floor", bin: bin("examples/lambda-floor"), env: floor("0") },
        Subject { name: "floor, warmed in init", bin: bin("examples/lambda-floor"), env: floor("1") },
        Subject { name: "accounts-get", bin: bin("accounts-get"), env: vec![name("accounts-get")] },
    ];
    let mut results = vec![];
    for subject in &subjects {
        let mut all = Sample::default();
        for _ in 0..RUNS {
            let s = rt.block_on(cold_start(subject, &common, &event, &proxy));
            all.init.extend(s.init);
            all.first.extend(s.first);
            all.second.extend(s.second);
            all.handshakes = s.handshakes;
        }
        results.push(all);
    }
    report(&subjects, &results);
    std::fs::remove_dir_all(&dir).ok();
}

fn report(subjects: &[Subject], results: &[Sample]) {
    println!("\nLambda cold start: medians of {RUNS} cold starts; DynamoDB over TLS (local proxy → DynamoDB Local)");
    println!(
        "{:<24} {:>10} {:>10} {:>12} {:>12} {:>12}",
        "binary", "size MB", "init ms", "1st inv. ms", "2nd inv. ms", "handshakes"
    );
    let mb = |p: &Path| std::fs::metadata(p).unwrap().len() as f64 / 1e6;
    for (s, r) in subjects.iter().zip(results) {
        let h = r.handshakes;
        println!(
            "{:<24} {:>10.2} {:>10.2} {:>12.2} {:>12.2} {:>12}",
            s.name,
            mb(&s.bin),
            ms(median(&r.init)),
            ms(median(&r.first)),
            ms(median(&r.second)),
            format!("{}/{}/{}", h[0], h[1], h[2])
        );
    }
    let (floor, warmed, ours) = (&results[1], &results[2], &results[3]);
    let ratio = |a: Duration, b: Duration| a.as_secs_f64() / b.as_secs_f64();
    let size = mb(&subjects[3].bin) / mb(&subjects[1].bin);
    // Only its own route is linked: its path is in the binary, another route's is
    // not; nor is the code that keeps Idempotency-Keys, which a read never takes.
    let bytes = std::fs::read(&subjects[3].bin).unwrap();
    let holds = |needle: &str| bytes.windows(needle.len()).any(|w| w == needle.as_bytes());
    println!(
        "\naccounts-get holds its route's path: {}; another route's (/api/webhooks/{{id}}/deliveries): {}; SQLite: {}; \
         Idempotency-Key code: {}",
        holds("/api/accounts/{id}"),
        holds("/api/webhooks/{id}/deliveries"),
        holds("SQLite format 3"),
        holds("Idempotency-Key is still being processed")
    );
    println!("\ntargets:");
    println!("  binary ≤ 1.2× the floor:                 {size:.2}×");
    println!(
        "  init ≤ 1.2× the floor's:                 {:.2}× the floor warmed in init, {:.2}× the cold floor",
        ratio(median(&ours.init), median(&warmed.init)),
        ratio(median(&ours.init), median(&floor.init))
    );
    println!(
        "  1st invocation ≤ 1.5× the 2nd (TLS):    {:.2}× (the cold floor's: {:.2}×)",
        ratio(median(&ours.first), median(&ours.second)),
        ratio(median(&floor.first), median(&floor.second))
    );
}
