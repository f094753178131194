//! # watchword-store
//!
//! Where a watchword service keeps its records (SPEC §9). [`open`] takes a store URL:
//!
//! | URL | store |
//! |---|---|
//! | `memory:` | in-process, thread-safe; gone when the process ends |
//! | `sqlite:///relative/path`, `sqlite:////absolute/path` | one file shared by every process of a machine |
//! | `postgresql://…`, `postgres://…` | shared by every machine |
//!
//! Every store keeps the same kind-agnostic contract, core's [`Store`]: get, list, scan and
//! all-or-nothing compare-and-set commits of records in a service namespace.
//!
//! ```
//! use watchword_core::service::{NewFactor, ServiceConfig, Verify};
//! let verify = Verify::new(ServiceConfig::new("Acme").unwrap(), watchword_store::open("memory:").unwrap());
//! verify.create_factor("user-0001", NewFactor::new("phone"), 1_700_000_000).unwrap();
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod host;
mod postgres;
mod rows;
mod sqlite;
mod url;

pub mod conformance;

use watchword_core::service::{Cursor, Identity, Key, Kind, MemoryStore, Record, ServiceConfig, Store, Verify, Write};
use watchword_core::Error;

pub use host::{Host, HostStep, HostSteps, HostStore, HostWrite};
pub use sqlite::SqliteStore;
pub use url::{PostgresUrl, SqliteUrl, SslMode, StoreUrl, Synchronous};

/// A store of any kind, as [`open`] returns it. The memory store is held in place, so that a
/// service over it calls it directly (its reads and commits can be inlined); any other store
/// is boxed.
pub enum AnyStore {
    /// `memory:`.
    Memory(MemoryStore),
    /// SQLite, PostgreSQL, or a host's own store.
    Boxed(Box<dyn Store>),
}

impl AnyStore {
    /// `store` as an `AnyStore`.
    pub fn boxed(store: impl Store + 'static) -> AnyStore {
        AnyStore::Boxed(Box::new(store))
    }

    fn store(&self) -> &dyn Store {
        match self {
            AnyStore::Memory(store) => store,
            AnyStore::Boxed(store) => &**store,
        }
    }
}

/// Each call goes to the store held: the memory store's with a static call.
impl Store for AnyStore {
    fn get(&self, service: &str, key: &Key) -> Result<Option<Record>, Error> {
        match self {
            AnyStore::Memory(store) => store.get(service, key),
            AnyStore::Boxed(store) => store.get(service, key),
        }
    }

    fn list(
        &self,
        service: &str,
        identity: &Identity,
        kind: Kind,
        after: Option<&Cursor>,
        limit: usize,
    ) -> Result<Vec<Record>, Error> {
        self.store().list(service, identity, kind, after, limit)
    }

    fn scan(&self, service: &str, kind: Kind, after: Option<&Cursor>, limit: usize) -> Result<Vec<Record>, Error> {
        self.store().scan(service, kind, after, limit)
    }

    fn commit(&self, service: &str, writes: Vec<Write>) -> Result<(), Error> {
        match self {
            AnyStore::Memory(store) => store.commit(service, writes),
            AnyStore::Boxed(store) => store.commit(service, writes),
        }
    }

    fn keeps_typed_records(&self) -> bool {
        match self {
            AnyStore::Memory(store) => store.keeps_typed_records(),
            AnyStore::Boxed(store) => store.keeps_typed_records(),
        }
    }
}

/// Opens the store a URL names (see the crate docs). Errors are `invalid_parameter` for a
/// malformed URL and `storage` for a store that cannot be opened; neither repeats the URL,
/// which may hold a password.
pub fn open(url: &str) -> Result<AnyStore, Error> {
    match StoreUrl::parse(url)? {
        StoreUrl::Memory => Ok(AnyStore::Memory(MemoryStore::new())),
        StoreUrl::Sqlite(url) => Ok(AnyStore::boxed(SqliteStore::open(&url)?)),
        StoreUrl::Postgres(url) => Ok(AnyStore::boxed(postgres::PostgresStore::open(&url)?)),
    }
}

/// A service over the store its configuration's `store` setting names.
///
/// ```
/// use watchword_core::service::ServiceConfig;
/// let config = ServiceConfig::from_json(r#"{"issuer": "Acme", "store": "memory:"}"#).unwrap();
/// let verify = watchword_store::service(config).unwrap();
/// assert_eq!(verify.config().issuer, "Acme");
/// ```
pub fn service(config: ServiceConfig) -> Result<Verify<AnyStore>, Error> {
    let store = open(&config.store)?;
    Ok(Verify::new(config, store))
}
