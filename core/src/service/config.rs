//! Service configuration: the issuer, the TOTP defaults and every limit, with Twilio's defaults.

use alloc::string::String;

use serde_json::{Map, Value};

use super::{invalid, KeyRing};
use crate::{Algorithm, Error};

/// Per-factor TOTP settings (`config` in Twilio's Factor resource).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FactorConfig {
    /// HMAC hash.
    pub alg: Algorithm,
    /// Digits per code, 3–8 (and at least the service's `min_code_length`).
    pub code_length: u32,
    /// Seconds per step, 20–60.
    pub time_step: u64,
    /// Steps accepted each side of the current one, 0–2.
    pub skew: u32,
}

impl FactorConfig {
    /// Checks the ranges of SPEC §3 against `service`'s `min_code_length`.
    pub fn validate(&self, service: &ServiceConfig) -> Result<(), Error> {
        if !(service.min_code_length..=8).contains(&self.code_length) {
            return Err(factor_setting_error("code_length"));
        }
        if !(20..=60).contains(&self.time_step) {
            return Err(factor_setting_error("time_step"));
        }
        if self.skew > 2 {
            return Err(factor_setting_error("skew"));
        }
        Ok(())
    }
}

/// The error for a factor's `code_length`, `time_step` or `skew` out of its range, the same
/// whether the number is out of the setting's range or of any integer type's (a negative one):
/// the parameter is Twilio's `config.<name>`, the words are the setting's.
pub(crate) fn factor_setting_error(name: &'static str) -> Error {
    match (name, SETTINGS.iter().find(|s| s.name == name)) {
        ("code_length", Some(s)) => invalid("config.code_length", s.expected),
        ("time_step", Some(s)) => invalid("config.time_step", s.expected),
        ("skew", Some(s)) => invalid("config.skew", s.expected),
        _ => invalid(name, "an integer"),
    }
}

/// One tunable number of the service: its name, default and allowed range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setting {
    /// The name used in settings JSON and by every binding.
    pub name: &'static str,
    /// The default (Twilio's, or NIST's where Twilio has none).
    pub default: u64,
    /// The smallest allowed value.
    pub min: u64,
    /// The largest allowed value.
    pub max: u64,
    /// What the range is, in words (for error messages).
    pub expected: &'static str,
}

const fn setting(name: &'static str, default: u64, min: u64, max: u64, expected: &'static str) -> Setting {
    Setting { name, default, min, max, expected }
}

/// Every numeric setting. Limits and quotas without a range in SPEC §3 accept 1 to ten times
/// the default.
pub const SETTINGS: [Setting; 20] = [
    setting("code_length", crate::DEFAULT_DIGITS as u64, 3, 8, "an integer from 3 to 8, at least min_code_length"),
    setting("min_code_length", 6, 3, 8, "an integer from 3 to 8"),
    setting("time_step", crate::DEFAULT_PERIOD, 20, 60, "an integer from 20 to 60 seconds"),
    setting("skew", crate::DEFAULT_SKEW as u64, 0, 2, "an integer from 0 to 2"),
    setting("challenge_expiration", 300, 1, 3600, "an integer from 1 to 3600 seconds"),
    setting("unverified_factor_lifetime", 3600, 60, 86_400, "an integer from 60 to 86400 seconds"),
    setting("factor_verification_attempts", 5, 1, 50, "an integer from 1 to 50"),
    setting("challenge_attempts", 5, 1, 50, "an integer from 1 to 50"),
    setting("lockout_threshold", 10, 1, 100, "an integer from 1 to 100"),
    setting("lockout_seconds", 60, 1, 600, "an integer from 1 to 600 seconds"),
    setting("lockout_max_seconds", 3600, 1, 36_000, "an integer from 1 to 36000 seconds"),
    setting("lockout_permanent_threshold", 100, 1, 1000, "an integer from 1 to 1000"),
    setting("challenge_quota_short_day", 10, 1, 100, "an integer from 1 to 100"),
    setting("challenge_quota_hour", 50, 1, 500, "an integer from 1 to 500"),
    setting("challenge_quota_day", 100, 1, 1000, "an integer from 1 to 1000"),
    setting("factors_per_entity", 100, 1, 1000, "an integer from 1 to 1000"),
    setting("factor_creations_per_day", 100, 1, 1000, "an integer from 1 to 1000"),
    setting("challenge_retention_days", 30, 1, 365, "an integer from 1 to 365 days"),
    setting("failure_budget", 50, 1, 1000, "an integer from 1 to 1000"),
    setting(
        "recovery_code_iterations",
        crate::service::recovery::DEFAULT_RECOVERY_CODE_ITERATIONS as u64,
        1000,
        10_000_000,
        "an integer from 1000 to 10000000 (PBKDF2 iterations)",
    ),
];

