//! The Challenge: one login attempt against a verified factor, and its transitions.

use alloc::string::String;
use alloc::vec::Vec;

use super::recovery::AnswerDigest;
use super::{check_small_map, invalid, Factor, FactorType, Identity, Metadata, ServiceConfig, Sid, Verification};
use crate::Error;

/// The longest a challenge may live, in seconds (Twilio: 60 minutes).
pub const MAX_EXPIRATION: u64 = 3600;

/// A challenge's status. `Expired` is derived: a pending challenge reads as expired from its
/// `expiration_date` on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChallengeStatus {
    /// Waiting for a right code.
    Pending,
    /// Answered with a right, fresh code.
    Approved,
    /// Denied (push factors; never reached by TOTP, kept for Twilio's shape).
    Denied,
    /// Not answered before its expiration date.
    Expired,
}

impl ChallengeStatus {
    /// `"pending"`, `"approved"`, `"denied"` or `"expired"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ChallengeStatus::Pending => "pending",
            ChallengeStatus::Approved => "approved",
            ChallengeStatus::Denied => "denied",
            ChallengeStatus::Expired => "expired",
        }
    }

    /// The status with that name.
    pub fn from_name(name: &str) -> Option<ChallengeStatus> {
        match name {
            "pending" => Some(ChallengeStatus::Pending),
            "approved" => Some(ChallengeStatus::Approved),
            "denied" => Some(ChallengeStatus::Denied),
            "expired" => Some(ChallengeStatus::Expired),
            _ => None,
        }
    }
}

/// One labelled line of a challenge's details.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DetailField {
    /// At most 36 characters.
    pub label: String,
    /// At most 128 characters.
    pub value: String,
}

/// What the user is shown about the login attempt.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct Details {
    /// At most 256 characters.
    pub message: String,
    /// At most 20 fields.
    pub fields: Vec<DetailField>,
}

/// A request to create a challenge.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NewChallenge {
    /// The verified factor to challenge.
    pub factor_sid: String,
    /// A code to check at once (`approved` when right).
    pub auth_payload: Option<String>,
    /// Unix seconds; later than now, at most now + 3600 (default now + the service's
    /// `challenge_expiration`).
    pub expiration_date: Option<u64>,
    /// Shown to the user.
    pub details: Option<Details>,
    /// Kept for the host (string values, at most 1024 characters serialized).
    pub hidden_details: Option<Metadata>,
    /// Host metadata.
    pub metadata: Option<Metadata>,
}

impl NewChallenge {
    /// A request for `factor_sid` with nothing else.
    pub fn new(factor_sid: &str) -> NewChallenge {
        NewChallenge { factor_sid: String::from(factor_sid), ..NewChallenge::default() }
    }

    /// Checks `code` at creation.
    pub fn auth_payload(mut self, code: &str) -> NewChallenge {
        self.auth_payload = Some(String::from(code));
        self
    }
}

/// A challenge (Twilio's Challenge, `YC…`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// `YC` + 32 hex characters.
    pub sid: Sid,
    /// The entity's sid.
    pub entity_sid: Sid,
    /// The entity's identity.
    pub identity: Identity,
    /// The factor's sid.
    pub factor_sid: Sid,
    /// The challenged factor's type.
    pub factor_type: FactorType,
    /// The stored status (`Pending`, `Approved` or `Denied`; see [`Challenge::status_at`]).
    pub status: ChallengeStatus,
    /// Unix seconds.
    pub date_created: u64,
    /// Unix seconds.
    pub date_updated: u64,
    /// Unix seconds of the approval.
    pub date_responded: Option<u64>,
    /// Unix seconds from which a pending challenge is expired.
    pub expiration_date: u64,
    /// Shown to the user.
    pub details: Option<Details>,
    /// Kept for the host.
    pub hidden_details: Option<Metadata>,
    /// Host metadata.
    pub metadata: Option<Metadata>,
    /// Failed answers so far (limit 60308).
    pub failed_attempts: u32,
    /// Raised by one on every change; the store's compare-and-set key.
    pub version: u64,
}

