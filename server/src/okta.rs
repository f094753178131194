//! The Okta Factors API, TOTP subset: enroll `token:software:totp` (providers `OKTA` and
//! `GOOGLE`), activate and verify with `passCode`, get, list and delete factors, and the factor
//! catalog, with `Authorization: SSWS <token>` and Okta's error JSON. Okta users are the
//! identities of one service namespace, `okta`.

use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use rand_core::{OsRng, RngCore};
use serde_json::{json, Value};
use subtle::ConstantTimeEq;
use watchword_core::service::{
    rfc3339, Factor, FactorStatus, Metadata, NewChallenge, NewFactor, Paging, ServiceConfig, Verification,
    VerificationResult, Verify, MAX_PAGE_SIZE,
};
use watchword_core::{Error, Invalid};
use zeroize::Zeroizing;

use crate::app::App;
use crate::layers::Refusal;
use crate::services::Shared;

/// The namespace of the Okta API's users and factors.
pub const NAMESPACE: &str = "okta";

/// The Okta API's state: its service and its API token.
pub struct Okta {
    verify: Verify<Shared>,
    token: Zeroizing<String>,
}

impl Okta {
    /// The Okta API over `store`, its factors issued by `issuer`.
    pub fn new(store: Shared, template: &ServiceConfig, issuer: &str, token: &str) -> Result<Okta, Error> {
        let mut config = template.clone();
        config.issuer = ServiceConfig::new(issuer)?.issuer;
        config.service = NAMESPACE.into();
        config.validate()?;
        Ok(Okta { verify: Verify::new(config, store), token: Zeroizing::new(token.to_string()) })
    }

    /// Reseals the Okta users' records.
    pub fn reseal(&self) -> Result<usize, Error> {
        self.verify.reseal()
    }

    fn authorized(&self, header: Option<&str>) -> bool {
        match header.and_then(|h| h.strip_prefix("SSWS ")) {
            Some(token) => bool::from(token.trim().as_bytes().ct_eq(self.token.as_bytes())),
            None => false,
        }
    }
}

/// An error answer in Okta's shape.
#[derive(Debug)]
pub enum OktaError {
    /// A failure of the service (core's table gives the Okta code and the status).
    Core(Error),
    /// A code that was not accepted (E0000068, E0000082, E0000083; 403).
    Rejected(VerificationResult),
    /// A missing or wrong API token (E0000011, 401).
    Unauthorized,
    /// The request failed inside the server.
    Internal,
    /// The request body is larger than the limit (413).
    TooLarge,
    /// No such API path (E0000007, 404).
    NotFound,
    /// Too many failed authentications from this address (E0000047, 429).
    TooManyFailures(std::time::Duration),
}

impl From<Error> for OktaError {
    fn from(e: Error) -> OktaError {
        OktaError::Core(e)
    }
}

fn invalid(name: &'static str, expected: &'static str) -> OktaError {
    OktaError::Core(Error::InvalidParameter(Invalid::Parameter { name, expected }))
}

