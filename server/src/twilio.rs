//! The Twilio Verify v2 API, TOTP subset: Services, Entities, Factors and Challenges, with
//! form-encoded requests and Twilio-shaped JSON answers. Every `url`, `links` and paging URL
//! starts with the configured public URL, never the request's Host header.

use axum::extract::{FromRequest, RawQuery, Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};
use watchword_core::service::{
    parse_rfc3339, rfc3339, Challenge, ChallengeStatus, ChallengeView, DetailField, Details, Entity, Factor,
    FactorType, FactorUpdate, Metadata, NewChallenge, NewFactor, Order, Paging, Verification, DEFAULT_PAGE_SIZE,
};

use crate::app::{blocking, may_hash, App};
use crate::error::{invalid, ApiError, TwilioPath};
use crate::form::Form;
use crate::services::{ServiceChange, ServiceDef};

pub(crate) type Answer = Result<Response, ApiError>;
pub(crate) type AppState = State<&'static App>;

/// The `/v2` routes.
pub fn routes() -> Router<&'static App> {
    Router::new()
        .route("/v2/Services", get(list_services).post(create_service))
        .route("/v2/Services/{va}", get(fetch_service).post(update_service).delete(delete_service))
        .route("/v2/Services/{va}/Entities", get(list_entities).post(create_entity))
        .route("/v2/Services/{va}/Entities/{identity}", get(fetch_entity).delete(delete_entity))
        .route("/v2/Services/{va}/Entities/{identity}/Factors", get(list_factors).post(create_factor))
        .route(
            "/v2/Services/{va}/Entities/{identity}/Factors/{sid}",
            get(fetch_factor).post(update_factor).delete(delete_factor),
        )
        .route("/v2/Services/{va}/Entities/{identity}/Challenges", get(list_challenges).post(create_challenge))
        .route("/v2/Services/{va}/Entities/{identity}/Challenges/{sid}", get(fetch_challenge).post(update_challenge))
}

/// A form-encoded request body. Any other content type, a malformed body or one over the
/// limit is refused before the handler runs.
pub struct FormBody(pub Form);

impl FromRequest<&'static App> for FormBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &&'static App) -> Result<FormBody, ApiError> {
        let form_type =
            req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).and_then(|t| t.split(';').next());
        let form_type = form_type.is_some_and(|t| t.trim().eq_ignore_ascii_case("application/x-www-form-urlencoded"));
        let limit = state.body_limit;
        let bytes = axum::body::Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::TooLarge(limit)
            } else {
                invalid("body", "a complete application/x-www-form-urlencoded body")
            }
        })?;
        if bytes.is_empty() {
            return Ok(FormBody(Form::default()));
        }
        if !form_type {
            return Err(invalid("Content-Type", "application/x-www-form-urlencoded"));
        }
        let text = String::from_utf8(Vec::from(bytes)).map_err(|_| invalid("body", "UTF-8 form-encoded text"))?;
        Ok(FormBody(Form::parse(text, "body")?))
    }
}

fn query(raw: Option<String>) -> Result<Form, ApiError> {
    Ok(Form::parse(raw.unwrap_or_default(), "query")?)
}

pub(crate) fn ok(status: StatusCode, value: Value) -> Answer {
    answer(status, &value)
}

/// An answer of `body`'s JSON, written straight into the response's buffer.
pub(crate) fn answer<T: serde::Serialize>(status: StatusCode, body: &T) -> Answer {
    let mut bytes = Vec::with_capacity(1024);
    crate::json::write(&mut bytes, body).map_err(|_| ApiError::Internal)?;
    let mut response = (status, bytes).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, header::HeaderValue::from_static("application/json"));
    headers.insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    Ok(response)
}

fn extend(mut view: Value, extra: Value) -> Value {
    if let (Some(map), Value::Object(more)) = (view.as_object_mut(), extra) {
        map.extend(more);
    }
    view
}

// ----- URLs and views -----

/// `{public URL}/v2/Services/{va}`, the base of every URL of a service.
#[derive(Clone, Copy)]
struct ServiceUrl<'a> {
    base: &'a str,
    va: &'a str,
}

