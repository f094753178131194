//! Where records live: the [`Store`] contract (SPEC §9) with compare-and-set writes.
//!
//! The contract is kind-agnostic: a store gets, lists, scans and commits [`Record`]s by
//! (service, [`Kind`], key) and never looks inside one. A store that keeps text (SQLite,
//! PostgreSQL, a host's own database) keeps [`Record::to_stored`] and reads it back with
//! [`Record::from_stored`], so a new kind of record never needs a change to a store.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;

use super::{Challenge, Entity, Factor, Identity, Sealed, ServiceDefinition, Sid, Tombstone};
use crate::Error;

/// The kinds of record a service keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Kind {
    /// An [`Entity`], keyed by its identity.
    Entity,
    /// A [`Factor`], keyed by its sid.
    Factor,
    /// A [`Challenge`], keyed by its sid.
    Challenge,
    /// A deleted factor's [`Tombstone`], keyed by the factor's sid.
    Tombstone,
    /// A [`ServiceDefinition`], keyed by its `VA…` sid (in a server's registry namespace).
    Service,
}

impl Kind {
    /// Every kind.
    pub const ALL: [Kind; 5] = [Kind::Entity, Kind::Factor, Kind::Challenge, Kind::Tombstone, Kind::Service];

    /// `"entity"`, `"factor"`, `"challenge"` or `"tombstone"`: the `type` of its stored records.
    pub const fn as_str(self) -> &'static str {
        match self {
            Kind::Entity => "entity",
            Kind::Factor => "factor",
            Kind::Challenge => "challenge",
            Kind::Tombstone => "tombstone",
            Kind::Service => "service",
        }
    }

    /// The kind named `name`.
    ///
    /// ```
    /// use watchword_core::service::Kind;
    /// assert_eq!(Kind::from_name("factor"), Some(Kind::Factor));
    /// assert_eq!(Kind::from_name("Factor"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

/// Any record. Each is boxed, so that a record moves through the service and its store as a
/// pointer, whatever its size; `Record::from(factor)` boxes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    /// An entity.
    Entity(Box<Entity>),
    /// A factor.
    Factor(Box<Factor>),
    /// A challenge.
    Challenge(Box<Challenge>),
    /// A deleted factor's tombstone.
    Tombstone(Box<Tombstone>),
    /// A service namespace's definition.
    Service(Box<ServiceDefinition>),
    /// A record of any kind sealed under a secret key (SPEC §10): what a store holds when the
    /// service has secret keys. Only its envelope's fields are readable.
    Sealed(Box<Sealed>),
}

/// `Record::from(x)`: `x` boxed as its kind of record.
macro_rules! record_from {
    ($($variant:ident($t:ty)),*) => {$(
        impl From<$t> for Record {
            fn from(record: $t) -> Record {
                Record::$variant(Box::new(record))
            }
        }
    )*};
}

record_from!(
    Entity(Entity),
    Factor(Factor),
    Challenge(Challenge),
    Tombstone(Tombstone),
    Service(ServiceDefinition),
    Sealed(Sealed)
);

impl Record {
    /// The record's key in its store.
    pub fn key(&self) -> Key {
        match self {
            Record::Entity(e) => Key::Entity(e.identity),
            Record::Factor(f) => Key::Factor(f.sid),
            Record::Challenge(c) => Key::Challenge(c.sid),
            Record::Tombstone(t) => Key::Tombstone(t.sid),
            Record::Service(d) => Key::Service(d.sid),
            Record::Sealed(s) => s.key,
        }
    }

    /// The record's kind.
    pub fn kind(&self) -> Kind {
        self.key().kind()
    }

    /// The record's version.
    pub fn version(&self) -> u64 {
        match self {
            Record::Entity(e) => e.version,
            Record::Factor(f) => f.version,
            Record::Challenge(c) => c.version,
            Record::Tombstone(t) => t.version,
            Record::Service(d) => d.version,
            Record::Sealed(s) => s.version,
        }
    }

    /// The identity the record belongs to.
    pub fn identity(&self) -> &Identity {
        match self {
            Record::Entity(e) => &e.identity,
            Record::Factor(f) => &f.identity,
            Record::Challenge(c) => &c.identity,
            Record::Tombstone(t) => &t.identity,
            Record::Service(d) => &d.identity,
            Record::Sealed(s) => &s.identity,
        }
    }