/// Okta's `errorId`: random, so that a support request can name one answer.
fn error_id() -> String {
    let mut bytes = [0u8; 16];
    OsRng.fill_bytes(&mut bytes);
    format!("oae{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

impl OktaError {
    /// The status and the JSON body.
    pub fn parts(&self) -> (u16, Value) {
        let (status, code, summary, cause, kind): (u16, &str, String, Option<&str>, &str) = match self {
            OktaError::Rejected(result) => {
                let (summary, cause) = match result {
                    VerificationResult::Replayed => {
                        ("Each code can only be used once. Please wait for a new code and try again.", None)
                    }
                    VerificationResult::OutsideWindow => ("PassCode is valid but exceeded time window.", None),
                    _ => {
                        ("Invalid Passcode/Answer", Some("Your passcode doesn't match our records. Please try again."))
                    }
                };
                (403, result.okta_code().unwrap_or("E0000068"), summary.to_string(), cause, result.as_str())
            }
            OktaError::Core(e) => {
                let status = e.http_status();
                // Errors Okta has no code for take its generic code of the same class: too many
                // requests, a server error, or an API validation failure.
                let code = e.okta_code().unwrap_or(match status {
                    429 => "E0000047",
                    500..=599 => "E0000009",
                    _ => "E0000001",
                });
                (status, code, e.to_string(), None, e.kind().as_str())
            }
            OktaError::Unauthorized => {
                (401, "E0000011", "Invalid token provided".to_string(), None, "authentication_failed")
            }
            OktaError::Internal => (500, "E0000009", "Internal Server Error".to_string(), None, "internal"),
            OktaError::NotFound => (404, "E0000007", "Not found: Resource not found".to_string(), None, "not_found"),
            OktaError::TooLarge => (
                413,
                "E0000001",
                "Api validation failed: the request body is larger than the server's limit".to_string(),
                None,
                "request_too_large",
            ),
            OktaError::TooManyFailures(_) => (
                429,
                "E0000047",
                "API call exceeded rate limit due to too many requests.".to_string(),
                None,
                "too_many_failed_authentications",
            ),
        };
        let causes: Vec<Value> = cause.map(|c| json!({ "errorSummary": c })).into_iter().collect();
        let body = json!({
            "errorCode": code,
            "errorSummary": summary,
            "errorLink": code,
            "errorId": error_id(),
            "errorCauses": causes,
            "error": kind,
        });
        (status, body)
    }
}

impl IntoResponse for OktaError {
    fn into_response(self) -> Response {
        let (status, body) = self.parts();
        if let Some(kind) = body["error"].as_str() {
            crate::metrics::error(match kind {
                "authentication_failed" => "authentication_failed",
                "too_many_failed_authentications" => "too_many_failed_authentications",
                "request_too_large" => "request_too_large",
                "not_found" => "not_found",
                "internal" => "internal",
                _ => match &self {
                    OktaError::Core(e) => e.kind().as_str(),
                    OktaError::Rejected(r) => r.as_str(),
                    _ => "internal",
                },
            });
        }
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, Json(body)).into_response();
        if let OktaError::TooManyFailures(wait) = self {
            crate::error::retry_after(&mut response, wait);
        }
        response
    }
}

/// Path parameters whose malformed encoding is answered with Okta's error JSON.
pub struct OktaPath<T>(pub T);

impl<T, S> FromRequestParts<S> for OktaPath<T>
where
    T: serde::de::DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = OktaError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &S) -> Result<Self, OktaError> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(OktaPath(value)),
            Err(_) => Err(invalid("path", "UTF-8 path segments")),
        }
    }
}

/// A JSON request body (an empty body reads as `{}`); another content type, malformed JSON or
/// a body over the limit is refused.
pub struct JsonBody(pub Value);

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = OktaError;

    async fn from_request(req: Request, state: &S) -> Result<JsonBody, OktaError> {
        let content_type = req.headers().get(header::CONTENT_TYPE).map(|v| v.to_str().unwrap_or("?").to_string());
        let bytes = axum::body::Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                OktaError::TooLarge
            } else {
                invalid("body", "a complete JSON body")
            }
        })?;
        if bytes.is_empty() {
            return Ok(JsonBody(json!({})));
        }
        let json_type = content_type.as_deref().and_then(|t| t.split(';').next()).map(str::trim);
        if !json_type.is_some_and(|t| t.eq_ignore_ascii_case("application/json")) {
            return Err(invalid("Content-Type", "application/json"));
        }
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(value @ Value::Object(_)) => Ok(JsonBody(value)),
            _ => Err(invalid("body", "a JSON object")),
        }
    }
}

type Answer = Result<Response, OktaError>;
type AppState = State<&'static App>;

/// The routes under `/api/v1`; other paths there are Okta's `E0000007` (404).
pub fn routes() -> Router<&'static App> {
    Router::new()
        .route("/users/{uid}/factors", get(list_factors).post(enroll))
        .route("/users/{uid}/factors/catalog", get(catalog))
        .route("/users/{uid}/factors/{fid}", get(fetch_factor).delete(delete_factor))
        .route("/users/{uid}/factors/{fid}/lifecycle/activate", post(activate))
        .route("/users/{uid}/factors/{fid}/verify", post(verify))
        .fallback(|| async { OktaError::NotFound })
}

/// Whether the Okta API accepts an `Authorization` header: `SSWS <token>` with the configured
/// API token (nothing, when the Okta API has no token).
pub fn accepts(app: &App, header: Option<&str>) -> bool {
    app.okta.as_ref().is_some_and(|okta| okta.authorized(header))
}

/// The Okta API's answer refusing a request.
pub fn refusal(refusal: Refusal) -> Response {
    match refusal {
        Refusal::Blocked(wait) => OktaError::TooManyFailures(wait),
        Refusal::Unauthorized => OktaError::Unauthorized,
    }
    .into_response()
}

/// Runs an operation of the Okta service where [`crate::app::blocking`] says (its factors are
/// TOTP factors: nothing is hashed).
async fn run<T: Send + 'static>(
    app: &'static App,
    operation: impl FnOnce(&Verify<Shared>) -> Result<T, OktaError> + Send + 'static,
) -> Result<T, OktaError> {
    let outcome = crate::app::blocking(app, false, move |app| {
        Ok(match &app.okta {
            Some(okta) => operation(&okta.verify),
            None => Err(OktaError::Unauthorized),
        })
    })
    .await;
    outcome.unwrap_or(Err(OktaError::Internal))
}

