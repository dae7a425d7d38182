//! A local stand-in for the Lambda Runtime API (`AWS_LAMBDA_RUNTIME_API`): it
//! hands out the invocations the benchmark queues and reports when the function
//! asks for its next one (init is over) and when it answers.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::{mpsc, Mutex};
use tokio::task::JoinSet;

/// What the function did, and when.
#[derive(Debug)]
pub enum Note {
    /// `GET …/invocation/next`: ready for an invocation.
    Polled(Instant),
    /// `POST …/invocation/{id}/response`, with the answer.
    Answered(Instant, String),
    /// An invocation error or an init error, with its body.
    Failed(String),
}

pub struct FakeRuntime {
    pub addr: std::net::SocketAddr,
    invocations: mpsc::UnboundedSender<String>,
    notes: mpsc::UnboundedReceiver<Note>,
    tasks: JoinSet<()>,
}

impl FakeRuntime {
    /// Listens on a fresh port: one per cold start, so nothing of the previous
    /// process (a poll left waiting) reaches the next.
    pub async fn start() -> FakeRuntime {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (invocations, queued) = mpsc::unbounded_channel::<String>();
        let (note, notes) = mpsc::unbounded_channel();
        let queued = Arc::new(Mutex::new(queued));
        let mut tasks = JoinSet::new();
        tasks.spawn(async move {
            let mut connections = JoinSet::new();
            loop {
                let (stream, _) = listener.accept().await.unwrap();
                stream.set_nodelay(true).unwrap();
                let (queued, note) = (queued.clone(), note.clone());
                let service = hyper::service::service_fn(move |req| serve(req, queued.clone(), note.clone()));
                connections.spawn(async move {
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        FakeRuntime { addr, invocations, notes, tasks }
    }

    /// Queues one invocation (an API Gateway event).
    pub fn invoke(&self, event: &str) {
        self.invocations.send(event.to_string()).unwrap();
    }

    /// The function's next move; panics after 30 s of silence.
    pub async fn next_note(&mut self) -> Note {
        let note = tokio::time::timeout(std::time::Duration::from_secs(30), self.notes.recv()).await;
        note.expect("the function said nothing for 30 s").expect("runtime stopped")
    }

    pub fn stop(mut self) {
        self.tasks.abort_all();
    }
}

type Queue = Arc<Mutex<mpsc::UnboundedReceiver<String>>>;

async fn serve(
    req: hyper::Request<hyper::body::Incoming>,
    queued: Queue,
    note: mpsc::UnboundedSender<Note>,
) -> Result<hyper::Response<Full<Bytes>>, std::convert::Infallible> {
    let path = req.uri().path().to_string();
    let ok = |status: u16, body: Bytes| {
        let mut res = hyper::Response::new(Full::new(body));
        *res.status_mut() = hyper::StatusCode::from_u16(status).unwrap();
        res
    };
    if path == "/2018-06-01/runtime/invocation/next" {
        let _ = note.send(Note::Polled(Instant::now()));
        let Some(event) = queued.lock().await.recv().await else {
            return Ok(ok(500, Bytes::new()));
        };
        let mut res = ok(200, Bytes::from(event));
        let deadline = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() + 10_000;
        let headers = res.headers_mut();
        headers.insert("lambda-runtime-aws-request-id", uuid::Uuid::new_v4().to_string().parse().unwrap());
        headers.insert("lambda-runtime-deadline-ms", deadline.to_string().parse().unwrap());
        let arn = "arn:aws:lambda:eu-west-1:123456789012:function:bench";
        headers.insert("lambda-runtime-invoked-function-arn", arn.parse().unwrap());
        headers.insert("lambda-runtime-trace-id", "Root=1-00000000-000000000000000000000000".parse().unwrap());
        return Ok(res);
    }
    let body = req.into_body().collect().await.map(|b| b.to_bytes()).unwrap_or_default();
    let text = String::from_utf8_lossy(&body).into_owned();
    if path.ends_with("/response") {
        let _ = note.send(Note::Answered(Instant::now(), text));
    } else {
        let _ = note.send(Note::Failed(format!("{path}: {text}")));
    }
    Ok(ok(202, Bytes::new()))
}
