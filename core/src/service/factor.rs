//! The Factor: a TOTP secret shared with one authenticator app, or a set of recovery codes
//! (SPEC §11), and its transitions.

use alloc::string::String;

use rand_core::{CryptoRng, RngCore};

use super::recovery::{normalize_recovery_code, AnswerDigest, RecoveryCodes};
use super::VerificationResult;
use super::{check_small_map, invalid, Entity, FactorConfig, Identity, Metadata, ServiceConfig, Sid, Verification};
use super::{DEFAULT_RECOVERY_CODES, MAX_RECOVERY_CODES};
use crate::error::FactorStatusProblem;
use crate::{Algorithm, Check, Error, KeyUri, Secret, Totp};

/// A fixed-window counter: `count` events since `start`, the window lasting a given length
/// from its first event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Quota {
    /// Unix seconds of the window's first event.
    pub start: u64,
    /// Events in the window.
    pub count: u32,
}

impl Quota {
    /// The events that count at `now` in a window of `length` seconds (0 once it ended).
    ///
    /// ```
    /// use watchword_core::service::Quota;
    /// let q = Quota { start: 100, count: 4 };
    /// assert_eq!((q.in_force(3699, 3600), q.in_force(3700, 3600)), (4, 0));
    /// ```
    pub fn in_force(&self, now: u64, length: u64) -> u32 {
        if now < self.start.saturating_add(length) {
            self.count
        } else {
            0
        }
    }

    /// The counter after one more event, or `None` when the window's `limit` is reached.
    ///
    /// ```
    /// use watchword_core::service::Quota;
    /// let q = Quota::default().admit(100, 3600, 2).unwrap().admit(200, 3600, 2).unwrap();
    /// assert_eq!(q.admit(300, 3600, 2), None);
    /// assert_eq!(q.admit(3700, 3600, 2), Some(Quota { start: 3700, count: 1 }));
    /// ```
    pub fn admit(&self, now: u64, length: u64, limit: u32) -> Option<Quota> {
        if self.count == 0 || now.saturating_sub(self.start) >= length {
            return (limit >= 1).then_some(Quota { start: now, count: 1 });
        }
        (self.count < limit).then(|| Quota { start: self.start, count: self.count.saturating_add(1) })
    }
}

/// A factor's enrollment status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FactorStatus {
    /// Created, not yet proven with a code.
    Unverified,
    /// Proven with a code; challenges can be created.
    Verified,
}

impl FactorStatus {
    /// `"unverified"` or `"verified"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            FactorStatus::Unverified => "unverified",
            FactorStatus::Verified => "verified",
        }
    }

    /// The status with that name.
    pub fn from_name(name: &str) -> Option<FactorStatus> {
        match name {
            "unverified" => Some(FactorStatus::Unverified),
            "verified" => Some(FactorStatus::Verified),
            _ => None,
        }
    }
}

/// What a factor is: Twilio's `factor_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum FactorType {
    /// A TOTP secret in an authenticator app.
    #[default]
    Totp,
    /// A set of single-use recovery codes (SPEC §11).
    RecoveryCodes,
}

impl FactorType {
    /// `"totp"` or `"recovery_codes"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            FactorType::Totp => "totp",
            FactorType::RecoveryCodes => "recovery_codes",
        }
    }

    /// The type with that name.
    pub fn from_name(name: &str) -> Option<FactorType> {
        match name {
            "totp" => Some(FactorType::Totp),
            "recovery_codes" => Some(FactorType::RecoveryCodes),
            _ => None,
        }
    }
}

/// A request to create a factor. Its `Debug` never shows an imported secret.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct NewFactor {
    /// The account name shown in the authenticator app: 1–64 characters, no `:`.
    pub friendly_name: String,
    /// `totp` (the default) or `recovery_codes`.
    pub factor_type: FactorType,
    /// How many codes a `recovery_codes` factor holds: 1–20 (default 10).
    pub count: Option<u32>,
    /// An imported Base32 secret (migration); generated when `None`.
    pub secret: Option<String>,
    /// Overrides the service's default algorithm.
    pub alg: Option<Algorithm>,
    /// Overrides the service's default code length.
    pub code_length: Option<u32>,
    /// Overrides the service's default time step.
    pub time_step: Option<u64>,
    /// Overrides the service's default skew.
    pub skew: Option<u32>,
    /// Host metadata (string values, at most 1024 characters serialized).
    pub metadata: Option<Metadata>,
}

