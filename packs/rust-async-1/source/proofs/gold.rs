use crate::{HttpClient, TransportError};
use futures::stream::{self, StreamExt};
use std::fmt;
use std::time::Duration;

/// Why fetching one URL failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchError {
    /// No answer within the 10 s timeout.
    Timeout,
    /// The server answered with a status outside 2xx.
    Status(u16),
    /// The request failed before any answer.
    Transport(String),
}

impl fmt::Display for FetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FetchError::Timeout => write!(f, "no answer within 10 s"),
            FetchError::Status(code) => write!(f, "HTTP status {}", code),
            FetchError::Transport(message) => write!(f, "transport error: {}", message),
        }
    }
}

impl std::error::Error for FetchError {}

const MAX_IN_FLIGHT: usize = 4;
const BACKOFF_MS: [u64; 3] = [250, 500, 1000];
const TIMEOUT: Duration = Duration::from_secs(10);

/// Fetches every URL with at most four requests in flight, retrying a failed request up to
/// three times (after 250, 500 and 1000 ms), and returns the results in the order of `urls`.
pub async fn fetch_all<C: HttpClient>(client: &C, urls: Vec<String>) -> Vec<Result<String, FetchError>> {
    stream::iter(urls)
        .map(|url| async move { fetch_one(client, &url).await })
        .buffered(MAX_IN_FLIGHT)
        .collect()
        .await
}

async fn fetch_one<C: HttpClient>(client: &C, url: &str) -> Result<String, FetchError> {
    let mut attempt = 0;
    loop {
        let error = match tokio::time::timeout(TIMEOUT, client.get(url)).await {
            Err(_) => FetchError::Timeout,
            Ok(Err(TransportError(message))) => FetchError::Transport(message),
            Ok(Ok(response)) if (200..300).contains(&response.status) => return Ok(response.body),
            Ok(Ok(response)) => FetchError::Status(response.status),
        };
        if attempt == BACKOFF_MS.len() {
            return Err(error);
        }
        tokio::time::sleep(Duration::from_millis(BACKOFF_MS[attempt])).await;
        attempt += 1;
    }
}
