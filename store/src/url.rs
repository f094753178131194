//! Store URLs (SPEC §9), parsed here rather than by the drivers: SQLAlchemy's SQLite forms
//! and libpq's PostgreSQL URL syntax with libpq's `sslmode` meanings. Errors name the part
//! that is wrong and never repeat the URL (it may hold a password).

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use watchword_core::{Error, Invalid};

/// A parsed store URL.
#[derive(Clone, PartialEq, Eq)]
pub enum StoreUrl {
    /// `memory:`
    Memory,
    /// `sqlite:///relative/path` or `sqlite:////absolute/path`.
    Sqlite(SqliteUrl),
    /// `postgresql://…` or `postgres://…`.
    Postgres(PostgresUrl),
}

/// Where and how to open a SQLite store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqliteUrl {
    /// The database file.
    pub path: PathBuf,
    /// `?synchronous=` (default `full`).
    pub synchronous: Synchronous,
    /// `?table_prefix=` (default empty).
    pub table_prefix: String,
    /// `?busy_timeout=` in milliseconds (default 30000): how long a writer waits for another.
    pub busy_timeout: Duration,
}

/// SQLite's `synchronous` setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Synchronous {
    /// Every commit reaches the disk before it returns: an approval survives power loss.
    Full,
    /// In WAL mode, commits survive a crash of the process but the last ones may be lost on
    /// power loss; faster.
    Normal,
}

/// libpq's `sslmode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    /// No TLS.
    Disable,
    /// TLS when the server offers it, without checking its certificate (libpq's default).
    Prefer,
    /// TLS always, without checking the certificate.
    Require,
    /// TLS, the certificate chain checked against the root certificates.
    VerifyCa,
    /// TLS, the chain checked and the certificate's name matched to the host.
    VerifyFull,
}

/// Where and how to reach a PostgreSQL store.
#[derive(Clone, PartialEq, Eq)]
pub struct PostgresUrl {
    /// Host name, IP address, or a directory holding the server's Unix socket.
    pub host: String,
    /// Port (default 5432).
    pub port: u16,
    /// User name (default: the operating system user, as libpq does).
    pub user: String,
    /// Password, if any. Never printed.
    pub password: Option<String>,
    /// Database (default: the user name).
    pub dbname: String,
    /// `?sslmode=` (default `prefer`).
    pub sslmode: SslMode,
    /// `?sslrootcert=`: PEM file of the root certificates for `verify-ca`/`verify-full`
    /// (default: the system's roots).
    pub sslrootcert: Option<PathBuf>,
    /// `?pool_size=` (default 8, 1–1000).
    pub pool_size: usize,
    /// `?connect_timeout=` in seconds (default 10).
    pub connect_timeout: Duration,
    /// `?table_prefix=` (default empty).
    pub table_prefix: String,
    /// `?application_name=` (default `watchword`).
    pub application_name: String,
}

impl fmt::Debug for PostgresUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresUrl")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "…"))
            .field("dbname", &self.dbname)
            .field("sslmode", &self.sslmode)
            .field("pool_size", &self.pool_size)
            .field("table_prefix", &self.table_prefix)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for StoreUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreUrl::Memory => f.write_str("Memory"),
            StoreUrl::Sqlite(url) => f.debug_tuple("Sqlite").field(url).finish(),
            StoreUrl::Postgres(url) => f.debug_tuple("Postgres").field(url).finish(),
        }
    }
}

const STORE_EXPECTED: &str =
    "a store URL: memory:, sqlite:///relative/path, sqlite:////absolute/path or postgresql://user@host/db";

fn invalid(name: &'static str, expected: &'static str) -> Error {
    Error::InvalidParameter(Invalid::Parameter { name, expected })
}

fn bad_url() -> Error {
    invalid("store", STORE_EXPECTED)
}

