//! The SQLite store: one file shared by every process of a machine (SPEC §9).
//!
//! WAL journal; every commit is one `BEGIN IMMEDIATE` transaction of compare-and-set writes,
//! so a writer waits (up to `busy_timeout`) for another instead of failing; `synchronous=FULL`
//! by default, so a reported approval survives power loss. The file is created with mode 0600.

use std::fs::OpenOptions;
use std::path::Path;
use std::sync::Mutex;

use rusqlite::{params, Connection, ErrorCode, OpenFlags, OptionalExtension, TransactionBehavior};
use watchword_core::service::{Cursor, Identity, Key, Kind, Record, Store, Write};
use watchword_core::Error;

use crate::rows::{self, Row};
use crate::url::{SqliteUrl, Synchronous};

/// The schema version this build writes; `open` refuses a newer one.
const SCHEMA_VERSION: i64 = 1;

/// A SQLite store (see the module docs). `Send + Sync`: connections are pooled, one per
/// concurrent caller.
#[derive(Debug)]
pub struct SqliteStore {
    url: SqliteUrl,
    idle: Mutex<Vec<Connection>>,
    sql: Sql,
}

/// The statements, with the table prefix in place.
#[derive(Debug)]
struct Sql {
    schema: String,
    get: String,
    list: String,
    list_after: String,
    scan: String,
    scan_after: String,
    version: String,
    set_version: String,
    insert: String,
    update: String,
    delete: String,
}

impl Sql {
    fn new(prefix: &str) -> Sql {
        let t = format!("{prefix}records");
        let columns = "key, identity, created, version, data";
        Sql {
            schema: format!(
                "CREATE TABLE IF NOT EXISTS {prefix}schema (version INTEGER NOT NULL);
                 CREATE TABLE IF NOT EXISTS {t} (
                     service TEXT NOT NULL, kind TEXT NOT NULL, key TEXT NOT NULL, identity TEXT NOT NULL,
                     created INTEGER NOT NULL, version INTEGER NOT NULL, data TEXT NOT NULL,
                     PRIMARY KEY (service, kind, key)) WITHOUT ROWID;
                 CREATE INDEX IF NOT EXISTS {t}_identity ON {t} (service, kind, identity, created, key);
                 CREATE INDEX IF NOT EXISTS {t}_created ON {t} (service, kind, created, key);"
            ),
            get: format!("SELECT {columns} FROM {t} WHERE service = ?1 AND kind = ?2 AND key = ?3"),
            list: format!(
                "SELECT {columns} FROM {t} WHERE service = ?1 AND kind = ?2 AND identity = ?3
                 ORDER BY created, key LIMIT ?4"
            ),
            list_after: format!(
                "SELECT {columns} FROM {t} WHERE service = ?1 AND kind = ?2 AND identity = ?3
                 AND (created, key) > (?5, ?6) ORDER BY created, key LIMIT ?4"
            ),
            scan: format!("SELECT {columns} FROM {t} WHERE service = ?1 AND kind = ?2 ORDER BY created, key LIMIT ?3"),
            scan_after: format!(
                "SELECT {columns} FROM {t} WHERE service = ?1 AND kind = ?2 AND (created, key) > (?4, ?5)
                 ORDER BY created, key LIMIT ?3"
            ),
            version: format!("SELECT version FROM {prefix}schema"),
            set_version: format!("INSERT INTO {prefix}schema (version) VALUES (?1)"),
            insert: format!(
                "INSERT INTO {t} (service, kind, key, identity, created, version, data)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT DO NOTHING"
            ),
            update: format!(
                "UPDATE {t} SET identity = ?4, created = ?5, version = ?6, data = ?7
                 WHERE service = ?1 AND kind = ?2 AND key = ?3 AND version = ?8"
            ),
            delete: format!("DELETE FROM {t} WHERE service = ?1 AND kind = ?2 AND key = ?3 AND version = ?4"),
        }
    }
}

