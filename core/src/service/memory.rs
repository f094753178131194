//! The embedded default store: everything in memory behind one lock.

use alloc::boxed::Box;
use alloc::vec::Vec;
use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use super::ids::PackedSid;
use super::{
    Challenge, ChallengeStatus, Cursor, Details, Entity, Factor, FactorType, Identity, Key, Kind, Metadata, Record,
    ServiceDefinition, Sid, Store, Tombstone, Write,
};
use crate::Error;

/// A thread-safe in-memory [`Store`]. Commits are atomic: every write's version is checked
/// under one lock before any is applied.
///
/// ```
/// use watchword_core::service::{Entity, MemoryStore, Record, Store, Write};
/// let store = MemoryStore::new();
/// let entity = Entity::new("user-0001", [1; 16], 0).unwrap();
/// store.commit("default", vec![Write::Put { record: Record::from(entity.clone()), expected: 0 }]).unwrap();
/// let again = store.commit("default", vec![Write::Put { record: Record::from(entity), expected: 0 }]);
/// assert_eq!(again.unwrap_err().kind().as_str(), "conflict");
/// ```
#[derive(Debug, Default)]
pub struct MemoryStore {
    inner: RwLock<Services>,
}

/// Each service's records.
#[derive(Debug, Default)]
struct Services {
    services: Map<Box<str>, Inner>,
}

/// Keys are server-made sids and validated identities; foldhash is seeded per process.
type Map<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// A stored factor or challenge, boxed so that growing a map moves pointers rather than
/// records, and its place in its identity's list.
#[derive(Debug)]
struct Slot<T> {
    record: Box<T>,
    place: usize,
}

/// An identity's factor sids and challenge sids, in no particular order: a new sid is
/// pushed, a removed one is swapped with the last.
type Lists = (Vec<PackedSid>, Vec<PackedSid>);

/// A challenge as this store keeps it: its sids packed, and what most challenges leave unset
/// (details, hidden details, metadata) behind one box. It takes 192 bytes where a
/// [`Challenge`] takes 336 (and 384 once allocated); a store that keeps every challenge for
/// its listings holds a million of them in about half the memory.
#[derive(Debug, Clone)]
struct KeptChallenge {
    sid: PackedSid,
    entity_sid: PackedSid,
    factor_sid: PackedSid,
    identity: Identity,
    factor_type: FactorType,
    status: ChallengeStatus,
    date_created: u64,
    date_updated: u64,
    date_responded: Option<u64>,
    expiration_date: u64,
    failed_attempts: u32,
    version: u64,
    extras: Option<Box<Extras>>,
}

/// A challenge's optional texts, kept only when one is set.
#[derive(Debug, Clone)]
struct Extras {
    details: Option<Details>,
    hidden_details: Option<Metadata>,
    metadata: Option<Metadata>,
}

/// Every field is carried over: `KeptChallenge::challenge` builds a whole [`Challenge`], so a
/// field added to it has to be kept here too.
impl From<Challenge> for KeptChallenge {
    fn from(c: Challenge) -> KeptChallenge {
        let any = c.details.is_some() || c.hidden_details.is_some() || c.metadata.is_some();
        KeptChallenge {
            sid: PackedSid::from(&c.sid),
            entity_sid: PackedSid::from(&c.entity_sid),
            factor_sid: PackedSid::from(&c.factor_sid),
            identity: c.identity,
            factor_type: c.factor_type,
            status: c.status,
            date_created: c.date_created,
            date_updated: c.date_updated,
            date_responded: c.date_responded,
            expiration_date: c.expiration_date,
            failed_attempts: c.failed_attempts,
            version: c.version,
            extras: any.then(|| {
                Box::new(Extras { details: c.details, hidden_details: c.hidden_details, metadata: c.metadata })
            }),
        }
    }
}

impl KeptChallenge {
    fn challenge(&self) -> Challenge {
        let extras = self.extras.as_deref();
        Challenge {
            sid: self.sid.unpack(),
            entity_sid: self.entity_sid.unpack(),
            identity: self.identity,
            factor_sid: self.factor_sid.unpack(),
            factor_type: self.factor_type,
            status: self.status,
            date_created: self.date_created,
            date_updated: self.date_updated,
            date_responded: self.date_responded,
            expiration_date: self.expiration_date,
            details: extras.and_then(|e| e.details.clone()),
            hidden_details: extras.and_then(|e| e.hidden_details.clone()),
            metadata: extras.and_then(|e| e.metadata.clone()),
            failed_attempts: self.failed_attempts,
            version: self.version,
        }
    }
}