impl core::fmt::Debug for NewFactor {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("NewFactor")
            .field("friendly_name", &self.friendly_name)
            .field("factor_type", &self.factor_type)
            .field("count", &self.count)
            .field("secret", &self.secret.as_ref().map(|_| "…"))
            .field("alg", &self.alg)
            .field("code_length", &self.code_length)
            .field("time_step", &self.time_step)
            .field("skew", &self.skew)
            .field("metadata", &self.metadata)
            .finish()
    }
}

impl NewFactor {
    /// A request with only the friendly name.
    pub fn new(friendly_name: &str) -> NewFactor {
        NewFactor { friendly_name: String::from(friendly_name), ..NewFactor::default() }
    }

    /// Imports an existing Base32 secret.
    pub fn secret(mut self, base32: &str) -> NewFactor {
        self.secret = Some(String::from(base32));
        self
    }

    /// Checks a `recovery_codes` request — its name, no TOTP secret or settings, `count` 1–20,
    /// metadata — and answers how many codes to make (default 10).
    pub fn recovery_code_count(&self) -> Result<u32, Error> {
        check_friendly_name(&self.friendly_name)?;
        if self.secret.is_some() {
            return Err(invalid("secret", "nothing: a recovery_codes factor has no TOTP secret"));
        }
        refuse_totp_settings(self.alg, self.code_length, self.time_step, self.skew)?;
        let count = self.count.unwrap_or(DEFAULT_RECOVERY_CODES);
        if !(1..=MAX_RECOVERY_CODES).contains(&count) {
            return Err(invalid("count", "an integer from 1 to 20"));
        }
        if let Some(metadata) = &self.metadata {
            check_small_map(metadata, "metadata")?;
        }
        Ok(count)
    }

    /// A request for a `recovery_codes` factor of `count` codes (SPEC §11).
    ///
    /// ```
    /// # use watchword_core::service::*;
    /// # let verify = Verify::new(ServiceConfig::new("Acme").unwrap(), MemoryStore::new());
    /// let created = verify.create_factor("user-0001", NewFactor::recovery_codes("backup", 10), 0).unwrap();
    /// assert_eq!(created.binding.codes.len(), 10);
    /// assert_eq!(created.factor.view()["config"]["remaining"], 10);
    /// ```
    pub fn recovery_codes(friendly_name: &str, count: u32) -> NewFactor {
        NewFactor { factor_type: FactorType::RecoveryCodes, count: Some(count), ..NewFactor::new(friendly_name) }
    }
}

/// A change to a factor's friendly name, configuration or metadata (`None`: unchanged).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FactorUpdate {
    /// New friendly name.
    pub friendly_name: Option<String>,
    /// New algorithm.
    pub alg: Option<Algorithm>,
    /// New code length.
    pub code_length: Option<u32>,
    /// New time step.
    pub time_step: Option<u64>,
    /// New skew.
    pub skew: Option<u32>,
    /// New metadata (replaces the old).
    pub metadata: Option<Metadata>,
    /// A `recovery_codes` factor only: replace its codes with a new set (the old ones stop
    /// working).
    pub regenerate: bool,
}

