//! Twilio Services: each is a service namespace (SPEC §7) named by its `VA…` sid, with its own
//! TOTP settings kept in the store.
//!
//! A service is a [`ServiceDefinition`] record in the registry namespace `watchword-services`:
//! its FriendlyName, issuer and TOTP settings (`Totp.TimeStep`, `Totp.CodeLength`,
//! `Totp.Skew`), versioned, compare-and-set, sealed under the service keys and listed by the
//! stores' `scan` like every other record.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use rand_core::{OsRng, RngCore};
use watchword_core::service::{Page, Paging, ServiceConfig, ServiceDefinition, Verify};
use watchword_core::Error;
use watchword_store::AnyStore;

use crate::error::{invalid, ApiError};

/// The namespace that holds the service definitions.
pub const REGISTRY: &str = "watchword-services";

/// The store every namespace shares.
pub type Shared = Arc<AnyStore>;

/// A Twilio Service: its definition and the operations it runs with.
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
    /// When it was created.
    pub date_created: u64,
    /// When it was last changed.
    pub date_updated: u64,
    /// The stored definition's version.
    version: u64,
    verify: Verify<Shared>,
}

impl ServiceDef {
    /// The service's operations.
    pub fn verify(&self) -> &Verify<Shared> {
        &self.verify
    }
}

/// At most this many services' operations are kept ready between requests, by each thread.
const CACHED_SERVICES: usize = 1_000;

/// Tells registries apart in [`READY`].
static NEXT_REGISTRY: AtomicU64 = AtomicU64::new(1);