#[derive(Debug, Default)]
struct Inner {
    entities: Map<Identity, Entity>,
    factors: Map<PackedSid, Slot<Factor>>,
    challenges: Map<PackedSid, Slot<KeptChallenge>>,
    index: Map<Identity, Lists>,
    /// Few and short-lived: listed by a full pass.
    tombstones: Map<Sid, Tombstone>,
    /// Service definitions (a server's registry namespace): few, listed by a full pass.
    definitions: Map<Sid, ServiceDefinition>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }

    fn read(&self) -> RwLockReadGuard<'_, Services> {
        // A panic while holding the lock cannot leave a half-applied commit (commits check
        // everything before they change anything), so a poisoned lock is still consistent.
        self.inner.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, Services> {
        self.inner.write().unwrap_or_else(|e| e.into_inner())
    }
}

/// A record kept under its sid and listed under its identity's [`Lists`].
trait Owned {
    fn sid(&self) -> PackedSid;
    fn identity(&self) -> Identity;
    /// This kind's list among an identity's lists.
    fn list(lists: &mut Lists) -> &mut Vec<PackedSid>;
    /// A copy of the record, as the store hands it out.
    fn record(&self) -> Record;
}

/// `Owned` for a record type: how it gives its packed sid and its copy (`$this` is the record),
/// and which of an identity's lists holds its sids.
macro_rules! owned {
    ($t:ty, $list:tt, |$this:ident| $sid:expr, $record:expr) => {
        impl Owned for $t {
            fn sid(&self) -> PackedSid {
                let $this = self;
                $sid
            }
            fn identity(&self) -> Identity {
                self.identity
            }
            fn list(lists: &mut Lists) -> &mut Vec<PackedSid> {
                &mut lists.$list
            }
            fn record(&self) -> Record {
                let $this = self;
                $record
            }
        }
    };
}

owned!(Factor, 0, |f| PackedSid::from(&f.sid), Record::Factor(Box::new(f.clone())));
owned!(KeptChallenge, 1, |c| c.sid, Record::Challenge(Box::new(c.challenge())));

/// Appends `sid` to its identity's list; returns its place there.
fn list<T: Owned>(index: &mut Map<Identity, Lists>, identity: Identity, sid: PackedSid) -> usize {
    let list = T::list(index.entry(identity).or_default());
    list.push(sid);
    list.len() - 1
}

/// Takes the sid at `place` out of `identity`'s list; the last sid moves there.
fn unlist<T: Owned>(
    map: &mut Map<PackedSid, Slot<T>>,
    index: &mut Map<Identity, Lists>,
    identity: &Identity,
    place: usize,
) {
    let Some(list) = index.get_mut(identity).map(T::list) else { return };
    if place >= list.len() {
        return;
    }
    list.swap_remove(place);
    if let Some(slot) = list.get(place).and_then(|moved| map.get_mut(moved)) {
        slot.place = place;
    }
}

/// Stores `record` (one probe of `map`; its box takes the place of a replaced record's) and
/// lists it under its identity. A record it replaces that belonged to another identity is
/// unlisted there; that identity is returned so its lists can be pruned.
fn put_owned<T: Owned>(
    map: &mut Map<PackedSid, Slot<T>>,
    index: &mut Map<Identity, Lists>,
    record: Box<T>,
) -> Option<Identity> {
    let (sid, identity) = (record.sid(), record.identity());
    let (old, place) = match map.entry(sid) {
        Entry::Occupied(mut stored) => {
            let slot = stored.get_mut();
            let old = core::mem::replace(&mut slot.record, record).identity();
            if old == identity {
                return None;
            }
            let place = slot.place;
            slot.place = list::<T>(index, identity, sid);
            (old, place)
        }
        Entry::Vacant(free) => {
            let place = list::<T>(index, identity, sid);
            free.insert(Slot { record, place });
            return None;
        }
    };
    unlist(map, index, &old, place);
    Some(old)
}

/// Removes the record `sid` and unlists it; returns its identity, if it was stored.
fn remove_owned<T: Owned>(
    map: &mut Map<PackedSid, Slot<T>>,
    index: &mut Map<Identity, Lists>,
    sid: &Sid,
) -> Option<Identity> {
    let slot = map.remove(&PackedSid::from(sid))?;
    let identity = slot.record.identity();
    unlist(map, index, &identity, slot.place);
    Some(identity)
}