/// A TOTP factor (Twilio's Factor, `YF…`), with the counters that make replay protection,
/// attempt limits, lockout and quotas hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Factor {
    /// `YF` + 32 hex characters.
    pub sid: Sid,
    /// The entity's sid.
    pub entity_sid: Sid,
    /// The entity's identity.
    pub identity: Identity,
    /// The account name in the authenticator app.
    pub friendly_name: String,
    /// Enrollment status.
    pub status: FactorStatus,
    /// TOTP settings.
    pub config: FactorConfig,
    /// The shared secret. Only the stored record and the creation answer carry it.
    pub secret: Secret,
    /// Host metadata.
    pub metadata: Option<Metadata>,
    /// Unix seconds.
    pub date_created: u64,
    /// Unix seconds of the last change of a visible field.
    pub date_updated: u64,
    /// Raised by one on every change; the store's compare-and-set key.
    pub version: u64,
    /// The step of the last accepted code: replay floor (a code is accepted once).
    pub last_used_step: Option<u64>,
    /// Failed enrollment verifications (limit 60310).
    pub enrollment_failures: u32,
    /// Consecutive failed answers since the last success (lockout).
    pub consecutive_failures: u32,
    /// End of the current timed lockout, if one was set.
    pub locked_until: Option<u64>,
    /// Challenges created in the current hour window (quota 60312).
    pub challenges_hour: Quota,
    /// Challenges created in the current 24-hour window (quota 60312).
    pub challenges_day: Quota,
    /// Failed answers in the current 24-hour window (the failure budget, SPEC §3): not
    /// reset by successes; when spent the factor is locked until the window ends.
    pub failure_budget: Quota,
    /// The last two future steps a code was reported `outside_window` for: presented again,
    /// such a code is `replayed` (the diagnosis must not turn one guess into five codes).
    pub future_steps: [Option<u64>; 2],
    /// A `recovery_codes` factor's codes (hashed; boxed, as most factors have none); `None`
    /// for a TOTP factor. A recovery-codes factor's `secret` and `config` are unused.
    pub recovery_codes: Option<alloc::boxed::Box<RecoveryCodes>>,
}

/// What a factor must never lose to an import, a delete or a lost race (SPEC §7): its replay
/// floor in time, its remembered future steps, its attempt counters and its failure budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Guard {
    /// The first Unix second whose codes were not used yet (`None`: nothing accepted yet).
    pub floor_time: Option<u64>,
    /// The start times (Unix seconds) of the remembered future steps.
    pub future_times: [Option<u64>; 2],
    /// Failed enrollment verifications.
    pub enrollment_failures: u32,
    /// Consecutive failed answers.
    pub consecutive_failures: u32,
    /// End of the timed lockout.
    pub locked_until: Option<u64>,
    /// The failure budget's window and count.
    pub failure_budget: Quota,
    /// A recovery-codes factor's set (its salt) and which of its codes were used (bit `i`:
    /// code `i`): an import of the same set keeps them used.
    pub used_codes: Option<([u8; 16], u32)>,
}

/// Of two counts of one fixed window of `length` seconds, the one that counts more at `now`
/// (the later-starting one when they count the same). Comparing starts alone would let an
/// older copy win after the clock went back.
pub(crate) fn higher_quota(a: Quota, b: Quota, now: u64, length: u64) -> Quota {
    if (b.in_force(now, length), b.start) > (a.in_force(now, length), a.start) {
        b
    } else {
        a
    }
}

impl Guard {
    /// The guard that keeps the higher of each value (failure budgets as they count at `now`).
    pub fn max(self, other: Guard, now: u64) -> Guard {
        let mut future_times = self.future_times;
        for t in other.future_times.into_iter().flatten() {
            if !future_times.contains(&Some(t)) {
                future_times = [Some(t), future_times[0]];
            }
        }
        Guard {
            floor_time: self.floor_time.max(other.floor_time),
            future_times,
            enrollment_failures: self.enrollment_failures.max(other.enrollment_failures),
            consecutive_failures: self.consecutive_failures.max(other.consecutive_failures),
            locked_until: self.locked_until.max(other.locked_until),
            failure_budget: higher_quota(self.failure_budget, other.failure_budget, now, 86_400),
            used_codes: match (self.used_codes, other.used_codes) {
                (Some((salt, a)), Some((other_salt, b))) if salt == other_salt => Some((salt, a | b)),
                (mine, theirs) => mine.or(theirs),
            },
        }
    }
}