/// The service namespace records live in unless the `service` setting names another.
pub const DEFAULT_SERVICE: &str = "default";

/// The store a service keeps its records in unless the `store` setting names another.
pub const DEFAULT_STORE: &str = "memory:";

/// What the `alg` setting allows.
const ALG_EXPECTED: &str = "sha1, sha256 or sha512";

/// What the `service` setting allows.
const SERVICE_EXPECTED: &str = "1 to 64 characters of A-Z, a-z, 0-9, '_' and '-'";

/// What the `store` setting allows.
const STORE_EXPECTED: &str =
    "a store URL: memory:, sqlite:///relative/path, sqlite:////absolute/path or postgresql://…";

/// The `min_secret_bytes` setting (kept apart: it bounds imported secrets).
pub const MIN_SECRET_BYTES: Setting =
    setting("min_secret_bytes", 16, 10, 64, "an integer from 10 to 64 bytes (RFC 4226 asks for 16)");

/// The configuration of one verification service. Construction validates every setting and
/// names the bad one.
///
/// ```
/// use watchword_core::service::ServiceConfig;
/// let config = ServiceConfig::from_json(r#"{"issuer": "Acme", "skew": 2}"#).unwrap();
/// assert_eq!((config.skew, config.code_length), (2, 6));
/// let err = ServiceConfig::from_json(r#"{"issuer": "Acme", "skew": 3}"#).unwrap_err();
/// assert_eq!(err.to_string(), "invalid skew: expected an integer from 0 to 2");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceConfig {
    /// Issuer shown in authenticator apps: 1–64 characters, no `:`.
    pub issuer: String,
    /// Default HMAC hash for new factors.
    pub alg: Algorithm,
    /// Default digits per code (3–8, at least `min_code_length`).
    pub code_length: u32,
    /// The fewest digits any factor may use (default 6, per RFC 4226 and NIST).
    pub min_code_length: u32,
    /// Default seconds per step (20–60).
    pub time_step: u64,
    /// Default skew (0–2 steps).
    pub skew: u32,
    /// Default challenge lifetime in seconds (at most 3600).
    pub challenge_expiration: u64,
    /// Seconds an unverified factor stays usable (60–86400).
    pub unverified_factor_lifetime: u64,
    /// Failed enrollment verifications allowed per factor (then 60310).
    pub factor_verification_attempts: u32,
    /// Failed answers allowed per challenge (then 60308).
    pub challenge_attempts: u32,
    /// Consecutive failures of a verified factor that lock it.
    pub lockout_threshold: u32,
    /// The first lockout's length; each further lockout doubles it.
    pub lockout_seconds: u64,
    /// The longest lockout.
    pub lockout_max_seconds: u64,
    /// Consecutive failures after which the factor stays locked until unlocked.
    pub lockout_permanent_threshold: u32,
    /// Challenges per factor per 24 h when `code_length` ≤ 4.
    pub challenge_quota_short_day: u32,
    /// Challenges per factor per hour when `code_length` ≥ 5.
    pub challenge_quota_hour: u32,
    /// Challenges per factor per 24 h when `code_length` ≥ 5.
    pub challenge_quota_day: u32,
    /// Factors an entity may have.
    pub factors_per_entity: u32,
    /// Factors an entity may create per 24 h.
    pub factor_creations_per_day: u32,
    /// The shortest imported secret, in bytes (10–64).
    pub min_secret_bytes: usize,
    /// Failed answers a verified factor may have per 24-hour window, successes or not (then
    /// it is locked until the window ends; `unlock_factor` clears it).
    pub failure_budget: u32,
    /// Days an answered or expired challenge is kept before `sweep` removes it (1–365).
    pub challenge_retention_days: u32,
    /// PBKDF2-HMAC-SHA256 iterations new recovery codes are hashed with (1000–10,000,000,
    /// default 100,000). Each set keeps its own count, so a change leaves old codes valid.
    pub recovery_code_iterations: u32,
    /// The namespace of this service's records in its store (default `default`).
    pub service: String,
    /// The URL of the store (default `memory:`). Core keeps it; the `watchword-store` crate
    /// opens it.
    pub store: String,
    /// The secret keys records are sealed under (SPEC §10; empty: records are not sealed).
    /// Never printed: its `Debug` shows the key ids only.
    pub secret_keys: KeyRing,
    /// With secret keys, whether plain (unsealed) records are still read — during a migration
    /// to sealed records; they are sealed on their next write and by `reseal`. Off by default:
    /// a plain record is then a `storage` error.
    pub accept_plaintext_records: bool,
}

