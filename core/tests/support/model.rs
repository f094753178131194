//! The invariants of the service (SPEC §5, §7), checked while a sequence of operations runs
//! against one factor: no code is accepted twice, the replay floor never goes down, no
//! challenge takes more than its attempts, and no more answers fail than the failure budget
//! allows. Shared by the model-based property test (`tests/model.rs`) and the stateful fuzz
//! target (`fuzz/fuzz_targets/sequence.rs`).

use watchword_core::service::{
    ChallengeStatus, Factor, MemoryStore, NewChallenge, NewFactor, ServiceConfig, VerificationResult, Verify,
};
use watchword_core::{Algorithm, ErrorKind, Totp};

const SECRET: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
const ID: &str = "user-0001-model";
const T0: u64 = 1_700_000_010;
const BUDGET: u32 = 8;
const ATTEMPTS: u32 = 3;

/// One step of a sequence.
#[derive(Debug, Clone)]
pub enum Op {
    /// Let time pass (or go back a little: clocks do).
    Clock(i64),
    /// A new challenge answered at once with the code of `now + 30·k`.
    Challenge(i8),
    /// A new challenge answered with a wrong code.
    Wrong,
    /// The last challenge answered with the code of `now + 30·k` (or a wrong one).
    Answer(Option<i8>),
    /// Keep a copy of the factor's record.
    Export,
    /// Import a kept copy with its counters zeroed and its version raised past the stored one.
    ImportTampered(usize),
    /// Delete the factor, then import a kept copy (version raised).
    DeleteAndImport(usize),
    /// An administrator unlocks the factor.
    Unlock,
}

/// A service with one verified factor, and what the invariants need to remember.
pub struct Run {
    verify: Verify<MemoryStore>,
    totp: Totp,
    now: u64,
    sid: String,
    last_challenge: Option<String>,
    copies: Vec<String>,
    /// The highest step ever approved.
    approved_floor: u64,
    /// Failed answers since the last unlock (all within one 24-hour window here).
    failures: u32,
}

impl Run {
    /// A fresh service with one verified factor.
    #[allow(clippy::new_without_default)]
    pub fn new() -> Run {
        let mut config = ServiceConfig::new("Acme").unwrap();
        for (name, value) in [
            ("failure_budget", u64::from(BUDGET)),
            ("challenge_attempts", u64::from(ATTEMPTS)),
            ("lockout_threshold", 100),
            ("challenge_quota_hour", 500),
            ("challenge_quota_day", 1000),
        ] {
            config.set(name, value).unwrap();
        }
        let verify = Verify::new(config, MemoryStore::new());
        let totp = Totp::new(b"12345678901234567890", Algorithm::Sha1, 6, 30).unwrap();
        let created = verify.create_factor(ID, NewFactor::new("phone").secret(SECRET), T0).unwrap();
        let code = totp.generate(T0).unwrap();
        let (_, v) = verify.verify_factor(ID, &created.factor.sid, code.as_str(), T0).unwrap();
        assert_eq!(v.result, VerificationResult::Approved);
        let sid = created.factor.sid.to_string();
        Run {
            verify,
            totp,
            now: T0,
            sid,
            last_challenge: None,
            copies: Vec::new(),
            approved_floor: T0 / 30,
            failures: 0,
        }
    }

    fn code(&self, k: i8) -> String {
        let at = self.now.saturating_add_signed(30 * i64::from(k));
        self.totp.generate(at).unwrap().to_string()
    }

    fn factor(&self) -> Option<Factor> {
        self.verify.fetch_factor(ID, &self.sid).ok()
    }

    /// Checks one verification result against the invariants.
    fn saw(&mut self, result: VerificationResult, offset: Option<i64>) {
        if result == VerificationResult::Approved {
            let step = (self.now / 30).checked_add_signed(offset.unwrap()).unwrap();
            assert!(step > self.approved_floor, "step {step} approved again (floor {})", self.approved_floor);
            self.approved_floor = step;
        } else {
            self.failures += 1;
            assert!(self.failures <= BUDGET, "{} failed answers got through a budget of {BUDGET}", self.failures);
        }
    }

    fn raised(&self, record: &str, zero_counters: bool) -> String {
        let mut value: serde_json::Value = serde_json::from_str(record).unwrap();
        let stored = self.verify.export_factor(&self.sid).ok();
        let stored_version = stored
            .map(|s| serde_json::from_str::<serde_json::Value>(&s).unwrap()["version"].as_u64().unwrap())
            .unwrap_or(0);
        value["version"] = (stored_version.max(value["version"].as_u64().unwrap()) + 1).into();
        if zero_counters {
            value["consecutive_failures"] = 0.into();
            value["locked_until"] = serde_json::Value::Null;
            value["failure_budget"] = serde_json::json!({"start": 0, "count": 0});
            value["future_steps"] = serde_json::json!([]);
        }
        value.to_string()
    }

