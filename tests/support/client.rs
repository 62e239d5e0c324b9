//! The API two ways: [`Api::typed`], the generated client (`hookline_client`) against the app
//! served on loopback, for every request a test means to be well-formed; and [`Api::call`],
//! raw `(status, JSON)` in process, for input that is bad on purpose, headers the client does
//! not send, and what is not an API answer (the page, `openapi.json`). Every raw call is held
//! to `openapi.json` too ([`crate::contract`]).

use std::future::IntoFuture;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use http::{Request, StatusCode};
use serde_json::Value;
use tower::ServiceExt;

use hookline::backend::Hookline;

#[derive(Clone)]
pub struct Api {
    pub app: Hookline,
    router: Router,
    /// Where the API is served for [`Api::typed`], once asked.
    served: Arc<tokio::sync::OnceCell<String>>,
}

impl Api {
    pub fn new(app: Hookline) -> Self {
        Api {
            router: hookline::api::router(app.clone()),
            app,
            served: Arc::default(),
        }
    }

    /// The generated client (`hookline_client`) sending `key`, against this app's API served
    /// on a loopback port for the test: the API alone, no delivery worker, so a test that
    /// drains the queue itself still decides when deliveries happen.
    pub async fn typed(&self, key: &str) -> hookline_client::Client {
        let base = self
            .served
            .get_or_init(|| async {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                let addr = listener.local_addr().unwrap();
                tokio::spawn(axum::serve(listener, self.router.clone()).into_future());
                format!("http://{addr}")
            })
            .await;
        hookline_client::connect(base, key).unwrap()
    }

    pub async fn call(
        &self,
        method: &str,
        path: &str,
        key: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let raw = body.map(|b| b.to_string());
        self.call_raw(method, path, key, raw.as_deref(), &[]).await
    }

    /// A call that must be answered exactly `status`; its JSON answer.
    pub async fn expect(
        &self,
        status: u16,
        method: &str,
        path: &str,
        key: &str,
        body: Option<Value>,
    ) -> Value {
        let (s, v) = self.call(method, path, Some(key), body).await;
        assert_eq!(s.as_u16(), status, "{method} {path}: {v}");
        v
    }

    pub async fn call_raw(
        &self,
        method: &str,
        path: &str,
        key: Option<&str>,
        body: Option<&str>,
        headers: &[(&str, &str)],
    ) -> (StatusCode, Value) {
        let (status, _, value) = self.call_full(method, path, key, body, headers).await;
        (status, value)
    }

    /// Like [`Self::call_raw`], with the answer's headers.
    pub async fn call_full(
        &self,
        method: &str,
        path: &str,
        key: Option<&str>,
        body: Option<&str>,
        headers: &[(&str, &str)],
    ) -> (StatusCode, http::HeaderMap, Value) {
        let mut req = Request::builder().method(method).uri(path);
        if let Some(k) = key {
            req = req.header("authorization", format!("Bearer {k}"));
        }
        if body.is_some() {
            req = req.header("content-type", "application/json");
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let req = req
            .body(Body::from(body.unwrap_or("").to_string()))
            .unwrap();
        let resp = self.router.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .unwrap();
        let value = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or(Value::String(String::from_utf8_lossy(&bytes).into()))
        };
        crate::contract::check(method, path, body, status.as_u16(), &value);
        (status, headers, value)
    }
}

/// The fields a validation error names, in its order (`error.errors[].field`).
pub fn error_fields(v: &Value) -> Vec<&str> {
    v["error"]["errors"]
        .as_array()
        .map(|errors| errors.iter().filter_map(|e| e["field"].as_str()).collect())
        .unwrap_or_default()
}

/// The answer of a call through the generated client that must succeed.
pub async fn ok<T, E: std::fmt::Debug>(
    call: impl std::future::Future<
        Output = Result<hookline_client::ResponseValue<T>, hookline_client::Error<E>>,
    >,
) -> T {
    call.await.unwrap_or_else(|e| panic!("{e:?}")).into_inner()
}

/// The status and JSON error body of a call through the generated client that must be
/// refused (any success fails the test).
pub async fn refused<T: std::fmt::Debug>(
    call: impl std::future::Future<
        Output = Result<
            hookline_client::ResponseValue<T>,
            hookline_client::Error<hookline_client::types::ErrorOut>,
        >,
    >,
) -> (u16, hookline_client::types::ErrorOut) {
    match call.await {
        Ok(v) => panic!("accepted: {:?}", v.into_inner()),
        Err(hookline_client::Error::ErrorResponse(r)) => (r.status().as_u16(), r.into_inner()),
        Err(e) => panic!("not an API error: {e:?}"),
    }
}

/// A request body of the generated client's types, written as JSON.
pub fn body<T: serde::de::DeserializeOwned>(v: Value) -> T {
    serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("not a request body: {e}: {v}"))
}