impl Factor {
    /// A new unverified factor for `entity` (version 1), with an imported secret or one
    /// generated from `rng`.
    pub fn create<R: RngCore + CryptoRng>(
        config: &ServiceConfig,
        entity: &Entity,
        request: &NewFactor,
        rng: &mut R,
        now: u64,
    ) -> Result<Factor, Error> {
        if request.factor_type == FactorType::RecoveryCodes {
            return Err(invalid("factor_type", "totp (Factor::create_recovery_codes creates recovery codes)"));
        }
        if request.count.is_some() {
            return Err(invalid("count", "only with factor_type recovery_codes"));
        }
        check_friendly_name(&request.friendly_name)?;
        let defaults = config.default_factor_config();
        let factor_config = FactorConfig {
            alg: request.alg.unwrap_or(defaults.alg),
            code_length: request.code_length.unwrap_or(defaults.code_length),
            time_step: request.time_step.unwrap_or(defaults.time_step),
            skew: request.skew.unwrap_or(defaults.skew),
        };
        factor_config.validate(config)?;
        if let Some(metadata) = &request.metadata {
            check_small_map(metadata, "metadata")?;
        }
        let secret = match &request.secret {
            None => Secret::generate_with(factor_config.alg, rng),
            Some(text) => {
                let secret = Secret::from_base32(text).map_err(|e| match e {
                    Error::InvalidParameter(crate::Invalid::SecretLength { .. }) => secret_length_error(),
                    other => other,
                })?;
                if secret.len() < config.min_secret_bytes {
                    return Err(secret_length_error());
                }
                secret
            }
        };
        let mut random = [0u8; 16];
        rng.fill_bytes(&mut random);
        Ok(Factor::fresh(entity, request, factor_config, secret, random, now))
    }

    /// A new unverified factor record (version 1) of `request`'s name and metadata, with
    /// nothing counted yet.
    fn fresh(
        entity: &Entity,
        request: &NewFactor,
        config: FactorConfig,
        secret: Secret,
        random: [u8; 16],
        now: u64,
    ) -> Factor {
        Factor {
            sid: Sid::new("YF", random),
            entity_sid: entity.sid,
            identity: entity.identity,
            friendly_name: request.friendly_name.clone(),
            status: FactorStatus::Unverified,
            config,
            secret,
            metadata: request.metadata.clone(),
            date_created: now,
            date_updated: now,
            version: 1,
            last_used_step: None,
            enrollment_failures: 0,
            consecutive_failures: 0,
            locked_until: None,
            challenges_hour: Quota::default(),
            challenges_day: Quota::default(),
            failure_budget: Quota::default(),
            future_steps: [None, None],
            recovery_codes: None,
        }
    }

    /// A new `recovery_codes` factor for `entity` (version 1) holding `codes` (made with
    /// [`RecoveryCodes::generate`] for [`NewFactor::recovery_code_count`] codes, before, so that
    /// a retried creation does not hash them again), verified at once.
    pub fn create_recovery_codes<R: RngCore + CryptoRng>(
        config: &ServiceConfig,
        entity: &Entity,
        request: &NewFactor,
        codes: RecoveryCodes,
        rng: &mut R,
        now: u64,
    ) -> Result<Factor, Error> {
        request.recovery_code_count()?;
        let mut random = [0u8; 16];
        rng.fill_bytes(&mut random);
        let factor_config = config.default_factor_config();
        // Never used nor shown: random, so that no TOTP code can be made from it.
        let secret = Secret::generate_with(factor_config.alg, rng);
        let mut factor = Factor::fresh(entity, request, factor_config, secret, random, now);
        factor.status = FactorStatus::Verified;
        factor.recovery_codes = Some(alloc::boxed::Box::new(codes));
        Ok(factor)
    }

    /// Twilio's `factor_type`: `"totp"` or `"recovery_codes"`.
    pub fn kind(&self) -> FactorType {
        match self.recovery_codes {
            Some(_) => FactorType::RecoveryCodes,
            None => FactorType::Totp,
        }
    }

