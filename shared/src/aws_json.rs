//! Direct calls to an AWS API of the JSON protocol (`x-amz-json-1.0`: SQS, DynamoDB), for the
//! calls on the publish path. The SDK's orchestration of one call (its configuration layers,
//! interceptors, identity cache, endpoint rules, and retry and timeout wrappers) was most of
//! what sending a batch to SQS cost the API function (docs/benchmarks.md); a call here is a
//! JSON body, a SigV4 signature (the SDK's own signer, `aws-sigv4`), one POST through the
//! same reqwest client, and the SDK's standard retries: three attempts, a jittered backoff
//! after throttling, a 5xx or a transport failure.

use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::fault::BackendError;

/// Attempts per call, as the SDK's standard retry mode makes them.
const ATTEMPTS: u32 = 3;
/// The backoff before a retry: a random share of this, doubled per attempt, as the SDK's.
const BACKOFF: Duration = Duration::from_secs(1);
/// Error codes worth another attempt besides throttling (which `fault` knows) and any 5xx.
const TRANSIENT: [&str; 4] = [
    "RequestTimeout",
    "InternalError",
    "InternalServerError",
    "ServiceUnavailable",
];
/// Credentials that expire within this are fetched again first.
const REFRESH_BEFORE: Duration = Duration::from_secs(300);

/// One AWS service's JSON API: where it is, how requests to it are signed and named.
pub struct JsonApi {
    http: reqwest::Client,
    /// Parsed once: reqwest would parse a string again for every request (a profile of the
    /// API's batch publish found the two parses of each call's URL at 3 % of its samples).
    endpoint: reqwest::Url,
    region: String,
    /// The signing name (`sqs`, `dynamodb`).
    service: &'static str,
    /// What `X-Amz-Target` starts with (`AmazonSQS.`, `DynamoDB_20120810.`).
    target: &'static str,
    credentials: SharedCredentialsProvider,
    cached: Mutex<Option<Credentials>>,
    /// How long one attempt may take, its answer read.
    attempt: Duration,
    /// [`BACKOFF`], shorter in tests.
    backoff: Duration,
}

/// A refusal with the error code the caller named: the error's JSON body, and whether an
/// earlier attempt of the same call may have taken effect (its answer lost: no answer, or a
/// 5xx), in which case what the refusal found may be that attempt's own write.
pub struct Refused {
    pub detail: serde_json::Value,
    pub after_lost_answer: bool,
}

/// Why one attempt failed, and whether another may succeed.
struct Failure {
    /// The service's error code, when it answered with one.
    code: String,
    /// The error's whole JSON body (`Null` without one): a refusal may carry more.
    detail: serde_json::Value,
    message: String,
    retry: bool,
    throttled: bool,
    /// The request may have been carried out (no answer, a 5xx).
    maybe_done: bool,
}

impl Failure {
    /// A failure without an answer from the service: no error code, no body.
    fn unanswered(message: String, retry: bool, maybe_done: bool) -> Self {
        Failure {
            code: String::new(),
            detail: serde_json::Value::Null,
            message,
            retry,
            throttled: false,
            maybe_done,
        }
    }
}

impl JsonApi {
    /// The API of `service` as `sdk` configures the SDK's clients: its region, credentials
    /// and endpoint (an emulator's), else `https://{host}.{region}.amazonaws.com`.
    pub fn new(
        sdk: &aws_types::SdkConfig,
        http: reqwest::Client,
        attempt: Duration,
        service: &'static str,
        target: &'static str,
    ) -> Result<Self, String> {
        let missing = |what: &str| format!("the AWS configuration has no {what}");
        let region = sdk.region().ok_or_else(|| missing("region"))?.to_string();
        let endpoint = match sdk.endpoint_url() {
            Some(url) => url.trim_end_matches('/').to_string(),
            None => {
                let domain = match region.starts_with("cn-") {
                    true => "amazonaws.com.cn",
                    false => "amazonaws.com",
                };
                format!("https://{service}.{region}.{domain}")
            }
        };
        let endpoint = reqwest::Url::parse(&endpoint)
            .map_err(|e| format!("the {service} endpoint {endpoint:?}: {e}"))?;
        Ok(JsonApi {
            http,
            endpoint,
            region,
            service,
            target,
            credentials: sdk
                .credentials_provider()
                .ok_or_else(|| missing("credentials"))?,
            cached: Mutex::new(None),
            attempt,
            backoff: BACKOFF,
        })
    }

    /// Calls `operation` with `input`; its answer, or why not after the retries.
    pub async fn call<I: Serialize, O: DeserializeOwned>(
        &self,
        operation: &str,
        input: &I,
    ) -> Result<O, BackendError> {
        match self.call_with(operation, input, None).await? {
            Ok(answer) => Ok(answer),
            Err(_) => unreachable!("no refusal code was given, so none is a refusal"),
        }
    }

    /// [`Self::call`], but [`Refused`] when the service refuses with the error code
    /// `refusal` (a condition that did not hold): an answer, not a failure.
    pub async fn call_unless<I: Serialize, O: DeserializeOwned>(
        &self,
        operation: &str,
        input: &I,
        refusal: &str,
    ) -> Result<Result<O, Refused>, BackendError> {
        self.call_with(operation, input, Some(refusal)).await
    }