/// Copies of the records listed under `identity`.
fn listed<T: Owned>(
    map: &Map<PackedSid, Slot<T>>,
    lists: Option<&Lists>,
    pick: fn(&Lists) -> &Vec<PackedSid>,
) -> Vec<Record> {
    lists.map_or_else(Vec::new, |lists| {
        pick(lists).iter().filter_map(|sid| map.get(sid)).map(|s| s.record.record()).collect()
    })
}

impl Inner {
    fn version(&self, key: &Key) -> u64 {
        match key {
            Key::Entity(identity) => self.entities.get(identity).map_or(0, |e| e.version),
            Key::Factor(sid) => self.factors.get(&PackedSid::from(sid)).map_or(0, |s| s.record.version),
            Key::Challenge(sid) => self.challenges.get(&PackedSid::from(sid)).map_or(0, |s| s.record.version),
            Key::Tombstone(sid) => self.tombstones.get(sid).map_or(0, |t| t.version),
            Key::Service(sid) => self.definitions.get(sid).map_or(0, |d| d.version),
        }
    }

    fn record_version(&self, record: &Record) -> u64 {
        self.version(&record.key())
    }

    fn put(&mut self, record: Record) {
        let moved_from = match record {
            Record::Entity(e) => {
                self.entities.insert(e.identity, *e);
                None
            }
            Record::Factor(f) => put_owned(&mut self.factors, &mut self.index, f),
            Record::Challenge(c) => put_owned(&mut self.challenges, &mut self.index, Box::new(KeptChallenge::from(*c))),
            Record::Tombstone(t) => {
                self.tombstones.insert(t.sid, *t);
                None
            }
            Record::Service(d) => {
                self.definitions.insert(d.sid, *d);
                None
            }
            // Refused by `commit`.
            Record::Sealed(_) => None,
        };
        if let Some(identity) = moved_from {
            self.prune(identity);
        }
    }

    fn delete(&mut self, key: &Key) {
        let identity = match key {
            Key::Entity(identity) => self.entities.remove(identity).map(|_| *identity),
            Key::Factor(sid) => remove_owned(&mut self.factors, &mut self.index, sid),
            Key::Challenge(sid) => remove_owned(&mut self.challenges, &mut self.index, sid),
            Key::Tombstone(sid) => {
                self.tombstones.remove(sid);
                None
            }
            Key::Service(sid) => {
                self.definitions.remove(sid);
                None
            }
        };
        if let Some(identity) = identity {
            self.prune(identity);
        }
    }

    /// Drops the lists of an identity that has no entity, factor or challenge left.
    fn prune(&mut self, identity: Identity) {
        let empty = self.index.get(&identity).is_some_and(|(f, c)| f.is_empty() && c.is_empty());
        if empty && !self.entities.contains_key(&identity) {
            self.index.remove(&identity);
        }
    }
}

impl MemoryStore {
    /// The records of `service`, if it has any.
    fn in_service<T>(&self, service: &str, read: impl FnOnce(&Inner) -> T) -> Option<T> {
        self.read().services.get(service).map(read)
    }
}

impl Inner {
    fn get(&self, key: &Key) -> Option<Record> {
        Some(match key {
            Key::Entity(identity) => Record::from(self.entities.get(identity)?.clone()),
            Key::Factor(sid) => self.factors.get(&PackedSid::from(sid))?.record.record(),
            Key::Challenge(sid) => self.challenges.get(&PackedSid::from(sid))?.record.record(),
            Key::Tombstone(sid) => Record::from(self.tombstones.get(sid)?.clone()),
            Key::Service(sid) => Record::from(self.definitions.get(sid)?.clone()),
        })
    }

    /// Every record of `kind`, or only `identity`'s.
    fn records(&self, kind: Kind, identity: Option<&Identity>) -> Vec<Record> {
        match (kind, identity) {
            (Kind::Entity, None) => self.entities.values().cloned().map(Record::from).collect(),
            (Kind::Entity, Some(id)) => self.entities.get(id).cloned().map(Record::from).into_iter().collect(),
            (Kind::Factor, None) => self.factors.values().map(|s| s.record.record()).collect(),
            (Kind::Factor, Some(id)) => listed(&self.factors, self.index.get(id), |lists| &lists.0),
            (Kind::Challenge, None) => self.challenges.values().map(|s| s.record.record()).collect(),
            (Kind::Challenge, Some(id)) => listed(&self.challenges, self.index.get(id), |lists| &lists.1),
            (Kind::Tombstone, identity) => self
                .tombstones
                .values()
                .filter(|t| identity.is_none_or(|id| t.identity == *id))
                .cloned()
                .map(Record::from)
                .collect(),
            (Kind::Service, identity) => self
                .definitions
                .values()
                .filter(|d| identity.is_none_or(|id| d.identity == *id))
                .cloned()
                .map(Record::from)
                .collect(),
        }
    }
}

