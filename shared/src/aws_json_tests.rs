//! The direct calls against a local server that records what it was sent and answers what
//! each test gives it: the signature, recomputed here from the SigV4 specification; the
//! retries, and what a failure is reported as.

use std::sync::{Arc, Mutex};

use hmac::{KeyInit, Mac};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::*;

/// What the server received: the request head's lines and the body.
#[derive(Clone, Debug)]
struct Received {
    head: Vec<String>,
    body: Vec<u8>,
}

impl Received {
    fn header(&self, name: &str) -> Option<&str> {
        self.head.iter().skip(1).find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }
}

/// A server answering each request with the next of `answers` (the last one repeated).
async fn server(answers: Vec<(u16, &'static str)>) -> (String, Arc<Mutex<Vec<Received>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        for n in 0.. {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut bytes = Vec::new();
            let mut buf = [0u8; 4096];
            let (head, body) = loop {
                let read = socket.read(&mut buf).await.unwrap();
                bytes.extend_from_slice(&buf[..read]);
                let Some(end) = bytes.windows(4).position(|w| w == b"\r\n\r\n") else {
                    continue;
                };
                let head: Vec<String> = String::from_utf8_lossy(&bytes[..end])
                    .lines()
                    .map(String::from)
                    .collect();
                let length: usize = head
                    .iter()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .map(|v| v.trim().parse().unwrap())
                    })
                    .unwrap_or(0);
                while bytes.len() < end + 4 + length {
                    let read = socket.read(&mut buf).await.unwrap();
                    bytes.extend_from_slice(&buf[..read]);
                }
                break (head, bytes[end + 4..end + 4 + length].to_vec());
            };
            log.lock().unwrap().push(Received { head, body });
            let (status, text) = answers[n.min(answers.len() - 1)];
            let answer = format!(
                "HTTP/1.1 {status} X\r\ncontent-type: application/x-amz-json-1.0\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{text}",
                text.len()
            );
            socket.write_all(answer.as_bytes()).await.unwrap();
        }
    });
    (url, seen)
}

fn api(url: &str, token: Option<&str>) -> JsonApi {
    let creds = Credentials::new(
        "AKIDEXAMPLE",
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        token.map(String::from),
        None,
        "test",
    );
    let sdk = aws_types::SdkConfig::builder()
        .region(aws_types::region::Region::new("eu-west-1"))
        .credentials_provider(SharedCredentialsProvider::new(creds))
        .endpoint_url(url)
        .build();
    let http = crate::aws_http::direct_client(Duration::from_secs(2)).unwrap();
    let mut api = JsonApi::new(&sdk, http, Duration::from_secs(5), "sqs", "AmazonSQS.").unwrap();
    api.backoff = Duration::from_millis(1);
    api
}