thread_local! {
    /// The services each thread read lately, by registry and sid, each with the version of the
    /// definition it was made from. A thread makes its own, so that reusing one moves no
    /// reference count between cores.
    static READY: RefCell<HashMap<u64, HashMap<String, Arc<ServiceDef>>>> = RefCell::new(HashMap::new());
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

impl ServiceChange {
    /// Applies the change to a definition; the TOTP settings are kept in the definition, so a
    /// later change of the server's defaults leaves existing services as they are.
    fn apply(&self, definition: &mut ServiceDefinition) {
        if let Some(name) = &self.friendly_name {
            definition.friendly_name = name.clone();
        }
        if let Some(issuer) = &self.issuer {
            definition.issuer = issuer.clone();
        }
        for (name, value) in [
            ("time_step", self.time_step),
            ("code_length", self.code_length.map(u64::from)),
            ("skew", self.skew.map(u64::from)),
        ] {
            if let Some(value) = value {
                definition.settings.insert(name.to_string(), value);
            }
        }
    }
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
    /// This registry's services in [`READY`]: a request reads the definition's version anew
    /// and reuses its service while it holds.
    id: u64,
}

impl Registry {
    /// The registry over `store`; `template` holds the settings every service starts from.
    pub fn new(store: Shared, template: ServiceConfig) -> Result<Registry, Error> {
        let mut config = ServiceConfig::new("watchword")?;
        config.service = REGISTRY.into();
        config.secret_keys = template.secret_keys.clone();
        config.accept_plaintext_records = template.accept_plaintext_records;
        config.validate()?;
        let id = NEXT_REGISTRY.fetch_add(1, Ordering::Relaxed);
        Ok(Registry { verify: Verify::new(config, store.clone()), template, store, id })
    }

    /// This thread's service `sid` when it was made from the definition's `version`.
    fn ready(&self, sid: &str, version: u64) -> Option<Arc<ServiceDef>> {
        let found = READY.try_with(|ready| {
            let ready = ready.try_borrow().ok()?;
            ready.get(&self.id)?.get(sid).filter(|def| version != 0 && def.version == version).cloned()
        });
        found.ok().flatten()
    }

    /// Keeps `def` ready on this thread (`None`: forgets the service `sid`).
    fn keep(&self, sid: &str, def: Option<&Arc<ServiceDef>>) {
        let _ = READY.try_with(|ready| {
            let Ok(mut ready) = ready.try_borrow_mut() else { return };
            let mine = ready.entry(self.id).or_default();
            match def {
                Some(def) => {
                    if mine.len() >= CACHED_SERVICES {
                        mine.clear();
                    }
                    mine.insert(sid.to_string(), def.clone());
                }
                None => {
                    mine.remove(sid);
                }
            }
        });
    }

    fn def_of(&self, definition: &ServiceDefinition) -> Result<ServiceDef, Error> {
        let config = definition.config(&self.template)?;
        Ok(ServiceDef {
            sid: definition.sid.as_str().to_string(),
            friendly_name: definition.friendly_name.clone(),
            issuer: config.issuer.clone(),
            time_step: config.time_step,
            code_length: config.code_length,
            skew: config.skew,
            date_created: definition.date_created,
            date_updated: definition.date_updated,
            version: definition.version,
            verify: Verify::new(config, self.store.clone()),
        })
    }

    /// Reseals the registry's own records (the service definitions).
    pub fn reseal(&self) -> Result<usize, Error> {
        self.verify.reseal()
    }

    /// Creates a service.
    pub fn create(&self, change: ServiceChange, now: u64) -> Result<ServiceDef, ApiError> {
        let friendly_name =
            change.friendly_name.clone().ok_or_else(|| invalid("FriendlyName", "1 to 64 characters"))?;
        check_friendly_name(&friendly_name)?;
        let issuer = change.issuer.clone().unwrap_or_else(|| friendly_name.clone());
        let defaults = &self.template;
        let settings = BTreeMap::from([
            ("time_step".to_string(), defaults.time_step),
            ("code_length".to_string(), u64::from(defaults.code_length)),
            ("skew".to_string(), u64::from(defaults.skew)),
        ]);
        let mut random = [0u8; 16];
        OsRng.fill_bytes(&mut random);
        let mut definition = ServiceDefinition::new(&friendly_name, &issuer, settings, random, now)?;
        change.apply(&mut definition);
        // Checked before it is kept: a definition in the store always runs.
        self.def_of(&definition)?;
        Ok(self.def_of(&self.verify.create_definition(definition)?)?)
    }

    /// The service with that sid, as its stored definition says now.
    pub fn fetch(&self, sid: &str) -> Result<Arc<ServiceDef>, ApiError> {
        if !is_service_sid(sid) {
            return Err(ApiError::NotFound);
        }
        // The version alone says whether the service read before still holds.
        let version = self.verify.definition_version(sid)?;
        if let Some(def) = self.ready(sid, version) {
            return Ok(def);
        }
        let Some(definition) = self.verify.fetch_definition(sid)? else {
            self.keep(sid, None);
            return Err(ApiError::NotFound);
        };
        let def = Arc::new(self.def_of(&definition)?);
        self.keep(sid, Some(&def));
        Ok(def)
    }

    /// Changes a service's settings; later factors use them (existing factors keep theirs).
    pub fn update(&self, sid: &str, change: ServiceChange, now: u64) -> Result<ServiceDef, ApiError> {
        if !is_service_sid(sid) {
            return Err(ApiError::NotFound);
        }
        if let Some(name) = &change.friendly_name {
            check_friendly_name(name)?;
        }
        // Run again on a lost race, over the stored definition read anew.
        let updated = self.verify.update_definition(sid, now, |definition| {
            change.apply(definition);
            self.def_of(definition).map(drop)
        })?;
        Ok(self.def_of(&updated.ok_or(ApiError::NotFound)?)?)
    }

    /// Deletes a service: its definition first (no request finds it from then on), then every
    /// entity of its namespace with their factors and challenges.
    pub fn delete(&self, sid: &str, now: u64) -> Result<(), ApiError> {
        let def = self.fetch(sid)?;
        let verify = def.verify();
        self.verify.delete_definition(sid)?;
        self.keep(sid, None);
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
        let page = self.verify.list_definitions(paging)?;
        let items = page.items.iter().map(|d| self.def_of(d)).collect::<Result<Vec<_>, Error>>()?;
        Ok(Page { items, next_page_token: page.next_page_token })
    }
}
