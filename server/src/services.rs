//! Twilio Services: each is a service namespace (SPEC §7) named by its `VA…` sid, with its own
//! TOTP settings kept in the store.
//!
//! A service definition is kept as records of the kinds every store already holds, in the
//! registry namespace `watchword-services`: an entity whose identity is the `VA…` sid, with
//! one verified factor whose `friendly_name` is the service's FriendlyName, whose `config`
//! holds `Totp.TimeStep`, `Totp.CodeLength` and `Totp.Skew`, and whose `metadata` holds
//! `issuer`. So definitions are versioned, compare-and-set, sealed under the service keys and
//! listed by the stores' `scan` like every other record. The registry factor's secret is never
//! used; it is verified at creation so that `sweep` never removes it.

use std::sync::Arc;

use rand_core::{OsRng, RngCore};
use watchword_core::service::{Factor, FactorUpdate, Metadata, NewFactor, Page, Paging, ServiceConfig, Verify};
use watchword_core::{Error, KeyUri, Totp};
use watchword_store::AnyStore;

use crate::error::{invalid, ApiError};

/// The namespace that holds the service definitions.
pub const REGISTRY: &str = "watchword-services";

/// The store every namespace shares.
pub type Shared = Arc<AnyStore>;

/// A Twilio Service's settings.
#[derive(Debug, Clone)]
pub struct ServiceDef {
    /// `VA…`.
    pub sid: String,
    /// FriendlyName.
    pub friendly_name: String,
    /// Totp.Issuer.
    pub issuer: String,
    /// Totp.TimeStep.
    pub time_step: u64,
    /// Totp.CodeLength.
    pub code_length: u32,
    /// Totp.Skew.
    pub skew: u32,
    /// When it was created and last changed.
    pub date_created: u64,
    /// When it was last changed.
    pub date_updated: u64,
    factor_sid: String,
}

/// What a create or update sets (`None`: keep, or the default on create).
#[derive(Debug, Default)]
pub struct ServiceChange {
    /// FriendlyName.
    pub friendly_name: Option<String>,
    /// Totp.Issuer.
    pub issuer: Option<String>,
    /// Totp.TimeStep.
    pub time_step: Option<u64>,
    /// Totp.CodeLength.
    pub code_length: Option<u32>,
    /// Totp.Skew.
    pub skew: Option<u32>,
}

/// Whether `sid` is a well-formed `VA…` sid.
pub fn is_service_sid(sid: &str) -> bool {
    sid.len() == 34 && sid.starts_with("VA") && sid[2..].bytes().all(|b| b.is_ascii_hexdigit())
}

fn check_friendly_name(name: &str) -> Result<(), ApiError> {
    let n = name.chars().count();
    if !(1..=64).contains(&n) {
        return Err(invalid("FriendlyName", "1 to 64 characters"));
    }
    Ok(())
}

/// The services' registry over the shared store, and the template of their settings.
pub struct Registry {
    verify: Verify<Shared>,
    template: ServiceConfig,
    store: Shared,
}

impl Registry {
    /// The registry over `store`; `template` holds the settings every service starts from.
    pub fn new(store: Shared, template: ServiceConfig) -> Result<Registry, Error> {
        let mut config = ServiceConfig::new("watchword")?;
        config.service = REGISTRY.into();
        config.min_code_length = 3;
        config.secret_keys = template.secret_keys.clone();
        config.accept_plaintext_records = template.accept_plaintext_records;
        config.validate()?;
        Ok(Registry { verify: Verify::new(config, store.clone()), template, store })
    }

    /// The service's own configuration (its namespace and TOTP settings over the template).
    pub fn config_of(&self, def: &ServiceDef) -> Result<ServiceConfig, Error> {
        let mut config = self.template.clone();
        config.issuer = ServiceConfig::new(&def.issuer)?.issuer;
        config.service = def.sid.clone();
        config.set("time_step", def.time_step)?;
        config.set("code_length", u64::from(def.code_length))?;
        config.set("skew", u64::from(def.skew))?;
        config.validate()?;
        Ok(config)
    }

    /// The service's operations.
    pub fn verify_of(&self, def: &ServiceDef) -> Result<Verify<Shared>, Error> {
        Ok(Verify::new(self.config_of(def)?, self.store.clone()))
    }

    fn def_of(factor: &Factor) -> ServiceDef {
        let issuer = factor.metadata.as_ref().and_then(|m| m.get("issuer")).cloned().unwrap_or_default();
        ServiceDef {
            sid: factor.identity.as_str().to_string(),
            friendly_name: factor.friendly_name.clone(),
            issuer,
            time_step: factor.config.time_step,
            code_length: factor.config.code_length,
            skew: factor.config.skew,
            date_created: factor.date_created,
            date_updated: factor.date_updated,
            factor_sid: factor.sid.as_str().to_string(),
        }
    }

    /// Reseals the registry's own records (the service definitions).
    pub fn reseal(&self) -> Result<usize, Error> {
        self.verify.reseal()
    }

