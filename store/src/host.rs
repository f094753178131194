//! Stores the host application writes in its own language (Python, JavaScript, C): the store
//! contract at the level of text, as the host's database keeps it.
//!
//! A host store sees what a SQL store keeps in its rows: for each record its service, kind,
//! key, identity, creation date, version and stored JSON text (the record format of
//! `docs/records.md`). [`Host`] is that contract; [`HostStore`] turns a `Host` into a
//! [`Store`] for a [`Verify`](watchword_core::service::Verify) that calls it synchronously, and
//! [`HostSteps`] runs one operation as steps whose reads and commits a host answers whenever
//! it can (an `await`, a Promise), so an asynchronous host store never blocks a thread.
//!
//! Everything a host answers is checked here, once for every language: a record that cannot
//! be read, one of another key or identity, or one outside the listing asked for is a
//! `storage` error naming the record, and changes nothing. Listings may hold more than asked
//! (a host may ignore `after` and `limit`): they are sorted and cut here.

use watchword_core::service::{
    Answer, Cursor, Identity, Key, Kind, Record, Request, ServiceConfig, Step, Steps, Store, Write,
};
use watchword_core::Error;

/// One write of a commit as a host store applies it.
///
/// `expected_version` is the version the store must hold now (0: the record must not exist);
/// `version` and `record` are the new ones (`record` is `None` for a delete). `created` is the
/// record's `date_created` (Unix seconds): with `key`, its place in listings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostWrite {
    /// The service namespace.
    pub service: String,
    /// `"entity"`, `"factor"`, `"challenge"`, `"tombstone"`, `"service"` (and any later kind).
    pub kind: &'static str,
    /// The identity for entities, the sid otherwise.
    pub key: String,
    /// The identity the record belongs to.
    pub identity: String,
    /// The record's `date_created`.
    pub created: u64,
    /// The version the store must hold now; 0: none.
    pub expected_version: u64,
    /// The new version (for a delete, the version removed).
    pub version: u64,
    /// The new stored text, or `None` to delete.
    pub record: Option<String>,
}

impl HostWrite {
    /// A write of core as the host sees it.
    pub fn new(service: &str, write: &Write) -> HostWrite {
        let key = write.key();
        let (identity, created, version, record) = match write {
            Write::Put { record, .. } => (
                String::from(record.identity().as_str()),
                record.date_created(),
                record.version(),
                Some(record.to_stored()),
            ),
            // A delete names only the key; the store finds the rest in its row.
            Write::Delete { expected, .. } => (String::new(), 0, *expected, None),
        };
        HostWrite {
            service: String::from(service),
            kind: key.kind().as_str(),
            key: String::from(key.as_str()),
            identity,
            created,
            expected_version: write.expected(),
            version,
            record,
        }
    }
}

/// A store written by the host, over text: every method may fail with a message (the host's
/// exception), which becomes the `storage` error.
pub trait Host: Send + Sync {
    /// The stored text of the record `key` of `kind`, if any.
    fn get(&self, service: &str, kind: Kind, key: &str) -> Result<Option<String>, String>;
    /// `identity`'s records of `kind` in listing order — by (`created`, `key`) — after `after`,
    /// at least the first `limit` of them (more are allowed).
    fn list(
        &self,
        service: &str,
        identity: &str,
        kind: Kind,
        after: Option<&Cursor>,
        limit: usize,
    ) -> Result<Vec<String>, String>;
    /// The service's records of `kind`, as `list` answers.
    fn scan(&self, service: &str, kind: Kind, after: Option<&Cursor>, limit: usize) -> Result<Vec<String>, String>;
    /// Applies every write or none: `Ok(false)` when a stored version differs from a write's
    /// `expected_version` (a conflict).
    fn commit(&self, writes: &[HostWrite]) -> Result<bool, String>;
}

/// The `storage` error for a host store's failure, with the host's own message.
pub fn host_error(message: &str) -> Error {
    Error::storage(String::from(message))
}

/// A listing's `limit` as a host gets it: "all" is the largest count a SQL `LIMIT` takes.
fn host_limit(limit: usize) -> usize {
    limit.min(i64::MAX as usize)
}

fn unreadable(kind: Kind, key: &str, problem: &str) -> Error {
    Error::storage(format!("the host store's {} record {key} {problem}", kind.as_str()))
}

/// Reads a record a host answered for `key`: it must be a readable record of that kind and key.
pub fn read_record(key: &Key, text: Option<&str>) -> Result<Option<Record>, Error> {
    let Some(text) = text else { return Ok(None) };
    let kind = key.kind();
    let record = Record::from_stored(kind, text).map_err(|_| unreadable(kind, key.as_str(), "cannot be read"))?;
    if record.key() != *key {
        let other = String::from(record.key().as_str());
        return Err(unreadable(kind, key.as_str(), &format!("was answered with the record of {other}")));
    }
    Ok(Some(record))
}

