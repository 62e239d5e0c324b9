//! The direct calls against a local server that records what it was sent and answers what
//! each test gives it: the signature, recomputed here from the SigV4 specification; the
//! retries, and what a failure is reported as.

use hmac::{KeyInit, Mac};
use sha2::{Digest, Sha256};

use super::*;
use crate::test_server::{Received, server};

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
