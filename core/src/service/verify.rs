//! The `Verify` service: Twilio-like operations over a [`Store`], retrying lost races.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use std::sync::{Arc, Mutex};

use rand_core::{CryptoRng, OsRng, RngCore};

use super::steps::{Replay, Tape};

use super::definition::check_service_sid;
use super::factor::higher_quota;
use super::record::MAX_RECORD_VERSION;
use super::recovery::{AnswerDigest, PlainCodes, RecoveryCodes};
use super::{check_identity, check_sid, invalid, Identity, Metadata, ServiceConfig, Sid, Verification};
use super::{
    Challenge, ChallengeStatus, Cursor, Entity, Factor, FactorType, FactorUpdate, Key, Kind, NewChallenge, NewFactor,
    Record, ServiceDefinition, Store, Tombstone, Write,
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

/// Where an operation's randomness comes from: the operating system for every draw (no
/// user-space buffer that a `fork()` would copy into two processes, which would then draw the
/// same sids), or — for an operation run as steps — the tape that keeps what earlier runs drew.
struct Draws<'a> {
    tape: Option<&'a Mutex<Tape>>,
}

impl RngCore for Draws<'_> {
    fn next_u32(&mut self) -> u32 {
        let mut b = [0u8; 4];
        self.fill_bytes(&mut b);
        u32::from_le_bytes(b)
    }

    fn next_u64(&mut self) -> u64 {
        let mut b = [0u8; 8];
        self.fill_bytes(&mut b);
        u64::from_le_bytes(b)
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        match self.tape {
            None => OsRng.fill_bytes(dest),
            Some(tape) => tape.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).draw(dest),
        }
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

impl CryptoRng for Draws<'_> {}

/// Waits before retrying after the `round`-th lost race: at first only yields (threads of one
/// process usually clear the way at once), then sleeps a random time that grows with each
/// round up to about 2 ms, so that writers of several processes sharing a database do not
/// collide again in step.
fn backoff(round: usize) {
    if round < 2 {
        std::thread::yield_now();
        return;
    }
    let ceiling = 1u64 << round.min(11);
    let micros = rand::thread_rng().next_u64() % ceiling;
    std::thread::sleep(std::time::Duration::from_micros(micros));
}

/// The answer to factor creation: the factor and, this once, its binding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created {
    /// The new factor (unverified for TOTP, verified for recovery codes).
    pub factor: Factor,
    /// What the authenticator app needs, or the recovery codes. Returned only here.
    pub binding: Binding,
}

/// What a new factor's user needs, shown once: the secret (Base32) and the `otpauth://` URI
/// of a TOTP factor, or the codes of a `recovery_codes` factor (then `secret` and `uri` are
/// empty).
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Binding {
    /// Base32, upper case, no padding.
    pub secret: String,
    /// The key URI to show as a QR code.
    pub uri: String,
    /// Recovery codes (`xxxxx-xxxxx`); empty for a TOTP factor.
    pub codes: Vec<String>,
}

impl Binding {
    /// The binding of a new set of recovery codes (the plaintext is wiped as it moves here).
    fn of_codes(codes: &PlainCodes) -> Binding {
        Binding { secret: String::new(), uri: String::new(), codes: codes.iter().map(|c| String::clone(c)).collect() }
    }
}

#[cfg(feature = "qr")]
impl Binding {
    /// The URI as a QR code in SVG.
    pub fn qr_svg(&self) -> Result<String, Error> {
        crate::qr::svg(&self.uri)
    }

    /// The URI as a QR code drawn with Unicode half blocks for a terminal with the given
    /// background ([`crate::qr::Background::Dark`] by default).
    pub fn qr_terminal(&self, background: crate::qr::Background) -> Result<String, Error> {
        crate::qr::terminal(&self.uri, background)
    }
}

impl Drop for Binding {
    /// The secret, the URI that carries it and the recovery codes are wiped when the binding
    /// is dropped.
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.secret);
        zeroize::Zeroize::zeroize(&mut self.uri);
        zeroize::Zeroize::zeroize(&mut self.codes);
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

/// The default number of items on a page of a list operation.
pub const DEFAULT_PAGE_SIZE: usize = 50;
/// The most items a page of a list operation may hold.
pub const MAX_PAGE_SIZE: usize = 1000;

/// Which page of a list operation to answer: at most `limit` items (1–1000, default 50),
/// after the place `page_token` (from the previous page) names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paging {
    /// Items per page.
    pub limit: usize,
    /// The previous page's `next_page_token`; `None` for the first page.
    pub page_token: Option<String>,
}

impl Default for Paging {
    fn default() -> Paging {
        Paging { limit: DEFAULT_PAGE_SIZE, page_token: None }
    }
}

impl Paging {
    /// The first page with `limit` items (checked when the page is read).
    pub fn first(limit: usize) -> Paging {
        Paging { limit, page_token: None }
    }

    fn checked(&self) -> Result<(usize, Option<Cursor>), Error> {
        if !(1..=MAX_PAGE_SIZE).contains(&self.limit) {
            return Err(invalid("limit", "an integer from 1 to 1000"));
        }
        let cursor = match &self.page_token {
            None => None,
            Some(token) => {
                Some(parse_token(token).ok_or_else(|| invalid("page_token", "a next_page_token of a previous page"))?)
            }
        };
        Ok((self.limit, cursor))
    }
}

