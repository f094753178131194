//! The public views: Twilio-shaped JSON (snake_case keys, RFC 3339 dates) that an API may
//! return to clients. They never contain the secret or a recovery code; the creation answer
//! (and a regeneration's) alone adds `binding`.

use serde_json::{json, Value};

use super::record::metadata_json;
use super::{rfc3339, Challenge, Entity, Factor, Rfc3339};

/// Adds `result` and `result_offset` to a view.
#[cfg(feature = "std")]
pub(crate) fn with_result(mut view: Value, verification: Option<&super::Verification>) -> Value {
    if let (Some(v), Some(map)) = (verification, view.as_object_mut()) {
        map.insert("result".into(), Value::String(v.result.as_str().into()));
        map.insert("result_offset".into(), v.offset.map_or(Value::Null, Value::from));
    }
    view
}

impl Factor {
    /// Twilio's `factor_type`: `"totp"` or `"recovery_codes"`.
    pub fn factor_type(&self) -> &'static str {
        self.kind().as_str()
    }

    /// The view's `config`: the TOTP settings, or for recovery codes how many the set holds
    /// and how many remain.
    pub fn config_view(&self) -> Value {
        match &self.recovery_codes {
            Some(codes) => json!({ "count": codes.count(), "remaining": codes.remaining() }),
            None => json!({
                "alg": self.config.alg.as_str(),
                "code_length": self.config.code_length,
                "time_step": self.config.time_step,
                "skew": self.config.skew,
            }),
        }
    }
}

impl Challenge {
    /// The `factor_type` of the challenged factor: `"totp"` or `"recovery_codes"`.
    pub const fn factor_type(&self) -> &'static str {
        self.factor_type.as_str()
    }

    /// Twilio's `responded_reason`: `"none"` (push factors only give other reasons).
    pub const fn responded_reason(&self) -> &'static str {
        "none"
    }
}

impl Entity {
    /// The public view: `{sid, identity, date_created, date_updated}`.
    pub fn view(&self) -> Value {
        json!({
            "sid": self.sid,
            "identity": self.identity,
            "date_created": rfc3339(self.date_created),
            "date_updated": rfc3339(self.date_updated),
        })
    }
}

impl Factor {
    /// The public view (no secret, no code): `{sid, entity_sid, identity, friendly_name,
    /// status, factor_type, config, metadata, date_created, date_updated}`; `config` is
    /// `{alg, code_length, time_step, skew}`, or `{count, remaining}` for recovery codes.
    ///
    /// ```
    /// # use watchword_core::service::*;
    /// # let verify = Verify::new(ServiceConfig::new("Acme").unwrap(), MemoryStore::new());
    /// let created = verify.create_factor("user-0001", NewFactor::new("phone"), 0).unwrap();
    /// let view = created.factor.view();
    /// assert_eq!(view["config"]["time_step"], 30);
    /// assert!(!view.to_string().contains(&created.binding.secret));
    /// ```
    pub fn view(&self) -> Value {
        json!({
            "sid": self.sid,
            "entity_sid": self.entity_sid,
            "identity": self.identity,
            "friendly_name": self.friendly_name,
            "status": self.status.as_str(),
            "factor_type": self.factor_type(),
            "config": self.config_view(),
            "metadata": metadata_json(&self.metadata),
            "date_created": rfc3339(self.date_created),
            "date_updated": rfc3339(self.date_updated),
        })
    }
}

/// A challenge's public view as read at a time, borrowing from the challenge: it serializes
/// straight to its JSON form (what [`Challenge::view`] and [`Challenge::answer_view`] answer as
/// values), for surfaces that write the JSON out without building it first.
#[derive(Debug, Clone)]
pub struct ChallengeView<'a> {
    sid: &'a super::Sid,
    entity_sid: &'a super::Sid,
    identity: &'a super::Identity,
    factor_sid: &'a super::Sid,
    status: &'static str,
    responded_reason: &'static str,
    factor_type: &'static str,
    date_created: Rfc3339,
    date_updated: Rfc3339,
    date_responded: Option<Rfc3339>,
    expiration_date: Rfc3339,
    details: &'a Option<super::Details>,
    hidden_details: &'a Option<super::Metadata>,
    metadata: &'a Option<super::Metadata>,
    /// `result` and `result_offset`, in the view of an operation that checked a code.
    verification: Option<ResultView>,
}

#[derive(Debug, Clone, Copy)]
struct ResultView {
    result: &'static str,
    result_offset: Option<i64>,
}