/// `{service URL}/Entities/{identity}`.
#[derive(Clone, Copy)]
struct EntityUrl<'a> {
    service: ServiceUrl<'a>,
    identity: &'a str,
}

/// `{entity URL}/Challenges/{sid}`, or its `/Notifications` link.
#[derive(Clone, Copy)]
struct ChallengeUrl<'a> {
    entity: EntityUrl<'a>,
    sid: &'a str,
    notifications: bool,
}

impl<'a> ServiceUrl<'a> {
    /// The service `va`'s URL under the configured public URL.
    fn of(app: &'a App, va: &'a str) -> ServiceUrl<'a> {
        ServiceUrl { base: &app.public_url, va }
    }

    /// The URL of the service's entity `identity`.
    fn entity(self, identity: &'a str) -> EntityUrl<'a> {
        EntityUrl { service: self, identity }
    }
}

impl std::fmt::Display for ServiceUrl<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/v2/Services/{}", self.base, self.va)
    }
}

impl std::fmt::Display for EntityUrl<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/Entities/{}", self.service, self.identity)
    }
}

impl std::fmt::Display for ChallengeUrl<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let links = if self.notifications { "/Notifications" } else { "" };
        write!(f, "{}/Challenges/{}{links}", self.entity, self.sid)
    }
}

/// Written into an answer without being built first.
impl serde::Serialize for ChallengeUrl<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

fn service_url(app: &App, va: &str) -> String {
    ServiceUrl::of(app, va).to_string()
}

fn entity_url(app: &App, va: &str, identity: &str) -> String {
    ServiceUrl::of(app, va).entity(identity).to_string()
}

fn service_view(app: &App, def: &ServiceDef) -> Value {
    let url = service_url(app, &def.sid);
    json!({
        "sid": def.sid,
        "account_sid": app.account_sid,
        "friendly_name": def.friendly_name,
        "code_length": def.code_length,
        "totp": {
            "issuer": def.issuer,
            "time_step": def.time_step,
            "code_length": def.code_length,
            "skew": def.skew,
        },
        "date_created": rfc3339(def.date_created),
        "date_updated": rfc3339(def.date_updated),
        "url": url,
        "links": { "entities": format!("{url}/Entities") },
    })
}

pub(crate) fn entity_view(app: &App, va: &str, entity: &Entity) -> Value {
    let url = entity_url(app, va, entity.identity.as_str());
    extend(
        entity.view(),
        json!({
            "account_sid": app.account_sid,
            "service_sid": va,
            "url": url,
            "links": { "factors": format!("{url}/Factors"), "challenges": format!("{url}/Challenges") },
        }),
    )
}

pub(crate) fn factor_view(app: &App, va: &str, factor: &Factor, view: Value) -> Value {
    let url = format!("{}/Factors/{}", entity_url(app, va, factor.identity.as_str()), factor.sid);
    extend(view, json!({ "account_sid": app.account_sid, "service_sid": va, "url": url }))
}

/// A challenge as the API answers it: core's view with the account, the service, its URL and
/// links, serialized straight to the answer's JSON (the URLs too: they are written, not built).
pub(crate) struct TwilioChallenge<'a> {
    view: ChallengeView<'a>,
    account_sid: &'a str,
    url: ChallengeUrl<'a>,
}

impl serde::Serialize for TwilioChallenge<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut out = serializer.serialize_struct("TwilioChallenge", self.view.field_count() + 4)?;
        self.view.serialize_fields(&mut out)?;
        out.serialize_field("account_sid", self.account_sid)?;
        out.serialize_field("service_sid", self.url.entity.service.va)?;
        out.serialize_field(
            "links",
            &ChallengeLinks { notifications: ChallengeUrl { notifications: true, ..self.url } },
        )?;
        out.serialize_field("url", &self.url)?;
        out.end()
    }
}

#[derive(serde::Serialize)]
struct ChallengeLinks<'a> {
    notifications: ChallengeUrl<'a>,
}

pub(crate) fn twilio_challenge<'a>(
    app: &'a App,
    va: &'a str,
    challenge: &'a Challenge,
    verification: Option<&Verification>,
    now: u64,
) -> TwilioChallenge<'a> {
    TwilioChallenge {
        view: challenge.typed_view(verification, now),
        account_sid: &app.account_sid,
        url: ChallengeUrl {
            entity: ServiceUrl::of(app, va).entity(challenge.identity.as_str()),
            sid: challenge.sid.as_str(),
            notifications: false,
        },
    }
}

