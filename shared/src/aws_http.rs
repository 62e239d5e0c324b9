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

/// The HTTP client to give the SDK's configuration.
pub fn client() -> SharedHttpClient {
    SharedHttpClient::new(Client::default())
}

/// One connector (a reqwest client, with its connection pool) per distinct timeout settings;
/// the SDK asks for a connector per operation, with this process's settings each time.
#[derive(Debug, Default)]
struct Client {
    connectors: Mutex<Vec<(Timeouts, SharedHttpConnector)>>,
}

type Timeouts = (Option<Duration>, Option<Duration>);

impl HttpClient for Client {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        _components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        let key = (settings.connect_timeout(), settings.read_timeout());
        let mut connectors = self.connectors.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((_, c)) = connectors.iter().find(|(k, _)| *k == key) {
            return c.clone();
        }
        let connector = SharedHttpConnector::new(Connector::new(key));
        connectors.push((key, connector.clone()));
        connector
    }
}

#[derive(Debug)]
struct Connector {
    /// `Err`: the client could not be built (the trust store); every call answers that.
    client: Result<reqwest::Client, String>,
}

impl Connector {
    fn new((connect, read): Timeouts) -> Self {
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .tls_certs_only(crate::tls::reqwest_roots());
        if let Some(t) = connect {
            builder = builder.connect_timeout(t);
        }
        if let Some(t) = read {
            builder = builder.read_timeout(t);
        }
        Connector {
            client: builder.build().map_err(|e| format!("AWS HTTP client: {e}")),
        }
    }
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
