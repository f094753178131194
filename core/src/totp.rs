use subtle::Choice;

use crate::error::{Error, Invalid};
use crate::{Algorithm, Code, Hotp, Secret, MAX_PERIOD, MAX_SKEW, MIN_PERIOD};

/// A TOTP generator and verifier for one key (RFC 6238).
///
/// `T = floor((unix_time - t0) / period)` in `u64`, so times past 2038 (and up to
/// `u64::MAX`) work. The HMAC key states are computed once, so `generate` and `verify` never
/// allocate and cost two hash blocks per code.
///
/// ```
/// use watchword_core::{Algorithm, Totp};
/// let totp = Totp::new(b"12345678901234567890", Algorithm::Sha1, 8, 30).unwrap();
/// assert_eq!(totp.generate(20_000_000_000).unwrap().as_str(), "65353130");
/// assert_eq!(format!("{totp:?}"), "Totp { algorithm: Sha1, digits: 8, period: 30, t0: 0, .. }");
/// ```
#[derive(Clone)]
pub struct Totp {
    hotp: Hotp,
    period: u64,
    t0: u64,
}

/// A code that matched: the time step it belongs to and that step's offset from the current
/// one (negative: the code is from the past, e.g. the phone's clock is slow).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Match {
    /// The matched time step.
    pub step: u64,
    /// `step - current step`.
    pub offset: i64,
}

/// The full outcome of checking a code with a replay floor (see [`Totp::check`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Check {
    /// The code matched a fresh step inside the window: accept it, then store `step` as the
    /// new replay floor.
    Accepted(Match),
    /// The code matched, but its step is not newer than the last accepted one.
    Replayed(Match),
    /// The code matched a step one or two steps beyond the skew window (Okta's
    /// `TIME_WINDOW_EXCEEDED`); the offset tells how far the prover's clock is off.
    OutsideWindow(Match),
    /// The code matched nothing (including codes that are not `digits` ASCII digits).
    Rejected,
}

impl Check {
    /// The outcome in the service's words, the one spelling of every surface:
    /// [`Approved`](crate::service::VerificationResult::Approved) for `Accepted`,
    /// [`InvalidCode`](crate::service::VerificationResult::InvalidCode) for `Rejected`.
    ///
    /// ```
    /// use watchword_core::{Algorithm, Totp};
    /// let totp = Totp::new(b"12345678901234567890", Algorithm::Sha1, 6, 30).unwrap();
    /// let code = totp.generate(59).unwrap();
    /// assert_eq!(totp.check(code.as_str(), 59, 1, None).unwrap().result().as_str(), "approved");
    /// assert_eq!(totp.check("000000", 59, 1, None).unwrap().result().as_str(), "invalid_code");
    /// ```
    #[cfg(feature = "alloc")]
    pub const fn result(&self) -> crate::service::VerificationResult {
        use crate::service::VerificationResult;
        match self {
            Check::Accepted(_) => VerificationResult::Approved,
            Check::Replayed(_) => VerificationResult::Replayed,
            Check::OutsideWindow(_) => VerificationResult::OutsideWindow,
            Check::Rejected => VerificationResult::InvalidCode,
        }
    }

    /// The step the code matched, unless it matched none.
    pub const fn matched(&self) -> Option<Match> {
        match self {
            Check::Accepted(m) | Check::Replayed(m) | Check::OutsideWindow(m) => Some(*m),
            Check::Rejected => None,
        }
    }
}

impl core::fmt::Debug for Totp {
    /// Shows the parameters, never the key.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Totp")
            .field("algorithm", &self.algorithm())
            .field("digits", &self.digits())
            .field("period", &self.period)
            .field("t0", &self.t0)
            .finish_non_exhaustive()
    }
}

impl Totp {
    /// Sets up a key of 1–128 bytes for codes of 3–10 digits and a period of 1–86400 s,
    /// counting from the Unix epoch.
    pub fn new(secret: &[u8], algorithm: Algorithm, digits: u32, period: u64) -> Result<Totp, Error> {
        check_period(period)?;
        Ok(Totp { hotp: Hotp::new(secret, algorithm, digits)?, period, t0: 0 })
    }

    /// [`Totp::new`] for a [`Secret`]. With `std` the secret keeps its key states, so doing
    /// this again for the same secret (or a clone) costs no hashing.
    ///
    /// ```
    /// use watchword_core::{Algorithm, Secret, Totp};
    /// let secret = Secret::from_bytes(b"12345678901234567890").unwrap();
    /// let totp = Totp::from_secret(&secret, Algorithm::Sha1, 8, 30).unwrap();
    /// assert_eq!(totp.generate(59).unwrap().as_str(), "94287082");
    /// ```
    pub fn from_secret(secret: &Secret, algorithm: Algorithm, digits: u32, period: u64) -> Result<Totp, Error> {
        check_period(period)?;
        Ok(Totp { hotp: Hotp::from_secret(secret, algorithm, digits)?, period, t0: 0 })
    }

    /// The same generator counting steps from `t0` instead of the Unix epoch.
    ///
    /// ```
    /// use watchword_core::{Algorithm, Totp};
    /// let totp = Totp::new(b"12345678901234567890", Algorithm::Sha1, 6, 30).unwrap().with_t0(100);
    /// assert_eq!(totp.step(160).unwrap(), 2);
    /// assert!(totp.step(99).is_err());
    /// ```
    pub fn with_t0(mut self, t0: u64) -> Totp {
        self.t0 = t0;
        self
    }