fn okta_date(t: u64) -> String {
    // Okta writes milliseconds: 2014-07-16T16:13:56.000Z.
    let text = rfc3339(t);
    match text.strip_suffix('Z') {
        Some(rest) => format!("{rest}.000Z"),
        None => text,
    }
}

fn link(href: String, allow: &[&str]) -> Value {
    json!({ "href": href, "hints": { "allow": allow } })
}

fn user_url(app: &App, uid: &str) -> String {
    format!("{}/api/v1/users/{uid}", app.public_url)
}

fn provider_of(factor: &Factor) -> String {
    factor.metadata.as_ref().and_then(|m| m.get("provider")).cloned().unwrap_or_else(|| "OKTA".into())
}

/// The Okta view of a factor.
fn factor_view(app: &App, factor: &Factor) -> Value {
    let uid = factor.identity.as_str();
    let url = format!("{}/factors/{}", user_url(app, uid), factor.sid);
    let provider = provider_of(factor);
    let active = factor.status == FactorStatus::Verified;
    let mut links = serde_json::Map::new();
    if active {
        links.insert("verify".into(), link(format!("{url}/verify"), &["POST"]));
    } else {
        links.insert("activate".into(), link(format!("{url}/lifecycle/activate"), &["POST"]));
    }
    links.insert("self".into(), link(url, &["GET", "DELETE"]));
    links.insert("user".into(), link(user_url(app, uid), &["GET"]));
    let credential = factor.metadata.as_ref().and_then(|m| m.get("credentialId")).cloned();
    json!({
        "id": factor.sid,
        "factorType": "token:software:totp",
        "provider": provider,
        "vendorName": provider,
        "status": if active { "ACTIVE" } else { "PENDING_ACTIVATION" },
        "created": okta_date(factor.date_created),
        "lastUpdated": okta_date(factor.date_updated),
        "profile": { "credentialId": credential },
        "_links": links,
    })
}

fn text<'a>(body: &'a Value, name: &'static str, expected: &'static str) -> Result<Option<&'a str>, OktaError> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(invalid(name, expected)),
    }
}

/// Enrolls a `token:software:totp` factor. The answer alone carries the shared secret and the
/// QR code (`_embedded.activation`): watchword keeps no readable secret afterwards.
async fn enroll(State(app): AppState, OktaPath(uid): OktaPath<String>, JsonBody(body): JsonBody) -> Answer {
    if text(&body, "factorType", "token:software:totp")? != Some("token:software:totp") {
        return Err(invalid("factorType", "token:software:totp"));
    }
    let provider = match text(&body, "provider", "OKTA or GOOGLE")? {
        Some("OKTA") => "OKTA",
        Some("GOOGLE") => "GOOGLE",
        _ => return Err(invalid("provider", "OKTA or GOOGLE")),
    };
    let credential = match body.get("profile") {
        None | Some(Value::Null) => None,
        Some(profile @ Value::Object(_)) => {
            text(profile, "credentialId", "a string of at most 64 characters")?.map(str::to_string)
        }
        Some(_) => return Err(invalid("profile", "an object")),
    };
    let name = credential
        .clone()
        .unwrap_or_else(|| if provider == "GOOGLE" { "Google Authenticator" } else { "Okta Verify" }.to_string());
    let mut request = NewFactor::new(&name);
    let mut metadata = Metadata::from([("provider".to_string(), provider.to_string())]);
    if let Some(c) = credential {
        metadata.insert("credentialId".into(), c);
    }
    request.metadata = Some(metadata);
    let now = crate::clock::now();
    let (factor, secret, qr) = run(app, move |v| {
        let created = v.create_factor(&uid, request, now)?;
        let qr = created.binding.qr_svg()?;
        Ok((created.factor.clone(), created.binding.secret.clone(), qr))
    })
    .await?;
    let mut view = factor_view(app, &factor);
    let secret = Zeroizing::new(secret);
    let qr = base64::engine::general_purpose::STANDARD.encode(qr.as_bytes());
    view["_embedded"] = json!({
        "activation": {
            "timeStep": factor.config.time_step,
            "sharedSecret": secret.as_str(),
            "encoding": "base32",
            "keyLength": factor.config.code_length,
            "_links": { "qrcode": { "href": format!("data:image/svg+xml;base64,{qr}"), "type": "image/svg+xml" } },
        }
    });
    let mut response = (StatusCode::OK, Json(view)).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    Ok(response)
}

fn pass_code(body: &Value) -> Result<String, OktaError> {
    match text(body, "passCode", "the code from the authenticator app")? {
        Some(code) => Ok(code.to_string()),
        None => Err(invalid("passCode", "the code from the authenticator app")),
    }
}