    async fn call_with<I: Serialize, O: DeserializeOwned>(
        &self,
        operation: &str,
        input: &I,
        refusal: Option<&str>,
    ) -> Result<Result<O, Refused>, BackendError> {
        let body = serde_json::to_vec(input).map_err(|e| self.fail(format!("{e}")))?;
        let mut attempt = 0;
        let mut after_lost_answer = false;
        loop {
            let failure = match self.attempt(operation, &body).await {
                Ok(answer) => {
                    return serde_json::from_slice(&answer)
                        .map(Ok)
                        .map_err(|e| self.fail(format!("{operation}: unexpected answer: {e}")));
                }
                Err(f) if refusal == Some(f.code.as_str()) => {
                    let detail = f.detail;
                    return Ok(Err(Refused {
                        detail,
                        after_lost_answer,
                    }));
                }
                Err(f) => f,
            };
            after_lost_answer |= failure.maybe_done;
            attempt += 1;
            if !failure.retry || attempt >= ATTEMPTS {
                let message = format!("{operation}: {}", failure.message);
                return Err(match failure.throttled || failure.retry {
                    true => BackendError::unavailable(self.service, message),
                    false => self.fail(message),
                });
            }
            let cap = self.backoff * 2u32.pow(attempt - 1);
            tokio::time::sleep(cap.mul_f64(rand::random::<f64>())).await;
        }
    }

    fn fail(&self, message: String) -> BackendError {
        BackendError::new(self.service, message)
    }

    async fn attempt(&self, operation: &str, body: &[u8]) -> Result<Vec<u8>, Failure> {
        let target = format!("{}{operation}", self.target);
        let headers = [
            ("content-type", "application/x-amz-json-1.0"),
            ("x-amz-target", target.as_str()),
        ];
        let signed = self.sign(&headers, body).await?;
        let mut request = self
            .http
            .post(self.endpoint.clone())
            .timeout(self.attempt)
            .body(body.to_vec());
        for (name, value) in headers
            .iter()
            .copied()
            .chain(signed.iter().map(|(n, v)| (n.as_str(), v.as_str())))
        {
            request = request.header(name, value);
        }
        // A connection refused before the request was sent: not carried out.
        let transport = |e: reqwest::Error| {
            Failure::unanswered(format!("no answer: {e}"), true, !e.is_connect())
        };
        let answer = request.send().await.map_err(transport)?;
        let status = answer.status();
        let bytes = answer.bytes().await.map_err(transport)?;
        if status.is_success() {
            return Ok(bytes.to_vec());
        }
        Err(error_of(status.as_u16(), &bytes))
    }

    /// The headers that sign a POST of `body` with `headers` (date, token, authorization).
    async fn sign(
        &self,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<Vec<(String, String)>, Failure> {
        let unsigned = |message: String| Failure::unanswered(message, false, false);
        let identity: Identity = self.credentials().await.map_err(unsigned)?.into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name(self.service)
            .time(SystemTime::now())
            .settings(SigningSettings::default())
            .build()
            .map_err(|e| unsigned(format!("signing: {e}")))?
            .into();
        let request = SignableRequest::new(
            "POST",
            self.endpoint.as_str(),
            headers.iter().copied(),
            SignableBody::Bytes(body),
        )
        .map_err(|e| unsigned(format!("signing: {e}")))?;
        let (instructions, _) = sign(request, &params)
            .map_err(|e| unsigned(format!("signing: {e}")))?
            .into_parts();
        Ok(instructions
            .headers()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect())
    }

    /// The credentials, fetched again when they expire within [`REFRESH_BEFORE`].
    async fn credentials(&self) -> Result<Credentials, String> {
        let fresh = |c: &Credentials| {
            c.expiry()
                .is_none_or(|t| t > SystemTime::now() + REFRESH_BEFORE)
        };
        if let Some(c) = self
            .cached
            .lock()
            .expect("not poisoned")
            .as_ref()
            .filter(|c| fresh(c))
        {
            return Ok(c.clone());
        }
        let c = self
            .credentials
            .provide_credentials()
            .await
            .map_err(|e| format!("no AWS credentials: {e}"))?;
        *self.cached.lock().expect("not poisoned") = Some(c.clone());
        Ok(c)
    }
}

/// An error answer: its code (`__type` after the `#`), message, and whether to try again.
fn error_of(status: u16, body: &[u8]) -> Failure {
    let detail: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    let text = |key: &str| detail.get(key).and_then(|v| v.as_str());
    let kind = text("__type").unwrap_or_default();
    let code = kind.rsplit('#').next().unwrap_or_default().to_string();
    let message = match text("message").or_else(|| text("Message")) {
        Some(m) => m.to_string(),
        None if detail.is_null() => String::from_utf8_lossy(body).chars().take(200).collect(),
        None => String::new(),
    };
    let throttled = crate::fault::is_throttling(&code);
    Failure {
        message: format!("{status} {code}: {message}"),
        retry: throttled || status >= 500 || TRANSIENT.contains(&code.as_str()),
        throttled,
        maybe_done: status >= 500,
        code,
        detail,
    }
}

#[cfg(test)]
#[path = "aws_json_tests.rs"]
mod tests;