pub(crate) fn challenge_view(app: &App, va: &str, challenge: &Challenge, v: Option<&Verification>, now: u64) -> Value {
    serde_json::to_value(twilio_challenge(app, va, challenge, v, now)).unwrap_or(Value::Null)
}

// ----- paging -----

/// Twilio's paging parameters: `PageSize` (1–1000, default 50), `Page` (the page's number,
/// informative) and `PageToken` (from the previous page's `next_page_url`). A page after the
/// first needs its token; `previous_page_url` is always null (listings go forward).
const PAGING: &[&str] = &["PageSize", "Page", "PageToken"];
const PAGING_EXPECTED: &str = "only PageSize, Page and PageToken";

struct TwilioPaging {
    paging: Paging,
    page: u64,
}

/// A query without parameters (fetches and deletes take none).
pub(crate) fn no_query(raw: Option<String>) -> Result<(), ApiError> {
    query(raw)?.only(&[], "no query parameters")?;
    Ok(())
}

fn paging_of(q: &Form) -> Result<TwilioPaging, ApiError> {
    let size = match q.get("PageSize")? {
        None => DEFAULT_PAGE_SIZE,
        Some(v) => match v.parse::<usize>() {
            Ok(n) if (1..=1000).contains(&n) => n,
            _ => return Err(invalid("PageSize", "an integer from 1 to 1000")),
        },
    };
    let page = match q.get("Page")? {
        None => 0,
        Some(v) => v.parse::<u64>().map_err(|_| invalid("Page", "a page number from 0"))?,
    };
    let token = q.get("PageToken")?.map(str::to_string);
    if page > 0 && token.is_none() {
        return Err(invalid("PageToken", "the PageToken of the previous page's next_page_url for a Page after 0"));
    }
    Ok(TwilioPaging { paging: Paging { limit: size, page_token: token }, page })
}

fn page_url(base: &str, filters: &[(&str, String)], size: usize, page: u64, token: Option<&str>) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (name, value) in filters {
        s.append_pair(name, value);
    }
    s.append_pair("PageSize", &size.to_string());
    s.append_pair("Page", &page.to_string());
    if let Some(token) = token {
        s.append_pair("PageToken", token);
    }
    format!("{base}?{}", s.finish())
}

fn listing(
    key: &str,
    base: &str,
    filters: &[(&str, String)],
    at: &TwilioPaging,
    items: Vec<Value>,
    next: Option<String>,
) -> Value {
    let size = at.paging.limit;
    json!({
        key: items,
        "meta": {
            "page": at.page,
            "page_size": size,
            "first_page_url": page_url(base, filters, size, 0, None),
            "previous_page_url": null,
            "url": page_url(base, filters, size, at.page, at.paging.page_token.as_deref()),
            "next_page_url": next.map(|t| page_url(base, filters, size, at.page + 1, Some(&t))),
            "key": key,
        }
    })
}

// ----- parameters -----

fn service_change(f: &Form) -> Result<ServiceChange, ApiError> {
    f.only(
        &["FriendlyName", "Totp.Issuer", "Totp.TimeStep", "Totp.CodeLength", "Totp.Skew"],
        "only FriendlyName, Totp.Issuer, Totp.TimeStep, Totp.CodeLength and Totp.Skew",
    )?;
    let small = |name: &'static str, error: &'static str, expected: &'static str| -> Result<Option<u32>, ApiError> {
        match f.number(name, error, expected)? {
            None => Ok(None),
            Some(n) => u32::try_from(n).map(Some).map_err(|_| invalid(error, expected)),
        }
    };
    Ok(ServiceChange {
        friendly_name: f.get("FriendlyName")?.map(str::to_string),
        issuer: f.get("Totp.Issuer")?.map(str::to_string),
        time_step: f.number("Totp.TimeStep", "time_step", "an integer from 20 to 60")?,
        code_length: small("Totp.CodeLength", "code_length", "an integer from 3 to 8")?,
        skew: small("Totp.Skew", "skew", "an integer from 0 to 2")?,
    })
}