/// What a listing asked for, to check and order a host's answer.
#[derive(Debug, Clone)]
pub struct Listing {
    /// Whose records (`None`: the whole service, a scan).
    pub identity: Option<Identity>,
    /// Which kind.
    pub kind: Kind,
    /// Where the previous read ended.
    pub after: Option<Cursor>,
    /// How many at most.
    pub limit: usize,
}

impl Listing {
    /// Reads the records a host answered: each readable, of the kind (and identity) asked,
    /// after `after`; then in listing order, without repeats, at most `limit`.
    pub fn read<T: AsRef<str>>(&self, texts: &[T]) -> Result<Vec<Record>, Error> {
        let kind = self.kind;
        let mut records = Vec::with_capacity(texts.len().min(self.limit));
        for text in texts {
            let record = Record::from_stored(kind, text.as_ref()).map_err(|_| {
                Error::storage(format!("the host store answered a {} record that cannot be read", kind.as_str()))
            })?;
            let key = String::from(record.key().as_str());
            if let Some(identity) = &self.identity {
                if record.identity() != identity {
                    return Err(unreadable(kind, &key, "belongs to another identity than the one listed"));
                }
            }
            if self.after.as_ref().is_some_and(|after| !after.precedes(&record)) {
                return Err(unreadable(kind, &key, "comes before the place the listing starts from"));
            }
            records.push(record);
        }
        records.sort_by(|a, b| {
            a.date_created().cmp(&b.date_created()).then_with(|| a.key().as_str().cmp(b.key().as_str()))
        });
        records.dedup_by(|a, b| a.key() == b.key());
        records.truncate(self.limit);
        Ok(records)
    }
}

/// A [`Host`] as a [`Store`].
#[derive(Debug)]
pub struct HostStore<H>(pub H);

impl<H: Host> Store for HostStore<H> {
    fn get(&self, service: &str, key: &Key) -> Result<Option<Record>, Error> {
        let text = self.0.get(service, key.kind(), key.as_str()).map_err(|m| host_error(&m))?;
        read_record(key, text.as_deref())
    }

    fn list(
        &self,
        service: &str,
        identity: &Identity,
        kind: Kind,
        after: Option<&Cursor>,
        limit: usize,
    ) -> Result<Vec<Record>, Error> {
        let texts =
            self.0.list(service, identity.as_str(), kind, after, host_limit(limit)).map_err(|m| host_error(&m))?;
        Listing { identity: Some(*identity), kind, after: after.cloned(), limit }.read(&texts)
    }

    fn scan(&self, service: &str, kind: Kind, after: Option<&Cursor>, limit: usize) -> Result<Vec<Record>, Error> {
        let texts = self.0.scan(service, kind, after, host_limit(limit)).map_err(|m| host_error(&m))?;
        Listing { identity: None, kind, after: after.cloned(), limit }.read(&texts)
    }

    fn commit(&self, service: &str, writes: Vec<Write>) -> Result<(), Error> {
        if writes.is_empty() {
            return Ok(());
        }
        let writes: Vec<HostWrite> = writes.iter().map(|w| HostWrite::new(service, w)).collect();
        match self.0.commit(&writes) {
            Ok(true) => Ok(()),
            Ok(false) => Err(Error::Conflict),
            Err(message) => Err(host_error(&message)),
        }
    }
}

/// What an operation run as [`HostSteps`] needs from the host next, or its answer.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)]
pub enum HostStep {
    /// [`Host::get`]; answer with [`HostSteps::give_record`].
    Get {
        /// The service namespace.
        service: String,
        /// Which kind.
        kind: Kind,
        /// Which record.
        key: String,
    },
    /// [`Host::list`]; answer with [`HostSteps::give_records`].
    List {
        /// The service namespace.
        service: String,
        /// Whose records.
        identity: String,
        /// Which kind.
        kind: Kind,
        /// Where the previous read ended.
        after: Option<Cursor>,
        /// How many at least (more are allowed).
        limit: usize,
    },
    /// [`Host::scan`]; answer with [`HostSteps::give_records`].
    Scan {
        /// The service namespace.
        service: String,
        /// Which kind.
        kind: Kind,
        /// Where the previous read ended.
        after: Option<Cursor>,
        /// How many at least.
        limit: usize,
    },
    /// [`Host::commit`]; answer with [`HostSteps::give_commit`].
    Commit(Vec<HostWrite>),
    /// The operation ended.
    Done(Result<Answer, Error>),
}

/// What the pending step asked, to check the host's answer against.
#[derive(Debug)]
enum Asked {
    Nothing,
    Record(Key),
    Records(Listing),
    Commit,
}

/// The step of [`HostSteps`] that waits for the host's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pending {
    /// [`HostStep::Get`]: answer with [`HostSteps::give_record`].
    Get,
    /// [`HostStep::List`]: answer with [`HostSteps::give_records`].
    List,
    /// [`HostStep::Scan`]: answer with [`HostSteps::give_records`].
    Scan,
    /// [`HostStep::Commit`]: answer with [`HostSteps::give_commit`].
    Commit,
}

