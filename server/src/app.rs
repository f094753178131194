//! The server: a `Router` of small handlers over shared state, with the body limit, the
//! request timeout, tracing and graceful shutdown as layers.

use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use base64::Engine;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::error::ApiError;
use crate::layers::{Guard, Refusal, Track, Wrap};
use crate::services::{Registry, Shared};
use crate::settings::Settings;

/// What every handler shares.
pub struct App {
    /// The Twilio Services and their namespaces.
    pub registry: Registry,
    /// The base of every URL in answers.
    pub public_url: String,
    /// The account SID answers carry (and clients authenticate with).
    pub account_sid: String,
    /// The Basic credentials accepted, as clients send them: the standard Base64 of
    /// `account_sid:auth_token`, and of `api_key:secret` when an API key is configured.
    /// Base64 spells given bytes one way only, so comparing the texts compares the credentials.
    credentials: Vec<Zeroizing<String>>,
    /// The Okta API, when a token is configured.
    pub okta: Option<crate::okta::Okta>,
    /// Failed authentications by client address.
    pub failures: crate::backoff::Failures,
    /// Whether store calls may wait (every store but the memory store).
    pub store_waits: bool,
    /// The largest request body, in bytes.
    pub body_limit: usize,
}

impl App {
    /// The shared state over an opened store.
    pub fn new(settings: &Settings, store: Shared, public_url: String) -> Result<App, watchword_core::Error> {
        // Only the memory store keeps its records in this process: the others do I/O.
        let store_waits = !store.keeps_typed_records();
        let credentials = std::iter::once((&settings.twilio_account_sid, &settings.twilio_auth_token))
            .chain(settings.twilio_api_key.as_ref().map(|(k, s)| (k, s)))
            .map(|(user, password)| {
                let plain = Zeroizing::new(format!("{user}:{password}"));
                Zeroizing::new(base64::engine::general_purpose::STANDARD.encode(plain.as_bytes()))
            })
            .collect();
        Ok(App {
            credentials,
            okta: match &settings.okta_api_token {
                Some(token) => {
                    Some(crate::okta::Okta::new(store.clone(), &settings.template, &settings.okta_issuer, token)?)
                }
                None => None,
            },
            registry: Registry::new(store, settings.template.clone())?,
            failures: crate::backoff::Failures::default(),
            store_waits,
            body_limit: settings.body_limit,
            public_url,
            account_sid: settings.twilio_account_sid.clone(),
        })
    }

    /// Whether an `Authorization` header carries the configured account SID and auth token, or
    /// the API key and its secret. Every comparison runs in constant time, whatever the others
    /// found.
    fn authorized(&self, header: Option<&str>) -> bool {
        let Some(encoded) = header.and_then(|h| h.strip_prefix("Basic ")).map(str::trim) else {
            return false;
        };
        let found = self
            .credentials
            .iter()
            .fold(subtle::Choice::from(0), |found, expected| found | encoded.as_bytes().ct_eq(expected.as_bytes()));
        bool::from(found)
    }
}

/// Whether an answer may be hashed as a recovery code (PBKDF2, milliseconds of work): only one
/// in a code's form is (core checks the form before anything is hashed).
pub fn may_hash(answer: &str) -> bool {
    watchword_core::service::normalize_recovery_code(answer).is_some()
}

/// Runs a service operation where it cannot hold up the async workers. A store that waits
/// (SQLite's disk, PostgreSQL's network) and recovery-code hashing (`hashing`) run on the
/// blocking pool; over the memory store, which never waits, anything else takes microseconds
/// and runs here, sparing the request two thread hand-offs. A panic becomes a 500 that says
/// nothing more.
pub async fn blocking<T: Send + 'static>(
    app: &'static App,
    hashing: bool,
    operation: impl FnOnce(&App) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let outcome = if hashing || app.store_waits {
        tokio::task::spawn_blocking(move || operation(app)).await.map_err(drop)
    } else {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| operation(app))).map_err(drop)
    };
    outcome.unwrap_or_else(|()| {
        tracing::error!("a request's task failed");
        Err(ApiError::Internal)
    })
}

/// The Twilio API's answer refusing a request.
fn twilio_refusal(refusal: Refusal) -> Response {
    match refusal {
        Refusal::Blocked(wait) => ApiError::TooManyFailures(wait),
        Refusal::Unauthorized => ApiError::Unauthorized,
    }
    .into_response()
}

async fn healthz() -> &'static str {
    "ok\n"
}

async fn not_found() -> ApiError {
    ApiError::NotFound
}

/// The whole application.
pub fn router(app: &'static App, timeout: Duration) -> Router {
    let body_limit = app.body_limit;
    let twilio = crate::twilio::routes().merge(crate::extras::routes()).fallback(not_found).route_layer(Guard::layer(
        app,
        App::authorized,
        twilio_refusal,
    ));
    let okta = crate::okta::routes().route_layer(Guard::layer(app, crate::okta::accepts, crate::okta::refusal));
    let router = Router::new()
        .merge(twilio)
        .nest("/api/v1", okta)
        .route("/healthz", get(healthz))
        .route("/metrics", get(crate::metrics::serve));
    #[cfg(feature = "test-clock")]
    let router = router.route("/watchword/v1/test-clock", axum::routing::post(set_test_clock));
    // One layer of layers: each `Router::layer` call wraps every route once more, and each
    // wrapping costs a request a clone of what it wraps.
    router
        .fallback(not_found)
        .with_state(app)
        .layer(tower::ServiceBuilder::new().layer(Wrap(Track { timeout })).layer(DefaultBodyLimit::max(body_limit)))
}

/// Test builds: `POST /watchword/v1/test-clock` with `Offset=<seconds>` moves the clock from
/// the system clock, `Now=<Unix seconds>` fixes it (`Now=0` releases it).
#[cfg(feature = "test-clock")]
async fn set_test_clock(
    crate::twilio::FormBody(f): crate::twilio::FormBody,
) -> Result<axum::http::StatusCode, ApiError> {
    let offset = match f.get("Offset")? {
        Some(v) => Some(v.parse::<i64>().map_err(|_| crate::error::invalid("Offset", "whole seconds"))?),
        None => None,
    };
    let fixed = match f.get("Now")? {
        Some(v) => Some(v.parse::<u64>().map_err(|_| crate::error::invalid("Now", "Unix seconds"))?),
        None => None,
    };
    crate::clock::set(offset, fixed);
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// Waits for Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down: finishing the requests in flight");
}
