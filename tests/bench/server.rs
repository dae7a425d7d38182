//! `inbox serve` GET throughput beside bare axum and hyper hello worlds, in the same run
//! on the same machine (`cargo build --release -p inbox && cargo bench -p
//! inbox-tests --bench server`).
//!
//! The load: 32 keep-alive connections, each sending requests one after
//! another for 5 s (after 1 s of warm-up), from this process. Measured:
//! `GET /api/accounts/{id}` with a JWT on the embedded store (SQLite file,
//! WAL), and two baselines, each in a process of its own: an axum hello world
//! (the target's baseline) and a hyper 1 hello world (what axum serves on,
//! without its routing: the stricter one). Each is measured three times, alternately.

#[path = "../support/mod.rs"]
mod support;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Full};
use hyper_util::rt::TokioIo;
use serde_json::json;
use std::io::BufRead;
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::*;

const CONNECTIONS: usize = 32;
const WARM_UP: Duration = Duration::from_secs(1);
const MEASURE: Duration = Duration::from_secs(5);
/// Rounds of the three servers, alternately: the best of each is compared
/// (neighbours on a shared machine only ever slow a run down).
const ROUNDS: usize = 3;

/// CPU time a process has used so far (user and system), from `/proc`.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("/proc/<pid>/stat");
    // Fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat.rsplit_once(')').expect("stat format").1.split_whitespace().collect();
    let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
    ticks / 100.0 // USER_HZ, 100 on Linux
}

/// One server under load: requests/s, and its own CPU time a request (µs),
/// which the load generator sharing the cores does not blur.
struct Measured {
    rps: f64,
    cpu_us: f64,
}

/// Loads the server `pid` listening on `addr` (see `load`).
fn measure(rt: &tokio::runtime::Runtime, pid: u32, addr: SocketAddr, path: &str, token: Option<&str>) -> Measured {
    let cpu = cpu_seconds(pid);
    let (rps, total) = rt.block_on(load(addr, path, token));
    Measured { rps, cpu_us: (cpu_seconds(pid) - cpu) * 1e6 / total as f64 }
}

/// Requests/s `CONNECTIONS` keep-alive connections get from `addr`, and all
/// requests answered (with the warm-up).
async fn load(addr: SocketAddr, path: &str, token: Option<&str>) -> (f64, u64) {
    let (done, start) = (Arc::new(AtomicU64::new(0)), Instant::now());
    let all = Arc::new(AtomicU64::new(0));
    let tasks: Vec<_> = (0..CONNECTIONS)
        .map(|_| {
            let (done, all, path, token) = (done.clone(), all.clone(), path.to_string(), token.map(str::to_string));
            tokio::spawn(async move {
                let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
                stream.set_nodelay(true).unwrap();
                let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.unwrap();
                tokio::spawn(conn);
                while start.elapsed() < WARM_UP + MEASURE {
                    let mut req = http::Request::get(&path).header("host", "127.0.0.1");
                    if let Some(t) = &token {
                        req = req.header("authorization", format!("Bearer {t}"));
                    }
                    let res = sender.send_request(req.body(Empty::<Bytes>::new()).unwrap()).await.unwrap();
                    assert_eq!(res.status(), 200);
                    res.into_body().collect().await.unwrap();
                    all.fetch_add(1, Ordering::Relaxed);
                    if start.elapsed() > WARM_UP {
                        done.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    (done.load(Ordering::Relaxed) as f64 / MEASURE.as_secs_f64(), all.load(Ordering::Relaxed))
}

/// A baseline server: prints its port, then answers every request "hello":
/// bare hyper, or axum (a router over hyper: the baseline the target names).
fn hello_world(axum: bool) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        println!("{}", listener.local_addr().unwrap().port());
        if axum {
            use axum::serve::ListenerExt;
            let app = axum::Router::new().route("/", axum::routing::get(|| async { "hello" }));
            let listener = listener.tap_io(|tcp| tcp.set_nodelay(true).unwrap());
            return axum::serve(listener, app).await.unwrap();
        }
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            stream.set_nodelay(true).unwrap();
            tokio::spawn(async move {
                let hello = hyper::service::service_fn(|_req| async {
                    Ok::<_, std::convert::Infallible>(hyper::Response::new(Full::new(Bytes::from_static(b"hello"))))
                });
                let _ = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), hello).await;
            });
        }
    });
}

/// Starts a baseline (`--hello-world` or `--hello-axum`) in a process of its own.
fn baseline(flag: &str) -> (std::process::Child, SocketAddr) {
    let mut child = Command::new(std::env::current_exe().unwrap()).arg(flag).stdout(Stdio::piped()).spawn().unwrap();
    let mut port = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut port).unwrap();
    (child, format!("127.0.0.1:{}", port.trim()).parse().unwrap())
}

fn main() {
    if std::env::args().any(|a| a == "--hello-world") {
        return hello_world(false);
    }
    if std::env::args().any(|a| a == "--hello-axum") {
        return hello_world(true);
    }
    if !std::env::args().any(|a| a == "--bench") {
        return; // `cargo test` builds benches and runs them without --bench: nothing to do
    }
    let srv = Server::start();
    let owner = srv.client("owner");
    let created =
        srv.post_json("/api/accounts", Some(&owner.token), &json!({"integration": "/api/integrations/whatsapp"}));
    assert_eq!(created.status, 201, "{}", created.text);
    let path = format!("/api/accounts/{}", created.json["id"].as_str().unwrap());
    let inbox: SocketAddr = srv.base.trim_start_matches("http://").parse().unwrap();

    let (mut hyper_hello, hyper_addr) = baseline("--hello-world");
    let (mut axum_hello, axum_addr) = baseline("--hello-axum");

    let rt = tokio::runtime::Runtime::new().unwrap();
    let (mut ours, mut bare, mut axum) = (vec![], vec![], vec![]);
    for _ in 0..ROUNDS {
        axum.push(measure(&rt, axum_hello.id(), axum_addr, "/", None));
        bare.push(measure(&rt, hyper_hello.id(), hyper_addr, "/", None));
        ours.push(measure(&rt, srv.pid(), inbox, &path, Some(&owner.token)));
    }
    for child in [&mut hyper_hello, &mut axum_hello] {
        child.kill().ok();
        child.wait().ok();
    }
    let best = |xs: &[Measured]| xs.iter().map(|m| m.rps).fold(0.0, f64::max);
    let cpu = |xs: &[Measured]| xs.iter().map(|m| m.cpu_us).fold(f64::MAX, f64::min);
    let runs = |xs: &[Measured]| xs.iter().map(|m| format!("{:.0}", m.rps)).collect::<Vec<_>>().join(", ");
    println!(
        "{CONNECTIONS} keep-alive connections, {} s each, best of {ROUNDS} (runs: {}; {}; {})",
        MEASURE.as_secs(),
        runs(&ours),
        runs(&axum),
        runs(&bare)
    );
    let line = |name: &str, xs: &[Measured]| {
        println!("{name:<49} {:>9.0} requests/s, {:>6.1} µs of server CPU a request", best(xs), cpu(xs))
    };
    line("inbox serve, GET /api/accounts/{id} with a JWT:", &ours);
    line("bare axum hello world (the target's baseline):", &axum);
    line("bare hyper hello world (what axum serves on):", &bare);
    println!(
        "ratio: {:.2}x bare axum (target at least 0.5x); {:.2}x bare hyper",
        best(&ours) / best(&axum),
        best(&ours) / best(&bare)
    );
}
