//! The stored form of records: versioned JSON (`"v": 1` to `3`) that a host keeps in its own
//! database. It holds the secret (or a recovery-code factor's salted hashes, never a code) and
//! every counter; `from_record` rejects unknown versions,
//! missing or unknown fields and values no valid record can have. See `docs/records.md`.

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use serde_json::{json, Map, Value};

use super::challenge::MAX_EXPIRATION;
use super::factor::check_friendly_name;
use super::{check_identity, check_sid, Identity, Metadata, Sid};
use super::{Challenge, ChallengeStatus, DetailField, Details, Entity, Factor, FactorConfig, FactorStatus, Quota};
use super::{FactorType, Guard, RecoveryCodes, ServiceDefinition, Tombstone, MAX_RECOVERY_CODES, RECOVERY_SALT_BYTES};
use crate::error::Invalid;
use crate::{Algorithm, Error, Secret};

/// The record format version this library writes. It reads every version from 1 to this one.
///
/// Version 3 added a factor's `recovery_codes` (`null` for a TOTP factor) and a challenge's
/// `factor_type`; records of versions 1 and 2 read as TOTP.
pub const RECORD_VERSION: u64 = 3;

fn bad(field: &'static str, problem: &'static str) -> Error {
    Error::InvalidParameter(Invalid::Record { field, problem })
}

/// The error for text that is not JSON.
pub(crate) fn unreadable() -> Error {
    bad("record", "is not valid JSON")
}

fn parse(text: &str) -> Result<Value, Error> {
    serde_json::from_str(text).map_err(|_| unreadable())
}

/// Reads fields out of a record object, remembering which were read so that unknown ones
/// can be rejected.
struct Fields<'a> {
    map: &'a Map<String, Value>,
    seen: usize,
}

impl<'a> Fields<'a> {
    /// Parses a record of `kind`; returns it with its format version (from `since` to
    /// [`RECORD_VERSION`]).
    fn open(value: Value, kind: &'static str, since: u64) -> Result<(Value, u64), Error> {
        let map = value.as_object().ok_or_else(|| bad("record", "is not a JSON object"))?;
        let version = match map.get("v") {
            None => return Err(bad("v", "is missing")),
            Some(v) => match v.as_u64() {
                Some(v) if (since..=RECORD_VERSION).contains(&v) => v,
                Some(super::SEALED_VERSION) => {
                    return Err(bad("v", "is 4, a sealed record: the service opens it with its secret keys"))
                }
                _ => return Err(bad("v", "is an unknown record version (this library reads versions 1 to 4)")),
            },
        };
        match map.get("type").and_then(Value::as_str) {
            Some(t) if t == kind => {}
            Some(_) => return Err(bad("type", "names another kind of record")),
            None => return Err(bad("type", "is missing")),
        }
        Ok((value, version))
    }