impl ServiceConfig {
    /// A configuration with every default and the given issuer.
    ///
    /// ```
    /// let config = watchword_core::service::ServiceConfig::new("Acme").unwrap();
    /// assert_eq!(config.time_step, 30);
    /// assert!(watchword_core::service::ServiceConfig::new("a:b").is_err());
    /// ```
    pub fn new(issuer: &str) -> Result<ServiceConfig, Error> {
        let config = ServiceConfig {
            issuer: String::from(issuer),
            alg: crate::DEFAULT_ALGORITHM,
            code_length: crate::DEFAULT_DIGITS,
            min_code_length: 6,
            time_step: crate::DEFAULT_PERIOD,
            skew: crate::DEFAULT_SKEW,
            challenge_expiration: 300,
            unverified_factor_lifetime: 3600,
            factor_verification_attempts: 5,
            challenge_attempts: 5,
            lockout_threshold: 10,
            lockout_seconds: 60,
            lockout_max_seconds: 3600,
            lockout_permanent_threshold: 100,
            challenge_quota_short_day: 10,
            challenge_quota_hour: 50,
            challenge_quota_day: 100,
            factors_per_entity: 100,
            factor_creations_per_day: 100,
            min_secret_bytes: 16,
            challenge_retention_days: 30,
            failure_budget: 50,
            recovery_code_iterations: crate::service::recovery::DEFAULT_RECOVERY_CODE_ITERATIONS,
            service: String::from(DEFAULT_SERVICE),
            store: String::from(DEFAULT_STORE),
            secret_keys: KeyRing::new(),
            accept_plaintext_records: false,
        };
        config.validate()?;
        Ok(config)
    }

    /// Reads a settings object: `issuer` (required), `alg`, `service`, `store`, the key ring
    /// (`secret_keys`: key id → 32 bytes as Base64 text or an array of numbers,
    /// `active_secret_key`, `accept_plaintext_records`), and any name of [`SETTINGS`] or
    /// `min_secret_bytes`. Unknown names are rejected.
    ///
    /// ```
    /// use watchword_core::service::ServiceConfig;
    /// let key = "Q".repeat(43) + "=";
    /// let text = format!(r#"{{"issuer": "Acme", "secret_keys": {{"2026-12": "{key}"}}, "active_secret_key": "2026-12"}}"#);
    /// let config = ServiceConfig::from_json(&text).unwrap();
    /// assert_eq!(config.secret_keys.active(), Some("2026-12"));
    /// assert!(!format!("{config:?}").contains(&key));
    /// ```
    pub fn from_json(text: &str) -> Result<ServiceConfig, Error> {
        let mut value: Value = serde_json::from_str(text).map_err(|_| invalid("settings", "a JSON object"))?;
        let map = value.as_object_mut().ok_or_else(|| invalid("settings", "a JSON object"))?;
        let config = ServiceConfig::from_map(map);
        super::wipe_secret_keys(map);
        config
    }

    /// Reads a settings object already parsed (see [`ServiceConfig::from_json`]).
    pub fn from_map(map: &Map<String, Value>) -> Result<ServiceConfig, Error> {
        const ISSUER: &str = "a non-empty string of at most 64 characters without ':'";
        let issuer = match map.get("issuer") {
            Some(Value::String(s)) => s.as_str(),
            None | Some(Value::Null) => return Err(invalid("issuer", ISSUER)),
            Some(_) => return Err(wrong_type("issuer", ISSUER)),
        };
        let mut config = ServiceConfig::new(issuer)?;
        let mut active = None;
        for (name, value) in map {
            let text = |name: &'static str, expected: &'static str| match value {
                Value::String(s) => Ok(s.as_str()),
                _ => Err(wrong_type(name, expected)),
            };
            match name.as_str() {
                "issuer" => {}
                "service" => config.service = String::from(text("service", SERVICE_EXPECTED)?),
                "store" => {
                    let store = Some(text("store", STORE_EXPECTED)?).filter(|s| !s.is_empty() && s.len() <= 4096);
                    config.store = String::from(store.ok_or_else(|| invalid("store", STORE_EXPECTED))?);
                }
                "alg" => {
                    config.alg = text("alg", ALG_EXPECTED)?.parse().map_err(|_| invalid("alg", ALG_EXPECTED))?;
                }
                "secret_keys" => config.secret_keys = super::seal::ring_from(value)?,
                "active_secret_key" => active = Some(text("active_secret_key", "the id of a key in secret_keys")?),
                "accept_plaintext_records" => match value {
                    Value::Bool(b) => config.accept_plaintext_records = *b,
                    _ => return Err(wrong_type("accept_plaintext_records", "a boolean")),
                },
                other => match value {
                    // A whole number out of every integer type (a negative one) is out of the
                    // setting's range too.
                    Value::Number(n) if n.is_u64() || n.is_i64() => {
                        config.set(other, n.as_u64().ok_or_else(|| invalid_setting(other))?)?
                    }
                    _ => {
                        let known = known_setting(other).ok_or_else(unknown_setting)?;
                        return Err(wrong_type(known.name, "an integer"));
                    }
                },
            }
        }
        if let Some(kid) = active {
            config.secret_keys.set_active(kid)?;
        }
        config.validate()?;
        Ok(config)
    }