/// The `storage` error for a SQLite failure, in words. Never the path (it may say more than
/// the operator wants in a client's error) and never record data.
fn failure(error: rusqlite::Error) -> Error {
    let cause = match &error {
        rusqlite::Error::SqliteFailure(e, _) => match e.code {
            ErrorCode::ReadOnly => "the SQLite database file is read-only",
            ErrorCode::DiskFull => "the disk holding the SQLite database is full",
            ErrorCode::CannotOpen => "cannot open the SQLite database file (missing directory or no permission)",
            ErrorCode::NotADatabase => "the file is not a SQLite database",
            ErrorCode::DatabaseCorrupt => "the SQLite database file is corrupt",
            ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => {
                "the SQLite database stayed locked by another writer for longer than busy_timeout"
            }
            ErrorCode::PermissionDenied => "no permission to use the SQLite database file",
            ErrorCode::SystemIoFailure => "an I/O error on the SQLite database file",
            ErrorCode::OutOfMemory => "SQLite ran out of memory",
            _ => "SQLite failed",
        },
        _ => "SQLite failed",
    };
    Error::storage(cause)
}

impl SqliteStore {
    /// Opens (creating when missing) the database file and its schema.
    pub fn open(url: &SqliteUrl) -> Result<SqliteStore, Error> {
        let path = url.path.as_path();
        if path.is_dir() {
            return Err(Error::storage("the SQLite path is a directory, not a database file"));
        }
        create_private(path)?;
        let store = SqliteStore { url: url.clone(), idle: Mutex::new(Vec::new()), sql: Sql::new(&url.table_prefix) };
        let mut conn = store.connect()?;
        store.create_schema(&mut conn)?;
        store.give_back(conn);
        Ok(store)
    }

    fn connect(&self) -> Result<Connection, Error> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI;
        let conn = Connection::open_with_flags(&self.url.path, flags).map_err(failure)?;
        conn.busy_timeout(self.url.busy_timeout).map_err(failure)?;
        let journal: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0)).map_err(failure)?;
        if !journal.eq_ignore_ascii_case("wal") {
            return Err(Error::storage("the SQLite database cannot use a WAL journal here"));
        }
        let synchronous = match self.url.synchronous {
            Synchronous::Full => "FULL",
            Synchronous::Normal => "NORMAL",
        };
        conn.pragma_update(None, "synchronous", synchronous).map_err(failure)?;
        conn.set_prepared_statement_cache_capacity(16);
        Ok(conn)
    }

    fn create_schema(&self, conn: &mut Connection) -> Result<(), Error> {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(failure)?;
        tx.execute_batch(&self.sql.schema).map_err(failure)?;
        let version: Option<i64> = tx.query_row(&self.sql.version, [], |r| r.get(0)).optional().map_err(failure)?;
        match version {
            None => {
                tx.execute(&self.sql.set_version, [SCHEMA_VERSION]).map_err(failure)?;
            }
            Some(v) if v > SCHEMA_VERSION => {
                return Err(Error::storage(format!(
                    "the SQLite database has schema version {v}, newer than this watchword ({SCHEMA_VERSION}): upgrade watchword"
                )))
            }
            Some(_) => {}
        }
        tx.commit().map_err(failure)
    }

    /// Runs `work` on a pooled connection (a new one when none is idle). A connection whose
    /// work failed is dropped rather than pooled.
    fn with<T>(&self, work: impl FnOnce(&mut Connection) -> Result<T, Error>) -> Result<T, Error> {
        let pooled = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let mut conn = match pooled {
            Some(conn) => conn,
            None => self.connect()?,
        };
        let out = work(&mut conn);
        if !matches!(out, Err(Error::Storage(_))) {
            self.give_back(conn);
        }
        out
    }

    fn give_back(&self, conn: Connection) {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() < 64 {
            idle.push(conn);
        }
    }

    fn query(&self, kind: Kind, sql: &str, params: &[&dyn rusqlite::ToSql]) -> Result<Vec<Record>, Error> {
        self.with(|conn| {
            let mut statement = conn.prepare_cached(sql).map_err(failure)?;
            let mut rows = statement.query(params).map_err(failure)?;
            let mut out = Vec::new();
            while let Some(r) = rows.next().map_err(failure)? {
                let text = |i| r.get_ref(i).and_then(|v| v.as_str().map_err(Into::into)).map_err(failure);
                let row = Row {
                    kind,
                    key: text(0)?,
                    identity: text(1)?,
                    created: r.get(2).map_err(failure)?,
                    version: r.get(3).map_err(failure)?,
                    data: text(4)?,
                };
                out.push(row.record()?);
            }
            Ok(out)
        })
    }
}

