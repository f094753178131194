//! The `Verify` service: Twilio-like operations over a [`Store`], retrying lost races.

use alloc::string::String;
use alloc::vec::Vec;
use rand_core::{OsRng, RngCore};

use super::{check_identity, check_sid, invalid, Identity, Metadata, ServiceConfig, Sid, Verification};
use super::{
    Challenge, ChallengeStatus, Entity, Factor, FactorUpdate, Key, NewChallenge, NewFactor, Record, Store, Write,
};
use crate::Error;

/// How many times an operation is retried after losing a compare-and-set race before it
/// gives up with [`Error::Conflict`]. Every lost race means another caller's write landed,
/// so this bounds the wait under heavy contention on one factor.
pub const MAX_RETRIES: usize = 64;

/// The system clock in Unix seconds.
///
/// ```
/// assert!(watchword_core::service::unix_now() > 1_700_000_000);
/// ```
pub fn unix_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// 16 random bytes for a sid, from the thread's CSPRNG (`rand`'s `ThreadRng`: ChaCha seeded
/// from the operating system, reseeded periodically and after a fork). Secrets do not come
/// from here: they are read from the operating system itself.
fn random16() -> [u8; 16] {
    let mut out = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut out);
    out
}

/// The answer to factor creation: the factor and, this once, its binding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created {
    /// The new, unverified factor.
    pub factor: Factor,
    /// What the authenticator app needs. Returned only here.
    pub binding: Binding,
}

/// The secret (Base32) and the `otpauth://` URI of a new factor.
#[derive(Clone, PartialEq, Eq)]
pub struct Binding {
    /// Base32, upper case, no padding.
    pub secret: String,
    /// The key URI to show as a QR code.
    pub uri: String,
}

#[cfg(feature = "qr")]
impl Binding {
    /// The URI as a QR code in SVG.
    pub fn qr_svg(&self) -> Result<String, Error> {
        crate::qr::svg(&self.uri)
    }

    /// The URI as a QR code drawn with Unicode half blocks for a dark terminal.
    pub fn qr_terminal(&self) -> Result<String, Error> {
        crate::qr::terminal(&self.uri)
    }
}

impl core::fmt::Debug for Binding {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Binding { .. }")
    }
}

/// The sort order of listed challenges (by creation date).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Order {
    /// Oldest first (Twilio's default).
    #[default]
    Asc,
    /// Newest first.
    Desc,
}

/// A TOTP verification service over a store: entities, factors and challenges with Twilio
/// Verify semantics. `Send + Sync` when the store is: share one across threads.
#[derive(Debug)]
pub struct Verify<S: Store> {
    config: ServiceConfig,
    store: S,
}

/// A put whose record gets the version after `expected`.
fn put(mut record: Record, expected: u64) -> Write {
    match &mut record {
        Record::Entity(e) => e.version = expected + 1,
        Record::Factor(f) => f.version = expected + 1,
        Record::Challenge(c) => c.version = expected + 1,
    }
    Write::Put { record, expected }
}

fn check_factor_sid(sid: &str) -> Result<Sid, Error> {
    check_sid(sid, "YF", "factor_sid", "YF followed by 32 lowercase hex characters")
}

fn check_challenge_sid(sid: &str) -> Result<Sid, Error> {
    check_sid(sid, "YC", "challenge_sid", "YC followed by 32 lowercase hex characters")
}

impl<S: Store> Verify<S> {
    /// A service with this configuration over this store.
    pub fn new(config: ServiceConfig, store: S) -> Verify<S> {
        Verify { config, store }
    }