impl NewChallenge {
    /// Checks the request's own fields (expiration, details, hidden details, metadata).
    pub fn validate(&self, now: u64) -> Result<(), Error> {
        if let Some(expiration) = self.expiration_date {
            if expiration <= now || expiration - now > MAX_EXPIRATION {
                return Err(invalid("expiration_date", "a time later than now and at most 3600 seconds ahead"));
            }
        }
        if let Some(details) = &self.details {
            if details.message.chars().count() > 256 {
                return Err(invalid("details.message", "at most 256 characters"));
            }
            if details.fields.len() > 20 {
                return Err(invalid("details.fields", "at most 20 fields"));
            }
            for field in &details.fields {
                if field.label.chars().count() > 36 {
                    return Err(invalid("details.fields.label", "at most 36 characters"));
                }
                if field.value.chars().count() > 128 {
                    return Err(invalid("details.fields.value", "at most 128 characters"));
                }
            }
        }
        if let Some(hidden) = &self.hidden_details {
            check_small_map(hidden, "hidden_details")?;
        }
        if let Some(metadata) = &self.metadata {
            check_small_map(metadata, "metadata")?;
        }
        Ok(())
    }
}

impl Challenge {
    /// A new pending challenge for `factor` (version 1). The caller admits it against the
    /// factor's quota ([`Factor::admit_challenge`]) and answers `auth_payload`, if any.
    pub fn create(
        config: &ServiceConfig,
        factor: &Factor,
        request: &NewChallenge,
        random: [u8; 16],
        now: u64,
    ) -> Result<Challenge, Error> {
        request.validate(now)?;
        Ok(Challenge {
            sid: Sid::new("YC", random),
            entity_sid: factor.entity_sid,
            identity: factor.identity,
            factor_sid: factor.sid,
            factor_type: factor.kind(),
            status: ChallengeStatus::Pending,
            date_created: now,
            date_updated: now,
            date_responded: None,
            expiration_date: request.expiration_date.unwrap_or(now.saturating_add(config.challenge_expiration)),
            details: request.details.clone(),
            hidden_details: request.hidden_details.clone(),
            metadata: request.metadata.clone(),
            failed_attempts: 0,
            version: 1,
        })
    }

    /// The status as read at `now`: a pending challenge past its expiration date is expired.
    pub fn status_at(&self, now: u64) -> ChallengeStatus {
        match self.status {
            ChallengeStatus::Pending if now >= self.expiration_date => ChallengeStatus::Expired,
            status => status,
        }
    }

    /// Answers the challenge with `code`. Checks, in order: already approved/denied (60322),
    /// expired (60323), attempts used up (60308), factor locked, then the code. Returns the
    /// new challenge and factor and the result.
    pub fn answer(
        mut self,
        config: &ServiceConfig,
        mut factor: Factor,
        code: &str,
        metadata: Option<&Metadata>,
        now: u64,
    ) -> Result<(Challenge, Factor, Verification), Error> {
        let verification =
            self.answer_in_place(config, &mut factor, code, metadata, now, &mut AnswerDigest::default())?;
        Ok((self, factor, verification))
    }

    /// [`Challenge::answer`] on the challenge and factor themselves; on an error both are
    /// unchanged. A recovery code is hashed through `digest` (once per call).
    pub(crate) fn answer_in_place(
        &mut self,
        config: &ServiceConfig,
        factor: &mut Factor,
        code: &str,
        metadata: Option<&Metadata>,
        now: u64,
        digest: &mut AnswerDigest,
    ) -> Result<Verification, Error> {
        match self.status_at(now) {
            ChallengeStatus::Approved | ChallengeStatus::Denied => return Err(Error::ChallengeAlreadyResponded),
            ChallengeStatus::Expired => return Err(Error::ChallengeExpired),
            ChallengeStatus::Pending => {}
        }
        if self.failed_attempts >= config.challenge_attempts {
            return Err(Error::ChallengeAttemptsReached);
        }
        if let Some(metadata) = metadata {
            check_small_map(metadata, "metadata")?;
        }
        let verification = factor.answer_in_place(config, code, now, digest)?;
        self.version = self.version.saturating_add(1);
        if let Some(metadata) = metadata {
            self.metadata = Some(metadata.clone());
            self.date_updated = now;
        }
        if verification.approved() {
            self.status = ChallengeStatus::Approved;
            self.date_responded = Some(now);
            self.date_updated = now;
        } else {
            self.failed_attempts = self.failed_attempts.saturating_add(1);
        }
        Ok(verification)
    }
}
