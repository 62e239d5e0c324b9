//! A typed client of Hookline's API, generated from the repository's `openapi.json` when this
//! crate builds (progenitor, from `build.rs`): one builder per operation on [`Client`]
//! (`client.webhooks_create().body(..).send()`), one type per schema in [`types`], and errors
//! as [`Error`], whose `ErrorResponse` carries the API's JSON error body ([`types::ErrorOut`]).
//!
//! By hand, only what the generator cannot know: [`connect`] (a client with the API key on
//! every request), [`paged`] (a cursor-paged listing as a stream) and [`patch_json`] (a
//! `PATCH` that sets a field to `null`, which the generated builders cannot say).

/// What progenitor made, exactly (not linted: it is not written here).
#[allow(clippy::all, clippy::pedantic, rustdoc::all)]
mod generated {
    include!(concat!(env!("OUT_DIR"), "/codegen.rs"));
}
pub use generated::*;

use futures::Stream;

/// A client of the API at `base_url` that sends `key` (an API key or a portal session's
/// token) as `Authorization: Bearer` on every request.
pub fn connect(base_url: &str, key: &str) -> Result<Client, String> {
    let mut headers = reqwest::header::HeaderMap::new();
    let mut auth = reqwest::header::HeaderValue::from_str(&format!("Bearer {key}"))
        .map_err(|_| "the key is not a valid header value".to_string())?;
    // Kept out of any debug output of the requests.
    auth.set_sensitive(true);
    headers.insert(reqwest::header::AUTHORIZATION, auth);
    let http = reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .map_err(|e| e.to_string())?;
    Ok(Client::new_with_client(
        base_url.trim_end_matches('/'),
        http,
    ))
}

/// Every item of a cursor-paged listing, page after page, as a stream: `page(cursor)` asks for
/// one page from `cursor` (`None`: the first) and answers its items and `next_cursor`. The
/// stream ends after the last page, or with the first error.
pub fn paged<T, E, F, Fut>(page: F) -> impl Stream<Item = Result<T, E>>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: std::future::Future<Output = Result<(Vec<T>, Option<String>), E>>,
{
    // State: the fetcher, the cursor of the next page (`None` once done), items in hand.
    let start = (
        page,
        Some(None::<String>),
        std::collections::VecDeque::<T>::new(),
    );
    futures::stream::unfold(start, |(mut page, mut next, mut items)| async move {
        loop {
            if let Some(item) = items.pop_front() {
                return Some((Ok(item), (page, next, items)));
            }
            let cursor = next.take()?;
            match page(cursor).await {
                Ok((got, more)) => {
                    items.extend(got);
                    next = more.map(Some);
                }
                Err(e) => return Some((Err(e), (page, None, items))),
            }
        }
    })
}

/// `PATCH path` (`/v1/settings`, `/v1/webhooks/{id}`, ...) with `body` as given, answered as
/// `T`. The generated builders leave out a field that is `None`, so they cannot send the
/// `null` that means "remove it" or "back to the default" (`{"retention_days": null}`,
/// `{"auth": null}`); this sends exactly the JSON it is given. The API's refusal comes back as
/// `Error::ErrorResponse` with its JSON error body, as from a generated call.
pub async fn patch_json<T: serde::de::DeserializeOwned>(
    client: &Client,
    path: &str,
    body: &serde_json::Value,
) -> Result<T, Error<types::ErrorOut>> {
    let url = format!("{}{}", client.baseurl(), path);
    let response = client
        .client()
        .patch(url)
        .json(body)
        .send()
        .await
        .map_err(Error::CommunicationError)?;
    let (status, headers) = (response.status(), response.headers().clone());
    let bytes = response.bytes().await.map_err(Error::ResponseBodyError)?;
    if status.is_success() {
        serde_json::from_slice(&bytes).map_err(|e| Error::InvalidResponsePayload(bytes, e))
    } else {
        let refused: types::ErrorOut = serde_json::from_slice(&bytes)
            .map_err(|e| Error::InvalidResponsePayload(bytes.clone(), e))?;
        Err(Error::ErrorResponse(ResponseValue::new(
            refused, status, headers,
        )))
    }
}
