//! The AWS SDK's HTTP client: the SDK's calls to DynamoDB and SQS go out through reqwest, the
//! client that already makes the deliveries, on its TLS configuration and the process's one
//! trust store.
//!
//! Why not the SDK's own client: it is a second hyper client with its own rustls setup and
//! HTTP/2 (DynamoDB and SQS answer HTTP/1.1), 0.7 MiB of each Lambda function's code for a
//! job reqwest already does in the same binary; and a second TLS configuration parses the
//! trust store again at every cold start.

use std::sync::Mutex;
use std::time::Duration;

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;

/// The HTTP client to give the SDK's configuration, its connector for `connect_timeout`
/// (the SDK's connect timeout, and no read timeout: [`crate::backend::aws_timeouts`]) built
/// now. Building one parses the trust store: at a Lambda function's init rather than in its
/// first invocation.
pub fn client(connect_timeout: Option<Duration>) -> SharedHttpClient {
    let client = Client::default();
    client.connector((connect_timeout, None));
    SharedHttpClient::new(client)
}

/// One connector (a reqwest client, with its connection pool) per distinct timeout settings;
/// the SDK asks for a connector per operation, with this process's settings each time.
#[derive(Debug, Default)]
struct Client {
    connectors: Mutex<Vec<(Timeouts, SharedHttpConnector)>>,
}

type Timeouts = (Option<Duration>, Option<Duration>);

impl Client {
    fn connector(&self, key: Timeouts) -> SharedHttpConnector {
        let mut connectors = self.connectors.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((_, c)) = connectors.iter().find(|(k, _)| *k == key) {
            return c.clone();
        }
        let connector = SharedHttpConnector::new(Connector::new(key));
        connectors.push((key, connector.clone()));
        connector
    }
}

impl HttpClient for Client {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        _components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        self.connector((settings.connect_timeout(), settings.read_timeout()))
    }
}

#[derive(Debug)]
struct Connector {
    /// `Err`: the client could not be built (the trust store); every call answers that.
    client: Result<reqwest::Client, String>,
}

impl Connector {
    fn new(timeouts: Timeouts) -> Self {
        Connector {
            client: reqwest_client(timeouts),
        }
    }
}

/// The reqwest client for `(connect, read)` timeouts, one per runtime for each: the SDK's
/// connector and the direct calls ([`crate::aws_json`]) with the same connect timeout share
/// it, and so its connections (a cold start makes one TLS handshake with DynamoDB, not one
/// per caller) and the one parse of the trust store that building it costs.
///
/// Per runtime, not per process: a connection's task runs on the runtime that opened it. A
/// Lambda function has one runtime (current-thread) and so one client, as before; but where a
/// process runs a current-thread runtime beside others (the cost benchmark runs the functions'
/// handlers on a thread of their own beside its harness), a shared pool handed the handlers
/// connections whose tasks ran on the other runtime: each request woke another thread, and
/// what its connection did (writing the request, reading and parsing the answer) was spent
/// there, out of the handlers' measured CPU. A current-thread runtime is told apart by the
/// thread it runs on; every multi-thread runtime of the process shares one client.
fn reqwest_client(timeouts: Timeouts) -> Result<reqwest::Client, String> {
    static CLIENTS: Mutex<Vec<((Timeouts, Runtime), reqwest::Client)>> = Mutex::new(Vec::new());
    let key = (timeouts, runtime());
    let mut clients = CLIENTS.lock().unwrap_or_else(|p| p.into_inner());
    if let Some((_, c)) = clients.iter().find(|(k, _)| *k == key) {
        return Ok(c.clone());
    }
    let mut builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .tls_certs_only(crate::tls::reqwest_roots());
    let (connect, read) = timeouts;
    if let Some(t) = connect {
        builder = builder.connect_timeout(t);
    }
    if let Some(t) = read {
        builder = builder.read_timeout(t);
    }
    let client = builder
        .build()
        .map_err(|e| format!("AWS HTTP client: {e}"))?;
    clients.push((key, client.clone()));
    Ok(client)
}

/// Which runtime a client's connections belong to: a current-thread runtime's thread, or
/// `None` for the process's multi-thread runtimes (and outside any runtime).
type Runtime = Option<std::thread::ThreadId>;

fn runtime() -> Runtime {
    let current_thread = tokio::runtime::Handle::try_current()
        .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::CurrentThread);
    current_thread.then(|| std::thread::current().id())
}

/// The client of the direct calls ([`crate::aws_json`]), the SDK connector's for `connect`
/// (each call sets its own attempt timeout).
pub fn direct_client(connect: Duration) -> Result<reqwest::Client, String> {
    reqwest_client((Some(connect), None))
}

impl HttpConnector for Connector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let client = self.client.clone();
        HttpConnectorFuture::new(async move {
            let client = client.map_err(|e| ConnectorError::user(e.into()))?;
            let response = client
                .execute(to_reqwest(&request)?)
                .await
                .map_err(classify)?;
            let status = StatusCode::try_from(response.status().as_u16())
                .map_err(|e| ConnectorError::other(e.into(), None))?;
            let headers: Vec<(String, String)> = response
                .headers()
                .iter()
                .filter_map(|(k, v)| Some((k.to_string(), v.to_str().ok()?.to_owned())))
                .collect();
            let body = response.bytes().await.map_err(classify)?;
            let mut out = HttpResponse::new(status, SdkBody::from(body));
            for (k, v) in headers {
                out.headers_mut().append(k, v);
            }
            Ok(out)
        })
    }
}