    fn new(map: &'a Map<String, Value>) -> Fields<'a> {
        // "v" and "type" were checked by `open`.
        Fields { map, seen: 2 }
    }

    fn get(&mut self, field: &'static str) -> Result<&'a Value, Error> {
        let value = self.map.get(field).ok_or_else(|| bad(field, "is missing"))?;
        self.seen += 1;
        Ok(value)
    }

    fn str(&mut self, field: &'static str) -> Result<&'a str, Error> {
        self.get(field)?.as_str().ok_or_else(|| bad(field, "must be a string"))
    }

    fn string(&mut self, field: &'static str) -> Result<String, Error> {
        self.str(field).map(String::from)
    }

    fn u64(&mut self, field: &'static str) -> Result<u64, Error> {
        self.get(field)?.as_u64().ok_or_else(|| bad(field, "must be an unsigned integer"))
    }

    fn u32(&mut self, field: &'static str) -> Result<u32, Error> {
        u32::try_from(self.u64(field)?).map_err(|_| bad(field, "is out of range"))
    }

    fn opt_u64(&mut self, field: &'static str) -> Result<Option<u64>, Error> {
        match self.get(field)? {
            Value::Null => Ok(None),
            v => v.as_u64().map(Some).ok_or_else(|| bad(field, "must be an unsigned integer or null")),
        }
    }

    fn metadata(&mut self, field: &'static str) -> Result<Option<Metadata>, Error> {
        match self.get(field)? {
            Value::Null => Ok(None),
            v => metadata_from(v).map(Some).ok_or_else(|| bad(field, "must be an object of strings or null")),
        }
    }

    fn quota(&mut self, field: &'static str) -> Result<Quota, Error> {
        let v = self.get(field)?;
        let start = v.get("start").and_then(Value::as_u64);
        let count = v.get("count").and_then(Value::as_u64).and_then(|c| u32::try_from(c).ok());
        match (start, count, v.as_object().map(Map::len)) {
            (Some(start), Some(count), Some(2)) => Ok(Quota { start, count }),
            _ => Err(bad(field, "must be {\"start\": integer, \"count\": integer}")),
        }
    }

    /// Up to two steps (an array of unsigned integers).
    fn steps(&mut self, field: &'static str) -> Result<[Option<u64>; 2], Error> {
        let problem = "must be an array of at most two unsigned integers";
        let items = self.get(field)?.as_array().filter(|a| a.len() <= 2).ok_or_else(|| bad(field, problem))?;
        let mut out = [None, None];
        for (slot, item) in out.iter_mut().zip(items) {
            *slot = Some(item.as_u64().ok_or_else(|| bad(field, problem))?);
        }
        Ok(out)
    }

    fn finish(self) -> Result<(), Error> {
        if self.seen == self.map.len() {
            Ok(())
        } else {
            Err(bad("record", "has fields this version does not define"))
        }
    }
}

/// Reads an object of string values.
pub(crate) fn metadata_from(value: &Value) -> Option<Metadata> {
    value.as_object()?.iter().map(|(k, v)| Some((k.clone(), String::from(v.as_str()?)))).collect()
}

pub(crate) fn metadata_json(metadata: &Option<Metadata>) -> Value {
    match metadata {
        Some(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect()),
        None => Value::Null,
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().flat_map(|b| [b >> 4, b & 15]).map(|n| char::from_digit(u32::from(n), 16).unwrap_or('0')).collect()
}

/// Lowercase hex of exactly `N` bytes.
fn from_hex<const N: usize>(text: &str) -> Option<[u8; N]> {
    let digits = text.as_bytes();
    if digits.len() != 2 * N || digits.iter().any(|d| d.is_ascii_uppercase()) {
        return None;
    }
    let mut out = [0u8; N];
    for (byte, pair) in out.iter_mut().zip(digits.chunks(2)) {
        let high = char::from(pair[0]).to_digit(16)?;
        let low = char::from(pair[1]).to_digit(16)?;
        *byte = (high * 16 + low) as u8;
    }
    Some(out)
}

/// `{"salt", "iterations", "hashes", "used"}` (hex salt and hashes), or `null`.
fn recovery_json(codes: &Option<alloc::boxed::Box<RecoveryCodes>>) -> Value {
    match codes {
        None => Value::Null,
        Some(c) => json!({
            "salt": hex(&c.salt),
            "iterations": c.iterations,
            "hashes": c.hashes.iter().map(|h| hex(h)).collect::<Vec<_>>(),
            "used": c.used,
        }),
    }
}

fn recovery_from(value: &Value) -> Option<Option<alloc::boxed::Box<RecoveryCodes>>> {
    if value.is_null() {
        return Some(None);
    }
    let map = value.as_object().filter(|m| m.len() == 4)?;
    let salt = from_hex::<RECOVERY_SALT_BYTES>(map.get("salt")?.as_str()?)?;
    let iterations = u32::try_from(map.get("iterations")?.as_u64()?).ok().filter(|i| *i >= 1000)?;
    let hashes =
        map.get("hashes")?.as_array()?.iter().map(|h| from_hex::<32>(h.as_str()?)).collect::<Option<Vec<_>>>()?;
    let used = map.get("used")?.as_array()?.iter().map(Value::as_bool).collect::<Option<Vec<_>>>()?;
    let count_ok = (1..=MAX_RECOVERY_CODES as usize).contains(&hashes.len()) && used.len() == hashes.len();
    count_ok.then(|| Some(alloc::boxed::Box::new(RecoveryCodes { salt, iterations, hashes, used })))
}

fn used_codes_from(value: &Value) -> Option<Option<([u8; RECOVERY_SALT_BYTES], u32)>> {
    if value.is_null() {
        return Some(None);
    }
    let map = value.as_object().filter(|m| m.len() == 2)?;
    let salt = from_hex::<RECOVERY_SALT_BYTES>(map.get("salt")?.as_str()?)?;
    let used = u32::try_from(map.get("used")?.as_u64()?).ok()?;
    Some(Some((salt, used)))
}

fn quota_json(q: Quota) -> Value {
    json!({ "start": q.start, "count": q.count })
}

pub(crate) fn details_json(details: &Option<Details>) -> Value {
    match details {
        Some(d) => json!({
            "message": d.message,
            "fields": d.fields.iter().map(|f| json!({ "label": f.label, "value": f.value })).collect::<Vec<_>>(),
        }),
        None => Value::Null,
    }
}

/// Reads `{message, fields: [{label, value}]}`.
pub(crate) fn details_from(value: &Value) -> Option<Details> {
    let map = value.as_object()?;
    if map.keys().any(|k| k != "message" && k != "fields") {
        return None;
    }
    let message = match map.get("message") {
        None | Some(Value::Null) => String::new(),
        Some(m) => String::from(m.as_str()?),
    };
    let fields = match map.get("fields") {
        None | Some(Value::Null) => Vec::new(),
        Some(f) => f
            .as_array()?
            .iter()
            .map(|f| {
                let o = f.as_object()?;
                if o.len() != 2 {
                    return None;
                }
                Some(DetailField {
                    label: String::from(o.get("label")?.as_str()?),
                    value: String::from(o.get("value")?.as_str()?),
                })
            })
            .collect::<Option<Vec<_>>>()?,
    };
    Some(Details { message, fields })
}

fn check_times(created: u64, updated: u64) -> Result<(), Error> {
    if updated < created {
        return Err(bad("date_updated", "is before date_created"));
    }
    Ok(())
}

/// Record versions stay below 2^53, so that they are exact in every JSON reader (and one more
/// change can never overflow).
pub const MAX_RECORD_VERSION: u64 = (1 << 53) - 1;

fn check_version(version: u64) -> Result<u64, Error> {
    if version == 0 {
        return Err(bad("version", "must be at least 1"));
    }
    if version >= MAX_RECORD_VERSION {
        return Err(bad("version", "must be below 2^53 - 1"));
    }
    Ok(version)
}

fn record_sid(sid: &str, prefix: &str) -> Result<Sid, Error> {
    check_sid(sid, prefix, "sid", "").map_err(|_| bad("sid", "is not a valid sid"))
}

fn record_identity(identity: &str) -> Result<Identity, Error> {
    check_identity(identity).map_err(|_| bad("identity", "is not a valid identity"))
}

impl Entity {
    /// The stored record (JSON, `"v": 1`).
    ///
    /// ```
    /// use watchword_core::service::Entity;
    /// let e = Entity::new("user-0001", [7; 16], 1_700_000_000).unwrap();
    /// assert_eq!(Entity::from_record(&e.to_record()).unwrap(), e);
    /// ```
    pub fn to_record(&self) -> String {
        json!({
            "v": RECORD_VERSION,
            "type": "entity",
            "sid": self.sid,
            "identity": self.identity,
            "date_created": self.date_created,
            "date_updated": self.date_updated,
            "version": self.version,
            "factor_creations": quota_json(self.factor_creations),
        })
        .to_string()
    }

    /// Reads a stored record, rejecting unknown versions, missing fields and invalid values.
    pub fn from_record(text: &str) -> Result<Entity, Error> {
        Entity::from_value(parse(text)?)
    }

    pub(crate) fn from_value(value: Value) -> Result<Entity, Error> {
        let (value, _) = Fields::open(value, "entity", 1)?;
        let mut f = Fields::new(value.as_object().ok_or_else(|| bad("record", "is not a JSON object"))?);
        let entity = Entity {
            sid: record_sid(f.str("sid")?, "YE")?,
            identity: record_identity(f.str("identity")?)?,
            date_created: f.u64("date_created")?,
            date_updated: f.u64("date_updated")?,
            version: check_version(f.u64("version")?)?,
            factor_creations: f.quota("factor_creations")?,
        };
        f.finish()?;
        check_times(entity.date_created, entity.date_updated)?;
        Ok(entity)
    }
}

impl Factor {
    /// The stored record (JSON, `"v": 3`). It holds the secret (a recovery-code factor: the
    /// salted hashes of its codes): keep it in the host's database, never hand it to clients.
    pub fn to_record(&self) -> String {
        json!({
            "v": RECORD_VERSION,
            "type": "factor",
            "sid": self.sid,
            "entity_sid": self.entity_sid,
            "identity": self.identity,
            "friendly_name": self.friendly_name,
            "status": self.status.as_str(),
            "config": {
                "alg": self.config.alg.as_str(),
                "code_length": self.config.code_length,
                "time_step": self.config.time_step,
                "skew": self.config.skew,
            },
            "secret": self.secret.to_base32(),
            "metadata": metadata_json(&self.metadata),
            "date_created": self.date_created,
            "date_updated": self.date_updated,
            "version": self.version,
            "last_used_step": self.last_used_step,
            "enrollment_failures": self.enrollment_failures,
            "consecutive_failures": self.consecutive_failures,
            "locked_until": self.locked_until,
            "challenges_hour": quota_json(self.challenges_hour),
            "challenges_day": quota_json(self.challenges_day),
            "failure_budget": quota_json(self.failure_budget),
            "future_steps": self.future_steps.iter().flatten().collect::<Vec<_>>(),
            "recovery_codes": recovery_json(&self.recovery_codes),
        })
        .to_string()
    }

    /// Reads a stored record, rejecting unknown versions, missing fields and invalid values.
    pub fn from_record(text: &str) -> Result<Factor, Error> {
        Factor::from_value(parse(text)?)
    }

    pub(crate) fn from_value(value: Value) -> Result<Factor, Error> {
        let (value, format) = Fields::open(value, "factor", 1)?;
        let mut f = Fields::new(value.as_object().ok_or_else(|| bad("record", "is not a JSON object"))?);
        let sid = record_sid(f.str("sid")?, "YF")?;
        let entity_sid = check_sid(f.str("entity_sid")?, "YE", "entity_sid", "")
            .map_err(|_| bad("entity_sid", "is not a valid sid"))?;
        let identity = record_identity(f.str("identity")?)?;
        let friendly_name = f.string("friendly_name")?;
        check_friendly_name(&friendly_name).map_err(|_| bad("friendly_name", "is not a valid friendly name"))?;
        let status = FactorStatus::from_name(&f.string("status")?)
            .ok_or_else(|| bad("status", "must be \"unverified\" or \"verified\""))?;
        let config = f.get("config")?;
        let config = factor_config_from(config).ok_or_else(|| bad("config", "has missing or out-of-range settings"))?;
        let secret =
            Secret::from_base32(&f.string("secret")?).map_err(|_| bad("secret", "is not Base32 of 1 to 128 bytes"))?;
        let factor = Factor {
            sid,
            entity_sid,
            identity,
            friendly_name,
            status,
            config,
            secret,
            metadata: f.metadata("metadata")?,
            date_created: f.u64("date_created")?,
            date_updated: f.u64("date_updated")?,
            version: check_version(f.u64("version")?)?,
            last_used_step: f.opt_u64("last_used_step")?,
            enrollment_failures: f.u32("enrollment_failures")?,
            consecutive_failures: f.u32("consecutive_failures")?,
            locked_until: f.opt_u64("locked_until")?,
            challenges_hour: f.quota("challenges_hour")?,
            challenges_day: f.quota("challenges_day")?,
            failure_budget: if format >= 2 { f.quota("failure_budget")? } else { Quota::default() },
            future_steps: if format >= 2 { f.steps("future_steps")? } else { [None, None] },
            recovery_codes: if format >= 3 {
                recovery_from(f.get("recovery_codes")?).ok_or_else(|| {
                    bad("recovery_codes", "must be null or {salt, iterations (at least 1000), hashes (1 to 20), used}")
                })?
            } else {
                None
            },
        };
        f.finish()?;
        check_times(factor.date_created, factor.date_updated)?;
        if factor.recovery_codes.is_some() && factor.status != FactorStatus::Verified {
            return Err(bad("status", "must be \"verified\" for recovery codes"));
        }
        if factor.status == FactorStatus::Verified && factor.last_used_step.is_none() && factor.recovery_codes.is_none()
        {
            return Err(bad("last_used_step", "must be set on a verified factor"));
        }
        Ok(factor)
    }
}

fn factor_config_from(value: &Value) -> Option<FactorConfig> {
    let map = value.as_object()?;
    if map.len() != 4 {
        return None;
    }
    let alg: Algorithm = map.get("alg")?.as_str()?.parse().ok()?;
    let code_length = u32::try_from(map.get("code_length")?.as_u64()?).ok().filter(|c| (3..=8).contains(c))?;
    let time_step = map.get("time_step")?.as_u64().filter(|t| (20..=60).contains(t))?;
    let skew = u32::try_from(map.get("skew")?.as_u64()?).ok().filter(|s| *s <= 2)?;
    Some(FactorConfig { alg, code_length, time_step, skew })
}

impl Challenge {
    /// The stored record (JSON, `"v": 1`).
    pub fn to_record(&self) -> String {
        json!({
            "v": RECORD_VERSION,
            "type": "challenge",
            "sid": self.sid,
            "entity_sid": self.entity_sid,
            "identity": self.identity,
            "factor_sid": self.factor_sid,
            "factor_type": self.factor_type.as_str(),
            "status": self.status.as_str(),
            "date_created": self.date_created,
            "date_updated": self.date_updated,
            "date_responded": self.date_responded,
            "expiration_date": self.expiration_date,
            "details": details_json(&self.details),
            "hidden_details": metadata_json(&self.hidden_details),
            "metadata": metadata_json(&self.metadata),
            "failed_attempts": self.failed_attempts,
            "version": self.version,
        })
        .to_string()
    }

    /// Reads a stored record, rejecting unknown versions, missing fields and invalid values.
    pub fn from_record(text: &str) -> Result<Challenge, Error> {
        Challenge::from_value(parse(text)?)
    }

    pub(crate) fn from_value(value: Value) -> Result<Challenge, Error> {
        let (value, format) = Fields::open(value, "challenge", 1)?;
        let mut f = Fields::new(value.as_object().ok_or_else(|| bad("record", "is not a JSON object"))?);
        let sid = record_sid(f.str("sid")?, "YC")?;
        let entity_sid = check_sid(f.str("entity_sid")?, "YE", "entity_sid", "")
            .map_err(|_| bad("entity_sid", "is not a valid sid"))?;
        let identity = record_identity(f.str("identity")?)?;
        let factor_sid = check_sid(f.str("factor_sid")?, "YF", "factor_sid", "")
            .map_err(|_| bad("factor_sid", "is not a valid sid"))?;
        let factor_type = match format {
            1 | 2 => FactorType::Totp,
            _ => FactorType::from_name(f.str("factor_type")?)
                .ok_or_else(|| bad("factor_type", "must be \"totp\" or \"recovery_codes\""))?,
        };
        let status = match ChallengeStatus::from_name(&f.string("status")?) {
            Some(s @ (ChallengeStatus::Pending | ChallengeStatus::Approved | ChallengeStatus::Denied)) => s,
            // Version 2 stores an expiry that was answered (so a clock going back cannot revive it).
            Some(ChallengeStatus::Expired) if format >= 2 => ChallengeStatus::Expired,
            _ => {
                return Err(bad(
                    "status",
                    "must be \"pending\", \"approved\", \"denied\" or (from version 2) \"expired\"",
                ))
            }
        };
        let details = match f.get("details")? {
            Value::Null => None,
            v => Some(details_from(v).ok_or_else(|| bad("details", "must be {message, fields} or null"))?),
        };
        let challenge = Challenge {
            sid,
            entity_sid,
            identity,
            factor_sid,
            factor_type,
            status,
            date_created: f.u64("date_created")?,
            date_updated: f.u64("date_updated")?,
            date_responded: f.opt_u64("date_responded")?,
            expiration_date: f.u64("expiration_date")?,
            details,
            hidden_details: f.metadata("hidden_details")?,
            metadata: f.metadata("metadata")?,
            failed_attempts: f.u32("failed_attempts")?,
            version: check_version(f.u64("version")?)?,
        };
        f.finish()?;
        check_times(challenge.date_created, challenge.date_updated)?;
        let lifetime = challenge.expiration_date.checked_sub(challenge.date_created);
        if !lifetime.is_some_and(|l| l > 0 && l <= MAX_EXPIRATION) {
            return Err(bad("expiration_date", "must be after date_created by at most 3600 seconds"));
        }
        let responded = matches!(challenge.status, ChallengeStatus::Approved | ChallengeStatus::Denied);
        if challenge.date_responded.is_some() != responded {
            return Err(bad("date_responded", "must be set exactly when the challenge is approved or denied"));
        }
        Ok(challenge)
    }
}

impl Tombstone {
    /// The stored record (JSON, `"v": 3`).
    pub fn to_record(&self) -> String {
        let g = &self.guard;
        json!({
            "v": RECORD_VERSION,
            "type": "tombstone",
            "sid": self.sid,
            "identity": self.identity,
            "date_created": self.date_created,
            "version": self.version,
            "floor_time": g.floor_time,
            "future_times": g.future_times.iter().flatten().collect::<Vec<_>>(),
            "enrollment_failures": g.enrollment_failures,
            "consecutive_failures": g.consecutive_failures,
            "locked_until": g.locked_until,
            "failure_budget": quota_json(g.failure_budget),
            "used_codes": g.used_codes.map(|(salt, mask)| json!({ "salt": hex(&salt), "used": mask })),
        })
        .to_string()
    }

    /// Reads a stored record (tombstones exist from version 2).
    ///
    /// ```
    /// use watchword_core::service::{Guard, Identity, Sid, Tombstone};
    /// let t = Tombstone {
    ///     sid: Sid::parse("YF01010101010101010101010101010101", "YF").unwrap(),
    ///     identity: Identity::parse("user-0001").unwrap(),
    ///     date_created: 1_700_000_000,
    ///     version: 1,
    ///     guard: Guard { floor_time: Some(1_700_000_010), ..Guard::default() },
    /// };
    /// assert_eq!(Tombstone::from_record(&t.to_record()).unwrap(), t);
    /// ```
    pub fn from_record(text: &str) -> Result<Tombstone, Error> {
        Tombstone::from_value(parse(text)?)
    }

    pub(crate) fn from_value(value: Value) -> Result<Tombstone, Error> {
        let (value, format) = Fields::open(value, "tombstone", 2)?;
        let mut f = Fields::new(value.as_object().ok_or_else(|| bad("record", "is not a JSON object"))?);
        let tombstone = Tombstone {
            sid: record_sid(f.str("sid")?, "YF")?,
            identity: record_identity(f.str("identity")?)?,
            date_created: f.u64("date_created")?,
            version: check_version(f.u64("version")?)?,
            guard: Guard {
                floor_time: f.opt_u64("floor_time")?,
                future_times: f.steps("future_times")?,
                enrollment_failures: f.u32("enrollment_failures")?,
                consecutive_failures: f.u32("consecutive_failures")?,
                locked_until: f.opt_u64("locked_until")?,
                failure_budget: f.quota("failure_budget")?,
                used_codes: if format >= 3 {
                    used_codes_from(f.get("used_codes")?)
                        .ok_or_else(|| bad("used_codes", "must be null or {salt (32 hex), used (an integer)}"))?
                } else {
                    None
                },
            },
        };
        f.finish()?;
        Ok(tombstone)
    }
}

impl ServiceDefinition {
    /// The stored record (JSON, `"v": 3`; definitions exist from version 3).
    ///
    /// ```
    /// use std::collections::BTreeMap;
    /// use watchword_core::service::ServiceDefinition;
    /// let settings = BTreeMap::from([("time_step".to_string(), 60)]);
    /// let d = ServiceDefinition::new("Acme", "Acme Bank", settings, [7; 16], 1_700_000_000).unwrap();
    /// assert_eq!(ServiceDefinition::from_record(&d.to_record()).unwrap(), d);
    /// ```
    pub fn to_record(&self) -> String {
        json!({
            "v": RECORD_VERSION,
            "type": "service",
            "sid": self.sid,
            "identity": self.identity,
            "friendly_name": self.friendly_name,
            "issuer": self.issuer,
            "settings": self.settings,
            "date_created": self.date_created,
            "date_updated": self.date_updated,
            "version": self.version,
        })
        .to_string()
    }

    /// Reads a stored record, rejecting unknown versions, missing fields and invalid values.
    pub fn from_record(text: &str) -> Result<ServiceDefinition, Error> {
        ServiceDefinition::from_value(parse(text)?)
    }

    pub(crate) fn from_value(value: Value) -> Result<ServiceDefinition, Error> {
        let (value, _) = Fields::open(value, "service", 3)?;
        let mut f = Fields::new(value.as_object().ok_or_else(|| bad("record", "is not a JSON object"))?);
        let sid = record_sid(f.str("sid")?, "VA")?;
        let definition = ServiceDefinition {
            sid,
            identity: record_identity(f.str("identity")?)?,
            friendly_name: f.string("friendly_name")?,
            issuer: f.string("issuer")?,
            settings: f
                .get("settings")?
                .as_object()
                .and_then(|map| map.iter().map(|(k, v)| Some((k.clone(), v.as_u64()?))).collect())
                .ok_or_else(|| bad("settings", "must be an object of unsigned integers"))?,
            date_created: f.u64("date_created")?,
            date_updated: f.u64("date_updated")?,
            version: check_version(f.u64("version")?)?,
        };
        f.finish()?;
        check_times(definition.date_created, definition.date_updated)?;
        if definition.identity.as_str() != sid.as_str() {
            return Err(bad("identity", "is not the definition's sid"));
        }
        check_friendly_name(&definition.friendly_name).map_err(|_| bad("friendly_name", "is not a valid name"))?;
        Ok(definition)
    }
}