/// `%XX`-decodes `text` (UTF-8 required).
fn decode(text: &str, part: &'static str) -> Result<String, Error> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
            let byte = hex.and_then(|h| u8::from_str_radix(h, 16).ok());
            out.push(byte.ok_or_else(|| invalid(part, "valid percent-encoding (%XX)"))?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| invalid(part, "UTF-8 text once percent-decoded"))
}

/// A table prefix: `[a-z_][a-z0-9_]*`, at most 32 characters (it becomes part of SQL names).
fn table_prefix(value: &str) -> Result<String, Error> {
    let mut chars = value.chars();
    let ok = value.len() <= 32
        && chars.next().is_none_or(|c| c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !ok {
        return Err(invalid("table_prefix", "at most 32 characters of [a-z_][a-z0-9_]*"));
    }
    Ok(value.to_string())
}

fn number<T: std::str::FromStr + PartialOrd>(
    value: &str,
    min: T,
    max: T,
    name: &'static str,
    expected: &'static str,
) -> Result<T, Error> {
    value.parse::<T>().ok().filter(|n| *n >= min && *n <= max).ok_or_else(|| invalid(name, expected))
}

/// The `key=value` pairs of a query string, decoded; a key given twice is an error.
fn query_pairs(query: Option<&str>) -> Result<Vec<(String, String)>, Error> {
    let mut pairs: Vec<(String, String)> = Vec::new();
    for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').ok_or_else(|| invalid("store", "query parameters as key=value"))?;
        let key = decode(key, "store")?;
        if pairs.iter().any(|(k, _)| *k == key) {
            return Err(invalid("store", "each query parameter at most once"));
        }
        pairs.push((key, decode(value, "store")?));
    }
    Ok(pairs)
}

impl StoreUrl {
    /// Parses a store URL.
    ///
    /// ```
    /// use watchword_store::StoreUrl;
    /// assert!(matches!(StoreUrl::parse("memory:"), Ok(StoreUrl::Memory)));
    /// assert!(StoreUrl::parse("mysql://db/app").is_err());
    /// let e = StoreUrl::parse("postgresql://app:s3cret@db/app?sslmode=sometimes").unwrap_err();
    /// assert!(!e.to_string().contains("s3cret"));
    /// ```
    pub fn parse(url: &str) -> Result<StoreUrl, Error> {
        if url == "memory:" || url == "memory://" {
            return Ok(StoreUrl::Memory);
        }
        let (scheme, rest) = url.split_once(':').ok_or_else(bad_url)?;
        match scheme {
            "sqlite" => Ok(StoreUrl::Sqlite(SqliteUrl::parse(rest)?)),
            "postgresql" | "postgres" => Ok(StoreUrl::Postgres(PostgresUrl::parse(rest)?)),
            _ => Err(invalid("store", "a URL with the scheme memory:, sqlite: or postgresql:")),
        }
    }

    /// The scheme: `memory`, `sqlite` or `postgresql`.
    pub fn scheme(&self) -> &'static str {
        match self {
            StoreUrl::Memory => "memory",
            StoreUrl::Sqlite(_) => "sqlite",
            StoreUrl::Postgres(_) => "postgresql",
        }
    }
}

impl SqliteUrl {
    /// `rest` is what follows `sqlite:`.
    fn parse(rest: &str) -> Result<SqliteUrl, Error> {
        let expected = "sqlite:///relative/path or sqlite:////absolute/path";
        let (path, query) = match rest.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (rest, None),
        };
        // SQLAlchemy: `sqlite:///` + path; a fourth slash starts an absolute path.
        let path = path.strip_prefix("///").ok_or_else(|| invalid("store", expected))?;
        if path.is_empty() {
            return Err(invalid("store", expected));
        }
        let mut url = SqliteUrl {
            path: PathBuf::from(decode(path, "store")?),
            synchronous: Synchronous::Full,
            table_prefix: String::new(),
            busy_timeout: Duration::from_secs(30),
        };
        for (key, value) in query_pairs(query)? {
            match key.as_str() {
                "synchronous" => {
                    url.synchronous = match value.to_ascii_lowercase().as_str() {
                        "full" => Synchronous::Full,
                        "normal" => Synchronous::Normal,
                        _ => return Err(invalid("synchronous", "full or normal")),
                    }
                }
                "table_prefix" => url.table_prefix = table_prefix(&value)?,
                "busy_timeout" => {
                    let ms = number(&value, 0u64, 3_600_000, "busy_timeout", "milliseconds from 0 to 3600000")?;
                    url.busy_timeout = Duration::from_millis(ms);
                }
                _ => {
                    return Err(invalid("store", "only the SQLite parameters synchronous, table_prefix, busy_timeout"))
                }
            }
        }
        Ok(url)
    }
}

