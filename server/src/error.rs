//! Error answers in Twilio's shape: `{"code", "message", "more_info", "status"}`. Errors of
//! the service come from core's single error table (`watchword_core::Error`: Twilio code,
//! HTTP status); the server adds only its own HTTP-level ones (authentication, unknown paths,
//! request bodies). `error` names the kind, for errors Twilio has no code for (a locked
//! factor, a conflict, a store failure).

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use watchword_core::{Error, Invalid};

/// Twilio's "Authenticate" error (HTTP 401).
pub const TWILIO_AUTHENTICATE: u32 = 20003;
/// Twilio's "resource not found" error (HTTP 404).
pub const TWILIO_NOT_FOUND: u32 = 20404;
/// Twilio's "Too Many Requests" error (HTTP 429).
pub const TWILIO_TOO_MANY_REQUESTS: u32 = 20429;

/// Sets `Retry-After` to the whole seconds of `wait`, rounded up.
pub fn retry_after(response: &mut Response, wait: std::time::Duration) {
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
}

/// An error answer.
#[derive(Debug)]
pub enum ApiError {
    /// A failure of the service (core's table gives code and status).
    Core(Error),
    /// Missing or wrong credentials.
    Unauthorized,
    /// No such resource or path.
    NotFound,
    /// The request body is larger than the limit.
    TooLarge(usize),
    /// The request could not be carried out (a task failed); nothing more is said.
    Internal,
    /// Too many failed authentications from this address; wait this long.
    TooManyFailures(std::time::Duration),
}

impl From<Error> for ApiError {
    fn from(e: Error) -> ApiError {
        ApiError::Core(e)
    }
}

/// An invalid-parameter error naming the parameter and what it allows.
pub fn invalid(name: &'static str, expected: &'static str) -> ApiError {
    ApiError::Core(Error::InvalidParameter(Invalid::Parameter { name, expected }))
}

fn body(code: Option<u32>, message: String, status: u16, kind: &str) -> Value {
    json!({
        "code": code,
        "message": message,
        "more_info": code.map(|c| format!("https://www.twilio.com/docs/errors/{c}")),
        "status": status,
        "error": kind,
    })
}

impl ApiError {
    /// The error's kind, as the `error` field names it.
    pub fn kind(&self) -> &'static str {
        match self {
            ApiError::Core(e) => e.kind().as_str(),
            ApiError::Unauthorized => "authentication_failed",
            ApiError::NotFound => "not_found",
            ApiError::TooLarge(_) => "request_too_large",
            ApiError::Internal => "internal",
            ApiError::TooManyFailures(_) => "too_many_failed_authentications",
        }
    }

    /// The status and the JSON body.
    pub fn parts(&self) -> (u16, Value) {
        match self {
            ApiError::Core(e) => {
                let status = e.http_status();
                (status, body(e.twilio_code(), e.to_string(), status, e.kind().as_str()))
            }
            ApiError::Unauthorized => {
                (401, body(Some(TWILIO_AUTHENTICATE), "Authenticate".into(), 401, "authentication_failed"))
            }
            ApiError::NotFound => {
                (404, body(Some(TWILIO_NOT_FOUND), "The requested resource was not found".into(), 404, "not_found"))
            }
            ApiError::TooLarge(limit) => {
                (413, body(None, format!("the request body is larger than {limit} bytes"), 413, "request_too_large"))
            }
            ApiError::Internal => (500, body(None, "the request failed inside the server".into(), 500, "internal")),
            ApiError::TooManyFailures(_) => (
                429,
                body(
                    Some(TWILIO_TOO_MANY_REQUESTS),
                    "Too Many Requests: too many failed authentications from this address; retry later".into(),
                    429,
                    "too_many_failed_authentications",
                ),
            ),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, value) = self.parts();
        crate::metrics::error(self.kind());
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, axum::Json(value)).into_response();
        match self {
            ApiError::Unauthorized => {
                let challenge = HeaderValue::from_static("Basic realm=\"Twilio API\"");
                response.headers_mut().insert(header::WWW_AUTHENTICATE, challenge);
            }
            ApiError::TooManyFailures(wait) => retry_after(&mut response, wait),
            _ => {}
        }
        response
    }
}

/// Path parameters whose malformed encoding (a `%` escape that is not UTF-8) is answered with a
/// Twilio-shaped error, not the framework's plain text.
pub struct TwilioPath<T>(pub T);

impl<T, S> axum::extract::FromRequestParts<S> for TwilioPath<T>
where
    T: serde::de::DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(TwilioPath(value)),
            Err(_) => Err(invalid("path", "UTF-8 path segments")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_errors_keep_their_table_entries() {
        let (status, value) = ApiError::Core(Error::ChallengeExpired).parts();
        assert_eq!(status, 403);
        assert_eq!(value["code"], 60323);
        assert_eq!(value["status"], 403);
        assert_eq!(value["more_info"], "https://www.twilio.com/docs/errors/60323");
        let (status, value) = ApiError::Core(Error::FactorLocked { until: None }).parts();
        assert_eq!(status, 429);
        assert!(value["code"].is_null());
        assert_eq!(value["error"], "factor_locked");
    }
}
