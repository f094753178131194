//! Where records live: the [`Store`] interface with compare-and-set writes.

use alloc::vec::Vec;

use super::{Challenge, Entity, Factor, Identity, Sid};
use crate::Error;

/// Any record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    /// An entity.
    Entity(Entity),
    /// A factor.
    Factor(Factor),
    /// A challenge.
    Challenge(Challenge),
}

impl Record {
    /// The record's key in its store.
    pub fn key(&self) -> Key {
        match self {
            Record::Entity(e) => Key::Entity(e.identity),
            Record::Factor(f) => Key::Factor(f.sid),
            Record::Challenge(c) => Key::Challenge(c.sid),
        }
    }

    /// The record's version.
    pub fn version(&self) -> u64 {
        match self {
            Record::Entity(e) => e.version,
            Record::Factor(f) => f.version,
            Record::Challenge(c) => c.version,
        }
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

/// A place to keep records, shared by every caller of a service.
///
/// `commit` applies all its writes or none: when any stored version differs from the
/// write's `expected`, it changes nothing and returns [`Error::Conflict`]. That
/// compare-and-set is what makes replay protection and attempt counters hold across threads,
/// processes and machines. In SQL: one transaction of
/// `UPDATE … SET data = $3, version = $4 WHERE sid = $1 AND version = $2` (zero rows updated →
/// roll back, conflict), `INSERT … ON CONFLICT DO NOTHING` for `expected == 0`, and
/// `DELETE … WHERE sid = $1 AND version = $2`. See `docs/records.md`.
pub trait Store: Send + Sync {
    /// The entity with that identity.
    fn entity(&self, identity: &Identity) -> Result<Option<Entity>, Error>;
    /// Every entity.
    fn entities(&self) -> Result<Vec<Entity>, Error>;
    /// The factor with that sid.
    fn factor(&self, sid: &Sid) -> Result<Option<Factor>, Error>;
    /// The factors of an identity.
    fn factors(&self, identity: &Identity) -> Result<Vec<Factor>, Error>;
    /// The challenge with that sid.
    fn challenge(&self, sid: &Sid) -> Result<Option<Challenge>, Error>;
    /// The challenges of an identity.
    fn challenges(&self, identity: &Identity) -> Result<Vec<Challenge>, Error>;
    /// Applies every write, or none and [`Error::Conflict`].
    fn commit(&self, writes: Vec<Write>) -> Result<(), Error>;
}