    /// How many codes a new set for this factor holds: as many as its current set (`None` for
    /// a TOTP factor).
    pub fn recovery_code_count(&self) -> Option<u32> {
        self.recovery_codes.as_ref().map(|codes| codes.count())
    }

    /// A `recovery_codes` factor with a new set of codes (made with
    /// [`RecoveryCodes::generate`] for [`Factor::recovery_code_count`] codes); the old codes
    /// stop working. Counters and lockout are kept.
    pub fn regenerate(mut self, codes: RecoveryCodes, now: u64) -> Result<Factor, Error> {
        if self.recovery_codes.is_none() {
            return Err(invalid("regenerate", "true only for a recovery_codes factor"));
        }
        self.recovery_codes = Some(alloc::boxed::Box::new(codes));
        self.date_updated = now;
        self.version = self.version.saturating_add(1);
        Ok(self)
    }

    /// What this factor must never lose (see [`Guard`]).
    pub fn guard(&self) -> Guard {
        let step_time = |step: u64| step.saturating_mul(self.config.time_step);
        Guard {
            floor_time: self.last_used_step.map(|s| step_time(s.saturating_add(1))),
            future_times: self.future_steps.map(|s| s.map(step_time)),
            enrollment_failures: self.enrollment_failures,
            consecutive_failures: self.consecutive_failures,
            locked_until: self.locked_until,
            failure_budget: self.failure_budget,
            used_codes: self.recovery_codes.as_ref().map(|codes| {
                let used = codes.used.iter().enumerate().filter(|(_, used)| **used);
                (codes.salt, used.fold(0u32, |mask, (i, _)| mask | (1 << i)))
            }),
        }
    }

    /// Raises this factor's guarded values to at least `guard`'s: the replay floor in time
    /// (a step that overlaps used time counts as used), remembered future steps, counters and
    /// the failure budget (as it counts at `now`).
    pub fn raise_to(&mut self, guard: &Guard, now: u64) {
        let merged = self.guard().max(*guard, now);
        let step = self.config.time_step;
        if merged.floor_time > self.guard().floor_time {
            self.last_used_step = merged.floor_time.map(|t| t.div_ceil(step).saturating_sub(1));
        }
        self.future_steps = merged.future_times.map(|t| t.filter(|t| t % step == 0).map(|t| t / step));
        self.enrollment_failures = merged.enrollment_failures;
        self.consecutive_failures = merged.consecutive_failures;
        self.locked_until = merged.locked_until;
        self.failure_budget = merged.failure_budget;
        if let (Some(codes), Some((salt, mask))) = (&mut self.recovery_codes, guard.used_codes) {
            if codes.salt == salt {
                codes.used.iter_mut().enumerate().for_each(|(i, used)| *used |= mask & (1 << i) != 0);
            }
        }
    }

    /// The `otpauth://` URI an authenticator app scans: issuer from the service, account
    /// from the friendly name, algorithm, digits and period always present.
    pub fn binding_uri(&self, config: &ServiceConfig) -> Result<String, Error> {
        let mut uri = KeyUri::totp(Some(&config.issuer), &self.friendly_name, self.secret.clone());
        uri.algorithm = self.config.alg;
        uri.digits = self.config.code_length;
        uri.period = self.config.time_step;
        uri.to_uri()
    }

    /// The factor's TOTP generator.
    pub fn totp(&self) -> Result<Totp, Error> {
        Totp::from_secret(&self.secret, self.config.alg, self.config.code_length, self.config.time_step)
    }

    /// Whether the factor stayed unverified past its lifetime (60383 from then on).
    pub fn lifetime_over(&self, config: &ServiceConfig, now: u64) -> bool {
        self.status == FactorStatus::Unverified
            && now.saturating_sub(self.date_created) >= config.unverified_factor_lifetime
    }