    /// When the record was created (Unix seconds): with the key, its place in listings.
    pub fn date_created(&self) -> u64 {
        match self {
            Record::Entity(e) => e.date_created,
            Record::Factor(f) => f.date_created,
            Record::Challenge(c) => c.date_created,
            Record::Tombstone(t) => t.date_created,
            Record::Service(d) => d.date_created,
            Record::Sealed(s) => s.date_created,
        }
    }

    /// The record's place in listings.
    pub fn cursor(&self) -> Cursor {
        Cursor { created: self.date_created(), key: String::from(self.key().as_str()) }
    }

    /// The stored form (versioned JSON, see `docs/records.md`). A plain factor record holds
    /// its secret; a sealed record is its envelope (`"v": 4`).
    pub fn to_stored(&self) -> String {
        match self {
            Record::Entity(e) => e.to_record(),
            Record::Factor(f) => f.to_record(),
            Record::Challenge(c) => c.to_record(),
            Record::Tombstone(t) => t.to_record(),
            Record::Service(d) => d.to_record(),
            Record::Sealed(s) => s.to_stored(),
        }
    }

    /// Reads a stored record of `kind`.
    ///
    /// ```
    /// use watchword_core::service::{Entity, Kind, Record};
    /// let record = Record::from(Entity::new("user-0001", [7; 16], 1_700_000_000).unwrap());
    /// assert_eq!(Record::from_stored(Kind::Entity, &record.to_stored()).unwrap(), record);
    /// assert!(Record::from_stored(Kind::Factor, &record.to_stored()).is_err());
    /// ```
    ///
    /// A sealed record's envelope (`"v": 4`) is read as [`Record::Sealed`]; the service
    /// opens it with its key ring.
    pub fn from_stored(kind: Kind, text: &str) -> Result<Record, Error> {
        match Sealed::parse(kind, text)? {
            Some(sealed) => Ok(Record::from(sealed)),
            None => Record::from_plain(kind, text),
        }
    }

    /// Reads a plain (unsealed) record of `kind`.
    pub(crate) fn from_plain(kind: Kind, text: &str) -> Result<Record, Error> {
        let value = serde_json::from_str(text).map_err(|_| super::record::unreadable())?;
        Record::from_value(kind, value)
    }

    fn from_value(kind: Kind, value: serde_json::Value) -> Result<Record, Error> {
        Ok(match kind {
            Kind::Entity => Record::from(Entity::from_value(value)?),
            Kind::Factor => Record::from(Factor::from_value(value)?),
            Kind::Challenge => Record::from(Challenge::from_value(value)?),
            Kind::Tombstone => Record::from(Tombstone::from_value(value)?),
            Kind::Service => Record::from(ServiceDefinition::from_value(value)?),
        })
    }
}

/// The key of a record: entities by identity, factors and challenges by sid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Key {
    /// An entity's identity.
    Entity(Identity),
    /// A factor's sid.
    Factor(Sid),
    /// A challenge's sid.
    Challenge(Sid),
    /// A deleted factor's sid.
    Tombstone(Sid),
    /// A service definition's sid.
    Service(Sid),
}

impl Key {
    /// The kind of record the key names.
    pub fn kind(&self) -> Kind {
        match self {
            Key::Entity(_) => Kind::Entity,
            Key::Factor(_) => Kind::Factor,
            Key::Challenge(_) => Kind::Challenge,
            Key::Tombstone(_) => Kind::Tombstone,
            Key::Service(_) => Kind::Service,
        }
    }

    /// The key as text (the identity or the sid).
    pub fn as_str(&self) -> &str {
        match self {
            Key::Entity(identity) => identity.as_str(),
            Key::Factor(sid) | Key::Challenge(sid) | Key::Tombstone(sid) | Key::Service(sid) => sid.as_str(),
        }
    }
}

/// A place in a listing. Stores list records in the order of (`date_created`, key): oldest
/// first, and stable, because neither changes while a record lives.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Cursor {
    /// The `date_created` of the last record listed.
    pub created: u64,
    /// Its key as text.
    pub key: String,
}

impl Cursor {
    /// Whether `record` comes after this place.
    pub fn precedes(&self, record: &Record) -> bool {
        (self.created, self.key.as_str()) < (record.date_created(), record.key().as_str())
    }
}