/// Creates the file with mode 0600 when it does not exist (SQLite would use 0644).
fn create_private(path: &Path) -> Result<(), Error> {
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path).map(drop).map_err(|e| match e.kind() {
        std::io::ErrorKind::PermissionDenied => Error::storage("no permission to create or write the SQLite file"),
        std::io::ErrorKind::NotFound => Error::storage("the SQLite file's directory does not exist"),
        std::io::ErrorKind::ReadOnlyFilesystem => Error::storage("the SQLite file is on a read-only file system"),
        std::io::ErrorKind::IsADirectory => Error::storage("the SQLite path is a directory, not a database file"),
        _ => Error::storage("cannot create the SQLite file"),
    })
}

fn limit(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl Store for SqliteStore {
    fn get(&self, service: &str, key: &Key) -> Result<Option<Record>, Error> {
        let kind = key.kind();
        Ok(self.query(kind, &self.sql.get, params![service, kind.as_str(), key.as_str()])?.pop())
    }

    fn list(
        &self,
        service: &str,
        identity: &Identity,
        kind: Kind,
        after: Option<&Cursor>,
        n: usize,
    ) -> Result<Vec<Record>, Error> {
        let (name, identity) = (kind.as_str(), identity.as_str());
        match after {
            None => self.query(kind, &self.sql.list, params![service, name, identity, limit(n)]),
            Some(c) => {
                let created = rows::created(c.created)?;
                self.query(kind, &self.sql.list_after, params![service, name, identity, limit(n), created, c.key])
            }
        }
    }

    fn scan(&self, service: &str, kind: Kind, after: Option<&Cursor>, n: usize) -> Result<Vec<Record>, Error> {
        let name = kind.as_str();
        match after {
            None => self.query(kind, &self.sql.scan, params![service, name, limit(n)]),
            Some(c) => {
                let created = rows::created(c.created)?;
                self.query(kind, &self.sql.scan_after, params![service, name, limit(n), created, c.key])
            }
        }
    }

    fn commit(&self, service: &str, writes: Vec<Write>) -> Result<(), Error> {
        if writes.is_empty() {
            return Ok(());
        }
        let writes = writes.iter().map(rows::RowWrite::new).collect::<Result<Vec<_>, Error>>()?;
        self.with(|conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(failure)?;
            for w in &writes {
                let changed = match &w.row {
                    None => {
                        let mut delete = tx.prepare_cached(&self.sql.delete).map_err(failure)?;
                        delete.execute(params![service, w.kind, w.key, w.expected]).map_err(failure)?
                    }
                    Some(row) if w.expected == 0 => {
                        let mut insert = tx.prepare_cached(&self.sql.insert).map_err(failure)?;
                        insert
                            .execute(params![service, w.kind, w.key, row.identity, row.created, row.version, row.data])
                            .map_err(failure)?
                    }
                    Some(row) => {
                        let mut update = tx.prepare_cached(&self.sql.update).map_err(failure)?;
                        let values = params![
                            service,
                            w.kind,
                            w.key,
                            row.identity,
                            row.created,
                            row.version,
                            row.data,
                            w.expected
                        ];
                        update.execute(values).map_err(failure)?
                    }
                };
                if changed != 1 {
                    // Dropping the transaction rolls it back: nothing of this commit is applied.
                    return Err(Error::Conflict);
                }
            }
            tx.commit().map_err(failure)
        })
    }
}
