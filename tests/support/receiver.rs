//! A webhook receiver on 127.0.0.1 for tests and benchmarks: records every
//! request (the Standard Webhooks headers, the body, when it arrived) and
//! answers each with the next scripted status, then 200.

use serde_json::Value;
use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One message as the receiver got it.
#[derive(Debug, Clone)]
pub struct Received {
    pub id: String,
    pub timestamp: String,
    pub signature: String,
    pub body: String,
    /// Unix seconds at receipt.
    pub at: i64,
    /// Unix milliseconds at receipt.
    pub at_ms: i64,
}

impl Received {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap()
    }
}

/// A receiver answering each request with the next scripted status (then 200).
pub struct Receiver {
    pub url: String,
    got: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    pub fn start(script: &[u16]) -> Receiver {
        Self::on(TcpListener::bind("127.0.0.1:0").unwrap(), script)
    }

    pub fn on(listener: TcpListener, script: &[u16]) -> Receiver {
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let got = Arc::new(Mutex::new(vec![]));
        let (log, script) = (got.clone(), Arc::new(Mutex::new(script.iter().copied().collect::<VecDeque<_>>())));
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (log, script) = (log.clone(), script.clone());
                std::thread::spawn(move || serve_one(stream, &log, &script));
            }
        });
        Receiver { url, got }
    }

    pub fn received(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    /// Waits until `n` messages arrived (at most 20 s).
    pub fn wait_for(&self, n: usize) -> Vec<Received> {
        self.wait_up_to(n, Duration::from_secs(20))
    }

    pub fn wait_up_to(&self, n: usize, limit: Duration) -> Vec<Received> {
        let start = Instant::now();
        while self.received().len() < n && start.elapsed() < limit {
            std::thread::sleep(Duration::from_millis(50));
        }
        self.received()
    }
}

fn serve_one(stream: std::net::TcpStream, log: &Mutex<Vec<Received>>, script: &Mutex<VecDeque<u16>>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut headers = std::collections::HashMap::new();
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    loop {
        line.clear();
        if reader.read_line(&mut line).unwrap() == 0 || line.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = line.trim().split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    let len: usize = headers.get("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
    let mut body = vec![0; len];
    reader.read_exact(&mut body).unwrap();
    let header = |k: &str| headers.get(k).cloned().unwrap_or_default();
    log.lock().unwrap().push(Received {
        id: header("webhook-id"),
        timestamp: header("webhook-timestamp"),
        signature: header("webhook-signature"),
        body: String::from_utf8(body).unwrap(),
        at: chrono::Utc::now().timestamp(),
        at_ms: chrono::Utc::now().timestamp_millis(),
    });
    let status = script.lock().unwrap().pop_front().unwrap_or(200);
    // One write, sent at once: no small segments waiting on delayed ACKs.
    let mut stream = stream;
    let _ = stream.set_nodelay(true);
    let answer = format!("HTTP/1.1 {status} Scripted\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
    let _ = stream.write_all(answer.as_bytes());
}