    /// Sets one numeric setting by name, checking its range.
    ///
    /// ```
    /// let mut config = watchword_core::service::ServiceConfig::new("Acme").unwrap();
    /// config.set("challenge_attempts", 3).unwrap();
    /// assert_eq!(config.challenge_attempts, 3);
    /// assert!(config.set("challenge_attempts", 0).is_err());
    /// assert!(config.set("no_such_setting", 1).is_err());
    /// ```
    pub fn set(&mut self, name: &str, value: u64) -> Result<(), Error> {
        let setting = known_setting(name).ok_or_else(unknown_setting)?;
        if !(setting.min..=setting.max).contains(&value) {
            return Err(invalid(setting.name, setting.expected));
        }
        // Every range above fits in u32.
        let small = value as u32;
        match setting.name {
            "code_length" => self.code_length = small,
            "min_code_length" => self.min_code_length = small,
            "time_step" => self.time_step = value,
            "skew" => self.skew = small,
            "challenge_expiration" => self.challenge_expiration = value,
            "unverified_factor_lifetime" => self.unverified_factor_lifetime = value,
            "factor_verification_attempts" => self.factor_verification_attempts = small,
            "challenge_attempts" => self.challenge_attempts = small,
            "lockout_threshold" => self.lockout_threshold = small,
            "lockout_seconds" => self.lockout_seconds = value,
            "lockout_max_seconds" => self.lockout_max_seconds = value,
            "lockout_permanent_threshold" => self.lockout_permanent_threshold = small,
            "challenge_quota_short_day" => self.challenge_quota_short_day = small,
            "challenge_quota_hour" => self.challenge_quota_hour = small,
            "challenge_quota_day" => self.challenge_quota_day = small,
            "factors_per_entity" => self.factors_per_entity = small,
            "factor_creations_per_day" => self.factor_creations_per_day = small,
            "challenge_retention_days" => self.challenge_retention_days = small,
            "failure_budget" => self.failure_budget = small,
            "recovery_code_iterations" => self.recovery_code_iterations = small,
            _ => self.min_secret_bytes = value as usize,
        }
        Ok(())
    }

    /// Checks the whole configuration, including rules between settings.
    pub fn validate(&self) -> Result<(), Error> {
        let chars = self.issuer.chars().count();
        if chars == 0 || chars > 64 || self.issuer.contains(':') || self.issuer.chars().any(char::is_control) {
            return Err(invalid("issuer", "a non-empty string of at most 64 characters without ':'"));
        }
        if !valid_service(&self.service) {
            return Err(invalid("service", SERVICE_EXPECTED));
        }
        self.secret_keys.validate()?;
        if self.code_length < self.min_code_length {
            return Err(invalid("code_length", "an integer from 3 to 8, at least min_code_length"));
        }
        self.default_factor_config().validate(self)
    }

    /// The factor configuration a new factor gets without overrides.
    pub fn default_factor_config(&self) -> FactorConfig {
        FactorConfig { alg: self.alg, code_length: self.code_length, time_step: self.time_step, skew: self.skew }
    }
}

/// Whether `name` is a valid `service`: 1–64 of `[A-Za-z0-9_-]`.
pub(crate) fn valid_service(name: &str) -> bool {
    (1..=64).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// The numeric setting `name`, of [`SETTINGS`] or [`MIN_SECRET_BYTES`].
fn known_setting(name: &str) -> Option<&'static Setting> {
    SETTINGS.iter().chain(core::iter::once(&MIN_SECRET_BYTES)).find(|s| s.name == name)
}

fn unknown_setting() -> Error {
    invalid("settings", "only known setting names (see the README's settings table)")
}

fn invalid_setting(name: &str) -> Error {
    match known_setting(name) {
        Some(s) => invalid(s.name, s.expected),
        None => unknown_setting(),
    }
}

fn wrong_type(name: &'static str, expected: &'static str) -> Error {
    Error::InvalidParameter(crate::error::Invalid::Type { name, expected })
}