/// A page token: `<date_created>_<key>` (keys never hold `_`). Opaque to callers.
fn page_token(cursor: &Cursor) -> String {
    alloc::format!("{}_{}", cursor.created, cursor.key)
}

fn parse_token(token: &str) -> Option<Cursor> {
    let (created, key) = token.split_once('_')?;
    let key_ok = (1..=64).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    let created_ok = !created.is_empty() && created.bytes().all(|b| b.is_ascii_digit());
    (key_ok && created_ok).then(|| Some(Cursor { created: created.parse().ok()?, key: String::from(key) }))?
}

/// One page of a list operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The items, in the listing's order.
    pub items: Vec<T>,
    /// Pass this as `page_token` for the next page; `None` on the last page.
    pub next_page_token: Option<String>,
}

/// A record type the service reads from a store.
trait Kept: Sized {
    const KIND: Kind;
    fn from_record(record: Record) -> Option<Box<Self>>;
}

macro_rules! kept {
    ($($t:ident),*) => {$(
        impl Kept for $t {
            const KIND: Kind = Kind::$t;
            fn from_record(record: Record) -> Option<Box<$t>> {
                match record {
                    Record::$t(r) => Some(r),
                    _ => None,
                }
            }
        }
    )*};
}

kept!(Entity, Factor, Challenge, Tombstone);

impl Kept for ServiceDefinition {
    const KIND: Kind = Kind::Service;
    fn from_record(record: Record) -> Option<Box<ServiceDefinition>> {
        match record {
            Record::Service(d) => Some(d),
            _ => None,
        }
    }
}

fn wrong_kind() -> Error {
    Error::storage("the store answered a record of another kind")
}

/// The latest time a service operation accepts: 9999-12-31T23:59:59Z. Later times would
/// overflow expiry and window arithmetic (and cannot be written as RFC 3339 dates).
pub const MAX_TIME: u64 = 253_402_300_799;

fn check_now(now: u64) -> Result<(), Error> {
    if now > MAX_TIME {
        return Err(invalid("now", "Unix seconds up to 253402300799 (9999-12-31T23:59:59Z)"));
    }
    Ok(())
}

/// How many records a sweep or a cascade reads from the store at a time.
const BATCH: usize = 500;

/// A TOTP verification service over a store: entities, factors and challenges with Twilio
/// Verify semantics. `Send + Sync` when the store is: share one across threads.
#[derive(Debug)]
pub struct Verify<S: Store> {
    config: ServiceConfig,
    store: S,
    /// Set when the operation runs as steps (see [`super::Steps`]).
    tape: Option<Arc<Mutex<Tape>>>,
}

/// The version after `version`, or an error when records would leave the JSON-safe range.
fn next_version(version: u64) -> Result<u64, Error> {
    version
        .checked_add(1)
        .filter(|v| *v <= MAX_RECORD_VERSION)
        .ok_or_else(|| invalid("version", "a record version below 2^53 - 1 (the record changed too often)"))
}