impl PostgresUrl {
    /// `rest` is what follows `postgresql:`.
    fn parse(rest: &str) -> Result<PostgresUrl, Error> {
        let rest = rest.strip_prefix("//").ok_or_else(bad_url)?;
        let (rest, query) = match rest.split_once('?') {
            Some((r, q)) => (r, Some(q)),
            None => (rest, None),
        };
        let (authority, dbname) = match rest.split_once('/') {
            Some((a, d)) => (a, d),
            None => (rest, ""),
        };
        let (userinfo, hostport) = match authority.rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, authority),
        };
        let (user, password) = match userinfo {
            None => (None, None),
            Some(info) => match info.split_once(':') {
                Some((u, p)) => (Some(decode(u, "user")?), Some(decode(p, "password")?)),
                None => (Some(decode(info, "user")?), None),
            },
        };
        if hostport.contains(',') {
            return Err(invalid("host", "one host (several hosts are not supported)"));
        }
        let (host, port) = if let Some(v6) = hostport.strip_prefix('[') {
            let (addr, after) = v6.split_once(']').ok_or_else(|| invalid("host", "an IPv6 address in [brackets]"))?;
            (addr.to_string(), after.strip_prefix(':'))
        } else {
            match hostport.rsplit_once(':') {
                Some((h, p)) => (decode(h, "host")?, Some(p)),
                None => (decode(hostport, "host")?, None),
            }
        };
        let os_user = std::env::var("USER").or_else(|_| std::env::var("LOGNAME")).unwrap_or_default();
        let mut url = PostgresUrl {
            host,
            port: 5432,
            user: user.unwrap_or(os_user),
            password,
            dbname: decode(dbname, "dbname")?,
            sslmode: SslMode::Prefer,
            sslrootcert: None,
            pool_size: 8,
            connect_timeout: Duration::from_secs(10),
            table_prefix: String::new(),
            application_name: String::from("watchword"),
        };
        if let Some(port) = port.filter(|p| !p.is_empty()) {
            url.port = number(port, 1u16, u16::MAX, "port", "a port number from 1 to 65535")?;
        }
        for (key, value) in query_pairs(query)? {
            match key.as_str() {
                "host" => url.host = value,
                "port" => url.port = number(&value, 1u16, u16::MAX, "port", "a port number from 1 to 65535")?,
                "user" => url.user = value,
                "password" => url.password = Some(value),
                "dbname" => url.dbname = value,
                "sslmode" => {
                    url.sslmode = match value.as_str() {
                        "disable" => SslMode::Disable,
                        "prefer" | "allow" => SslMode::Prefer,
                        "require" => SslMode::Require,
                        "verify-ca" => SslMode::VerifyCa,
                        "verify-full" => SslMode::VerifyFull,
                        _ => {
                            return Err(invalid("sslmode", "disable, allow, prefer, require, verify-ca or verify-full"))
                        }
                    }
                }
                "sslrootcert" => url.sslrootcert = Some(PathBuf::from(value)),
                "pool_size" => url.pool_size = number(&value, 1usize, 1000, "pool_size", "an integer from 1 to 1000")?,
                "connect_timeout" => {
                    let s = number(&value, 1u64, 3600, "connect_timeout", "seconds from 1 to 3600")?;
                    url.connect_timeout = Duration::from_secs(s);
                }
                "table_prefix" => url.table_prefix = table_prefix(&value)?,
                "application_name" => url.application_name = value,
                _ => {
                    return Err(invalid(
                        "store",
                        "only the PostgreSQL parameters host, port, user, password, dbname, sslmode, sslrootcert, \
                         pool_size, connect_timeout, table_prefix, application_name",
                    ))
                }
            }
        }
        if url.host.is_empty() {
            url.host = String::from("localhost");
        }
        if url.dbname.is_empty() {
            url.dbname = url.user.clone();
        }
        if url.user.is_empty() {
            return Err(invalid("user", "a user name in the URL (user@host) or ?user="));
        }
        Ok(url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pg(url: &str) -> PostgresUrl {
        match StoreUrl::parse(url).unwrap() {
            StoreUrl::Postgres(p) => p,
            other => panic!("not postgres: {other:?}"),
        }
    }

    #[test]
    fn sqlite_paths_follow_sqlalchemy() {
        let StoreUrl::Sqlite(rel) = StoreUrl::parse("sqlite:///data/ww.db").unwrap() else { panic!() };
        assert_eq!(rel.path, PathBuf::from("data/ww.db"));
        assert_eq!(rel.synchronous, Synchronous::Full);
        let StoreUrl::Sqlite(abs) =
            StoreUrl::parse("sqlite:////var/lib/ww.db?synchronous=normal&table_prefix=ww_").unwrap()
        else {
            panic!()
        };
        assert_eq!(abs.path, PathBuf::from("/var/lib/ww.db"));
        assert_eq!((abs.synchronous, abs.table_prefix.as_str()), (Synchronous::Normal, "ww_"));
        for bad in ["sqlite://", "sqlite:///", "sqlite://host/x.db", "sqlite:x.db", "sqlite:///x?synchronous=off"] {
            assert!(StoreUrl::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn postgres_urls_follow_libpq() {
        let p = pg("postgresql://app:p%40ss@db.example:6543/watch?sslmode=verify-full&sslrootcert=/ca.pem&pool_size=4");
        assert_eq!((p.host.as_str(), p.port, p.user.as_str(), p.dbname.as_str()), ("db.example", 6543, "app", "watch"));
        assert_eq!(p.password.as_deref(), Some("p@ss"));
        assert_eq!((p.sslmode, p.pool_size), (SslMode::VerifyFull, 4));
        assert_eq!(p.sslrootcert, Some(PathBuf::from("/ca.pem")));
        let q = pg("postgres://app@[::1]/db");
        assert_eq!((q.host.as_str(), q.port, q.sslmode), ("::1", 5432, SslMode::Prefer));
        let r = pg("postgresql:///db?host=/run/postgresql&user=app");
        assert_eq!((r.host.as_str(), r.user.as_str()), ("/run/postgresql", "app"));
        assert!(!format!("{p:?}").contains("p@ss"));
    }

    #[test]
    fn bad_urls_name_the_part_and_never_echo_it() {
        for (url, part) in [
            ("mysql://u:hunter2@h/db", "store"),
            ("postgresql://u:hunter2@h:99999/db", "port"),
            ("postgresql://u:hunter2@h/db?sslmode=maybe", "sslmode"),
            ("postgresql://u:hunter2@h/db?pool_size=0", "pool_size"),
            ("postgresql://u:hunter2@h/db?table_prefix=x;drop", "table_prefix"),
            ("postgresql://u:hunter2@h/db?nonsense=1", "store"),
            ("postgresql://u:hunter2@h1,h2/db", "host"),
            ("postgresql://u:hunter2%zz@h/db", "password"),
        ] {
            let e = StoreUrl::parse(url).unwrap_err();
            assert_eq!(e.kind().as_str(), "invalid_parameter", "{url}");
            let message = e.to_string();
            assert!(message.contains(part), "{url}: {message}");
            assert!(!message.contains("hunter2"), "{url}: {message}");
        }
    }
}
