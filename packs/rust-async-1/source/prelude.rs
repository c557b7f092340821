use std::future::Future;
use std::pin::Pin;

/// What a server answered: its status code and its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    pub status: u16,
    pub body: String,
}

/// The request got no answer at all (connection refused or reset, name not resolved...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportError(pub String);

/// The future `HttpClient::get` returns.
pub type GetFuture<'a> = Pin<Box<dyn Future<Output = Result<HttpResponse, TransportError>> + Send + 'a>>;

/// A minimal asynchronous HTTP client.
pub trait HttpClient: Send + Sync {
    /// Sends a GET request to `url`.
    fn get<'a>(&'a self, url: &'a str) -> GetFuture<'a>;
}