    /// Runs `op`, then checks every invariant; panics when one breaks.
    pub fn step(&mut self, op: &Op) {
        let floor_before = self.factor().and_then(|f| f.guard().floor_time);
        match op {
            Op::Clock(delta) => self.now = self.now.saturating_add_signed(*delta).max(T0),
            Op::Challenge(k) => {
                let request = NewChallenge::new(&self.sid).auth_payload(&self.code(*k));
                match self.verify.create_challenge(ID, request, self.now) {
                    Ok((c, v)) => {
                        let v = v.unwrap();
                        self.saw(v.result, v.offset);
                        self.last_challenge = Some(c.sid.to_string());
                    }
                    Err(e) => assert!(matches!(e.kind(), ErrorKind::FactorLocked | ErrorKind::FactorNotFound), "{e}"),
                }
            }
            Op::Wrong => {
                let request = NewChallenge::new(&self.sid).auth_payload("12345x");
                match self.verify.create_challenge(ID, request, self.now) {
                    Ok((_, v)) => self.saw(v.unwrap().result, None),
                    Err(e) => assert!(matches!(e.kind(), ErrorKind::FactorLocked | ErrorKind::FactorNotFound), "{e}"),
                }
            }
            Op::Answer(k) => {
                let Some(challenge) = self.last_challenge.clone() else { return };
                let code = k.map_or_else(|| String::from("99999x"), |k| self.code(k));
                match self.verify.update_challenge(ID, &challenge, &code, None, self.now) {
                    Ok((c, v)) => {
                        self.saw(v.result, v.offset);
                        assert!(c.failed_attempts <= ATTEMPTS, "{} failed attempts", c.failed_attempts);
                    }
                    Err(e) => assert!(
                        matches!(
                            e.kind(),
                            ErrorKind::FactorLocked
                                | ErrorKind::ChallengeAttemptsReached
                                | ErrorKind::ChallengeAlreadyResponded
                                | ErrorKind::ChallengeExpired
                                | ErrorKind::ChallengeNotFound
                                | ErrorKind::FactorNotFound
                        ),
                        "{e}"
                    ),
                }
            }
            Op::Export => {
                if let Ok(record) = self.verify.export_factor(&self.sid) {
                    self.copies.push(record);
                }
            }
            Op::ImportTampered(i) => {
                let Some(copy) = self.copies.get(i % self.copies.len().max(1)).cloned() else { return };
                let _ = self.verify.import_factor(&self.raised(&copy, true), self.now);
            }
            Op::DeleteAndImport(i) => {
                let Some(copy) = self.copies.get(i % self.copies.len().max(1)).cloned() else { return };
                let _ = self.verify.delete_factor(ID, &self.sid, self.now);
                let tampered = self.raised(&copy, true);
                self.verify.import_factor(&tampered, self.now).unwrap();
            }
            Op::Unlock => {
                if self.verify.unlock_factor(ID, &self.sid).is_ok() {
                    self.failures = 0;
                }
            }
        }
        // The floor never goes down (in time), whatever happened.
        let floor_after = self.factor().and_then(|f| f.guard().floor_time);
        assert!(floor_after >= floor_before, "the floor went down: {floor_before:?} → {floor_after:?} after {op:?}");
        if let Some(challenge) = &self.last_challenge {
            if let Ok(c) = self.verify.fetch_challenge(ID, challenge) {
                assert!(c.failed_attempts <= ATTEMPTS);
                if c.status == ChallengeStatus::Approved {
                    assert!(c.date_responded.is_some());
                }
            }
        }
    }
}

impl Op {
    /// The op two bytes of fuzz input describe.
    pub fn from_bytes(kind: u8, arg: u8) -> Op {
        let k = (arg % 7) as i8 - 3;
        match kind % 8 {
            0 => Op::Clock(i64::from(arg) * 2 - 60),
            1 => Op::Challenge(k),
            2 => Op::Wrong,
            3 => Op::Answer((arg < 200).then_some(k)),
            4 => Op::Export,
            5 => Op::ImportTampered(usize::from(arg)),
            6 => Op::DeleteAndImport(usize::from(arg)),
            _ => Op::Unlock,
        }
    }
}
