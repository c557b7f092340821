use futures::future::join_all;
use std::error::Error;
use std::fmt::{self, Display, Formatter};
use tokio::sync::Semaphore;
use tokio::time::{sleep, timeout, Duration};

/// What can go wrong with one URL.
#[derive(Debug)]
pub enum FetchError {
    /// The server did not answer in time.
    TimedOut,
    /// A non-2xx answer.
    HttpStatus { code: u16 },
    /// Connection-level failure.
    Network(String),
}

impl Display for FetchError {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Self::TimedOut => f.write_str("timed out"),
            Self::HttpStatus { code } => write!(f, "status {code}"),
            Self::Network(why) => write!(f, "network: {why}"),
        }
    }
}

impl Error for FetchError {}

/// Fetches all `urls` concurrently (at most 4 at a time) with retries and backoff.
///
/// The results keep the order of `urls`.
pub async fn fetch_all<C>(client: &C, urls: Vec<String>) -> Vec<Result<String, FetchError>>
where
    C: HttpClient,
{
    let permits = Semaphore::new(4);
    let permits = &permits;
    join_all(urls.iter().map(|url| async move {
        let _permit = permits.acquire().await.map_err(|e| FetchError::Network(e.to_string()))?;
        fetch_with_retries(client, url).await
    }))
    .await
}

async fn fetch_with_retries<C: HttpClient>(client: &C, url: &str) -> Result<String, FetchError> {
    let mut delay = Duration::from_millis(250);
    let mut retries = 0;
    loop {
        let failure = match timeout(Duration::from_secs(10), client.get(url)).await {
            Ok(Ok(response)) if response.status / 100 == 2 => return Ok(response.body),
            Ok(Ok(response)) => FetchError::HttpStatus { code: response.status },
            Ok(Err(error)) => FetchError::Network(error.0),
            Err(_) => FetchError::TimedOut,
        };
        if retries == 3 {
            return Err(failure);
        }
        sleep(delay).await;
        delay *= 2;
        retries += 1;
    }
}
