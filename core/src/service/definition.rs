//! A service namespace's definition (SPEC §7): what a server that hosts many namespaces keeps
//! about each one — its `VA…` sid, a name, its issuer and the settings it runs with — as a
//! record in a registry namespace of its own, versioned, compare-and-set and sealed like every
//! other record. `watchword serve` keeps a Twilio Service this way.

use alloc::collections::BTreeMap;
use alloc::string::String;

use super::factor::check_friendly_name;
use super::{Identity, ServiceConfig, Sid};
use crate::Error;

/// A service namespace's definition (Twilio's Service, `VA…`).
///
/// ```
/// use std::collections::BTreeMap;
/// use watchword_core::service::{ServiceConfig, ServiceDefinition};
/// let template = ServiceConfig::new("watchword").unwrap();
/// let settings = BTreeMap::from([("code_length".to_string(), 8)]);
/// let d = ServiceDefinition::new("Acme", "Acme Bank", settings, [7; 16], 1_700_000_000).unwrap();
/// let config = d.config(&template).unwrap();
/// assert_eq!((config.service.as_str(), config.issuer.as_str(), config.code_length), (d.sid.as_str(), "Acme Bank", 8));
/// let mut wrong = d.clone();
/// wrong.settings.insert("skew".to_string(), 3);
/// assert!(wrong.config(&template).is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceDefinition {
    /// `VA` + 32 hex characters: the namespace (`service` setting) of the service's records.
    pub sid: Sid,
    /// The sid's text: a definition belongs to no user, and stores list records by identity.
    pub identity: Identity,
    /// The service's name (Twilio's FriendlyName): 1–64 characters.
    pub friendly_name: String,
    /// The issuer its factors' key URIs name.
    pub issuer: String,
    /// Numeric settings ([`ServiceConfig::set`]) over the server's defaults.
    pub settings: BTreeMap<String, u64>,
    /// Unix seconds.
    pub date_created: u64,
    /// Unix seconds.
    pub date_updated: u64,
    /// Raised by one on every change; the store's compare-and-set key.
    pub version: u64,
}

impl ServiceDefinition {
    /// A new definition (version 1) with a sid made of `random`. The name is checked here;
    /// the issuer and settings by [`ServiceDefinition::config`].
    pub fn new(
        friendly_name: &str,
        issuer: &str,
        settings: BTreeMap<String, u64>,
        random: [u8; 16],
        now: u64,
    ) -> Result<ServiceDefinition, Error> {
        check_friendly_name(friendly_name)?;
        let sid = Sid::new("VA", random);
        Ok(ServiceDefinition {
            sid,
            identity: Identity::parse(sid.as_str())?,
            friendly_name: String::from(friendly_name),
            issuer: String::from(issuer),
            settings,
            date_created: now,
            date_updated: now,
            version: 1,
        })
    }

    /// The configuration the service runs with: `template` (the server's defaults) with this
    /// namespace, issuer and settings, validated.
    pub fn config(&self, template: &ServiceConfig) -> Result<ServiceConfig, Error> {
        check_friendly_name(&self.friendly_name)?;
        let mut config = template.clone();
        config.service = String::from(self.sid.as_str());
        config.issuer = self.issuer.clone();
        for (name, value) in &self.settings {
            config.set(name, *value)?;
        }
        config.validate()?;
        Ok(config)
    }
}

/// Checks a definition's sid: `VA` + 32 lowercase hex characters.
#[cfg(feature = "std")]
pub(crate) fn check_service_sid(sid: &str) -> Result<Sid, Error> {
    Sid::parse(sid, "VA").ok_or_else(|| super::invalid("service_sid", "VA followed by 32 lowercase hex characters"))
}
