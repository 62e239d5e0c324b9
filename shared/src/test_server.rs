//! A local HTTP/1.1 server for unit tests: it records each request (head and body) and
//! answers with the status and body each test gives it, one connection per request. The
//! direct AWS calls' tests and the delivery worker's use it.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// What the server received: the request head's lines and the body.
#[derive(Clone, Debug)]
pub(crate) struct Received {
    pub(crate) head: Vec<String>,
    pub(crate) body: Vec<u8>,
}

impl Received {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.head.iter().skip(1).find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }
}

/// A server answering each request with the next of `answers` (the last one repeated).
pub(crate) async fn server(
    answers: Vec<(u16, &'static str)>,
) -> (String, Arc<Mutex<Vec<Received>>>) {
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
