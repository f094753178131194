//! The Entity: one user of the host's system, addressed by its `identity`.

use super::factor::Quota;
use super::{check_identity, Identity, ServiceConfig, Sid};
use crate::Error;

/// One user (Twilio's Entity, `YE…`). Created explicitly or on its first factor; deleting it
/// deletes its factors and challenges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entity {
    /// `YE` + 32 hex characters.
    pub sid: Sid,
    /// The host's immutable user id: 8–64 dash-separated ASCII alphanumerics (no PII).
    pub identity: Identity,
    /// Unix seconds.
    pub date_created: u64,
    /// Unix seconds.
    pub date_updated: u64,
    /// Raised by one on every change; the store's compare-and-set key.
    pub version: u64,
    /// Factor creations in the current 24-hour window (quota 60326).
    pub factor_creations: Quota,
}

impl Entity {
    /// A new entity (version 1).
    pub fn new(identity: &str, random: [u8; 16], now: u64) -> Result<Entity, Error> {
        let identity = check_identity(identity)?;
        Ok(Entity {
            sid: Sid::new("YE", random),
            identity,
            date_created: now,
            date_updated: now,
            version: 1,
            factor_creations: Quota::default(),
        })
    }

    /// The entity after one more factor creation, or 60326 when the 24-hour quota is used up.
    pub fn admit_factor_creation(self, config: &ServiceConfig, now: u64) -> Result<Entity, Error> {
        let factor_creations = self
            .factor_creations
            .admit(now, 86_400, config.factor_creations_per_day)
            .ok_or(Error::FactorCreationRateLimited)?;
        Ok(Entity { factor_creations, version: self.version.saturating_add(1), ..self })
    }
}