    /// The lock in force at `now`: `None` when unlocked, `Some(Some(t))` until `t`,
    /// `Some(None)` until an explicit unlock.
    pub fn lock(&self, config: &ServiceConfig, now: u64) -> Option<Option<u64>> {
        if self.consecutive_failures >= config.lockout_permanent_threshold {
            return Some(None);
        }
        let budget = self.failure_budget;
        let budget_end = budget.start.saturating_add(86_400);
        let spent = (budget.count >= config.failure_budget && now < budget_end).then_some(budget_end);
        let timed = self.locked_until.filter(|&until| until > now);
        timed.max(spent).map(Some)
    }

    /// Enrollment: checks the first code of an unverified factor. A right code verifies it;
    /// a wrong one counts toward the enrollment limit (60310).
    pub fn verify(self, config: &ServiceConfig, code: &str, now: u64) -> Result<(Factor, Verification), Error> {
        if self.status == FactorStatus::Verified {
            return Err(Error::IllegalFactorStatus(FactorStatusProblem::AlreadyVerified));
        }
        if self.lifetime_over(config, now) {
            return Err(Error::IllegalFactorStatus(FactorStatusProblem::Expired));
        }
        if self.enrollment_failures >= config.factor_verification_attempts {
            return Err(Error::FactorVerificationAttemptsReached);
        }
        let (verification, step) = self.check(code, now)?;
        let mut next = self;
        next.version = next.version.saturating_add(1);
        match step {
            Some(step) => {
                next.status = FactorStatus::Verified;
                next.accept(step);
                next.date_updated = now;
            }
            None => {
                next.enrollment_failures = next.enrollment_failures.saturating_add(1);
                next.remember_future(&verification, now);
            }
        }
        Ok((next, verification))
    }

    /// Authentication: checks a code of a verified factor (a challenge's answer). Locked
    /// factors refuse; a right, fresh code resets the failure count; every other result
    /// counts toward the lockout.
    pub fn answer(mut self, config: &ServiceConfig, code: &str, now: u64) -> Result<(Factor, Verification), Error> {
        let verification = self.answer_in_place(config, code, now, &mut AnswerDigest::default())?;
        Ok((self, verification))
    }

    /// [`Factor::answer`] on the factor itself; on an error it is unchanged. A recovery code
    /// is hashed through `digest`, which keeps the hash for the retries of the same call.
    pub(crate) fn answer_in_place(
        &mut self,
        config: &ServiceConfig,
        code: &str,
        now: u64,
        digest: &mut AnswerDigest,
    ) -> Result<Verification, Error> {
        if let Some(until) = self.lock(config, now) {
            return Err(Error::FactorLocked { until });
        }
        let verification = match &mut self.recovery_codes {
            Some(codes) => {
                let (verification, index) = check_recovery_code(codes, code, digest);
                if let Some(index) = index {
                    codes.used[index] = true;
                }
                verification
            }
            None => {
                let (verification, step) = self.check(code, now)?;
                if let Some(step) = step {
                    self.accept(step);
                }
                verification
            }
        };
        self.version = self.version.saturating_add(1);
        if verification.approved() {
            self.consecutive_failures = 0;
            self.locked_until = None;
        } else {
            self.remember_future(&verification, now);
            let budget = self.failure_budget.admit(now, 86_400, config.failure_budget);
            self.failure_budget = budget.unwrap_or(self.failure_budget);
            let failures = self.consecutive_failures.saturating_add(1);
            self.consecutive_failures = failures;
            if failures < config.lockout_permanent_threshold && failures % config.lockout_threshold == 0 {
                let lockouts = failures / config.lockout_threshold;
                let doubling = 1u64 << (lockouts - 1).min(40);
                let seconds = config.lockout_seconds.saturating_mul(doubling).min(config.lockout_max_seconds);
                self.locked_until = Some(now.saturating_add(seconds));
            }
        }
        Ok(verification)
    }

