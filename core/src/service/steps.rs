//! Operations as sans-I/O steps: an operation that asks its caller for records, then for a
//! commit, then answers — for hosts whose store is their own code (asynchronous, or in
//! another language), which must not block a thread waiting for it.
//!
//! ```
//! use watchword_core::service::{MemoryStore, Request, ServiceConfig, Step, Steps, Store};
//!
//! let config = ServiceConfig::new("Acme").unwrap();
//! let store = MemoryStore::new(); // stands for the host's own store
//! let args = serde_json::json!({"identity": "user-0001", "friendly_name": "phone"});
//! let request = Request::parse("create_factor", args.as_object().unwrap()).unwrap();
//! let mut steps = Steps::new(config, request, 1_700_000_000);
//! let answer = loop {
//!     match steps.next_step() {
//!         Step::Get(key) => steps.give_record(store.get("default", &key)),
//!         Step::List { identity, kind, after, limit } => {
//!             steps.give_records(store.list("default", &identity, kind, after.as_ref(), limit))
//!         }
//!         Step::Scan { kind, after, limit } => steps.give_records(store.scan("default", kind, after.as_ref(), limit)),
//!         Step::Commit(writes) => steps.give_commit(store.commit("default", writes)),
//!         Step::Done(answer) => break answer.unwrap(),
//!     }
//! };
//! assert_eq!(answer.view(1_700_000_000)["status"], "unverified");
//! ```
//!
//! Each step runs the operation of [`Verify`] again from its start, over the answers the
//! caller gave so far (in order), until it needs one more: the rules are those of `Verify`,
//! not a copy. The randomness an operation draws (sids, secrets) is kept, so every run makes
//! the same records, and a lost race is retried as `Verify` retries it (without its pauses:
//! the caller's next read is the pause).

use alloc::string::String;
use alloc::vec::Vec;
use std::sync::{Arc, Mutex, MutexGuard};

use rand_core::{OsRng, RngCore};
use zeroize::Zeroizing;

use super::recovery::{AnswerDigest, RecoveryCodes};
use super::{Answer, Cursor, Identity, Key, Kind, Record, Request, ServiceConfig, Store, Verify, Write};
use crate::Error;

/// What an operation run as [`Steps`] needs next, or its answer.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)]
pub enum Step {
    /// Read the record with this key ([`Store::get`]); give it with [`Steps::give_record`].
    Get(Key),
    /// Read `identity`'s records of `kind` in listing order after `after`, at most `limit`
    /// ([`Store::list`]); give them with [`Steps::give_records`].
    List {
        /// Whose records.
        identity: Identity,
        /// Which kind.
        kind: Kind,
        /// Where the previous read ended.
        after: Option<Cursor>,
        /// How many at most.
        limit: usize,
    },
    /// Read the service's records of `kind` in listing order after `after`, at most `limit`
    /// ([`Store::scan`]); give them with [`Steps::give_records`].
    Scan {
        /// Which kind.
        kind: Kind,
        /// Where the previous read ended.
        after: Option<Cursor>,
        /// How many at most.
        limit: usize,
    },
    /// Apply these writes together or not at all, each a compare-and-set on its record's
    /// version ([`Store::commit`]); give the outcome with [`Steps::give_commit`]
    /// (`Err(Error::Conflict)` when a version did not match).
    Commit(Vec<Write>),
    /// The operation ended.
    Done(Result<Answer, Error>),
}

/// One answer the caller gave, in the order the operation asked.
#[derive(Debug, Clone)]
// Answers live as long as one operation; boxing the record would cost an allocation per read.
#[allow(clippy::large_enum_variant)]
enum Given {
    Record(Result<Option<Record>, Error>),
    Records(Result<Vec<Record>, Error>),
    Commit(Result<(), Error>),
}

/// What the caller gave so far, the randomness drawn so far, and what the current run needs.
#[derive(Default)]
pub(crate) struct Tape {
    given: Vec<Given>,
    read: usize,
    random: Zeroizing<Vec<u8>>,
    drawn: usize,
    need: Option<Step>,
    /// The hash of the operation's recovery-code answer, made in the first run that needed it:
    /// an answer is hashed once per call, not once per run or retry.
    digest: AnswerDigest,
    /// The set of recovery codes the operation made (with their hashes): a later run draws
    /// the same codes and takes the hashes from here.
    codes: Option<RecoveryCodes>,
}

impl core::fmt::Debug for Tape {
    /// Counts only: the tape holds secrets' random bytes.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Tape").field("given", &self.given.len()).field("drawn", &self.random.len()).finish()
    }
}

impl Tape {
    /// `out.len()` random bytes: those of the earlier runs, then fresh ones.
    pub(crate) fn draw(&mut self, out: &mut [u8]) {
        let end = self.drawn + out.len();
        if self.random.len() < end {
            let start = self.random.len();
            self.random.resize(end, 0);
            OsRng.fill_bytes(&mut self.random[start..end]);
        }
        out.copy_from_slice(&self.random[self.drawn..end]);
        self.drawn = end;
    }

    /// The kept digest of the answer (taken out while a run uses it).
    pub(crate) fn take_digest(tape: &Mutex<Tape>) -> AnswerDigest {
        core::mem::take(&mut lock(tape).digest)
    }

    /// Keeps the digest for the next run.
    pub(crate) fn keep_digest(tape: &Mutex<Tape>, digest: AnswerDigest) {
        lock(tape).digest = digest;
    }