/// One write of a commit. `expected` is the version the store must hold now: `0` means the
/// record must not exist yet.
#[derive(Debug, Clone, PartialEq, Eq)]
// Writes live only for one commit; boxing the record would cost an allocation per write.
#[allow(clippy::large_enum_variant)]
pub enum Write {
    /// Insert or replace a record.
    Put {
        /// The new record (carrying its new version).
        record: Record,
        /// The version that must be stored now (0: absent).
        expected: u64,
    },
    /// Remove a record.
    Delete {
        /// Which record.
        key: Key,
        /// The version that must be stored now.
        expected: u64,
    },
}

impl Write {
    /// The key the write changes.
    pub fn key(&self) -> Key {
        match self {
            Write::Put { record, .. } => record.key(),
            Write::Delete { key, .. } => *key,
        }
    }

    /// The version the store must hold for the write to apply (0: absent).
    pub fn expected(&self) -> u64 {
        match self {
            Write::Put { expected, .. } | Write::Delete { expected, .. } => *expected,
        }
    }
}

/// A place to keep records, shared by every caller of a service (SPEC §9). Records live in
/// a service namespace: the same identity in two services names two entities.
///
/// `commit` applies all its writes or none: when any stored version differs from the
/// write's `expected` (a delete must name the version it removes), it changes nothing and
/// returns [`Error::Conflict`]. That compare-and-set is what makes replay protection and
/// attempt counters hold across threads, processes and machines. In SQL: one transaction of
/// `UPDATE … SET data = $3, version = $4 WHERE … AND version = $2` (zero rows updated → roll
/// back, conflict), `INSERT … ON CONFLICT DO NOTHING` for `expected == 0`, and
/// `DELETE … WHERE … AND version = $2`. Failures of the store itself are
/// [`Error::Storage`]. See `docs/records.md` and the `watchword-store` crate.
///
/// `list` and `scan` answer in listing order (see [`Cursor`]), after `after` when given, at
/// most `limit` records.
pub trait Store: Send + Sync {
    /// The record with that key.
    fn get(&self, service: &str, key: &Key) -> Result<Option<Record>, Error>;
    /// An identity's records of one kind.
    fn list(
        &self,
        service: &str,
        identity: &Identity,
        kind: Kind,
        after: Option<&Cursor>,
        limit: usize,
    ) -> Result<Vec<Record>, Error>;
    /// A service's records of one kind.
    fn scan(&self, service: &str, kind: Kind, after: Option<&Cursor>, limit: usize) -> Result<Vec<Record>, Error>;
    /// Applies every write, or none and [`Error::Conflict`].
    fn commit(&self, service: &str, writes: Vec<Write>) -> Result<(), Error>;

    /// The stored version of the record with that key, 0 when there is none. A store that
    /// can read a version without its record (the memory store) answers it more cheaply;
    /// others read the record.
    fn version(&self, service: &str, key: &Key) -> Result<u64, Error> {
        Ok(self.get(service, key)?.map_or(0, |record| record.version()))
    }

    /// Whether the store keeps typed records in this process's memory (the memory store): a
    /// service with secret keys then seals only what leaves it (exports). Every other store
    /// is given sealed records.
    fn keeps_typed_records(&self) -> bool {
        false
    }
}

macro_rules! forward_store {
    ($($wrapper:ty),*) => {$(
        impl<S: Store + ?Sized> Store for $wrapper {
            fn get(&self, service: &str, key: &Key) -> Result<Option<Record>, Error> {
                (**self).get(service, key)
            }
            fn list(
                &self,
                service: &str,
                identity: &Identity,
                kind: Kind,
                after: Option<&Cursor>,
                limit: usize,
            ) -> Result<Vec<Record>, Error> {
                (**self).list(service, identity, kind, after, limit)
            }
            fn scan(&self, service: &str, kind: Kind, after: Option<&Cursor>, limit: usize) -> Result<Vec<Record>, Error> {
                (**self).scan(service, kind, after, limit)
            }
            fn commit(&self, service: &str, writes: Vec<Write>) -> Result<(), Error> {
                (**self).commit(service, writes)
            }
            fn version(&self, service: &str, key: &Key) -> Result<u64, Error> {
                (**self).version(service, key)
            }
            fn keeps_typed_records(&self) -> bool {
                (**self).keeps_typed_records()
            }
        }
    )*};
}

forward_store!(alloc::boxed::Box<S>, alloc::sync::Arc<S>, &S);