    /// The factor after creating one more challenge: 60383 for an expired unverified factor,
    /// 60318 for an unverified one, 60312 when the creation quota is used up.
    pub fn admit_challenge(mut self, config: &ServiceConfig, now: u64) -> Result<Factor, Error> {
        self.admit_challenge_in_place(config, now)?;
        Ok(self)
    }

    /// [`Factor::admit_challenge`] on the factor itself; on an error it is unchanged.
    pub(crate) fn admit_challenge_in_place(&mut self, config: &ServiceConfig, now: u64) -> Result<(), Error> {
        if self.lifetime_over(config, now) {
            return Err(Error::IllegalFactorStatus(FactorStatusProblem::Expired));
        }
        if self.status == FactorStatus::Unverified {
            return Err(Error::FactorNotVerified);
        }
        let quota = || Error::ChallengeCreationLimitReached;
        // Recovery codes have ten characters: the quotas of long codes apply.
        let (hour, day) = if self.config.code_length <= 4 && self.recovery_codes.is_none() {
            (self.challenges_hour, self.challenges_day.admit(now, 86_400, config.challenge_quota_short_day))
        } else {
            let hour = self.challenges_hour.admit(now, 3600, config.challenge_quota_hour).ok_or_else(quota)?;
            (hour, self.challenges_day.admit(now, 86_400, config.challenge_quota_day))
        };
        self.challenges_day = day.ok_or_else(quota)?;
        self.challenges_hour = hour;
        self.version = self.version.saturating_add(1);
        Ok(())
    }

    /// Changes the friendly name, configuration or metadata. Nothing else is reset.
    pub fn update(self, config: &ServiceConfig, update: &FactorUpdate, now: u64) -> Result<Factor, Error> {
        if let Some(name) = &update.friendly_name {
            check_friendly_name(name)?;
        }
        if self.recovery_codes.is_some() {
            refuse_totp_settings(update.alg, update.code_length, update.time_step, update.skew)?;
        } else if update.regenerate {
            return Err(invalid("regenerate", "true only for a recovery_codes factor"));
        }
        let factor_config = FactorConfig {
            alg: update.alg.unwrap_or(self.config.alg),
            code_length: update.code_length.unwrap_or(self.config.code_length),
            time_step: update.time_step.unwrap_or(self.config.time_step),
            skew: update.skew.unwrap_or(self.config.skew),
        };
        factor_config.validate(config)?;
        if let Some(metadata) = &update.metadata {
            check_small_map(metadata, "metadata")?;
        }
        if self.lifetime_over(config, now) {
            return Err(Error::IllegalFactorStatus(FactorStatusProblem::Expired));
        }
        let mut next = self;
        if let Some(name) = &update.friendly_name {
            next.friendly_name.clone_from(name);
        }
        if update.metadata.is_some() {
            next.metadata.clone_from(&update.metadata);
        }
        if factor_config.time_step != next.config.time_step {
            // The replay floor counts steps of the old length: carry it over as the last new
            // step that begins before the used old step ended, so no code of the time already
            // used is accepted again and every later one is.
            let old_step = next.config.time_step;
            next.last_used_step = next.last_used_step.map(|step| {
                let end = (u128::from(step) + 1) * u128::from(old_step);
                let steps = end.div_ceil(u128::from(factor_config.time_step));
                u64::try_from(steps - 1).unwrap_or(u64::MAX)
            });
        }
        if factor_config.time_step != next.config.time_step {
            // Remembered future steps were counted in the old step length.
            next.future_steps = [None, None];
        }
        if factor_config.alg != next.config.alg {
            next.secret = next.secret.without_key_states();
        }
        next.config = factor_config;
        next.date_updated = now;
        next.version = next.version.saturating_add(1);
        Ok(next)
    }

    /// Lifts any lockout and clears the failure count and the failure budget.
    pub fn unlock(self) -> Factor {
        let mut next = self;
        next.consecutive_failures = 0;
        next.locked_until = None;
        next.failure_budget = Quota::default();
        next.version = next.version.saturating_add(1);
        next
    }