impl ChallengeView<'_> {
    /// How many fields [`ChallengeView::serialize_fields`] writes.
    pub fn field_count(&self) -> usize {
        if self.verification.is_some() {
            16
        } else {
            14
        }
    }

    /// Writes the view's fields, in their order, into a struct being serialized: the view's
    /// own JSON object, or a surface's answer that adds its fields after them.
    pub fn serialize_fields<S: serde::ser::SerializeStruct>(&self, out: &mut S) -> Result<(), S::Error> {
        out.serialize_field("sid", self.sid)?;
        out.serialize_field("entity_sid", self.entity_sid)?;
        out.serialize_field("identity", self.identity)?;
        out.serialize_field("factor_sid", self.factor_sid)?;
        out.serialize_field("status", self.status)?;
        out.serialize_field("responded_reason", self.responded_reason)?;
        out.serialize_field("factor_type", self.factor_type)?;
        out.serialize_field("date_created", &self.date_created)?;
        out.serialize_field("date_updated", &self.date_updated)?;
        out.serialize_field("date_responded", &self.date_responded)?;
        out.serialize_field("expiration_date", &self.expiration_date)?;
        out.serialize_field("details", self.details)?;
        out.serialize_field("hidden_details", self.hidden_details)?;
        out.serialize_field("metadata", self.metadata)?;
        if let Some(v) = &self.verification {
            out.serialize_field("result", v.result)?;
            out.serialize_field("result_offset", &v.result_offset)?;
        }
        Ok(())
    }
}

impl serde::Serialize for ChallengeView<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut out = serializer.serialize_struct("ChallengeView", self.field_count())?;
        self.serialize_fields(&mut out)?;
        out.end()
    }
}

impl Challenge {
    /// The public view read at `now`, with `result` and `result_offset` when `verification`
    /// says how a code was checked (a pending challenge past its expiration date reads as
    /// `expired`).
    pub fn typed_view(&self, verification: Option<&super::Verification>, now: u64) -> ChallengeView<'_> {
        ChallengeView {
            sid: &self.sid,
            entity_sid: &self.entity_sid,
            identity: &self.identity,
            factor_sid: &self.factor_sid,
            status: self.status_at(now).as_str(),
            responded_reason: self.responded_reason(),
            factor_type: self.factor_type(),
            date_created: Rfc3339(self.date_created),
            date_updated: Rfc3339(self.date_updated),
            date_responded: self.date_responded.map(Rfc3339),
            expiration_date: Rfc3339(self.expiration_date),
            details: &self.details,
            hidden_details: &self.hidden_details,
            metadata: &self.metadata,
            verification: verification.map(|v| ResultView { result: v.result.as_str(), result_offset: v.offset }),
        }
    }

    /// The public view as read at `now` (a pending challenge past its expiration date reads
    /// as `expired`).
    pub fn view(&self, now: u64) -> Value {
        serde_json::to_value(self.typed_view(None, now)).unwrap_or(Value::Null)
    }
}

/// `binding` added to a factor view (the creation answer only): `{secret, uri}`, or
/// `{codes}` for recovery codes.
#[cfg(feature = "std")]
pub(crate) fn with_binding(mut view: Value, binding: &super::Binding) -> Value {
    if let Some(map) = view.as_object_mut() {
        let mut out = serde_json::Map::new();
        if binding.codes.is_empty() {
            out.insert("secret".into(), Value::String(binding.secret.clone()));
            out.insert("uri".into(), Value::String(binding.uri.clone()));
        } else {
            let codes = binding.codes.iter().map(|c| Value::String(c.clone())).collect();
            out.insert("codes".into(), Value::Array(codes));
        }
        map.insert("binding".into(), Value::Object(out));
    }
    view
}

#[cfg(feature = "std")]
impl Factor {
    /// The view an operation answers with: with `result` and `result_offset` when it checked
    /// a code, with `binding` when it created the factor (or a new set of recovery codes).
    pub fn answer_view(&self, verification: Option<&super::Verification>, binding: Option<&super::Binding>) -> Value {
        let view = with_result(self.view(), verification);
        match binding {
            Some(binding) => with_binding(view, binding),
            None => view,
        }
    }
}

#[cfg(feature = "std")]
impl Challenge {
    /// The view an operation answers with, read at `now`: with `result` and `result_offset`
    /// when it checked a code.
    pub fn answer_view(&self, verification: Option<&super::Verification>, now: u64) -> Value {
        serde_json::to_value(self.typed_view(verification, now)).unwrap_or(Value::Null)
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Entity, Factor, NewChallenge, NewFactor, ServiceConfig, Verification, VerificationResult};
    use super::*;
    use rand_core::SeedableRng;

    #[test]
    fn a_challenge_view_counts_the_fields_it_writes() {
        let config = ServiceConfig::new("Acme").unwrap();
        let entity = Entity::new("user-0001", [1; 16], 0).unwrap();
        let mut rng = rand_chacha::ChaCha20Rng::from_seed([3; 32]);
        let factor = Factor::create(&config, &entity, &NewFactor::new("phone"), &mut rng, 0).unwrap();
        let challenge =
            Challenge::create(&config, &factor, &NewChallenge::new(factor.sid.as_str()), [2; 16], 0).unwrap();
        let approved = Verification { result: VerificationResult::Approved, offset: Some(0) };
        for verification in [None, Some(&approved)] {
            let view = challenge.typed_view(verification, 0);
            let written = serde_json::to_value(&view).unwrap();
            assert_eq!(written.as_object().map(|o| o.len()), Some(view.field_count()), "{written}");
        }
    }
}