    /// The configuration.
    pub fn config(&self) -> &ServiceConfig {
        &self.config
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    fn retry<T>(&self, mut attempt: impl FnMut() -> Result<T, Error>) -> Result<T, Error> {
        for _ in 0..MAX_RETRIES {
            match attempt() {
                Err(Error::Conflict) => std::thread::yield_now(),
                other => return other,
            }
        }
        Err(Error::Conflict)
    }

    fn entity_of(&self, identity: &str) -> Result<Entity, Error> {
        self.store.entity(&check_identity(identity)?)?.ok_or(Error::EntityNotFound)
    }

    fn factor_of(&self, identity: &str, sid: &str) -> Result<Factor, Error> {
        let identity = check_identity(identity)?;
        let sid = check_factor_sid(sid)?;
        self.factor_at(&identity, &sid)
    }

    /// The factor `sid` of `identity`, both already checked.
    fn factor_at(&self, identity: &Identity, sid: &Sid) -> Result<Factor, Error> {
        self.store.factor(sid)?.filter(|f| f.identity == *identity).ok_or(Error::FactorNotFound)
    }

    fn challenge_of(&self, identity: &str, sid: &str) -> Result<Challenge, Error> {
        let identity = check_identity(identity)?;
        let sid = check_challenge_sid(sid)?;
        self.store.challenge(&sid)?.filter(|c| c.identity == identity).ok_or(Error::ChallengeNotFound)
    }

    // ----- entities -----

    /// Creates an entity (60301 if it exists).
    pub fn create_entity(&self, identity: &str, now: u64) -> Result<Entity, Error> {
        let id = check_identity(identity)?;
        self.retry(|| {
            if self.store.entity(&id)?.is_some() {
                return Err(Error::EntityAlreadyExists);
            }
            let entity = Entity::new(identity, random16(), now)?;
            self.store.commit(alloc::vec![put(Record::Entity(entity.clone()), 0)])?;
            Ok(entity)
        })
    }

    /// The entity with that identity (60392 if none).
    pub fn fetch_entity(&self, identity: &str) -> Result<Entity, Error> {
        self.entity_of(identity)
    }

    /// Every entity, oldest first.
    pub fn list_entities(&self) -> Result<Vec<Entity>, Error> {
        let mut all = self.store.entities()?;
        all.sort_by(|a, b| (a.date_created, &a.sid).cmp(&(b.date_created, &b.sid)));
        Ok(all)
    }

    /// Deletes an entity with its factors and challenges.
    pub fn delete_entity(&self, identity: &str) -> Result<(), Error> {
        self.retry(|| {
            let entity = self.entity_of(identity)?;
            let mut writes = alloc::vec![Write::Delete { key: Key::Entity(entity.identity), expected: entity.version }];
            for f in self.store.factors(&entity.identity)? {
                writes.push(Write::Delete { key: Key::Factor(f.sid), expected: f.version });
            }
            for c in self.store.challenges(&entity.identity)? {
                writes.push(Write::Delete { key: Key::Challenge(c.sid), expected: c.version });
            }
            self.store.commit(writes)
        })
    }

    // ----- factors -----

    /// Creates an unverified factor (and the entity, if missing). Checks the request, then
    /// the factor limit (60315), then the creation quota (60326).
    pub fn create_factor(&self, identity: &str, request: NewFactor, now: u64) -> Result<Created, Error> {
        let id = check_identity(identity)?;
        self.retry(|| {
            let (entity, expected) = match self.store.entity(&id)? {
                Some(e) => {
                    let version = e.version;
                    (e, version)
                }
                None => (Entity { version: 0, ..Entity::new(identity, random16(), now)? }, 0),
            };
            let factor = Factor::create(&self.config, &entity, &request, &mut OsRng, now)?;
            let uri = factor.binding_uri(&self.config)?;
            if self.store.factors(&id)?.len() >= self.config.factors_per_entity as usize {
                return Err(Error::FactorLimitReached);
            }
            let entity = entity.admit_factor_creation(&self.config, now)?;
            self.store
                .commit(alloc::vec![put(Record::Entity(entity), expected), put(Record::Factor(factor.clone()), 0)])?;
            let secret = factor.secret.to_base32();
            Ok(Created { factor, binding: Binding { secret, uri } })
        })
    }

    /// The factor (60390 if none for this identity).
    pub fn fetch_factor(&self, identity: &str, sid: &str) -> Result<Factor, Error> {
        self.factor_of(identity, sid)
    }

    /// The entity's factors, oldest first (60392 if the entity does not exist).
    pub fn list_factors(&self, identity: &str) -> Result<Vec<Factor>, Error> {
        let entity = self.entity_of(identity)?;
        let mut all = self.store.factors(&entity.identity)?;
        all.sort_by(|a, b| (a.date_created, &a.sid).cmp(&(b.date_created, &b.sid)));
        Ok(all)
    }

    /// Changes a factor's friendly name, configuration or metadata.
    pub fn update_factor(&self, identity: &str, sid: &str, update: &FactorUpdate, now: u64) -> Result<Factor, Error> {
        self.retry(|| {
            let factor = self.factor_of(identity, sid)?;
            let expected = factor.version;
            self.commit_factor(factor.update(&self.config, update, now)?, expected)
        })
    }

    fn commit_factor(&self, next: Factor, expected: u64) -> Result<Factor, Error> {
        let next = Factor { version: expected + 1, ..next };
        self.store.commit(alloc::vec![Write::Put { record: Record::Factor(next.clone()), expected }])?;
        Ok(next)
    }

    /// Enrollment: verifies an unverified factor with its first code. A wrong code is a
    /// result (the factor stays unverified); errors are 60390, 60383 and 60310.
    pub fn verify_factor(
        &self,
        identity: &str,
        sid: &str,
        code: &str,
        now: u64,
    ) -> Result<(Factor, Verification), Error> {
        self.retry(|| {
            let factor = self.factor_of(identity, sid)?;
            let expected = factor.version;
            let (next, verification) = factor.verify(&self.config, code, now)?;
            Ok((self.commit_factor(next, expected)?, verification))
        })
    }

    /// Deletes a factor with its challenges.
    pub fn delete_factor(&self, identity: &str, sid: &str) -> Result<(), Error> {
        self.retry(|| {
            let factor = self.factor_of(identity, sid)?;
            let mut writes = alloc::vec![Write::Delete { key: Key::Factor(factor.sid), expected: factor.version }];
            for c in self.store.challenges(&factor.identity)?.into_iter().filter(|c| c.factor_sid == factor.sid) {
                writes.push(Write::Delete { key: Key::Challenge(c.sid), expected: c.version });
            }
            self.store.commit(writes)
        })
    }

    /// Lifts a factor's lockout (timed or permanent) and clears its failure count.
    pub fn unlock_factor(&self, identity: &str, sid: &str) -> Result<Factor, Error> {
        self.retry(|| {
            let factor = self.factor_of(identity, sid)?;
            let expected = factor.version;
            self.commit_factor(factor.unlock(), expected)
        })
    }

    // ----- challenges -----

    /// Creates a challenge for a verified factor; with `auth_payload`, checks that code at
    /// once (`approved` when right). Errors: invalid parameters, 60390, 60383, 60318, 60312,
    /// factor locked.
    pub fn create_challenge(
        &self,
        identity: &str,
        request: NewChallenge,
        now: u64,
    ) -> Result<(Challenge, Option<Verification>), Error> {
        let identity = check_identity(identity)?;
        let sid = check_factor_sid(&request.factor_sid)?;
        request.validate(now)?;
        self.retry(|| {
            // The transitions run in place on this copy of the stored factor (an error drops it).
            let mut factor = self.factor_at(&identity, &sid)?;
            let expected = factor.version;
            factor.admit_challenge_in_place(&self.config, now)?;
            let mut challenge = Challenge::create(&self.config, &factor, &request, random16(), now)?;
            let verification = match &request.auth_payload {
                Some(code) => Some(challenge.answer_in_place(&self.config, &mut factor, code, None, now)?),
                None => None,
            };
            challenge.version = 1;
            self.store.commit(alloc::vec![
                put(Record::Factor(factor), expected),
                Write::Put { record: Record::Challenge(challenge.clone()), expected: 0 },
            ])?;
            Ok((challenge, verification))
        })
    }

    /// Answers a pending challenge with a code. Errors, in order: 60391, 60322, 60323, 60308,
    /// factor locked. A wrong code is a result.
    pub fn update_challenge(
        &self,
        identity: &str,
        sid: &str,
        code: &str,
        metadata: Option<&Metadata>,
        now: u64,
    ) -> Result<(Challenge, Verification), Error> {
        self.retry(|| {
            let mut challenge = self.challenge_of(identity, sid)?;
            let mut factor = self.store.factor(&challenge.factor_sid)?.ok_or(Error::FactorNotFound)?;
            let (expected_challenge, expected_factor) = (challenge.version, factor.version);
            let verification = challenge.answer_in_place(&self.config, &mut factor, code, metadata, now)?;
            challenge.version = expected_challenge + 1;
            self.store.commit(alloc::vec![
                put(Record::Factor(factor), expected_factor),
                Write::Put { record: Record::Challenge(challenge.clone()), expected: expected_challenge },
            ])?;
            Ok((challenge, verification))
        })
    }

    /// The challenge (60391 if none for this identity).
    pub fn fetch_challenge(&self, identity: &str, sid: &str) -> Result<Challenge, Error> {
        self.challenge_of(identity, sid)
    }

    /// The entity's challenges, optionally of one factor and in one status (as read at
    /// `now`), by creation date.
    pub fn list_challenges(
        &self,
        identity: &str,
        factor_sid: Option<&str>,
        status: Option<ChallengeStatus>,
        order: Order,
        now: u64,
    ) -> Result<Vec<Challenge>, Error> {
        let factor_sid = factor_sid.map(check_factor_sid).transpose()?;
        let entity = self.entity_of(identity)?;
        let mut all: Vec<Challenge> = self
            .store
            .challenges(&entity.identity)?
            .into_iter()
            .filter(|c| factor_sid.is_none_or(|f| c.factor_sid == f))
            .filter(|c| status.is_none_or(|s| c.status_at(now) == s))
            .collect();
        all.sort_by(|a, b| (a.date_created, &a.sid).cmp(&(b.date_created, &b.sid)));
        if order == Order::Desc {
            all.reverse();
        }
        Ok(all)
    }

    /// Removes every factor that stayed unverified past its lifetime; returns how many.
    pub fn sweep(&self, now: u64) -> Result<usize, Error> {
        let mut removed = 0;
        for entity in self.store.entities()? {
            for factor in self.store.factors(&entity.identity)? {
                if factor.lifetime_over(&self.config, now) {
                    match self.delete_factor(&factor.identity, &factor.sid) {
                        Ok(()) => removed += 1,
                        Err(Error::FactorNotFound) => {}
                        Err(e) => return Err(e),
                    }
                }
            }
        }
        Ok(removed)
    }

    // ----- records -----

    /// The stored record of an entity.
    pub fn export_entity(&self, identity: &str) -> Result<String, Error> {
        Ok(self.entity_of(identity)?.to_record())
    }

    /// The stored record of a factor (it holds the secret).
    pub fn export_factor(&self, sid: &str) -> Result<String, Error> {
        Ok(self.store.factor(&check_factor_sid(sid)?)?.ok_or(Error::FactorNotFound)?.to_record())
    }

    /// The stored record of a challenge.
    pub fn export_challenge(&self, sid: &str) -> Result<String, Error> {
        Ok(self.store.challenge(&check_challenge_sid(sid)?)?.ok_or(Error::ChallengeNotFound)?.to_record())
    }

    /// Loads an entity record. A record already stored is replaced only by a newer version
    /// (else `conflict`).
    pub fn import_entity(&self, record: &str) -> Result<Entity, Error> {
        let entity = Entity::from_record(record)?;
        self.retry(|| {
            let expected =
                self.expected_for_import(self.store.entity(&entity.identity)?.map(|e| e.version), entity.version)?;
            self.store.commit(alloc::vec![Write::Put { record: Record::Entity(entity.clone()), expected }])?;
            Ok(entity.clone())
        })
    }

    /// Loads a factor record, creating its entity when missing. A record already stored is
    /// replaced only by a newer version (else `conflict`).
    pub fn import_factor(&self, record: &str) -> Result<Factor, Error> {
        let factor = Factor::from_record(record)?;
        self.retry(|| {
            let mut writes = Vec::new();
            match self.store.entity(&factor.identity)? {
                Some(e) if e.sid != factor.entity_sid => {
                    return Err(invalid("record", "a factor whose entity_sid matches the stored entity"))
                }
                Some(_) => {}
                None => {
                    let entity = Entity {
                        sid: factor.entity_sid,
                        ..Entity::new(&factor.identity, [0; 16], factor.date_created)?
                    };
                    writes.push(Write::Put { record: Record::Entity(entity), expected: 0 });
                }
            }
            let expected =
                self.expected_for_import(self.store.factor(&factor.sid)?.map(|f| f.version), factor.version)?;
            writes.push(Write::Put { record: Record::Factor(factor.clone()), expected });
            self.store.commit(writes)?;
            Ok(factor.clone())
        })
    }

    /// Loads a challenge record; its factor must be stored. A record already stored is
    /// replaced only by a newer version (else `conflict`).
    pub fn import_challenge(&self, record: &str) -> Result<Challenge, Error> {
        let challenge = Challenge::from_record(record)?;
        self.retry(|| {
            self.store
                .factor(&challenge.factor_sid)?
                .filter(|f| f.identity == challenge.identity)
                .ok_or(Error::FactorNotFound)?;
            let stored = self.store.challenge(&challenge.sid)?.map(|c| c.version);
            let expected = self.expected_for_import(stored, challenge.version)?;
            self.store.commit(alloc::vec![Write::Put { record: Record::Challenge(challenge.clone()), expected }])?;
            Ok(challenge.clone())
        })
    }

    fn expected_for_import(&self, stored: Option<u64>, incoming: u64) -> Result<u64, Error> {
        match stored {
            Some(v) if v >= incoming => Err(Error::Conflict),
            Some(v) => Ok(v),
            None => Ok(0),
        }
    }
}