/// A put whose record gets the version after `expected`.
fn put(mut record: Record, expected: u64) -> Result<Write, Error> {
    let version = next_version(expected)?;
    match &mut record {
        Record::Entity(e) => e.version = version,
        Record::Factor(f) => f.version = version,
        Record::Challenge(c) => c.version = version,
        Record::Tombstone(t) => t.version = version,
        Record::Service(d) => d.version = version,
        Record::Sealed(_) => return Err(Error::storage("a sealed record cannot be changed without its key")),
    }
    Ok(Write::Put { record, expected })
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
        Verify { config, store, tape: None }
    }

    fn draws(&self) -> Draws<'_> {
        Draws { tape: self.tape.as_deref() }
    }

    /// 16 random bytes for a sid: from a per-thread generator the operating system seeds (see
    /// `pool`), or the tape's when the operation runs as steps.
    fn random16(&self) -> [u8; 16] {
        if self.tape.is_none() {
            return super::pool::random16();
        }
        let mut out = [0u8; 16];
        self.draws().fill_bytes(&mut out);
        out
    }

    /// The configuration.
    pub fn config(&self) -> &ServiceConfig {
        &self.config
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// Runs `operation` with the digest of its recovery-code answer kept for all its retries:
    /// the call's own, or — run as steps — the tape's, which outlives each run.
    fn with_digest<T>(&self, operation: impl FnOnce(&mut AnswerDigest) -> T) -> T {
        match &self.tape {
            None => operation(&mut AnswerDigest::default()),
            Some(tape) => {
                let mut digest = Tape::take_digest(tape);
                let out = operation(&mut digest);
                Tape::keep_digest(tape, digest);
                out
            }
        }
    }

    /// A new set of `count` recovery codes, hashed with the service's iterations. Run as steps,
    /// every run draws the same codes again from the tape and takes their hashes from the
    /// first run's set, so that a set is hashed once per call.
    fn new_code_set(&self, count: u32) -> (RecoveryCodes, PlainCodes) {
        let iterations = self.config.recovery_code_iterations;
        let Some(tape) = &self.tape else {
            return RecoveryCodes::generate(count, iterations, &mut self.draws());
        };
        let earlier = Tape::made_codes(tape);
        let made = RecoveryCodes::generate_reusing(count, iterations, &mut self.draws(), earlier.as_ref());
        Tape::keep_codes(tape, &made.0);
        made
    }

    fn retry<T>(&self, mut attempt: impl FnMut() -> Result<T, Error>) -> Result<T, Error> {
        for round in 0..MAX_RETRIES {
            match attempt() {
                // Run as steps, the caller's next read is the pause.
                Err(Error::Conflict) if self.tape.is_some() => {}
                Err(Error::Conflict) => backoff(round),
                other => return other,
            }
        }
        Err(Error::Conflict)
    }

    fn service(&self) -> &str {
        &self.config.service
    }

    fn get<T: Kept>(&self, key: Key) -> Result<Option<T>, Error> {
        Ok(self.get_boxed(key)?.map(|record| *record))
    }

    /// The record `key` as it came from the store, boxed: moved as a pointer.
    fn get_boxed<T: Kept>(&self, key: Key) -> Result<Option<Box<T>>, Error> {
        match self.store.get(self.service(), &key)? {
            None => Ok(None),
            Some(record) => self.typed_boxed(record).map(Some),
        }
    }

    /// A record read from the store as `T`: opened when sealed (SPEC §10).
    fn typed<T: Kept>(&self, record: Record) -> Result<T, Error> {
        self.typed_boxed(record).map(|record| *record)
    }

    fn typed_boxed<T: Kept>(&self, record: Record) -> Result<Box<T>, Error> {
        T::from_record(self.open(record)?).ok_or_else(wrong_kind)
    }

    /// Whether records are sealed on their way to the store: the service has secret keys and
    /// the store does not keep typed records in memory.
    fn seals(&self) -> bool {
        !self.config.secret_keys.is_empty() && !self.store.keeps_typed_records()
    }

    /// A record as the store gave it, opened with the key ring when sealed. A plain record
    /// from a store that is given sealed ones is refused, unless `accept_plaintext_records`.
    fn open(&self, record: Record) -> Result<Record, Error> {
        match record {
            Record::Sealed(sealed) => self.config.secret_keys.open(self.service(), &sealed),
            plain if self.seals() && !self.config.accept_plaintext_records => Err(Error::storage(alloc::format!(
                "the {} record {} is not sealed (accept_plaintext_records reads it during a migration)",
                plain.kind().as_str(),
                plain.key().as_str()
            ))),
            plain => Ok(plain),
        }
    }

    /// `record` sealed under the active key, with a fresh random nonce.
    fn seal(&self, record: &Record) -> Result<Record, Error> {
        let nonce = if self.tape.is_none() {
            super::pool::random()
        } else {
            // Run as steps, a nonce need not be the same on every run: it is never read back.
            let mut nonce = [0u8; super::NONCE_BYTES];
            OsRng.fill_bytes(&mut nonce);
            nonce
        };
        self.config.secret_keys.seal(self.service(), record, nonce).map(Record::from)
    }

    /// Every record of `identity` of one kind, in listing order.
    fn all<T: Kept>(&self, identity: &Identity) -> Result<Vec<T>, Error> {
        let records = self.store.list(self.service(), identity, T::KIND, None, usize::MAX)?;
        records.into_iter().map(|r| self.typed(r)).collect()
    }

    fn entity_at(&self, identity: &Identity) -> Result<Option<Entity>, Error> {
        self.get(Key::Entity(*identity))
    }

    fn entity_of(&self, identity: &str) -> Result<Entity, Error> {
        self.entity_at(&check_identity(identity)?)?.ok_or(Error::EntityNotFound)
    }

    fn factor_of(&self, identity: &str, sid: &str) -> Result<Factor, Error> {
        let identity = check_identity(identity)?;
        let sid = check_factor_sid(sid)?;
        self.factor_at(&identity, &sid).map(|factor| *factor)
    }

    /// The factor `sid` of `identity`, both already checked.
    fn factor_at(&self, identity: &Identity, sid: &Sid) -> Result<Box<Factor>, Error> {
        self.get_boxed::<Factor>(Key::Factor(*sid))?.filter(|f| f.identity == *identity).ok_or(Error::FactorNotFound)
    }

    fn challenge_of(&self, identity: &str, sid: &str) -> Result<Box<Challenge>, Error> {
        let identity = check_identity(identity)?;
        let sid = check_challenge_sid(sid)?;
        self.get_boxed::<Challenge>(Key::Challenge(sid))?
            .filter(|c| c.identity == identity)
            .ok_or(Error::ChallengeNotFound)
    }

    fn commit(&self, mut writes: Vec<Write>) -> Result<(), Error> {
        if self.seals() {
            for write in &mut writes {
                if let Write::Put { record, .. } = write {
                    *record = self.seal(record)?;
                }
            }
        }
        self.store.commit(self.service(), writes)
    }

    /// One page of `identity`'s records of a kind (or the service's, without an identity)
    /// that pass `keep`, reading the store page by page until the page is full.
    fn page<T: Kept>(
        &self,
        identity: Option<&Identity>,
        paging: &Paging,
        mut keep: impl FnMut(&T) -> bool,
    ) -> Result<Page<T>, Error> {
        let (limit, mut cursor) = paging.checked()?;
        let mut items = Vec::new();
        loop {
            // One more than a page, so that a page that ends the list says so.
            let batch = match identity {
                Some(id) => self.store.list(self.service(), id, T::KIND, cursor.as_ref(), limit + 1)?,
                None => self.store.scan(self.service(), T::KIND, cursor.as_ref(), limit + 1)?,
            };
            let exhausted = batch.len() <= limit;
            let mut batch = batch.into_iter().peekable();
            while let Some(record) = batch.next() {
                let place = record.cursor();
                let item = self.typed(record)?;
                cursor = Some(place);
                if keep(&item) {
                    items.push(item);
                    if items.len() == limit {
                        let more = batch.peek().is_some() || !exhausted;
                        return Ok(Page { items, next_page_token: cursor.filter(|_| more).as_ref().map(page_token) });
                    }
                }
            }
            if exhausted {
                return Ok(Page { items, next_page_token: None });
            }
        }
    }

    // ----- entities -----

    /// Creates an entity (60301 if it exists).
    pub fn create_entity(&self, identity: &str, now: u64) -> Result<Entity, Error> {
        check_now(now)?;
        let id = check_identity(identity)?;
        self.retry(|| {
            if self.entity_at(&id)?.is_some() {
                return Err(Error::EntityAlreadyExists);
            }
            let entity = Entity::new(identity, self.random16(), now)?;
            self.commit(alloc::vec![put(Record::from(entity.clone()), 0)?])?;
            Ok(entity)
        })
    }

    /// The entity with that identity (60392 if none).
    pub fn fetch_entity(&self, identity: &str) -> Result<Entity, Error> {
        self.entity_of(identity)
    }

    /// One page of the service's entities, oldest first.
    pub fn list_entities(&self, paging: &Paging) -> Result<Page<Entity>, Error> {
        self.page(None, paging, |_| true)
    }

    /// Deletes an entity with its factors (each leaves a tombstone) and challenges.
    pub fn delete_entity(&self, identity: &str, now: u64) -> Result<(), Error> {
        check_now(now)?;
        self.retry(|| {
            let entity = self.entity_of(identity)?;
            let mut writes = alloc::vec![Write::Delete { key: Key::Entity(entity.identity), expected: entity.version }];
            for f in self.all::<Factor>(&entity.identity)? {
                self.bury(&f, now, &mut writes)?;
            }
            for c in self.all::<Challenge>(&entity.identity)? {
                writes.push(Write::Delete { key: Key::Challenge(c.sid), expected: c.version });
            }
            self.commit(writes)
        })
    }

    // ----- factors -----

    /// Creates an unverified TOTP factor, or a verified `recovery_codes` factor (and the
    /// entity, if missing). Checks the request, then the factor limit (60315), then the
    /// creation quota (60326). The answer alone carries the secret or the codes.
    pub fn create_factor(&self, identity: &str, request: NewFactor, now: u64) -> Result<Created, Error> {
        check_now(now)?;
        let id = check_identity(identity)?;
        // Recovery codes are made (and hashed) once, not again when a lost race is retried.
        let codes = match request.factor_type {
            FactorType::RecoveryCodes => Some(self.new_code_set(request.recovery_code_count()?)),
            FactorType::Totp => None,
        };
        self.retry(|| {
            let (entity, expected) = match self.entity_at(&id)? {
                Some(e) => {
                    let version = e.version;
                    (e, version)
                }
                None => (Entity { version: 0, ..Entity::new(identity, self.random16(), now)? }, 0),
            };
            let (factor, binding) = match &codes {
                None => {
                    let factor = Factor::create(&self.config, &entity, &request, &mut self.draws(), now)?;
                    let uri = factor.binding_uri(&self.config)?;
                    let secret = factor.secret.to_base32();
                    (factor, Binding { secret, uri, codes: Vec::new() })
                }
                Some((set, shown)) => {
                    let factor = Factor::create_recovery_codes(
                        &self.config,
                        &entity,
                        &request,
                        set.clone(),
                        &mut self.draws(),
                        now,
                    )?;
                    (factor, Binding::of_codes(shown))
                }
            };
            let limit = self.config.factors_per_entity as usize;
            if self.store.list(self.service(), &id, Kind::Factor, None, limit)?.len() >= limit {
                return Err(Error::FactorLimitReached);
            }
            let entity = entity.admit_factor_creation(&self.config, now)?;
            self.commit(alloc::vec![put(Record::from(entity), expected)?, put(Record::from(factor.clone()), 0)?])?;
            Ok(Created { factor, binding })
        })
    }

    /// The factor (60390 if none for this identity).
    pub fn fetch_factor(&self, identity: &str, sid: &str) -> Result<Factor, Error> {
        self.factor_of(identity, sid)
    }

    /// One page of the entity's factors, oldest first (60392 if the entity does not exist).
    pub fn list_factors(&self, identity: &str, paging: &Paging) -> Result<Page<Factor>, Error> {
        let entity = self.entity_of(identity)?;
        self.page(Some(&entity.identity), paging, |_| true)
    }

    /// Changes a factor's friendly name, configuration or metadata. `regenerate` is refused
    /// here (the new codes must reach the caller): see [`Verify::update_factor_with_codes`].
    pub fn update_factor(&self, identity: &str, sid: &str, update: &FactorUpdate, now: u64) -> Result<Factor, Error> {
        if update.regenerate {
            return Err(invalid("regenerate", "false here; update_factor_with_codes answers the new codes"));
        }
        self.update_factor_with_codes(identity, sid, update, now).map(|(factor, _)| factor)
    }

    /// [`Verify::update_factor`], also with `regenerate`: a `recovery_codes` factor then gets
    /// a new set of as many codes, answered here once (the old codes stop working).
    ///
    /// ```
    /// # use watchword_core::service::*;
    /// # let verify = Verify::new(ServiceConfig::new("Acme").unwrap(), MemoryStore::new());
    /// let created = verify.create_factor("user-0001", NewFactor::recovery_codes("backup", 5), 0).unwrap();
    /// let update = FactorUpdate { regenerate: true, ..FactorUpdate::default() };
    /// let (_, binding) = verify.update_factor_with_codes("user-0001", &created.factor.sid, &update, 10).unwrap();
    /// assert_ne!(binding.unwrap().codes, created.binding.codes);
    /// ```
    pub fn update_factor_with_codes(
        &self,
        identity: &str,
        sid: &str,
        update: &FactorUpdate,
        now: u64,
    ) -> Result<(Factor, Option<Binding>), Error> {
        check_now(now)?;
        // The new set is made (and hashed) once, and made again only if a retry finds a set of
        // another size.
        let mut made: Option<(RecoveryCodes, PlainCodes)> = None;
        self.retry(|| {
            let factor = self.factor_of(identity, sid)?;
            let expected = factor.version;
            let mut next = factor.update(&self.config, update, now)?;
            let mut binding = None;
            if let (true, Some(count)) = (update.regenerate, next.recovery_code_count()) {
                if made.as_ref().is_none_or(|(set, _)| set.count() != count) {
                    made = Some(self.new_code_set(count));
                }
                if let Some((set, shown)) = &made {
                    next = next.regenerate(set.clone(), now)?;
                    binding = Some(Binding::of_codes(shown));
                }
            }
            Ok((self.commit_factor(next, expected)?, binding))
        })
    }

    fn commit_factor(&self, next: Factor, expected: u64) -> Result<Factor, Error> {
        let next = Factor { version: next_version(expected)?, ..next };
        self.commit(alloc::vec![Write::Put { record: Record::from(next.clone()), expected }])?;
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
        check_now(now)?;
        self.retry(|| {
            let factor = self.factor_of(identity, sid)?;
            let expected = factor.version;
            let (next, verification) = factor.verify(&self.config, code, now)?;
            Ok((self.commit_factor(next, expected)?, verification))
        })
    }

    /// The writes that delete `factor` and leave its tombstone (over an earlier one).
    fn bury(&self, factor: &Factor, now: u64, writes: &mut Vec<Write>) -> Result<(), Error> {
        writes.push(Write::Delete { key: Key::Factor(factor.sid), expected: factor.version });
        let earlier = self.get::<Tombstone>(Key::Tombstone(factor.sid))?;
        let expected = earlier.as_ref().map_or(0, |t| t.version);
        let tombstone = Tombstone::of(factor, now.max(factor.date_updated));
        writes.push(put(Record::from(tombstone), expected)?);
        Ok(())
    }

    /// Deletes a factor with its challenges. It leaves a tombstone for ten minutes that keeps
    /// its replay floor and counters from an import of an older copy.
    pub fn delete_factor(&self, identity: &str, sid: &str, now: u64) -> Result<(), Error> {
        check_now(now)?;
        self.retry(|| {
            let factor = self.factor_of(identity, sid)?;
            let mut writes = Vec::new();
            self.bury(&factor, now, &mut writes)?;
            for c in self.all::<Challenge>(&factor.identity)?.into_iter().filter(|c| c.factor_sid == factor.sid) {
                writes.push(Write::Delete { key: Key::Challenge(c.sid), expected: c.version });
            }
            self.commit(writes)
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
        check_now(now)?;
        let identity = check_identity(identity)?;
        let sid = check_factor_sid(&request.factor_sid)?;
        request.validate(now)?;
        self.with_digest(|digest| {
            self.retry(|| {
                // The transitions run in place on this copy of the stored factor (an error drops it).
                let mut factor = self.factor_at(&identity, &sid)?;
                let expected = factor.version;
                factor.admit_challenge_in_place(&self.config, now)?;
                let mut challenge = Challenge::create(&self.config, &factor, &request, self.random16(), now)?;
                let verification = match &request.auth_payload {
                    Some(code) => {
                        Some(challenge.answer_in_place(&self.config, &mut factor, code, None, now, digest)?)
                    }
                    None => None,
                };
                challenge.version = 1;
                self.commit(alloc::vec![
                    put(Record::Factor(factor), expected)?,
                    Write::Put { record: Record::from(challenge.clone()), expected: 0 },
                ])?;
                Ok((challenge, verification))
            })
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
        check_now(now)?;
        self.with_digest(|digest| {
            self.retry(|| {
                let mut challenge = self.challenge_of(identity, sid)?;
                if challenge.status == ChallengeStatus::Pending && challenge.status_at(now) == ChallengeStatus::Expired
                {
                    // Stored as expired, so that a clock that later goes back cannot revive it.
                    let expected = challenge.version;
                    challenge.status = ChallengeStatus::Expired;
                    challenge.date_updated = challenge.date_updated.max(now);
                    self.commit(alloc::vec![put(Record::Challenge(challenge), expected)?])?;
                    return Err(Error::ChallengeExpired);
                }
                let mut factor =
                    self.get_boxed::<Factor>(Key::Factor(challenge.factor_sid))?.ok_or(Error::FactorNotFound)?;
                let (expected_challenge, expected_factor) = (challenge.version, factor.version);
                let verification = challenge.answer_in_place(&self.config, &mut factor, code, metadata, now, digest)?;
                challenge.version = next_version(expected_challenge)?;
                self.commit(alloc::vec![
                    put(Record::Factor(factor), expected_factor)?,
                    Write::Put { record: Record::Challenge(challenge.clone()), expected: expected_challenge },
                ])?;
                Ok((*challenge, verification))
            })
        })
    }

    /// The challenge (60391 if none for this identity).
    pub fn fetch_challenge(&self, identity: &str, sid: &str) -> Result<Challenge, Error> {
        self.challenge_of(identity, sid).map(|challenge| *challenge)
    }

    /// One page of the entity's challenges, optionally of one factor and in one status (as
    /// read at `now`), by creation date. Newest first (`Order::Desc`) reads the whole list.
    pub fn list_challenges(
        &self,
        identity: &str,
        factor_sid: Option<&str>,
        status: Option<ChallengeStatus>,
        order: Order,
        paging: &Paging,
        now: u64,
    ) -> Result<Page<Challenge>, Error> {
        check_now(now)?;
        let factor_sid = factor_sid.map(check_factor_sid).transpose()?;
        let entity = self.entity_of(identity)?;
        let keep = |c: &Challenge| {
            factor_sid.is_none_or(|f| c.factor_sid == f) && status.is_none_or(|s| c.status_at(now) == s)
        };
        if order == Order::Asc {
            return self.page(Some(&entity.identity), paging, keep);
        }
        let (limit, cursor) = paging.checked()?;
        let mut all: Vec<Challenge> = self.all::<Challenge>(&entity.identity)?;
        all.retain(|c| {
            keep(c) && cursor.as_ref().is_none_or(|at| (c.date_created, c.sid.as_str()) < (at.created, at.key.as_str()))
        });
        all.reverse();
        let more = all.len() > limit;
        all.truncate(limit);
        let next_page_token = all
            .last()
            .filter(|_| more)
            .map(|c| page_token(&Cursor { created: c.date_created, key: String::from(c.sid.as_str()) }));
        Ok(Page { items: all, next_page_token })
    }

    /// The service definition `sid` kept in this service's namespace (a server's registry of
    /// the namespaces it hosts), or `None`.
    pub fn fetch_definition(&self, sid: &str) -> Result<Option<ServiceDefinition>, Error> {
        self.get::<ServiceDefinition>(Key::Service(check_service_sid(sid)?))
    }

    /// The version of the service definition `sid` (0 when there is none): whether a
    /// definition read before still holds, without reading it again.
    pub fn definition_version(&self, sid: &str) -> Result<u64, Error> {
        self.store.version(self.service(), &Key::Service(check_service_sid(sid)?))
    }

    /// Keeps a new service definition (version 1). One with its sid already there is a
    /// `conflict`.
    pub fn create_definition(&self, mut definition: ServiceDefinition) -> Result<ServiceDefinition, Error> {
        definition.version = next_version(0)?;
        self.commit(alloc::vec![put(Record::from(definition.clone()), 0)?])?;
        Ok(definition)
    }

    /// Changes the definition `sid` with `change` at `now` (a compare-and-set, run again on a
    /// lost race; its sid cannot change): the new definition, or `None` when there is none.
    pub fn update_definition(
        &self,
        sid: &str,
        now: u64,
        mut change: impl FnMut(&mut ServiceDefinition) -> Result<(), Error>,
    ) -> Result<Option<ServiceDefinition>, Error> {
        check_now(now)?;
        let key = Key::Service(check_service_sid(sid)?);
        self.retry(|| {
            let Some(stored) = self.get::<ServiceDefinition>(key)? else { return Ok(None) };
            let mut changed = stored.clone();
            change(&mut changed)?;
            changed.sid = stored.sid;
            changed.identity = stored.identity;
            changed.date_created = stored.date_created;
            changed.date_updated = now.max(stored.date_created);
            changed.version = next_version(stored.version)?;
            self.commit(alloc::vec![put(Record::from(changed.clone()), stored.version)?])?;
            Ok(Some(changed))
        })
    }

    /// Removes the definition `sid` (not the records of its namespace); whether there was one.
    pub fn delete_definition(&self, sid: &str) -> Result<bool, Error> {
        let key = Key::Service(check_service_sid(sid)?);
        self.retry(|| {
            let Some(stored) = self.get::<ServiceDefinition>(key)? else { return Ok(false) };
            self.commit(alloc::vec![Write::Delete { key, expected: stored.version }])?;
            Ok(true)
        })
    }

    /// One page of the service definitions, oldest first.
    pub fn list_definitions(&self, paging: &Paging) -> Result<Page<ServiceDefinition>, Error> {
        self.page::<ServiceDefinition>(None, paging, |_| true)
    }

    /// Removes what has outlived its use; returns how many records it removed: factors that
    /// stayed unverified past their lifetime (with their challenges), and challenges answered
    /// or expired more than `challenge_retention_days` ago (their effects live on the factor).
    /// Safe while the service runs: every removal is a compare-and-set.
    pub fn sweep(&self, now: u64) -> Result<usize, Error> {
        check_now(now)?;
        let mut removed = 0;
        self.each::<Factor>(|factor| {
            if factor.lifetime_over(&self.config, now) {
                match self.delete_factor(&factor.identity, &factor.sid, now) {
                    Ok(()) => removed += 1,
                    Err(Error::FactorNotFound) => {}
                    Err(e) => return Err(e),
                }
            }
            Ok(())
        })?;
        self.each::<Tombstone>(|tombstone| {
            if tombstone.expired(now) {
                let delete = Write::Delete { key: Key::Tombstone(tombstone.sid), expected: tombstone.version };
                match self.commit(alloc::vec![delete]) {
                    Ok(()) | Err(Error::Conflict) => {}
                    Err(e) => return Err(e),
                }
            }
            Ok(())
        })?;
        let retention = u64::from(self.config.challenge_retention_days) * 86_400;
        self.each::<Challenge>(|challenge| {
            let ended = challenge.date_responded.unwrap_or(challenge.expiration_date);
            let done = challenge.status_at(now) != ChallengeStatus::Pending;
            if done && ended.saturating_add(retention) <= now {
                let delete = Write::Delete { key: Key::Challenge(challenge.sid), expected: challenge.version };
                match self.commit(alloc::vec![delete]) {
                    Ok(()) => removed += 1,
                    // Changed or removed meanwhile: the next sweep looks at it again.
                    Err(Error::Conflict) => {}
                    Err(e) => return Err(e),
                }
            }
            Ok(())
        })?;
        Ok(removed)
    }

    /// Calls `visit` with every record of a kind in the service, reading in batches.
    fn each<T: Kept>(&self, mut visit: impl FnMut(T) -> Result<(), Error>) -> Result<(), Error> {
        self.each_stored(T::KIND, |record| visit(self.typed(record)?))
    }

    /// Calls `visit` with every record of `kind` in the service as the store holds it (sealed
    /// or not), reading in batches.
    fn each_stored(&self, kind: Kind, mut visit: impl FnMut(Record) -> Result<(), Error>) -> Result<(), Error> {
        let mut cursor = None;
        loop {
            let batch = self.store.scan(self.service(), kind, cursor.as_ref(), BATCH)?;
            let last = batch.len() < BATCH;
            for record in batch {
                cursor = Some(record.cursor());
                visit(record)?;
            }
            if last {
                return Ok(());
            }
        }
    }

    // ----- records -----

    /// The record `key` as an export: sealed when the service has secret keys. A record the
    /// store holds sealed under the active key is exported as it is stored (once opened, so
    /// that only an authentic record leaves), so two exports of one state are the same text.
    fn export(&self, key: Key, missing: Error) -> Result<String, Error> {
        let stored = self.store.get(self.service(), &key)?.ok_or(missing)?;
        if stored.kind() != key.kind() {
            return Err(wrong_kind());
        }
        let ring = &self.config.secret_keys;
        match stored {
            Record::Sealed(sealed) if Some(sealed.kid.as_str()) == ring.active() => {
                ring.open(self.service(), &sealed)?;
                Ok(sealed.to_stored())
            }
            stored => {
                let record = self.open(stored)?;
                if ring.is_empty() {
                    return Ok(record.to_stored());
                }
                Ok(self.seal(&record)?.to_stored())
            }
        }
    }

    /// The stored record of an entity (sealed when the service has secret keys).
    pub fn export_entity(&self, identity: &str) -> Result<String, Error> {
        self.export(Key::Entity(check_identity(identity)?), Error::EntityNotFound)
    }

    /// The stored record of a factor: it holds the secret, sealed when the service has
    /// secret keys.
    pub fn export_factor(&self, sid: &str) -> Result<String, Error> {
        self.export(Key::Factor(check_factor_sid(sid)?), Error::FactorNotFound)
    }

    /// The stored record of a challenge (sealed when the service has secret keys).
    pub fn export_challenge(&self, sid: &str) -> Result<String, Error> {
        self.export(Key::Challenge(check_challenge_sid(sid)?), Error::ChallengeNotFound)
    }

    /// A record to import: plain, or sealed for this service under a key of the ring. A plain
    /// record is taken also when the service seals (the caller vouches for what it imports,
    /// as without keys; the store gets it sealed).
    fn imported<T: Kept>(&self, text: &str) -> Result<T, Error> {
        let record = match Record::from_stored(T::KIND, text)? {
            Record::Sealed(sealed) => self.config.secret_keys.open(self.service(), &sealed)?,
            plain => plain,
        };
        T::from_record(record).map(|record| *record).ok_or_else(wrong_kind)
    }

    /// Loads an entity record. A record already stored is replaced only by a newer version
    /// (else `conflict`), and never lowers its factor-creation quota.
    pub fn import_entity(&self, record: &str, now: u64) -> Result<Entity, Error> {
        check_now(now)?;
        let incoming: Entity = self.imported(record)?;
        self.retry(|| {
            let mut entity = incoming.clone();
            let stored = self.entity_at(&entity.identity)?;
            let expected = self.expected_for_import(stored.as_ref().map(|e| e.version), entity.version)?;
            if let Some(stored) = &stored {
                if stored.sid != entity.sid {
                    return Err(invalid("record", "an entity whose sid matches the stored entity of its identity"));
                }
                entity.factor_creations = higher_quota(stored.factor_creations, entity.factor_creations, now, 86_400);
            }
            self.commit(alloc::vec![Write::Put { record: Record::from(entity.clone()), expected }])?;
            Ok(entity)
        })
    }

    /// Loads a factor record; its entity must be stored (else 60392). The factor must meet the
    /// service's policy (secret length, code length, ranges). A record already stored is
    /// replaced only by a newer version (else `conflict`), and never lowers the replay floor,
    /// the remembered future steps, the attempt counters or the failure budget of the stored
    /// factor or of its tombstone, nor makes a used recovery code of the stored set unused.
    pub fn import_factor(&self, record: &str, now: u64) -> Result<Factor, Error> {
        check_now(now)?;
        let incoming: Factor = self.imported(record)?;
        incoming.config.validate(&self.config)?;
        if incoming.secret.len() < self.config.min_secret_bytes {
            return Err(invalid("secret", "Base32 of min_secret_bytes (default 16) to 128 bytes"));
        }
        self.retry(|| {
            let entity = self.entity_at(&incoming.identity)?.ok_or(Error::EntityNotFound)?;
            if entity.sid != incoming.entity_sid {
                return Err(invalid("record", "a factor whose entity_sid matches the stored entity"));
            }
            let mut factor = incoming.clone();
            let stored = self.get::<Factor>(Key::Factor(factor.sid))?;
            let expected = self.expected_for_import(stored.as_ref().map(|f| f.version), factor.version)?;
            // The stored factor, or else the tombstone a deletion left, holds what an import
            // must not lower (a stored factor was raised to any tombstone when it came back).
            if let Some(stored) = &stored {
                if stored.identity != factor.identity {
                    return Err(invalid("record", "a factor of the identity that holds it"));
                }
                factor.raise_to(&stored.guard(), now);
            } else if let Some(tombstone) = self.get::<Tombstone>(Key::Tombstone(factor.sid))? {
                factor.raise_to(&tombstone.guard, now);
            }
            self.commit(alloc::vec![Write::Put { record: Record::from(factor.clone()), expected }])?;
            Ok(factor)
        })
    }

    /// Loads a challenge record; its factor must be stored. A record already stored is
    /// replaced only by a newer version (else `conflict`), and never lowers its failed
    /// attempts or reopens an answered or expired challenge.
    pub fn import_challenge(&self, record: &str, now: u64) -> Result<Challenge, Error> {
        check_now(now)?;
        let incoming: Challenge = self.imported(record)?;
        self.retry(|| {
            self.get::<Factor>(Key::Factor(incoming.factor_sid))?
                .filter(|f| f.identity == incoming.identity)
                .ok_or(Error::FactorNotFound)?;
            let mut challenge = incoming.clone();
            let stored = self.get::<Challenge>(Key::Challenge(challenge.sid))?;
            let expected = self.expected_for_import(stored.as_ref().map(|c| c.version), challenge.version)?;
            if let Some(stored) = &stored {
                if stored.identity != challenge.identity || stored.factor_sid != challenge.factor_sid {
                    return Err(invalid("record", "a challenge of the factor and identity that hold it"));
                }
                challenge.failed_attempts = challenge.failed_attempts.max(stored.failed_attempts);
                if stored.status != ChallengeStatus::Pending {
                    challenge.status = stored.status;
                    challenge.date_responded = stored.date_responded;
                }
            }
            self.commit(alloc::vec![Write::Put { record: Record::from(challenge.clone()), expected }])?;
            Ok(challenge)
        })
    }

    /// Rewrites every record of the service that is not sealed under the active key (sealed
    /// under another key of the ring, or plain with `accept_plaintext_records`) under the
    /// active key; returns how many it rewrote. Reads in batches; every rewrite is a
    /// compare-and-set that raises the record's version, so it is safe while the service
    /// runs, and an interrupted run is resumed by running it again. Rewrites nothing when the
    /// service has no keys or its store keeps typed records (the memory store).
    pub fn reseal(&self) -> Result<usize, Error> {
        if !self.seals() {
            return Ok(0);
        }
        let mut count = 0;
        for kind in Kind::ALL {
            self.each_stored(kind, |record| {
                count += usize::from(self.reseal_one(record)?);
                Ok(())
            })?;
        }
        Ok(count)
    }

    /// Reseals one record under the active key, read again after a lost race; whether it
    /// was rewritten.
    fn reseal_one(&self, record: Record) -> Result<bool, Error> {
        let key = record.key();
        let mut scanned = Some(record);
        self.retry(|| {
            let stored = match scanned.take() {
                Some(record) => record,
                None => match self.store.get(self.service(), &key)? {
                    Some(record) => record,
                    // Deleted meanwhile.
                    None => return Ok(false),
                },
            };
            if matches!(&stored, Record::Sealed(s) if Some(s.kid.as_str()) == self.config.secret_keys.active()) {
                return Ok(false);
            }
            let expected = stored.version();
            self.commit(alloc::vec![put(self.open(stored)?, expected)?])?;
            Ok(true)
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

impl Verify<Replay> {
    /// A service whose store and randomness are the tape of an operation run as steps.
    pub(crate) fn replaying(config: ServiceConfig, store: Replay, tape: Arc<Mutex<Tape>>) -> Verify<Replay> {
        Verify { config, store, tape: Some(tape) }
    }
}