fn hmac(key: &[u8], data: &str) -> Vec<u8> {
    let mut mac = hmac::Hmac::<Sha256>::new_from_slice(key).unwrap();
    mac.update(data.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The signature of `r` as the SigV4 specification computes it, from the headers it names.
fn expected_signature(r: &Received, secret: &str, region: &str, service: &str) -> String {
    let auth = r.header("authorization").unwrap();
    let signed = auth
        .split("SignedHeaders=")
        .nth(1)
        .unwrap()
        .split(',')
        .next()
        .unwrap();
    let date = r.header("x-amz-date").unwrap();
    let canonical_headers: String = signed
        .split(';')
        .map(|h| {
            format!(
                "{h}:{}\n",
                r.header(h).unwrap_or_else(|| panic!("signed {h} not sent"))
            )
        })
        .collect();
    let (method, path) = {
        let mut first = r.head[0].split(' ');
        (
            first.next().unwrap().to_string(),
            first.next().unwrap().to_string(),
        )
    };
    let canonical = format!(
        "{method}\n{path}\n\n{canonical_headers}\n{signed}\n{}",
        hex(&Sha256::digest(&r.body))
    );
    let scope = format!("{}/{region}/{service}/aws4_request", &date[..8]);
    let to_sign = format!(
        "AWS4-HMAC-SHA256\n{date}\n{scope}\n{}",
        hex(&Sha256::digest(canonical.as_bytes()))
    );
    let mut key = hmac(format!("AWS4{secret}").as_bytes(), &date[..8]);
    for part in [region, service, "aws4_request"] {
        key = hmac(&key, part);
    }
    hex(&hmac(&key, &to_sign))
}

#[tokio::test]
async fn a_call_is_signed_by_the_specification_and_answered() {
    let (url, seen) = server(vec![(200, r#"{"Successful":[{"Id":"0"}]}"#)]).await;
    let api = api(&url, Some("session-token"));
    let answer: serde_json::Value = api
        .call("SendMessageBatch", &serde_json::json!({"QueueUrl": "q"}))
        .await
        .unwrap();
    assert_eq!(answer["Successful"][0]["Id"], "0");
    let r = seen.lock().unwrap()[0].clone();
    assert_eq!(r.head[0], "POST / HTTP/1.1");
    assert_eq!(r.header("x-amz-target"), Some("AmazonSQS.SendMessageBatch"));
    assert_eq!(r.header("content-type"), Some("application/x-amz-json-1.0"));
    assert_eq!(r.header("x-amz-security-token"), Some("session-token"));
    assert_eq!(r.body, br#"{"QueueUrl":"q"}"#);
    let auth = r.header("authorization").unwrap();
    let date = r.header("x-amz-date").unwrap();
    assert!(
        auth.starts_with(&format!(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/{}/eu-west-1/sqs/aws4_request, SignedHeaders=",
            &date[..8]
        )),
        "{auth}"
    );
    for h in [
        "content-type",
        "host",
        "x-amz-date",
        "x-amz-security-token",
        "x-amz-target",
    ] {
        assert!(auth.contains(h), "{h} is not signed: {auth}");
    }
    let signature = auth.rsplit("Signature=").next().unwrap();
    assert_eq!(
        signature,
        expected_signature(
            &r,
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            "eu-west-1",
            "sqs"
        )
    );
}

#[tokio::test]
async fn throttling_is_retried_and_then_reported_unavailable() {
    let throttled = r#"{"__type":"com.amazonaws.sqs#ThrottlingException","message":"slow down"}"#;
    let (url, seen) = server(vec![(400, throttled)]).await;
    let e = api(&url, None)
        .call::<_, serde_json::Value>("SendMessageBatch", &())
        .await
        .unwrap_err();
    assert_eq!(seen.lock().unwrap().len(), ATTEMPTS as usize);
    assert!(e.unavailable, "{e:?}");
    assert!(
        e.source
            .to_string()
            .contains("ThrottlingException: slow down"),
        "{e:?}"
    );
}

#[tokio::test]
async fn a_server_error_is_retried_until_an_answer() {
    let (url, seen) = server(vec![(500, r#"{"__type":"InternalError"}"#), (200, "{}")]).await;
    let answer: serde_json::Value = api(&url, None).call("SendMessageBatch", &()).await.unwrap();
    assert_eq!(answer, serde_json::json!({}));
    assert_eq!(seen.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn a_refused_request_is_not_retried() {
    let invalid =
        r#"{"__type":"com.amazonaws.sqs#InvalidParameterValue","message":"no such queue"}"#;
    let (url, seen) = server(vec![(400, invalid)]).await;
    let e = api(&url, None)
        .call::<_, serde_json::Value>("SendMessageBatch", &())
        .await
        .unwrap_err();
    assert_eq!(seen.lock().unwrap().len(), 1);
    assert!(!e.unavailable, "{e:?}");
    assert!(
        e.source
            .to_string()
            .contains("400 InvalidParameterValue: no such queue"),
        "{e:?}"
    );
}

#[tokio::test]
async fn no_answer_is_retried_and_then_reported_unavailable() {
    // A port nothing listens on: every attempt is refused.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let e = api(&url, None)
        .call::<_, serde_json::Value>("SendMessageBatch", &())
        .await
        .unwrap_err();
    assert!(e.unavailable, "{e:?}");
    assert!(e.source.to_string().contains("no answer"), "{e:?}");
}

/// A refusal says whether an earlier attempt may have been carried out: after a 5xx it may
/// (its write may be what the condition found), on a first attempt it was not.
#[tokio::test]
async fn a_refusal_says_whether_an_earlier_attempt_may_have_landed() {
    let refused = r#"{"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException","Item":{"PK":{"S":"a"}}}"#;
    let code = "ConditionalCheckFailedException";
    for (answers, after_lost_answer) in [
        (vec![(400, refused)], false),
        (
            vec![(500, r#"{"__type":"InternalServerError"}"#), (400, refused)],
            true,
        ),
    ] {
        let (url, _) = server(answers).await;
        let answer = api(&url, None)
            .call_unless::<_, serde_json::Value>("PutItem", &(), code)
            .await
            .unwrap();
        let Err(r) = answer else { panic!("refused") };
        assert_eq!(r.after_lost_answer, after_lost_answer);
        assert_eq!(r.detail["Item"]["PK"]["S"], "a");
    }
}