/// `records` in listing order, after `after`, at most `limit`.
fn page(mut records: Vec<Record>, after: Option<&Cursor>, limit: usize) -> Vec<Record> {
    records.retain(|r| after.is_none_or(|a| a.precedes(r)));
    records.sort_unstable_by_key(|r| (r.date_created(), r.key()));
    records.truncate(limit);
    records
}

impl Store for MemoryStore {
    fn get(&self, service: &str, key: &Key) -> Result<Option<Record>, Error> {
        Ok(self.in_service(service, |inner| inner.get(key)).flatten())
    }

    fn version(&self, service: &str, key: &Key) -> Result<u64, Error> {
        Ok(self.in_service(service, |inner| inner.version(key)).unwrap_or(0))
    }

    fn list(
        &self,
        service: &str,
        identity: &Identity,
        kind: Kind,
        after: Option<&Cursor>,
        limit: usize,
    ) -> Result<Vec<Record>, Error> {
        let records = self.in_service(service, |inner| inner.records(kind, Some(identity))).unwrap_or_default();
        Ok(page(records, after, limit))
    }

    fn scan(&self, service: &str, kind: Kind, after: Option<&Cursor>, limit: usize) -> Result<Vec<Record>, Error> {
        let records = self.in_service(service, |inner| inner.records(kind, None)).unwrap_or_default();
        Ok(page(records, after, limit))
    }