    /// The set of recovery codes an earlier run made.
    pub(crate) fn made_codes(tape: &Mutex<Tape>) -> Option<RecoveryCodes> {
        lock(tape).codes.clone()
    }

    /// Keeps the set of recovery codes this run made for the next run.
    pub(crate) fn keep_codes(tape: &Mutex<Tape>, codes: &RecoveryCodes) {
        lock(tape).codes = Some(codes.clone());
    }

    /// The next answer, or — when the caller has not given it yet — a record of what is needed
    /// and the error that stops this run.
    fn next(&mut self, need: impl FnOnce() -> Step) -> Result<Given, Error> {
        match self.given.get(self.read) {
            Some(given) => {
                self.read += 1;
                Ok(given.clone())
            }
            None => {
                self.need = Some(need());
                Err(Error::storage("waiting for the caller"))
            }
        }
    }
}

fn lock(tape: &Mutex<Tape>) -> MutexGuard<'_, Tape> {
    tape.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The store of a run: answers from the tape, in order.
pub(crate) struct Replay {
    tape: Arc<Mutex<Tape>>,
}

fn out_of_order() -> Error {
    Error::storage("the steps were answered out of order")
}

impl Store for Replay {
    fn get(&self, _service: &str, key: &Key) -> Result<Option<Record>, Error> {
        match lock(&self.tape).next(|| Step::Get(*key))? {
            Given::Record(record) => record,
            _ => Err(out_of_order()),
        }
    }

    fn list(
        &self,
        _service: &str,
        identity: &Identity,
        kind: Kind,
        after: Option<&Cursor>,
        limit: usize,
    ) -> Result<Vec<Record>, Error> {
        let need = || Step::List { identity: *identity, kind, after: after.cloned(), limit };
        match lock(&self.tape).next(need)? {
            Given::Records(records) => records,
            _ => Err(out_of_order()),
        }
    }

    fn scan(&self, _service: &str, kind: Kind, after: Option<&Cursor>, limit: usize) -> Result<Vec<Record>, Error> {
        match lock(&self.tape).next(|| Step::Scan { kind, after: after.cloned(), limit })? {
            Given::Records(records) => records,
            _ => Err(out_of_order()),
        }
    }

    fn commit(&self, _service: &str, writes: Vec<Write>) -> Result<(), Error> {
        match lock(&self.tape).next(|| Step::Commit(writes))? {
            Given::Commit(outcome) => outcome,
            _ => Err(out_of_order()),
        }
    }
}

/// One operation run step by step: [`Steps::next_step`] says what it needs, the `give_*` methods
/// answer, until [`Step::Done`].
pub struct Steps {
    verify: Verify<Replay>,
    tape: Arc<Mutex<Tape>>,
    request: Request,
    now: u64,
    done: bool,
}

impl Steps {
    /// The operation `request` at `now` (Unix seconds), under `config`.
    pub fn new(config: ServiceConfig, request: Request, now: u64) -> Steps {
        let tape = Arc::new(Mutex::new(Tape::default()));
        let verify = Verify::replaying(config, Replay { tape: Arc::clone(&tape) }, Arc::clone(&tape));
        Steps { verify, tape, request, now, done: false }
    }

    /// The namespace of the records (the `service` setting), for the caller's store calls.
    pub fn service(&self) -> &str {
        &self.verify.config().service
    }

    /// What the operation needs next, or its answer. After [`Step::Done`] every call answers
    /// `Done` with an error.
    pub fn next_step(&mut self) -> Step {
        if self.done {
            return Step::Done(Err(Error::storage("the operation has ended")));
        }
        {
            let mut tape = lock(&self.tape);
            tape.read = 0;
            tape.drawn = 0;
            tape.need = None;
        }
        let outcome = self.verify.execute(self.request.clone(), self.now);
        if let Some(need) = lock(&self.tape).need.take() {
            return need;
        }
        self.done = true;
        Step::Done(outcome)
    }

    /// Runs the operation to its end over `store`, answering each step with the store's call:
    /// what [`Verify`] does, as a driver of steps.
    pub fn drive<S: Store + ?Sized>(mut self, store: &S) -> Result<Answer, Error> {
        let service = String::from(self.service());
        loop {
            match self.next_step() {
                Step::Get(key) => self.give_record(store.get(&service, &key)),
                Step::List { identity, kind, after, limit } => {
                    self.give_records(store.list(&service, &identity, kind, after.as_ref(), limit))
                }
                Step::Scan { kind, after, limit } => {
                    self.give_records(store.scan(&service, kind, after.as_ref(), limit))
                }
                Step::Commit(writes) => self.give_commit(store.commit(&service, writes)),
                Step::Done(answer) => return answer,
            }
        }
    }

    /// Answers [`Step::Get`]: the record, `None` when there is none, or the store's error.
    pub fn give_record(&mut self, record: Result<Option<Record>, Error>) {
        lock(&self.tape).given.push(Given::Record(record));
    }

    /// Answers [`Step::List`] and [`Step::Scan`].
    pub fn give_records(&mut self, records: Result<Vec<Record>, Error>) {
        lock(&self.tape).given.push(Given::Records(records));
    }

    /// Answers [`Step::Commit`]: `Ok(())` when every write was applied, `Err(Error::Conflict)`
    /// when none was because a version did not match, or the store's error.
    pub fn give_commit(&mut self, outcome: Result<(), Error>) {
        lock(&self.tape).given.push(Given::Commit(outcome));
    }
}

impl core::fmt::Debug for Steps {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Steps").field("operation", &self.request.operation()).field("now", &self.now).finish()
    }
}
