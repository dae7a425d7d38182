//! `inbox serve` against slow, idle and oversized clients: idle connections are
//! closed after the header timeout and do not stop others from being served,
//! the connection cap refuses clearly, and every size limit answers problem+json.

mod support;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};
use support::*;

fn addr(srv: &Server) -> String {
    srv.base.trim_start_matches("http://").to_string()
}

/// Sends raw bytes on a new connection and reads the whole answer.
fn raw(srv: &Server, request: &[u8]) -> String {
    let mut conn = TcpStream::connect(addr(srv)).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    conn.write_all(request).unwrap();
    let mut answer = Vec::new();
    let _ = conn.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}

#[track_caller]
fn assert_problem_answer(answer: &str, status: u16) {
    assert!(answer.starts_with(&format!("HTTP/1.1 {status}")), "{}", &answer[..answer.len().min(300)]);
    assert!(answer.contains("application/problem+json"), "{answer}");
    assert!(answer.contains(&format!("\"status\":{status}")), "{answer}");
}

#[test]
fn idle_connections_are_closed_and_do_not_block_others() {
    let srv = Server::start_with(&["--no-demo", "--header-timeout", "2"], temp_dir("idle"));
    let idle: Vec<TcpStream> = (0..2000).map(|_| TcpStream::connect(addr(&srv)).unwrap()).collect();
    let mut slowloris = TcpStream::connect(addr(&srv)).unwrap();
    slowloris.write_all(b"GET /api/docs.json HTTP/1.1\r\nHost: x\r\n").unwrap();

    let started = Instant::now();
    let r = srv.call("GET", "/api/docs.json", None, None);
    assert_eq!(r.status, 200);
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "a GET took {:?} beside 2,000 idle connections",
        started.elapsed()
    );

    std::thread::sleep(Duration::from_millis(3500));
    let closed = |mut c: &TcpStream| {
        c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut buf = [0u8; 64];
        matches!(c.read(&mut buf), Ok(0) | Err(_))
    };
    assert!(closed(&slowloris), "a client that never finishes its headers is cut off");
    for (i, c) in idle.iter().enumerate().step_by(50) {
        assert!(closed(c), "idle connection {i} is still open after the timeout");
    }
    assert_eq!(srv.call("GET", "/api/docs.json", None, None).status, 200, "still serving");
}

#[test]
fn past_the_connection_cap_the_answer_is_a_clear_503() {
    let srv = Server::start_with(&["--no-demo", "--max-connections", "20"], temp_dir("cap"));
    let held: Vec<TcpStream> = (0..20).map(|_| TcpStream::connect(addr(&srv)).unwrap()).collect();
    std::thread::sleep(Duration::from_millis(200));
    let answer = raw(&srv, b"GET /api/docs.json HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_problem_answer(&answer, 503);
    assert!(answer.to_ascii_lowercase().contains("retry-after: 1"), "{answer}");
    drop(held);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(srv.call("GET", "/api/docs.json", None, None).status, 200, "served again once connections close");
}

#[test]
fn size_limits_answer_problem_json() {
    let srv = Server::start_with(&["--no-demo", "--body-timeout", "1"], temp_dir("sizes"));
    // A 2 MB body really sent: the client reads the 413, not a reset.
    let body = vec![b'x'; 2_000_000];
    let mut request =
        b"POST /api/accounts HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2000000\r\n\r\n"
            .to_vec();
    request.extend_from_slice(&body);
    assert_problem_answer(&raw(&srv, &request), 413);
    // A long URI, large headers, a large bearer token.
    let uri = format!("GET /api/accounts?x={} HTTP/1.1\r\nHost: x\r\n\r\n", "a".repeat(10_000));
    assert_problem_answer(&raw(&srv, uri.as_bytes()), 414);
    let header = format!("GET /api/accounts HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n", "a".repeat(40_000));
    assert_problem_answer(&raw(&srv, header.as_bytes()), 431);
    let many = |n| (0..n).map(|i| format!("X-H{i}: v\r\n")).collect::<String>();
    let with = |n| format!("GET /api/accounts HTTP/1.1\r\nHost: x\r\n{}\r\n", many(n));
    assert_problem_answer(&raw(&srv, with(120).as_bytes()), 431);
    // Past hyper's own limit it answers by itself: the same status, no body.
    assert!(raw(&srv, with(500).as_bytes()).starts_with("HTTP/1.1 431"));
    let bearer =
        format!("GET /api/accounts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\r\n", "a".repeat(20_000));
    assert_problem_answer(&raw(&srv, bearer.as_bytes()), 431);
    // A body that stops coming: 408 after the body timeout.
    let started = Instant::now();
    let slow = raw(&srv, b"POST /authentication/login_check HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 50\r\n\r\n{\"us");
    assert_problem_answer(&slow, 408);
    assert!(started.elapsed() < Duration::from_secs(5));
}