fn string_map(text: &str, name: &'static str) -> Result<Metadata, ApiError> {
    const EXPECTED: &str = "a JSON object of string values";
    let value: Value = serde_json::from_str(text).map_err(|_| invalid(name, EXPECTED))?;
    let map = value.as_object().ok_or_else(|| invalid(name, EXPECTED))?;
    map.iter()
        .map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())).ok_or_else(|| invalid(name, EXPECTED)))
        .collect()
}

fn small_number(
    f: &Form,
    name: &'static str,
    error: &'static str,
    expected: &'static str,
) -> Result<Option<u32>, ApiError> {
    match f.number(name, error, expected)? {
        None => Ok(None),
        Some(n) => u32::try_from(n).map(Some).map_err(|_| invalid(error, expected)),
    }
}

fn alg(f: &Form) -> Result<Option<watchword_core::Algorithm>, ApiError> {
    match f.get("Config.Alg")? {
        None => Ok(None),
        Some(v) => v.parse().map(Some).map_err(|_| invalid("config.alg", "sha1, sha256 or sha512")),
    }
}

// ----- services -----

async fn create_service(State(app): AppState, FormBody(f): FormBody) -> Answer {
    let change = service_change(&f)?;
    let now = crate::clock::now();
    let def = blocking(app, false, move |app| app.registry.create(change, now)).await?;
    ok(StatusCode::CREATED, service_view(app, &def))
}

async fn fetch_service(State(app): AppState, TwilioPath(va): TwilioPath<String>, RawQuery(q): RawQuery) -> Answer {
    no_query(q)?;
    let def = blocking(app, false, move |app| app.registry.fetch(&va)).await?;
    ok(StatusCode::OK, service_view(app, &def))
}

async fn update_service(State(app): AppState, TwilioPath(va): TwilioPath<String>, FormBody(f): FormBody) -> Answer {
    let change = service_change(&f)?;
    let now = crate::clock::now();
    let def = blocking(app, false, move |app| app.registry.update(&va, change, now)).await?;
    ok(StatusCode::OK, service_view(app, &def))
}