impl Pending {
    /// The [`Host`] method the step calls: `"get"`, `"list"`, `"scan"` or `"commit"`.
    pub const fn method(self) -> &'static str {
        match self {
            Pending::Get => "get",
            Pending::List => "list",
            Pending::Scan => "scan",
            Pending::Commit => "commit",
        }
    }
}

/// One operation as steps over a host store's text: [`Steps`] with the host's answers checked.
#[derive(Debug)]
pub struct HostSteps {
    steps: Steps,
    asked: Asked,
}

impl HostSteps {
    /// The operation `request` at `now`, under `config`.
    pub fn new(config: ServiceConfig, request: Request, now: u64) -> HostSteps {
        HostSteps { steps: Steps::new(config, request, now), asked: Asked::Nothing }
    }

    /// What the operation needs next, or its answer.
    pub fn next_step(&mut self) -> HostStep {
        let service = String::from(self.steps.service());
        let (asked, step) = match self.steps.next_step() {
            Step::Get(key) => {
                let step = HostStep::Get { service, kind: key.kind(), key: String::from(key.as_str()) };
                (Asked::Record(key), step)
            }
            Step::List { identity, kind, after, limit } => {
                let listing = Listing { identity: Some(identity), kind, after: after.clone(), limit };
                let identity = String::from(identity.as_str());
                let step = HostStep::List { service, identity, kind, after, limit: host_limit(limit) };
                (Asked::Records(listing), step)
            }
            Step::Scan { kind, after, limit } => {
                let listing = Listing { identity: None, kind, after: after.clone(), limit };
                (Asked::Records(listing), HostStep::Scan { service, kind, after, limit: host_limit(limit) })
            }
            Step::Commit(writes) if writes.is_empty() => {
                // Nothing to apply: answered here, the host is not asked.
                self.steps.give_commit(Ok(()));
                return self.next_step();
            }
            Step::Commit(writes) => {
                let writes = writes.iter().map(|w| HostWrite::new(&service, w)).collect();
                (Asked::Commit, HostStep::Commit(writes))
            }
            Step::Done(answer) => (Asked::Nothing, HostStep::Done(answer)),
        };
        self.asked = asked;
        step
    }

    /// The step waiting for the host's answer: `None` before [`HostSteps::next_step`] asks
    /// one, once it is answered, and after the operation's answer.
    pub fn pending(&self) -> Option<Pending> {
        match &self.asked {
            Asked::Nothing => None,
            Asked::Record(_) => Some(Pending::Get),
            Asked::Records(listing) if listing.identity.is_some() => Some(Pending::List),
            Asked::Records(_) => Some(Pending::Scan),
            Asked::Commit => Some(Pending::Commit),
        }
    }

    /// Answers [`HostStep::Get`]: the stored text, `None` when there is none, or the host's
    /// error message.
    pub fn give_record(&mut self, text: Result<Option<String>, String>) {
        let answer = match std::mem::replace(&mut self.asked, Asked::Nothing) {
            Asked::Record(key) => text.map_err(|m| host_error(&m)).and_then(|t| read_record(&key, t.as_deref())),
            _ => Err(out_of_order()),
        };
        self.steps.give_record(answer);
    }

    /// Answers [`HostStep::List`] and [`HostStep::Scan`].
    pub fn give_records(&mut self, texts: Result<Vec<String>, String>) {
        let answer = match std::mem::replace(&mut self.asked, Asked::Nothing) {
            Asked::Records(listing) => texts.map_err(|m| host_error(&m)).and_then(|t| listing.read(&t)),
            _ => Err(out_of_order()),
        };
        self.steps.give_records(answer);
    }

    /// Answers [`HostStep::Commit`]: `Ok(true)` applied, `Ok(false)` a conflict.
    pub fn give_commit(&mut self, outcome: Result<bool, String>) {
        let answer = match std::mem::replace(&mut self.asked, Asked::Nothing) {
            Asked::Commit => match outcome {
                Ok(true) => Ok(()),
                Ok(false) => Err(Error::Conflict),
                Err(message) => Err(host_error(&message)),
            },
            _ => Err(out_of_order()),
        };
        self.steps.give_commit(answer);
    }

    /// Answers whatever step is pending with the host's failure (its message).
    pub fn give_error(&mut self, message: String) {
        match self.asked {
            Asked::Record(_) => self.give_record(Err(message)),
            Asked::Records(_) => self.give_records(Err(message)),
            Asked::Commit => self.give_commit(Err(message)),
            Asked::Nothing => self.steps.give_record(Err(out_of_order())),
        }
    }
}

fn out_of_order() -> Error {
    Error::storage("the host store's steps were answered out of order")
}