    /// Creates a service.
    pub fn create(&self, change: ServiceChange, now: u64) -> Result<ServiceDef, ApiError> {
        let friendly_name = change.friendly_name.ok_or_else(|| invalid("FriendlyName", "1 to 64 characters"))?;
        check_friendly_name(&friendly_name)?;
        let mut bytes = [0u8; 16];
        OsRng.fill_bytes(&mut bytes);
        let sid: String = std::iter::once("VA".to_string()).chain(bytes.iter().map(|b| format!("{b:02x}"))).collect();
        let defaults = &self.template;
        let mut def = ServiceDef {
            sid,
            issuer: change.issuer.unwrap_or_else(|| friendly_name.clone()),
            friendly_name,
            time_step: change.time_step.unwrap_or(defaults.time_step),
            code_length: change.code_length.unwrap_or(defaults.code_length),
            skew: change.skew.unwrap_or(defaults.skew),
            date_created: now,
            date_updated: now,
            factor_sid: String::new(),
        };
        self.config_of(&def)?;
        let mut request = NewFactor::new(&def.friendly_name);
        request.time_step = Some(def.time_step);
        request.code_length = Some(def.code_length);
        request.skew = Some(def.skew);
        request.metadata = Some(Metadata::from([("issuer".to_string(), def.issuer.clone())]));
        let created = self.verify.create_factor(&def.sid, request, now)?;
        // Verified at once, so that a sweep of the registry never takes the definition away.
        let app = KeyUri::parse(&created.binding.uri)?;
        let code = Totp::new(app.secret.as_bytes(), app.algorithm, app.digits, app.period)?.generate(now)?;
        let (factor, _) = self.verify.verify_factor(&def.sid, created.factor.sid.as_str(), code.as_str(), now)?;
        def.factor_sid = factor.sid.as_str().to_string();
        def.date_updated = factor.date_updated;
        Ok(def)
    }

    /// The service with that sid.
    pub fn fetch(&self, sid: &str) -> Result<ServiceDef, ApiError> {
        if !is_service_sid(sid) {
            return Err(ApiError::NotFound);
        }
        match self.verify.list_factors(sid, &Paging::first(1)) {
            Ok(page) => page.items.first().map(Registry::def_of).ok_or(ApiError::NotFound),
            Err(Error::EntityNotFound) => Err(ApiError::NotFound),
            Err(e) => Err(e.into()),
        }
    }

    /// Changes a service's settings; later factors use them (existing factors keep theirs).
    pub fn update(&self, sid: &str, change: ServiceChange, now: u64) -> Result<ServiceDef, ApiError> {
        let current = self.fetch(sid)?;
        if let Some(name) = &change.friendly_name {
            check_friendly_name(name)?;
        }
        let next = ServiceDef {
            friendly_name: change.friendly_name.unwrap_or(current.friendly_name.clone()),
            issuer: change.issuer.unwrap_or(current.issuer.clone()),
            time_step: change.time_step.unwrap_or(current.time_step),
            code_length: change.code_length.unwrap_or(current.code_length),
            skew: change.skew.unwrap_or(current.skew),
            ..current.clone()
        };
        self.config_of(&next)?;
        let update = FactorUpdate {
            friendly_name: Some(next.friendly_name.clone()),
            time_step: Some(next.time_step),
            code_length: Some(next.code_length),
            skew: Some(next.skew),
            metadata: Some(Metadata::from([("issuer".to_string(), next.issuer.clone())])),
            ..FactorUpdate::default()
        };
        let factor = self.verify.update_factor(sid, &current.factor_sid, &update, now)?;
        Ok(Registry::def_of(&factor))
    }

    /// Deletes a service: its definition first (no request finds it from then on), then every
    /// entity of its namespace with their factors and challenges.
    pub fn delete(&self, sid: &str, now: u64) -> Result<(), ApiError> {
        let def = self.fetch(sid)?;
        let verify = self.verify_of(&def)?;
        match self.verify.delete_entity(sid, now) {
            Ok(()) | Err(Error::EntityNotFound) => {}
            Err(e) => return Err(e.into()),
        }
        loop {
            let page = verify.list_entities(&Paging::first(500))?;
            if page.items.is_empty() {
                return Ok(());
            }
            for entity in page.items {
                match verify.delete_entity(entity.identity.as_str(), now) {
                    Ok(()) | Err(Error::EntityNotFound) => {}
                    Err(e) => return Err(e.into()),
                }
            }
        }
    }

    /// One page of the services, oldest first.
    pub fn list(&self, paging: &Paging) -> Result<Page<ServiceDef>, ApiError> {
        let page = self.verify.list_entities(paging)?;
        let mut items = Vec::with_capacity(page.items.len());
        for entity in page.items {
            match self.fetch(entity.identity.as_str()) {
                Ok(def) => items.push(def),
                Err(ApiError::NotFound) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(Page { items, next_page_token: page.next_page_token })
    }
}
