//! What Twilio's API lacks, under `/watchword/v1` with the Twilio API's authentication: unlock
//! a factor, sweep a service, reseal every record, export and import records. Answers are
//! JSON; errors are Twilio-shaped.

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;
use serde_json::json;
use watchword_core::service::{FactorUpdate, Paging, Verify};

use crate::app::{blocking, App};
use crate::error::{invalid, TwilioPath};
use crate::services::Shared;
use crate::twilio::{
    challenge_view, entity_view, factor_view, in_service, new_factor, no_query, ok, Answer, AppState, FormBody,
};

/// The `/watchword/v1` routes.
pub fn routes() -> Router<&'static App> {
    Router::new()
        .route("/watchword/v1/Services/{va}/Entities/{identity}/Factors/{sid}/Unlock", post(unlock))
        .route("/watchword/v1/Services/{va}/Entities/{identity}/Factors", post(create_factor))
        .route("/watchword/v1/Services/{va}/Entities/{identity}/Factors/{sid}/Regenerate", post(regenerate))
        .route("/watchword/v1/Services/{va}/Sweep", post(sweep))
        .route("/watchword/v1/Reseal", post(reseal))
        .route("/watchword/v1/Services/{va}/Entities/{identity}/Export", get(export_entity))
        .route("/watchword/v1/Services/{va}/Factors/{sid}/Export", get(export_factor))
        .route("/watchword/v1/Services/{va}/Challenges/{sid}/Export", get(export_challenge))
        .route("/watchword/v1/Services/{va}/Import", post(import))
}

/// Creates a factor of any type: `FactorType=recovery_codes` (with `Count`, 1–20, default 10)
/// or `totp` (as the Twilio endpoint does).
async fn create_factor(
    State(app): AppState,
    TwilioPath((va, identity)): TwilioPath<(String, String)>,
    FormBody(f): FormBody,
) -> Answer {
    new_factor(app, va, identity, &f, true).await
}

/// A new set of recovery codes for a `recovery_codes` factor, answered once in `binding.codes`
/// (the old codes stop working).
async fn regenerate(
    State(app): AppState,
    TwilioPath((va, identity, sid)): TwilioPath<(String, String, String)>,
    FormBody(f): FormBody,
) -> Answer {
    f.only(&[], "no parameters")?;
    let now = crate::clock::now();
    let update = FactorUpdate { regenerate: true, ..FactorUpdate::default() };
    let (va, (factor, binding)) =
        in_service(app, va, true, move |v| Ok(v.update_factor_with_codes(&identity, &sid, &update, now)?)).await?;
    ok(StatusCode::OK, factor_view(app, &va, &factor, factor.answer_view(None, binding.as_ref())))
}

/// Lifts a factor's lockout and clears its failure budget.
async fn unlock(
    State(app): AppState,
    TwilioPath((va, identity, sid)): TwilioPath<(String, String, String)>,
    FormBody(f): FormBody,
) -> Answer {
    f.only(&[], "no parameters")?;
    let (va, factor) = in_service(app, va, false, move |v| Ok(v.unlock_factor(&identity, &sid)?)).await?;
    ok(StatusCode::OK, factor_view(app, &va, &factor, factor.view()))
}

/// Removes what has outlived its use in one service (SPEC §3: unverified factors past their
/// lifetime, old answered or expired challenges, old tombstones).
async fn sweep(State(app): AppState, TwilioPath(va): TwilioPath<String>, FormBody(f): FormBody) -> Answer {
    f.only(&[], "no parameters")?;
    let now = crate::clock::now();
    let (_, removed) = in_service(app, va, true, move |v| Ok(v.sweep(now)?)).await?;
    ok(StatusCode::OK, json!({ "removed": removed }))
}

/// Rewrites every record of every namespace (the registry, each service, the Okta users) under
/// the active key; answers how many it rewrote.
async fn reseal(State(app): AppState, FormBody(f): FormBody) -> Answer {
    f.only(&[], "no parameters")?;
    let resealed = blocking(app, true, |app| {
        let mut total = app.registry.reseal()?;
        let mut paging = Paging::first(500);
        loop {
            let page = app.registry.list(&paging)?;
            for def in &page.items {
                total += def.verify().reseal()?;
            }
            match page.next_page_token {
                Some(token) => paging.page_token = Some(token),
                None => break,
            }
        }
        if let Some(okta) = &app.okta {
            total += okta.reseal()?;
        }
        Ok(total)
    })
    .await?;
    ok(StatusCode::OK, json!({ "resealed": resealed }))
}

/// Answers a record as exported by `export` (`kind`: entity, factor or challenge).
async fn exported(
    app: &'static App,
    va: String,
    kind: &'static str,
    export: impl FnOnce(&Verify<Shared>) -> Result<String, watchword_core::Error> + Send + 'static,
) -> Answer {
    let (_, record) = in_service(app, va, false, move |v| Ok(export(v)?)).await?;
    ok(StatusCode::OK, json!({ "kind": kind, "record": record }))
}

async fn export_entity(
    State(app): AppState,
    TwilioPath((va, identity)): TwilioPath<(String, String)>,
    RawQuery(q): RawQuery,
) -> Answer {
    no_query(q)?;
    exported(app, va, "entity", move |v| v.export_entity(&identity)).await
}

async fn export_factor(
    State(app): AppState,
    TwilioPath((va, sid)): TwilioPath<(String, String)>,
    RawQuery(q): RawQuery,
) -> Answer {
    no_query(q)?;
    exported(app, va, "factor", move |v| v.export_factor(&sid)).await
}

async fn export_challenge(
    State(app): AppState,
    TwilioPath((va, sid)): TwilioPath<(String, String)>,
    RawQuery(q): RawQuery,
) -> Answer {
    no_query(q)?;
    exported(app, va, "challenge", move |v| v.export_challenge(&sid)).await
}

/// Loads a record (`Kind` = entity, factor or challenge; `Record` = its stored form).
async fn import(State(app): AppState, TwilioPath(va): TwilioPath<String>, FormBody(f): FormBody) -> Answer {
    f.only(&["Kind", "Record"], "only Kind and Record")?;
    let kind = f.required("Kind", "entity, factor or challenge")?.to_string();
    let record = f.required("Record", "a stored record (an export)")?.to_string();
    if !matches!(kind.as_str(), "entity" | "factor" | "challenge") {
        return Err(invalid("Kind", "entity, factor or challenge"));
    }
    let now = crate::clock::now();
    let (_, view) = in_service(app, va.clone(), false, move |v| {
        Ok(match kind.as_str() {
            "entity" => entity_view(app, &va, &v.import_entity(&record, now)?),
            "factor" => {
                let factor = v.import_factor(&record, now)?;
                factor_view(app, &va, &factor, factor.view())
            }
            _ => challenge_view(app, &va, &v.import_challenge(&record, now)?, None, now),
        })
    })
    .await?;
    ok(StatusCode::CREATED, view)
}
