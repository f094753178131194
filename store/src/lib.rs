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

use watchword_core::service::{MemoryStore, ServiceConfig, Store, Verify};
use watchword_core::Error;

pub use host::{Host, HostStep, HostSteps, HostStore, HostWrite};
pub use sqlite::SqliteStore;
pub use url::{PostgresUrl, SqliteUrl, SslMode, StoreUrl, Synchronous};

/// A store of any kind, as [`open`] returns it.
pub type AnyStore = Box<dyn Store>;

/// Opens the store a URL names (see the crate docs). Errors are `invalid_parameter` for a
/// malformed URL and `storage` for a store that cannot be opened; neither repeats the URL,
/// which may hold a password.
pub fn open(url: &str) -> Result<AnyStore, Error> {
    match StoreUrl::parse(url)? {
        StoreUrl::Memory => Ok(Box::new(MemoryStore::new())),
        StoreUrl::Sqlite(url) => Ok(Box::new(SqliteStore::open(&url)?)),
        StoreUrl::Postgres(url) => Ok(Box::new(postgres::PostgresStore::open(&url)?)),
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