    /// The hash algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.hotp.algorithm()
    }

    /// The number of digits of each code.
    pub fn digits(&self) -> u32 {
        self.hotp.digits()
    }

    /// The period in seconds.
    pub fn period(&self) -> u64 {
        self.period
    }

    /// The Unix time steps are counted from.
    pub fn t0(&self) -> u64 {
        self.t0
    }

    /// The time step of `unix_time`; an error when `unix_time` is before `t0`.
    pub fn step(&self, unix_time: u64) -> Result<u64, Error> {
        match unix_time.checked_sub(self.t0) {
            Some(elapsed) => Ok(elapsed / self.period),
            None => Err(Error::InvalidParameter(Invalid::TimeBeforeT0 { time: unix_time, t0: self.t0 })),
        }
    }

    /// The code at `unix_time`.
    pub fn generate(&self, unix_time: u64) -> Result<Code, Error> {
        Ok(self.hotp.generate(self.step(unix_time)?))
    }

    /// The code of time step `step`.
    pub fn generate_step(&self, step: u64) -> Code {
        self.hotp.generate(step)
    }

    /// Checks `code` against the steps `current - skew ..= current + skew` (skew 0–10).
    ///
    /// Every step of the window is evaluated and compared in constant time. When the same
    /// code occurs at two steps, the one nearest the current step wins, the current step
    /// first, then the past one. A code that is not exactly `digits` ASCII digits is a
    /// plain mismatch.
    pub fn verify(&self, code: &str, unix_time: u64, skew: u32) -> Result<Option<Match>, Error> {
        let current = self.step(unix_time)?;
        check_skew(skew)?;
        let Some(given) = self.hotp.parse(code) else {
            return Ok(None);
        };
        Ok(self.window(&given, current, skew, None).nearest)
    }

    /// Checks `code` the way a verifier with replay protection must (RFC 6238 §5.2).
    ///
    /// `last_used_step` is the step of the last code accepted for this key, if any. Among
    /// the window's matching steps newer than it, the **highest** wins ([`Check::Accepted`]);
    /// a match that is not newer is [`Check::Replayed`]. When nothing in the window matches,
    /// the steps one and two beyond it on each side are tried, to tell a wrong code from a
    /// clock that is off ([`Check::OutsideWindow`]).
    ///
    /// ```
    /// use watchword_core::{Algorithm, Check, Totp};
    /// let totp = Totp::new(b"12345678901234567890", Algorithm::Sha1, 6, 30).unwrap();
    /// let code = totp.generate(1000).unwrap();
    /// let Check::Accepted(m) = totp.check(code.as_str(), 1000, 1, None).unwrap() else { panic!() };
    /// assert!(matches!(totp.check(code.as_str(), 1010, 1, Some(m.step)).unwrap(), Check::Replayed(_)));
    /// assert!(matches!(totp.check(code.as_str(), 1060, 1, None).unwrap(), Check::OutsideWindow(m) if m.offset == -2));
    /// ```
    pub fn check(&self, code: &str, unix_time: u64, skew: u32, last_used_step: Option<u64>) -> Result<Check, Error> {
        let current = self.step(unix_time)?;
        check_skew(skew)?;
        let Some(given) = self.hotp.parse(code) else {
            return Ok(Check::Rejected);
        };
        let window = self.window(&given, current, skew, last_used_step);
        if let Some(m) = window.fresh {
            return Ok(Check::Accepted(m));
        }
        if let Some(m) = window.nearest {
            return Ok(Check::Replayed(m));
        }
        // Nothing inside the window: look one and two steps beyond it, nearest first.
        let mut beyond = None;
        let mut found = Choice::from(0);
        for distance in [i64::from(skew) + 1, i64::from(skew) + 2] {
            for offset in [-distance, distance] {
                if let Some(step) = offset_step(current, offset) {
                    let hit = self.hotp.matches(&given, step) & !found;
                    if bool::from(hit) {
                        beyond = Some(Match { step, offset });
                    }
                    found |= hit;
                }
            }
        }
        Ok(match beyond {
            Some(m) if last_used_step.is_some_and(|floor| m.step <= floor) => Check::Replayed(m),
            Some(m) => Check::OutsideWindow(m),
            None => Check::Rejected,
        })
    }

    fn window(&self, given: &u64, current: u64, skew: u32, floor: Option<u64>) -> Window {
        let mut window = Window { nearest: None, fresh: None };
        // Nearest first: 0, -1, +1, -2, +2, ...
        for i in 0..=2 * i64::from(skew) {
            let offset = if i % 2 == 1 { -(i + 1) / 2 } else { i / 2 };
            let Some(step) = offset_step(current, offset) else { continue };
            // Evaluate every candidate; branch only on the final per-step outcome.
            let hit = bool::from(self.hotp.matches(given, step));
            if hit {
                let m = Match { step, offset };
                if window.nearest.is_none() {
                    window.nearest = Some(m);
                }
                let is_fresh = floor.is_none_or(|f| step > f);
                if is_fresh && window.fresh.is_none_or(|prev| step > prev.step) {
                    window.fresh = Some(m);
                }
            }
        }
        if floor.is_none() {
            window.fresh = window.nearest;
        }
        window
    }
}

struct Window {
    /// The matching step nearest the current one (current first, then past).
    nearest: Option<Match>,
    /// The highest matching step above the replay floor.
    fresh: Option<Match>,
}

fn offset_step(current: u64, offset: i64) -> Option<u64> {
    current.checked_add_signed(offset)
}

fn check_skew(skew: u32) -> Result<(), Error> {
    if skew > MAX_SKEW {
        return Err(Error::InvalidParameter(Invalid::Skew { value: skew }));
    }
    Ok(())
}

fn check_period(period: u64) -> Result<(), Error> {
    if !(MIN_PERIOD..=MAX_PERIOD).contains(&period) {
        return Err(Error::InvalidParameter(Invalid::Period { value: period }));
    }
    Ok(())
}
