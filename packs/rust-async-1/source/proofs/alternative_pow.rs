#![forbid(unsafe_code)]

use futures::StreamExt;
use std::fmt;

/// Errors returned by [`fetch_all`].
#[derive(Debug, PartialEq)]
pub enum FetchError {
    /// The request took longer than 10 seconds.
    RequestTimeout,
    /// The server answered with a non-success status.
    BadStatus(u16),
    /// The connection failed.
    Connection(TransportError),
}

impl fmt::Display for FetchError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            FetchError::RequestTimeout => write!(f, "request timed out"),
            FetchError::BadStatus(s) => write!(f, "unexpected status {}", s),
            FetchError::Connection(e) => write!(f, "connection failed: {}", e.0),
        }
    }
}

impl ::std::error::Error for FetchError {}

/// Downloads the bodies of `urls`, four at a time, in order.
pub async fn fetch_all<C: HttpClient>(client: &C, urls: Vec<String>) -> Vec<Result<String, FetchError>> {
    futures::stream::iter(urls.into_iter().map(|url| async move { get_with_retry(client, url).await }))
        .buffered(4)
        .collect::<Vec<_>>()
        .await
}

async fn get_with_retry<C: HttpClient>(client: &C, url: String) -> Result<String, FetchError> {
    let mut last = FetchError::RequestTimeout;
    for attempt in 0..4u32 {
        if attempt > 0 {
            let backoff = 250 * 2u64.pow(attempt - 1);
            tokio::time::sleep(std::time::Duration::from_millis(backoff)).await;
        }
        last = match tokio::time::timeout(std::time::Duration::from_millis(10_000), client.get(&url)).await {
            Ok(Ok(HttpResponse { status: 200..=299, body })) => return Ok(body),
            Ok(Ok(HttpResponse { status, .. })) => FetchError::BadStatus(status),
            Ok(Err(e)) => FetchError::Connection(e),
            Err(_elapsed) => FetchError::RequestTimeout,
        };
    }
    Err(last)
}