/// The SDK's request as reqwest's. Its bodies (JSON documents) are in memory.
fn to_reqwest(request: &HttpRequest) -> Result<reqwest::Request, ConnectorError> {
    let bad = |e: String| ConnectorError::user(e.into());
    let method = reqwest::Method::from_bytes(request.method().as_bytes())
        .map_err(|e| bad(format!("method: {e}")))?;
    let url = reqwest::Url::parse(request.uri()).map_err(|e| bad(format!("URI: {e}")))?;
    let mut out = reqwest::Request::new(method, url);
    for (k, v) in request.headers() {
        let name = reqwest::header::HeaderName::from_bytes(k.as_bytes())
            .map_err(|e| bad(format!("header name {k}: {e}")))?;
        let value = reqwest::header::HeaderValue::from_str(v)
            .map_err(|e| bad(format!("header {k}: {e}")))?;
        out.headers_mut().append(name, value);
    }
    let body = request
        .body()
        .bytes()
        .ok_or_else(|| bad("a streaming request body".into()))?;
    if !body.is_empty() {
        *out.body_mut() = Some(body.to_vec().into());
    }
    Ok(out)
}

/// Timeouts and I/O failures as the SDK's retry policy knows them (both retried).
fn classify(e: reqwest::Error) -> ConnectorError {
    if e.is_timeout() {
        ConnectorError::timeout(e.into())
    } else if e.is_connect() || e.is_request() || e.is_body() {
        ConnectorError::io(e.into())
    } else {
        ConnectorError::other(e.into(), None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_smithy_runtime_api::client::result::ConnectorError;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    fn request(uri: &str, body: &str) -> HttpRequest {
        let mut r = HttpRequest::new(SdkBody::from(body.to_owned()));
        r.set_method("POST").unwrap();
        r.set_uri(uri).unwrap();
        r.headers_mut()
            .insert("x-amz-target", "DynamoDB_20120810.GetItem");
        r
    }

    /// One connector per distinct timeouts; the one `client` built is reused.
    #[test]
    fn connectors_are_built_once_per_timeouts() {
        let client = Client::default();
        let three = (Some(Duration::from_secs(3)), None);
        client.connector(three);
        client.connector(three);
        client.connector((Some(Duration::from_secs(3)), Some(Duration::from_secs(1))));
        assert_eq!(client.connectors.lock().unwrap().len(), 2);
    }

    /// What the SDK sent reaches the server (method, path, headers, body); what the server
    /// answered reaches the SDK (status, headers, body).
    #[tokio::test]
    async fn a_call_carries_the_request_and_the_answer() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut seen = Vec::new();
            let mut buf = [0u8; 4096];
            while !String::from_utf8_lossy(&seen).contains("{\"Key\":1}") {
                let n = s.read(&mut buf).await.unwrap();
                assert!(n > 0, "the request ended early");
                seen.extend_from_slice(&buf[..n]);
            }
            let answer = "{\"Item\":2}";
            let head = format!(
                "HTTP/1.1 400 Bad Request\r\ncontent-type: application/x-amz-json-1.0\r\n\
                 x-amzn-requestid: R1\r\ncontent-length: {}\r\n\r\n",
                answer.len()
            );
            s.write_all(head.as_bytes()).await.unwrap();
            s.write_all(answer.as_bytes()).await.unwrap();
            String::from_utf8(seen).unwrap()
        });
        let connector = Client::default().connector((Some(Duration::from_secs(3)), None));
        let url = format!("http://{addr}/path?q=1");
        let response = connector.call(request(&url, "{\"Key\":1}")).await.unwrap();
        assert_eq!(response.status().as_u16(), 400);
        assert_eq!(response.headers().get("x-amzn-requestid"), Some("R1"));
        assert_eq!(response.body().bytes(), Some(&b"{\"Item\":2}"[..]));
        let seen = server.await.unwrap().to_ascii_lowercase();
        assert!(seen.starts_with("post /path?q=1 http/1.1\r\n"), "{seen}");
        assert!(
            seen.contains("x-amz-target: dynamodb_20120810.getitem\r\n"),
            "{seen}"
        );
        assert!(seen.contains("content-length: 9\r\n"), "{seen}");
    }

    /// A refused connection and a server that never answers are errors the SDK's standard
    /// retries retry (I/O, timeout), not failures of the call's input.
    #[tokio::test]
    async fn failures_are_classified_for_the_retry_policy() {
        let connector = Client::default().connector((Some(Duration::from_secs(3)), None));
        let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = closed.local_addr().unwrap();
        drop(closed);
        let refused: ConnectorError = connector
            .call(request(&format!("http://{addr}/"), "{}"))
            .await
            .unwrap_err();
        assert!(refused.is_io(), "{refused:?}");

        let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = silent.local_addr().unwrap();
        let slow = Client::default().connector((None, Some(Duration::from_millis(100))));
        let timed_out = slow
            .call(request(&format!("http://{addr}/"), "{}"))
            .await
            .unwrap_err();
        assert!(timed_out.is_timeout(), "{timed_out:?}");
        drop(silent);
    }

    /// Two current-thread runtimes (a Lambda handler's, beside a harness's) keep their
    /// connections apart; multi-thread runtimes share theirs.
    #[test]
    fn current_thread_runtimes_get_clients_of_their_own() {
        let on_own_thread = || {
            std::thread::spawn(|| {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .build()
                    .unwrap();
                rt.block_on(async { runtime() })
            })
            .join()
            .unwrap()
        };
        let (a, b) = (on_own_thread(), on_own_thread());
        assert!(a.is_some() && b.is_some() && a != b, "{a:?} {b:?}");
        let multi = || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .build()
                .unwrap();
            rt.block_on(async { tokio::spawn(async { runtime() }).await.unwrap() })
        };
        assert_eq!((multi(), multi()), (None, None));
        assert_eq!(runtime(), None, "outside any runtime");
    }
}