async fn delete_service(State(app): AppState, TwilioPath(va): TwilioPath<String>, RawQuery(q): RawQuery) -> Answer {
    no_query(q)?;
    let now = crate::clock::now();
    blocking(app, false, move |app| app.registry.delete(&va, now)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn list_services(State(app): AppState, RawQuery(q): RawQuery) -> Answer {
    let q = query(q)?;
    q.only(PAGING, PAGING_EXPECTED)?;
    let at = paging_of(&q)?;
    let paging = at.paging.clone();
    let page = blocking(app, false, move |app| app.registry.list(&paging)).await?;
    let items = page.items.iter().map(|d| service_view(app, d)).collect();
    let base = format!("{}/v2/Services", app.public_url);
    ok(StatusCode::OK, listing("services", &base, &[], &at, items, page.next_page_token))
}

// ----- entities -----

async fn create_entity(State(app): AppState, TwilioPath(va): TwilioPath<String>, FormBody(f): FormBody) -> Answer {
    f.only(&["Identity"], "only Identity")?;
    let identity = f.required("Identity", "8 to 64 dash-separated alphanumeric characters")?.to_string();
    let now = crate::clock::now();
    let (va, entity) = in_service(app, va, false, move |v| Ok(v.create_entity(&identity, now)?)).await?;
    ok(StatusCode::CREATED, entity_view(app, &va, &entity))
}

async fn fetch_entity(
    State(app): AppState,
    TwilioPath((va, identity)): TwilioPath<(String, String)>,
    RawQuery(q): RawQuery,
) -> Answer {
    no_query(q)?;
    let (va, entity) = in_service(app, va, false, move |v| Ok(v.fetch_entity(&identity)?)).await?;
    ok(StatusCode::OK, entity_view(app, &va, &entity))
}

async fn delete_entity(
    State(app): AppState,
    TwilioPath((va, identity)): TwilioPath<(String, String)>,
    RawQuery(q): RawQuery,
) -> Answer {
    no_query(q)?;
    let now = crate::clock::now();
    in_service(app, va, false, move |v| Ok(v.delete_entity(&identity, now)?)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn list_entities(State(app): AppState, TwilioPath(va): TwilioPath<String>, RawQuery(q): RawQuery) -> Answer {
    let q = query(q)?;
    q.only(PAGING, PAGING_EXPECTED)?;
    let at = paging_of(&q)?;
    let paging = at.paging.clone();
    let (va, page) = in_service(app, va, false, move |v| Ok(v.list_entities(&paging)?)).await?;
    let items = page.items.iter().map(|e| entity_view(app, &va, e)).collect();
    let base = format!("{}/Entities", service_url(app, &va));
    ok(StatusCode::OK, listing("entities", &base, &[], &at, items, page.next_page_token))
}

// ----- factors -----

async fn create_factor(
    State(app): AppState,
    TwilioPath((va, identity)): TwilioPath<(String, String)>,
    FormBody(f): FormBody,
) -> Answer {
    new_factor(app, va, identity, &f, false).await
}

/// Creates a factor: a TOTP factor, or with `recovery_codes` (the `/watchword/v1` endpoint
/// only) a set of `Count` recovery codes. The answer alone carries the secret or the codes.
pub(crate) async fn new_factor(
    app: &'static App,
    va: String,
    identity: String,
    f: &Form,
    recovery_codes: bool,
) -> Answer {
    // `Count` (recovery codes only) last, so that a TOTP factor's fields are the others.
    const FIELDS: &[&str] = &[
        "FriendlyName",
        "FactorType",
        "Binding.Secret",
        "Config.Alg",
        "Config.CodeLength",
        "Config.TimeStep",
        "Config.Skew",
        "Metadata",
        "Count",
    ];
    match recovery_codes {
        false => f.only(
            &FIELDS[..FIELDS.len() - 1],
            "only FriendlyName, FactorType, Binding.Secret, Config.Alg, Config.CodeLength, Config.TimeStep, Config.Skew and Metadata",
        )?,
        true => f.only(
            FIELDS,
            "only FriendlyName, FactorType, Count, Binding.Secret, Config.Alg, Config.CodeLength, Config.TimeStep, Config.Skew and Metadata",
        )?,
    }
    let friendly_name = f.required("FriendlyName", "1 to 64 characters")?;
    let factor_type = match (f.required("FactorType", "totp")?, recovery_codes) {
        ("totp", _) => FactorType::Totp,
        ("recovery_codes", true) => FactorType::RecoveryCodes,
        (_, false) => return Err(invalid("FactorType", "totp")),
        (_, true) => return Err(invalid("FactorType", "totp or recovery_codes")),
    };
    let mut request = NewFactor::new(friendly_name);
    request.factor_type = factor_type;
    request.count = small_number(f, "Count", "count", "an integer from 1 to 20")?;
    request.secret = f.get("Binding.Secret")?.map(str::to_string);
    request.alg = alg(f)?;
    request.code_length = small_number(f, "Config.CodeLength", "config.code_length", "an integer from 3 to 8")?;
    request.time_step = f.number("Config.TimeStep", "config.time_step", "an integer from 20 to 60")?;
    request.skew = small_number(f, "Config.Skew", "config.skew", "an integer from 0 to 2")?;
    request.metadata = f.get("Metadata")?.map(|m| string_map(m, "metadata")).transpose()?;
    let now = crate::clock::now();
    // A recovery-code factor's codes are hashed as it is made.
    let (va, created) = in_service(app, va, true, move |v| Ok(v.create_factor(&identity, request, now)?)).await?;
    let view = created.factor.answer_view(None, Some(&created.binding));
    let view = extend(view, json!({ "options": null }));
    ok(StatusCode::CREATED, factor_view(app, &va, &created.factor, view))
}

async fn fetch_factor(
    State(app): AppState,
    TwilioPath((va, identity, sid)): TwilioPath<(String, String, String)>,
    RawQuery(q): RawQuery,
) -> Answer {
    no_query(q)?;
    let (va, factor) = in_service(app, va, false, move |v| Ok(v.fetch_factor(&identity, &sid)?)).await?;
    ok(StatusCode::OK, factor_view(app, &va, &factor, factor.view()))
}

/// With `AuthPayload`: enrollment (verifies the factor with its first code; a wrong code is
/// answered 200 with the factor still unverified). Without: changes `FriendlyName` or
/// `Config.*`. The two are not combined in one request.
async fn update_factor(
    State(app): AppState,
    TwilioPath((va, identity, sid)): TwilioPath<(String, String, String)>,
    FormBody(f): FormBody,
) -> Answer {
    f.only(
        &[
            "AuthPayload",
            "FriendlyName",
            "Config.Alg",
            "Config.CodeLength",
            "Config.TimeStep",
            "Config.Skew",
            "Metadata",
        ],
        "only AuthPayload, or FriendlyName, Config.Alg, Config.CodeLength, Config.TimeStep, Config.Skew and Metadata",
    )?;
    let now = crate::clock::now();
    if let Some(code) = f.get("AuthPayload")? {
        if f.has_any(&["FriendlyName", "Config.Alg", "Config.CodeLength", "Config.TimeStep", "Config.Skew", "Metadata"])
        {
            return Err(invalid(
                "AuthPayload",
                "alone: verify the factor, then change its settings in another request",
            ));
        }
        let code = code.to_string();
        let (va, (factor, v)) =
            in_service(app, va, may_hash(&code), move |s| Ok(s.verify_factor(&identity, &sid, &code, now)?)).await?;
        crate::metrics::result("verify_factor", v.result.as_str());
        return ok(StatusCode::OK, factor_view(app, &va, &factor, factor.answer_view(Some(&v), None)));
    }
    let update = FactorUpdate {
        friendly_name: f.get("FriendlyName")?.map(str::to_string),
        alg: alg(&f)?,
        code_length: small_number(&f, "Config.CodeLength", "config.code_length", "an integer from 3 to 8")?,
        time_step: f.number("Config.TimeStep", "config.time_step", "an integer from 20 to 60")?,
        skew: small_number(&f, "Config.Skew", "config.skew", "an integer from 0 to 2")?,
        metadata: f.get("Metadata")?.map(|m| string_map(m, "metadata")).transpose()?,
        ..FactorUpdate::default()
    };
    let (va, factor) = in_service(app, va, false, move |s| Ok(s.update_factor(&identity, &sid, &update, now)?)).await?;
    ok(StatusCode::OK, factor_view(app, &va, &factor, factor.view()))
}

async fn delete_factor(
    State(app): AppState,
    TwilioPath((va, identity, sid)): TwilioPath<(String, String, String)>,
    RawQuery(q): RawQuery,
) -> Answer {
    no_query(q)?;
    let now = crate::clock::now();
    in_service(app, va, false, move |v| Ok(v.delete_factor(&identity, &sid, now)?)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn list_factors(
    State(app): AppState,
    TwilioPath((va, identity)): TwilioPath<(String, String)>,
    RawQuery(q): RawQuery,
) -> Answer {
    let q = query(q)?;
    q.only(PAGING, PAGING_EXPECTED)?;
    let at = paging_of(&q)?;
    let paging = at.paging.clone();
    let id = identity.clone();
    let (va, page) = in_service(app, va, false, move |v| Ok(v.list_factors(&id, &paging)?)).await?;
    let items = page.items.iter().map(|f| factor_view(app, &va, f, f.view())).collect();
    let base = format!("{}/Factors", entity_url(app, &va, &identity));
    ok(StatusCode::OK, listing("factors", &base, &[], &at, items, page.next_page_token))
}

// ----- challenges -----

fn new_challenge(f: &Form) -> Result<NewChallenge, ApiError> {
    f.only(
        &[
            "FactorSid",
            "AuthPayload",
            "ExpirationDate",
            "Details.Message",
            "Details.Fields",
            "HiddenDetails",
            "Metadata",
        ],
        "only FactorSid, AuthPayload, ExpirationDate, Details.Message, Details.Fields, HiddenDetails and Metadata",
    )?;
    let mut request = NewChallenge::new(f.required("FactorSid", "YF followed by 32 lowercase hex characters")?);
    request.auth_payload = f.get("AuthPayload")?.map(str::to_string);
    if let Some(date) = f.get("ExpirationDate")? {
        let at = parse_rfc3339(date)
            .ok_or_else(|| invalid("expiration_date", "an ISO 8601 date like 2026-12-01T20:00:00Z"))?;
        request.expiration_date = Some(at);
    }
    let message = f.get("Details.Message")?;
    let fields = f.all("Details.Fields");
    if message.is_some() || !fields.is_empty() {
        let mut parsed = Vec::with_capacity(fields.len());
        for field in fields {
            const EXPECTED: &str = "JSON objects {\"label\": …, \"value\": …}";
            let value: Value = serde_json::from_str(field).map_err(|_| invalid("details.fields", EXPECTED))?;
            let (Some(label), Some(value)) = (value["label"].as_str(), value["value"].as_str()) else {
                return Err(invalid("details.fields", EXPECTED));
            };
            parsed.push(DetailField { label: label.to_string(), value: value.to_string() });
        }
        let message = message.ok_or_else(|| invalid("details.message", "a message when Details.Fields are given"))?;
        request.details = Some(Details { message: message.to_string(), fields: parsed });
    }
    request.hidden_details = f.get("HiddenDetails")?.map(|m| string_map(m, "hidden_details")).transpose()?;
    request.metadata = f.get("Metadata")?.map(|m| string_map(m, "metadata")).transpose()?;
    Ok(request)
}

async fn create_challenge(
    State(app): AppState,
    TwilioPath((va, identity)): TwilioPath<(String, String)>,
    FormBody(f): FormBody,
) -> Answer {
    let request = new_challenge(&f)?;
    let now = crate::clock::now();
    let hashing = request.auth_payload.as_deref().is_some_and(may_hash);
    let (va, (challenge, v)) =
        in_service(app, va, hashing, move |s| Ok(s.create_challenge(&identity, request, now)?)).await?;
    if let Some(v) = &v {
        crate::metrics::result("create_challenge", v.result.as_str());
    }
    answer(StatusCode::CREATED, &twilio_challenge(app, &va, &challenge, v.as_ref(), now))
}

async fn fetch_challenge(
    State(app): AppState,
    TwilioPath((va, identity, sid)): TwilioPath<(String, String, String)>,
    RawQuery(q): RawQuery,
) -> Answer {
    no_query(q)?;
    let now = crate::clock::now();
    let (va, challenge) = in_service(app, va, false, move |v| Ok(v.fetch_challenge(&identity, &sid)?)).await?;
    answer(StatusCode::OK, &twilio_challenge(app, &va, &challenge, None, now))
}

async fn update_challenge(
    State(app): AppState,
    TwilioPath((va, identity, sid)): TwilioPath<(String, String, String)>,
    FormBody(f): FormBody,
) -> Answer {
    f.only(&["AuthPayload", "Metadata"], "only AuthPayload and Metadata")?;
    let code = f.required("AuthPayload", "the code from the authenticator app")?.to_string();
    let metadata = f.get("Metadata")?.map(|m| string_map(m, "metadata")).transpose()?;
    let now = crate::clock::now();
    let (va, (challenge, v)) = in_service(app, va, may_hash(&code), move |s| {
        Ok(s.update_challenge(&identity, &sid, &code, metadata.as_ref(), now)?)
    })
    .await?;
    crate::metrics::result("update_challenge", v.result.as_str());
    answer(StatusCode::OK, &twilio_challenge(app, &va, &challenge, Some(&v), now))
}

async fn list_challenges(
    State(app): AppState,
    TwilioPath((va, identity)): TwilioPath<(String, String)>,
    RawQuery(q): RawQuery,
) -> Answer {
    let q = query(q)?;
    q.only(
        &["PageSize", "Page", "PageToken", "FactorSid", "Status", "Order"],
        "only PageSize, Page, PageToken, FactorSid, Status and Order",
    )?;
    let at = paging_of(&q)?;
    let mut filters: Vec<(&str, String)> = Vec::new();
    let factor_sid = q.get("FactorSid")?.map(str::to_string);
    if let Some(sid) = &factor_sid {
        filters.push(("FactorSid", sid.clone()));
    }
    let status = match q.get("Status")? {
        None => None,
        Some(s) => {
            filters.push(("Status", s.to_string()));
            Some(
                ChallengeStatus::from_name(s)
                    .ok_or_else(|| invalid("Status", "pending, expired, approved or denied"))?,
            )
        }
    };
    let order = match q.get("Order")? {
        None => Order::Asc,
        Some(o) => {
            filters.push(("Order", o.to_string()));
            match o {
                "asc" => Order::Asc,
                "desc" => Order::Desc,
                _ => return Err(invalid("Order", "asc or desc")),
            }
        }
    };
    let paging = at.paging.clone();
    let now = crate::clock::now();
    let id = identity.clone();
    let (va, page) = in_service(app, va, false, move |v| {
        Ok(v.list_challenges(&id, factor_sid.as_deref(), status, order, &paging, now)?)
    })
    .await?;
    let items = page.items.iter().map(|c| challenge_view(app, &va, c, None, now)).collect();
    let base = format!("{}/Challenges", entity_url(app, &va, &identity));
    ok(StatusCode::OK, listing("challenges", &base, &filters, &at, items, page.next_page_token))
}

/// Runs `operation` with the service `va`'s operations (404 when there is no such service),
/// where [`blocking`] says (`hashing`: it may hash recovery codes); answers the service's sid
/// with the result.
pub(crate) async fn in_service<T: Send + 'static>(
    app: &'static App,
    va: String,
    hashing: bool,
    operation: impl FnOnce(&watchword_core::service::Verify<crate::services::Shared>) -> Result<T, ApiError>
        + Send
        + 'static,
) -> Result<(String, T), ApiError> {
    blocking(app, hashing, move |app| {
        let def = app.registry.fetch(&va)?;
        Ok((va, operation(def.verify())?))
    })
    .await
}

#[cfg(test)]
mod tests {
    use rand_core::OsRng;
    use watchword_core::service::{NewFactor, ServiceConfig, VerificationResult};

    use super::*;

    #[test]
    fn a_challenge_answer_is_what_serde_json_writes_with_its_urls_written_in_place() {
        let config = ServiceConfig::new("Acme").unwrap();
        let now = 1_800_000_000;
        let entity = Entity::new("ff483d1f-f591-898a", [1; 16], now).unwrap();
        let factor = Factor::create(&config, &entity, &NewFactor::new("phone"), &mut OsRng, now).unwrap();
        let challenge =
            Challenge::create(&config, &factor, &NewChallenge::new(factor.sid.as_str()), [2; 16], now).unwrap();
        let va = "VA0123456789abcdef0123456789abcdef";
        let approved = Verification { result: VerificationResult::Approved, offset: Some(-1) };
        for (verification, keys) in [(None, 18), (Some(&approved), 20)] {
            let answer = TwilioChallenge {
                view: challenge.typed_view(verification, now),
                account_sid: "AC0123456789abcdef0123456789abcdef",
                url: ChallengeUrl {
                    entity: ServiceUrl { base: "https://verify.example.com", va }.entity(challenge.identity.as_str()),
                    sid: challenge.sid.as_str(),
                    notifications: false,
                },
            };
            let mut ours = Vec::new();
            crate::json::write(&mut ours, &answer).unwrap();
            assert_eq!(String::from_utf8(ours.clone()).unwrap(), serde_json::to_string(&answer).unwrap());
            let url = format!(
                "https://verify.example.com/v2/Services/{va}/Entities/ff483d1f-f591-898a/Challenges/{}",
                challenge.sid
            );
            let text = String::from_utf8(ours).unwrap();
            assert!(text.starts_with(&format!("{{\"sid\":\"{}\",", challenge.sid)), "{text}");
            let tail = format!(
                ",\"account_sid\":\"AC0123456789abcdef0123456789abcdef\",\"service_sid\":\"{va}\",\
                 \"links\":{{\"notifications\":\"{url}/Notifications\"}},\"url\":\"{url}\"}}"
            );
            assert!(text.ends_with(&tail), "{text}");
            let value: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(value.as_object().map(|o| o.len()), Some(keys));
            assert_eq!(value.get("result").and_then(Value::as_str), verification.map(|_| "approved"));
        }
    }
}