fn accepted(verification: &Verification) -> Result<(), OktaError> {
    match verification.result {
        VerificationResult::Approved => Ok(()),
        other => Err(OktaError::Rejected(other)),
    }
}

async fn activate(
    State(app): AppState,
    OktaPath((uid, fid)): OktaPath<(String, String)>,
    JsonBody(body): JsonBody,
) -> Answer {
    let code = pass_code(&body)?;
    let now = crate::clock::now();
    let (factor, verification) = run(app, move |v| Ok(v.verify_factor(&uid, &fid, &code, now)?)).await?;
    crate::metrics::result("okta_activate", verification.result.as_str());
    accepted(&verification)?;
    Ok(Json(factor_view(app, &factor)).into_response())
}

/// Verifies a code of an active factor: a challenge answered at once (it counts against the
/// factor's challenge quota like any challenge).
async fn verify(
    State(app): AppState,
    OktaPath((uid, fid)): OktaPath<(String, String)>,
    JsonBody(body): JsonBody,
) -> Answer {
    let code = pass_code(&body)?;
    let now = crate::clock::now();
    let verification = run(app, move |v| {
        let (_, verification) = v.create_challenge(&uid, NewChallenge::new(&fid).auth_payload(&code), now)?;
        verification.ok_or(OktaError::Internal)
    })
    .await?;
    crate::metrics::result("okta_verify", verification.result.as_str());
    accepted(&verification)?;
    Ok(Json(json!({ "factorResult": "SUCCESS" })).into_response())
}

async fn fetch_factor(State(app): AppState, OktaPath((uid, fid)): OktaPath<(String, String)>) -> Answer {
    let factor = run(app, move |v| Ok(v.fetch_factor(&uid, &fid)?)).await?;
    Ok(Json(factor_view(app, &factor)).into_response())
}

async fn delete_factor(State(app): AppState, OktaPath((uid, fid)): OktaPath<(String, String)>) -> Answer {
    let now = crate::clock::now();
    run(app, move |v| Ok(v.delete_factor(&uid, &fid, now)?)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The user's factors, as Okta lists them: one array (a user has at most `factors_per_entity`).
async fn list_factors(State(app): AppState, OktaPath(uid): OktaPath<String>) -> Answer {
    let factors = run(app, move |v| {
        let mut all = Vec::new();
        let mut paging = Paging::first(MAX_PAGE_SIZE);
        loop {
            let page = match v.list_factors(&uid, &paging) {
                Ok(page) => page,
                Err(Error::EntityNotFound) => return Ok(all),
                Err(e) => return Err(e.into()),
            };
            all.extend(page.items);
            match page.next_page_token {
                Some(token) => paging.page_token = Some(token),
                None => return Ok(all),
            }
        }
    })
    .await?;
    Ok(Json(Value::Array(factors.iter().map(|f| factor_view(app, f)).collect())).into_response())
}

/// What the user may enroll: `token:software:totp` from `OKTA` and `GOOGLE`.
async fn catalog(State(app): AppState, OktaPath(uid): OktaPath<String>) -> Answer {
    let check = uid.clone();
    run(app, move |_| Ok(watchword_core::service::Identity::parse(&check)?)).await?;
    let enroll = link(format!("{}/factors", user_url(app, &uid)), &["POST"]);
    let entry = |provider: &str| {
        json!({
            "factorType": "token:software:totp",
            "provider": provider,
            "vendorName": provider,
            "_links": { "enroll": enroll.clone() },
        })
    };
    Ok(Json(json!([entry("OKTA"), entry("GOOGLE")])).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejected_codes_take_okta_codes() {
        let (status, body) = OktaError::Rejected(VerificationResult::InvalidCode).parts();
        assert_eq!((status, body["errorCode"].as_str()), (403, Some("E0000068")));
        assert_eq!(
            body["errorCauses"][0]["errorSummary"],
            "Your passcode doesn't match our records. Please try again."
        );
        let (_, body) = OktaError::Rejected(VerificationResult::Replayed).parts();
        assert_eq!(body["errorCode"], "E0000082");
        let (_, body) = OktaError::Rejected(VerificationResult::OutsideWindow).parts();
        assert_eq!(body["errorCode"], "E0000083");
        let (status, body) = OktaError::Core(Error::FactorLocked { until: None }).parts();
        assert_eq!((status, body["errorCode"].as_str()), (429, Some("E0000069")));
        assert_ne!(OktaError::Unauthorized.parts().1["errorId"], OktaError::Unauthorized.parts().1["errorId"]);
    }

    #[test]
    fn dates_have_milliseconds() {
        assert_eq!(okta_date(1_405_527_236), "2014-07-16T16:13:56.000Z");
    }
}