    /// Stores `step` as the replay floor and forgets remembered steps at or below it.
    fn accept(&mut self, step: u64) {
        self.last_used_step = Some(step);
        self.future_steps = self.future_steps.map(|s| s.filter(|s| *s > step));
    }

    /// After an `outside_window` result for a future step, remembers that step (the last two).
    fn remember_future(&mut self, verification: &Verification, now: u64) {
        let (VerificationResult::OutsideWindow, Some(offset)) = (verification.result, verification.offset) else {
            return;
        };
        if offset <= 0 {
            return;
        }
        let current = now / self.config.time_step;
        let step = current.saturating_add(offset.unsigned_abs());
        if !self.future_steps.contains(&Some(step)) {
            self.future_steps = [Some(step), self.future_steps[0]];
        }
    }

    /// Checks `code` with the replay floor and the remembered future steps; returns the
    /// result and, when approved, the step to store as the new floor.
    fn check(&self, code: &str, now: u64) -> Result<(Verification, Option<u64>), Error> {
        let check = self.totp()?.check(code, now, self.config.skew, self.last_used_step)?;
        let remembered = |m: &crate::Match| self.future_steps.contains(&Some(m.step));
        let check = match check {
            Check::Accepted(m) | Check::OutsideWindow(m) if remembered(&m) => Check::Replayed(m),
            other => other,
        };
        Ok(match check {
            Check::Accepted(m) => {
                (Verification { result: VerificationResult::Approved, offset: Some(m.offset) }, Some(m.step))
            }
            Check::Replayed(m) => (Verification { result: VerificationResult::Replayed, offset: Some(m.offset) }, None),
            Check::OutsideWindow(m) => {
                (Verification { result: VerificationResult::OutsideWindow, offset: Some(m.offset) }, None)
            }
            Check::Rejected => (Verification { result: VerificationResult::InvalidCode, offset: None }, None),
        })
    }
}

/// Refuses TOTP settings given for a recovery-codes factor, naming the first.
fn refuse_totp_settings(
    alg: Option<Algorithm>,
    code_length: Option<u32>,
    time_step: Option<u64>,
    skew: Option<u32>,
) -> Result<(), Error> {
    let given = [
        ("config.alg", alg.is_some()),
        ("config.code_length", code_length.is_some()),
        ("config.time_step", time_step.is_some()),
        ("config.skew", skew.is_some()),
    ];
    match given.iter().find(|(_, given)| *given) {
        Some((name, _)) => Err(invalid(name, "nothing: a recovery_codes factor has no TOTP settings")),
        None => Ok(()),
    }
}

/// Checks a recovery-code answer: its form first (no hashing for what cannot be a code), then
/// its hash (once per call, see [`AnswerDigest`]) against every code. Returns the result and,
/// when approved, the index of the code to mark used.
fn check_recovery_code(
    codes: &RecoveryCodes,
    answer: &str,
    digest: &mut AnswerDigest,
) -> (Verification, Option<usize>) {
    let verification = |result| Verification { result, offset: None };
    let Some(normalized) = normalize_recovery_code(answer) else {
        return (verification(VerificationResult::InvalidCode), None);
    };
    match codes.find(&digest.of(codes, &normalized)) {
        None => (verification(VerificationResult::InvalidCode), None),
        Some(index) if codes.used[index] => (verification(VerificationResult::Replayed), None),
        Some(index) => (verification(VerificationResult::Approved), Some(index)),
    }
}

fn secret_length_error() -> Error {
    invalid("secret", "Base32 of min_secret_bytes (default 16) to 128 bytes")
}

/// Checks a friendly name: 1–64 characters, no `:` (it is the URI's account name), no
/// control characters, not starting with a space.
pub(crate) fn check_friendly_name(name: &str) -> Result<(), Error> {
    let chars = name.chars().count();
    if chars == 0 || chars > 64 || name.contains(':') || name.starts_with(' ') || name.chars().any(char::is_control) {
        return Err(invalid(
            "friendly_name",
            "1 to 64 characters without ':' or control characters, not starting with a space",
        ));
    }
    Ok(())
}
