//! Requests this service makes to others over HTTP(S): webhook deliveries and
//! the calls to sign-in providers. TLS with the system's roots (and
//! `SSL_CERT_FILE`); one request per connection, no redirects followed.

use bytes::Bytes;
use http::header::HOST;
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use url::Url;

/// An answer read whole.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: http::HeaderMap,
    pub body: Bytes,
}

/// A connection to `addrs` (checked by the caller) for `url`: TLS for `https`.
pub async fn connect(url: &Url, addrs: &[SocketAddr]) -> Result<Io, String> {
    let tcp = TcpStream::connect(addrs).await.map_err(|e| format!("connection failed: {e}"))?;
    let _ = tcp.set_nodelay(true);
    if url.scheme() != "https" {
        return Ok(Io::Plain(tcp));
    }
    let host = url.host_str().unwrap_or_default().trim_matches(['[', ']']).to_string();
    let name =
        rustls::pki_types::ServerName::try_from(host.clone()).map_err(|_| format!("bad TLS server name {host}"))?;
    let tls = tokio_rustls::TlsConnector::from(tls_config()).connect(name, tcp).await;
    Ok(Io::Tls(Box::new(tls.map_err(|e| format!("TLS failed: {e}"))?)))
}

/// A connection, plain or TLS.
pub enum Io {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

/// A request to `url`: its path and query, and its `Host`.
pub fn request(method: http::Method, url: &Url) -> http::request::Builder {
    http::Request::builder()
        .method(method)
        .uri(url[url::Position::BeforePath..].to_string())
        .header(HOST, url[url::Position::BeforeHost..url::Position::AfterPort].to_string())
}

/// Sends `req` on `io` and reads the answer's head (and, up to `max_body`
/// bytes, its body; 0: the head only).
pub async fn exchange(io: Io, req: http::Request<Full<Bytes>>, max_body: usize) -> Result<Answer, String> {
    match io {
        Io::Plain(tcp) => exchange_on(tcp, req, max_body).await,
        Io::Tls(tls) => exchange_on(*tls, req, max_body).await,
    }
}

async fn exchange_on<I>(io: I, req: http::Request<Full<Bytes>>, max_body: usize) -> Result<Answer, String>
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(TokioIo::new(io)).await.map_err(|e| format!("HTTP failed: {e}"))?;
    // The connection is driven until the answer is read, then dropped.
    let driver = tokio::spawn(conn);
    let answer = async {
        let resp = sender.send_request(req).await.map_err(|e| format!("HTTP failed: {e}"))?;
        let (parts, body) = resp.into_parts();
        let body = if max_body == 0 {
            Bytes::new()
        } else {
            let read = Limited::new(body, max_body).collect().await;
            read.map_err(|e| format!("cannot read the answer (at most {max_body} bytes): {e}"))?.to_bytes()
        };
        Ok(Answer { status: parts.status.as_u16(), headers: parts.headers, body })
    }
    .await;
    driver.abort();
    answer
}

/// A request to a configured, trusted service (a sign-in provider): its name
/// resolved as is, within `timeout`, the answer's body read up to 1 MiB.
pub async fn fetch(req: http::Request<Full<Bytes>>, url: &Url, timeout: Duration) -> Result<Answer, String> {
    let call = async {
        let host = url.host_str().ok_or("the URL names no host")?.trim_matches(['[', ']']);
        let port = url.port_or_known_default().ok_or("the URL names no port")?;
        let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
            .await
            .map_err(|_| format!("the host {host} cannot be resolved"))?
            .collect();
        let io = connect(url, &addrs).await?;
        exchange(io, req, 1 << 20).await
    };
    tokio::time::timeout(timeout, call)
        .await
        .unwrap_or_else(|_| Err(format!("no answer within {} s", timeout.as_secs())))
}

/// The system's roots (and `SSL_CERT_FILE`), loaded once.
fn tls_config() -> Arc<rustls::ClientConfig> {
    static CONFIG: OnceLock<Arc<rustls::ClientConfig>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let mut roots = rustls::RootCertStore::empty();
            for cert in rustls_native_certs::load_native_certs().certs {
                let _ = roots.add(cert);
            }
            let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
            let config = rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .expect("the default provider supports the default versions")
                .with_root_certificates(roots)
                .with_no_client_auth();
            Arc::new(config)
        })
        .clone()
}
