//! The embedded default store: everything in memory behind one lock.

use alloc::collections::BTreeSet;
use alloc::string::String;
use alloc::vec::Vec;
use std::collections::HashMap;
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use super::{Challenge, Entity, Factor, Key, Record, Store, Write};
use crate::Error;

/// A thread-safe in-memory [`Store`]. Commits are atomic: every write's version is checked
/// under one lock before any is applied.
///
/// ```
/// use watchword_core::service::{Entity, MemoryStore, Record, Store, Write};
/// let store = MemoryStore::new();
/// let entity = Entity::new("user-0001", [1; 16], 0).unwrap();
/// store.commit(vec![Write::Put { record: Record::Entity(entity.clone()), expected: 0 }]).unwrap();
/// let again = store.commit(vec![Write::Put { record: Record::Entity(entity), expected: 0 }]);
/// assert_eq!(again.unwrap_err().kind().as_str(), "conflict");
/// ```
#[derive(Debug, Default)]
pub struct MemoryStore {
    inner: RwLock<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    entities: HashMap<String, Entity>,
    factors: HashMap<String, Factor>,
    challenges: HashMap<String, Challenge>,
    /// identity → (factor sids, challenge sids)
    index: HashMap<String, (BTreeSet<String>, BTreeSet<String>)>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }

    fn read(&self) -> RwLockReadGuard<'_, Inner> {
        // A panic while holding the lock cannot leave a half-applied commit (commits check
        // everything before they change anything), so a poisoned lock is still consistent.
        self.inner.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, Inner> {
        self.inner.write().unwrap_or_else(|e| e.into_inner())
    }
}

impl Inner {
    fn version(&self, key: &Key) -> u64 {
        match key {
            Key::Entity(identity) => self.entities.get(identity).map_or(0, |e| e.version),
            Key::Factor(sid) => self.factors.get(sid).map_or(0, |f| f.version),
            Key::Challenge(sid) => self.challenges.get(sid).map_or(0, |c| c.version),
        }
    }

    fn record_version(&self, record: &Record) -> u64 {
        match record {
            Record::Entity(e) => self.entities.get(&e.identity).map_or(0, |e| e.version),
            Record::Factor(f) => self.factors.get(&f.sid).map_or(0, |f| f.version),
            Record::Challenge(c) => self.challenges.get(&c.sid).map_or(0, |c| c.version),
        }
    }

    /// The index entry of an identity, created when missing.
    fn index_of(&mut self, identity: &str) -> &mut (BTreeSet<String>, BTreeSet<String>) {
        if !self.index.contains_key(identity) {
            self.index.insert(String::from(identity), Default::default());
        }
        self.index.get_mut(identity).expect("inserted above")
    }

    fn put(&mut self, record: Record) {
        match record {
            Record::Entity(e) => {
                self.entities.insert(e.identity.clone(), e);
            }
            Record::Factor(f) => {
                if let Some(stored) = self.factors.get_mut(&f.sid).filter(|s| s.identity == f.identity) {
                    *stored = f;
                } else {
                    if self.factors.contains_key(&f.sid) {
                        // Re-keyed to another identity: drop the old index entry first.
                        self.delete(&Key::Factor(f.sid.clone()));
                    }
                    self.index_of(&f.identity).0.insert(f.sid.clone());
                    self.factors.insert(f.sid.clone(), f);
                }
            }
            Record::Challenge(c) => {
                if let Some(stored) = self.challenges.get_mut(&c.sid).filter(|s| s.identity == c.identity) {
                    *stored = c;
                } else {
                    if self.challenges.contains_key(&c.sid) {
                        self.delete(&Key::Challenge(c.sid.clone()));
                    }
                    self.index_of(&c.identity).1.insert(c.sid.clone());
                    self.challenges.insert(c.sid.clone(), c);
                }
            }
        }
    }

    fn delete(&mut self, key: &Key) {
        let identity = match key {
            Key::Entity(identity) => {
                self.entities.remove(identity);
                identity.clone()
            }
            Key::Factor(sid) => match self.factors.remove(sid) {
                Some(f) => {
                    if let Some(ix) = self.index.get_mut(&f.identity) {
                        ix.0.remove(sid);
                    }
                    f.identity
                }
                None => return,
            },
            Key::Challenge(sid) => match self.challenges.remove(sid) {
                Some(c) => {
                    if let Some(ix) = self.index.get_mut(&c.identity) {
                        ix.1.remove(sid);
                    }
                    c.identity
                }
                None => return,
            },
        };
        let empty = self.index.get(&identity).is_some_and(|(f, c)| f.is_empty() && c.is_empty());
        if empty && !self.entities.contains_key(&identity) {
            self.index.remove(&identity);
        }
    }
}

impl Store for MemoryStore {
    fn entity(&self, identity: &str) -> Result<Option<Entity>, Error> {
        Ok(self.read().entities.get(identity).cloned())
    }

    fn entities(&self) -> Result<Vec<Entity>, Error> {
        Ok(self.read().entities.values().cloned().collect())
    }

    fn factor(&self, sid: &str) -> Result<Option<Factor>, Error> {
        Ok(self.read().factors.get(sid).cloned())
    }

    fn factors(&self, identity: &str) -> Result<Vec<Factor>, Error> {
        let inner = self.read();
        Ok(inner
            .index
            .get(identity)
            .map(|(sids, _)| sids.iter().filter_map(|sid| inner.factors.get(sid).cloned()).collect())
            .unwrap_or_default())
    }

    fn challenge(&self, sid: &str) -> Result<Option<Challenge>, Error> {
        Ok(self.read().challenges.get(sid).cloned())
    }

    fn challenges(&self, identity: &str) -> Result<Vec<Challenge>, Error> {
        let inner = self.read();
        Ok(inner
            .index
            .get(identity)
            .map(|(_, sids)| sids.iter().filter_map(|sid| inner.challenges.get(sid).cloned()).collect())
            .unwrap_or_default())
    }

    fn commit(&self, writes: Vec<Write>) -> Result<(), Error> {
        let mut inner = self.write();
        let consistent = writes.iter().all(|w| match w {
            Write::Put { record, expected } => inner.record_version(record) == *expected,
            Write::Delete { key, expected } => *expected != 0 && inner.version(key) == *expected,
        });
        if !consistent {
            return Err(Error::Conflict);
        }
        for write in writes {
            match write {
                Write::Put { record, .. } => inner.put(record),
                Write::Delete { key, .. } => inner.delete(&key),
            }
        }
        Ok(())
    }
}