    fn commit(&self, service: &str, writes: Vec<Write>) -> Result<(), Error> {
        let mut services = self.write();
        let inner = match services.services.get_mut(service) {
            Some(inner) => inner,
            None => services.services.entry(Box::from(service)).or_default(),
        };
        if writes.iter().any(|w| matches!(w, Write::Put { record: Record::Sealed(_), .. })) {
            return Err(Error::storage("the memory store keeps records typed, not sealed"));
        }
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

    fn keeps_typed_records(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::{NewChallenge, NewFactor, ServiceConfig};
    use alloc::collections::{BTreeMap, BTreeSet};
    use rand_core::{RngCore, SeedableRng};

    fn sids_of(store: &MemoryStore, identity: &Identity, kind: Kind) -> BTreeSet<Sid> {
        let records = store.list("default", identity, kind, None, usize::MAX).unwrap();
        records
            .iter()
            .map(|r| match r.key() {
                Key::Factor(sid) | Key::Challenge(sid) => sid,
                other => unreachable!("listed {other:?} as a {kind:?}"),
            })
            .collect()
    }

    /// A challenge comes back from the store as it went in, with or without its optional parts;
    /// and it is kept in the size the type's comment states.
    #[test]
    fn challenges_come_back_whole() {
        assert!(core::mem::size_of::<KeptChallenge>() <= 192);
        let config = ServiceConfig::new("Acme").unwrap();
        let mut rng = rand_chacha::ChaCha20Rng::from_seed([3; 32]);
        let entity = Entity::new("user-0001", [1; 16], 0).unwrap();
        let factor = Factor::create(&config, &entity, &NewFactor::new("phone"), &mut rng, 0).unwrap();
        let plain = Challenge::create(&config, &factor, &NewChallenge::new(&factor.sid), [2; 16], 10).unwrap();
        let details = Details {
            message: "Log in from Lisbon?".into(),
            fields: alloc::vec![crate::service::DetailField { label: "IP".into(), value: "192.0.2.1".into() }],
        };
        let metadata: Metadata =
            [(alloc::string::String::from("os"), alloc::string::String::from("linux"))].into_iter().collect();
        let store = MemoryStore::new();
        for (i, (details, hidden, meta)) in [
            (None, None, None),
            (Some(details.clone()), None, None),
            (None, Some(metadata.clone()), None),
            (None, None, Some(metadata.clone())),
            (Some(details), Some(metadata.clone()), Some(metadata)),
        ]
        .into_iter()
        .enumerate()
        {
            let challenge = Challenge {
                sid: Sid::new("YC", [i as u8 + 0xa0; 16]),
                status: ChallengeStatus::Approved,
                date_responded: Some(12),
                failed_attempts: 3,
                version: 1,
                details,
                hidden_details: hidden,
                metadata: meta,
                ..plain.clone()
            };
            store
                .commit("default", alloc::vec![Write::Put { record: Record::from(challenge.clone()), expected: 0 }])
                .unwrap();
            let back = store.get("default", &Key::Challenge(challenge.sid)).unwrap();
            assert_eq!(back, Some(Record::from(challenge.clone())), "challenge {i}");
            let listed = store.list("default", &challenge.identity, Kind::Challenge, None, 100).unwrap();
            assert!(listed.contains(&Record::from(challenge)), "challenge {i}");
        }
    }

    /// Random puts (new, replaced, moved to another identity) and deletes of factors and
    /// challenges, checked after every step against a plain model of who owns which sid.
    #[test]
    fn lists_follow_every_put_move_and_delete() {
        let config = ServiceConfig::new("Acme").unwrap();
        let mut rng = rand_chacha::ChaCha20Rng::from_seed([9; 32]);
        let identities: Vec<Identity> =
            ["user-0001", "user-0002", "user-0003"].iter().map(|t| Identity::parse(t).unwrap()).collect();
        let entity = Entity::new("user-0001", [1; 16], 0).unwrap();
        let factor = Factor::create(&config, &entity, &NewFactor::new("phone"), &mut rng, 0).unwrap();
        let challenge = Challenge::create(&config, &factor, &NewChallenge::new(&factor.sid), [2; 16], 0).unwrap();
        let sids = |prefix| (0u8..5).map(move |i| Sid::new(prefix, [i; 16]));
        let (factor_sids, challenge_sids): (Vec<Sid>, Vec<Sid>) = (sids("YF").collect(), sids("YC").collect());
        let store = MemoryStore::new();
        // (is a factor, sid) → identity
        let mut model: BTreeMap<(bool, Sid), Identity> = BTreeMap::new();
        for step in 0..4000 {
            let r = rng.next_u32() as usize;
            let is_factor = r % 2 == 0;
            let sid = if is_factor { factor_sids[r / 2 % 5] } else { challenge_sids[r / 2 % 5] };
            let identity = identities[r / 10 % 3];
            let mut services = store.write();
            let inner = services.services.entry(Box::from("default")).or_default();
            if r / 30 % 4 == 0 {
                inner.delete(&if is_factor { Key::Factor(sid) } else { Key::Challenge(sid) });
                model.remove(&(is_factor, sid));
            } else {
                inner.put(if is_factor {
                    Record::from(Factor { sid, identity, ..factor.clone() })
                } else {
                    Record::from(Challenge { sid, identity, ..challenge.clone() })
                });
                model.insert((is_factor, sid), identity);
            }
            drop(services);
            for id in &identities {
                let listed = |kind: bool| model.iter().filter(move |(k, v)| k.0 == kind && *v == id).map(|(k, _)| k.1);
                let factors: BTreeSet<Sid> = sids_of(&store, id, Kind::Factor);
                let challenges: BTreeSet<Sid> = sids_of(&store, id, Kind::Challenge);
                assert!(factors.iter().copied().eq(listed(true)), "step {step}: factors of {id}");
                assert!(challenges.iter().copied().eq(listed(false)), "step {step}: challenges of {id}");
                let owns = model.values().any(|v| v == id);
                assert_eq!(store.read().services["default"].index.contains_key(id), owns, "step {step}: lists of {id}");
            }
            // Every stored record knows its place in its identity's list, and lists hold
            // nothing else.
            let services = store.read();
            let inner = &services.services["default"];
            for (sid, slot) in &inner.factors {
                assert_eq!(inner.index[&slot.record.identity].0[slot.place], *sid, "step {step}");
                assert_eq!(slot.record.sid, sid.unpack(), "step {step}");
            }
            for (sid, slot) in &inner.challenges {
                assert_eq!(inner.index[&slot.record.identity].1[slot.place], *sid, "step {step}");
                assert_eq!(slot.record.sid, *sid, "step {step}");
            }
            let listed: usize = inner.index.values().map(|(f, c)| f.len() + c.len()).sum();
            assert_eq!(listed, inner.factors.len() + inner.challenges.len(), "step {step}");
        }
    }
}
